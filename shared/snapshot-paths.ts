// Paths into snapshots, as in HDFS: `<dir>/.snapshot` lists the snapshots of a snapshottable
// directory and `<dir>/.snapshot/<name>/...` is its read-only past state. `.snapshot` is a reserved
// name: no file or directory can be called that, and nothing under it can be changed.

import { DfsError } from './errors.js';
import { pathComponents } from './paths.js';

export const SNAPSHOT_DIR_NAME = '.snapshot';
/** HDFS's default snapshot quota per snapshottable directory. */
export const SNAPSHOTS_PER_DIRECTORY_MAX = 65_536;

/** A path through `.snapshot`: the snapshottable directory, the snapshot (absent for `<dir>/.snapshot`), and the path inside it. */
export interface SnapshotPath {
  root: string;
  snapshot?: string;
  rest: string[];
}

/** Splits a path at its first `.snapshot` component; undefined for a path of the live namespace. */
export function splitSnapshotPath(path: string): SnapshotPath | undefined {
  const components = pathComponents(path);
  const at = components.indexOf(SNAPSHOT_DIR_NAME);
  if (at < 0) return undefined;
  return { root: '/' + components.slice(0, at).join('/'), snapshot: components[at + 1], rest: components.slice(at + 2) };
}

/** The path of a snapshot's root: `/dir/.snapshot/name`. */
export const snapshotRootPath = (dir: string, name: string): string => `${dir === '/' ? '' : dir}/${SNAPSHOT_DIR_NAME}/${name}`;

/**
 * Refuses a change to `path` when it names `.snapshot`: as the last component it is HDFS's
 * reserved-name error, deeper it is a change inside a read-only snapshot.
 */
export function assertWritablePath(path: string): void {
  const components = pathComponents(path);
  const at = components.indexOf(SNAPSHOT_DIR_NAME);
  if (at < 0) return;
  if (at === components.length - 1) {
    throw new DfsError('InvalidPath', `Invalid path name Invalid file name: ${path}: "${SNAPSHOT_DIR_NAME}" is a reserved name.`, { path });
  }
  throw new DfsError('SnapshotAccessControl', `Modification on a read-only snapshot is disallowed: ${path}`, { path });
}

/** Checks a snapshot name (one path component, not `.snapshot`); HDFS's messages. */
export function checkSnapshotName(name: string): void {
  if (name.includes('/')) throw new DfsError('Snapshot', `Snapshot name cannot contain "/": ${name}`, { name });
  if (name === SNAPSHOT_DIR_NAME) throw new DfsError('Snapshot', `"${SNAPSHOT_DIR_NAME}" is a reserved name.`, { name });
  try {
    pathComponents('/' + name);
  } catch {
    throw new DfsError('Snapshot', `Invalid snapshot name: ${name}`, { name });
  }
}

/** HDFS's default snapshot name, `s` + yyyyMMdd-HHmmss.SSS (here in UTC, so every namenode agrees). */
export function defaultSnapshotName(nowMs: number): string {
  const iso = new Date(nowMs).toISOString(); // 2026-11-23T19:02:42.123Z
  return `s${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 23)}`;
}
