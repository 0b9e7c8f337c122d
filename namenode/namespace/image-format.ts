// The namespace image: a self-describing, verifiable copy of the namespace database, as
// `dfs dfsadmin -fetchImage` saves it and `dfs namenode --restore` and `dfs oiv` read it.
//
// Layout: one JSON header line (ASCII, ending in "\n", at most IMAGE_HEADER_BYTES_MAX bytes), then
// exactly `sizeBytes` bytes of a SQLite database (the namespace as `VACUUM INTO` wrote it). The
// header names the committed Raft position the copy reflects, the cluster id, the schema version
// and the SHA-256 of the database bytes, so an image is checked offline before anything uses it.
//
// This module also prepares a restored database: the image's namespace becomes the founding
// snapshot of a new Raft group (applied index reset), and the block id and generation stamp
// high-water marks jump by RESTORE_ID_GAP, so blocks the old cluster allocated after the image
// (still on its datanodes) can never collide with blocks the restored cluster allocates. Those
// blocks are "orphans": their ids lie in (restore_block_id_floor, restore_block_id_ceiling].

import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { DfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import { SCHEMA_VERSION, ROOT_INODE_ID } from './schema.js';

export const IMAGE_FORMAT = 'dfs-namespace-image';
export const IMAGE_FORMAT_VERSION = 1;
export const IMAGE_HEADER_BYTES_MAX = 64 * 1024;
/** Added to the block id and generation stamp high-water marks of a restored namespace. */
export const RESTORE_ID_GAP = 2 ** 32;
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export interface ImageHeader {
  format: typeof IMAGE_FORMAT;
  formatVersion: number;
  /** Committed Raft position the namespace copy reflects. */
  index: number;
  term: number;
  clusterId: string;
  schemaVersion: number;
  sizeBytes: number;
  sha256: string;
  createdAtMs: number;
}

export function encodeImageHeader(header: ImageHeader): Buffer {
  const line = Buffer.from(JSON.stringify(header) + '\n', 'utf8');
  assert(line.length <= IMAGE_HEADER_BYTES_MAX, 'image header too long');
  return line;
}

/** SHA-256 (hex) of a whole file, streamed. */
export async function sha256OfFile(file: string, start = 0): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { start })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads and checks an image's header; throws a DfsError naming what is wrong. */
export function readImageHeader(file: string): { header: ImageHeader; bodyOffset: number; fileBytes: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new DfsError('FileNotFound', `Cannot open image ${file}: ${(error as Error).message}`);
  }
  try {
    const fileBytes = statSync(file).size;
    const head = Buffer.alloc(Math.min(IMAGE_HEADER_BYTES_MAX, fileBytes));
    readSync(fd, head, 0, head.length, 0);
    const newline = head.indexOf(0x0a);
    if (newline < 0) throw new DfsError('IllegalArgument', `${file} is not a dfs namespace image (no header line)`);
    let parsed: Partial<ImageHeader>;
    try {
      parsed = JSON.parse(head.subarray(0, newline).toString('utf8')) as Partial<ImageHeader>;
    } catch {
      throw new DfsError('IllegalArgument', `${file} is not a dfs namespace image (unreadable header)`);
    }
    if (parsed.format !== IMAGE_FORMAT) throw new DfsError('IllegalArgument', `${file} is not a dfs namespace image (format ${String(parsed.format)})`);
    if (parsed.formatVersion !== IMAGE_FORMAT_VERSION) throw new DfsError('IllegalArgument', `Image ${file} has format version ${parsed.formatVersion}; this dfs reads version ${IMAGE_FORMAT_VERSION}`);
    const header = parsed as ImageHeader;
    for (const key of ['index', 'term', 'schemaVersion', 'sizeBytes', 'createdAtMs'] as const) {
      if (!Number.isSafeInteger(header[key]) || header[key] < 0) throw new DfsError('IllegalArgument', `Image ${file} has a bad header field ${key}`);
    }
    if (typeof header.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(header.sha256) || typeof header.clusterId !== 'string') {
      throw new DfsError('IllegalArgument', `Image ${file} has a bad header (checksum or cluster id)`);
    }
    if (header.schemaVersion > SCHEMA_VERSION) {
      throw new DfsError('IllegalArgument', `Image ${file} has namespace schema version ${header.schemaVersion}, newer than this dfs (${SCHEMA_VERSION}); upgrade dfs`);
    }
    const bodyOffset = newline + 1;
    const bodyBytes = fileBytes - bodyOffset;
    if (bodyBytes < header.sizeBytes) throw new DfsError('IllegalArgument', `Image ${file} is truncated: ${bodyBytes} of ${header.sizeBytes} namespace bytes present`);
    if (bodyBytes > header.sizeBytes) throw new DfsError('IllegalArgument', `Image ${file} is corrupted: ${bodyBytes - header.sizeBytes} unexpected bytes after the namespace`);
    return { header, bodyOffset, fileBytes };
  } finally {
    closeSync(fd);
  }
}

/**
 * Verifies an image (header, length, SHA-256, SQLite magic) and writes its database to `target`
 * (staged, fsynced, renamed). Nothing is left at `target` when the image is refused.
 */
export async function extractImage(file: string, target: string): Promise<ImageHeader> {
  const { header, bodyOffset } = readImageHeader(file);
  const staged = `${target}.extracting`;
  const hash = createHash('sha256');
  const out = createWriteStream(staged);
  let first: Buffer | undefined;
  try {
    for await (const chunk of createReadStream(file, { start: bodyOffset })) {
      const bytes = chunk as Buffer;
      first ??= bytes;
      hash.update(bytes);
      if (!out.write(bytes)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const digest = hash.digest('hex');
    if (digest !== header.sha256) throw new DfsError('IllegalArgument', `Image ${file} is corrupted: SHA-256 of the namespace is ${digest}, the header says ${header.sha256}`);
    if (!first || first.length < SQLITE_MAGIC.length || !first.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
      throw new DfsError('IllegalArgument', `Image ${file} does not hold a SQLite database`);
    }
    const fd = openSync(staged, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(staged, target);
    return header;
  } catch (error) {
    out.destroy();
    rmSync(staged, { force: true });
    throw error;
  }
}

/**
 * Turns an extracted image into the database a new Raft group is founded from: applied index 0
 * (the founding snapshot sets 1), retried-request memory dropped (it belongs to the old log),
 * id high-water marks moved past anything the old cluster may have allocated after the image.
 * Deterministic: every namenode of the new group prepares the same database from the same image.
 */
export function prepareRestoredDatabase(dbFile: string, header: ImageHeader): void {
  const db = new Database(dbFile);
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== header.schemaVersion) throw new DfsError('IllegalArgument', `Image database has schema version ${version}, its header says ${header.schemaVersion}`);
    const integrity = db.pragma('quick_check', { simple: true }) as string;
    if (integrity !== 'ok') throw new DfsError('IllegalArgument', `Image database fails SQLite's integrity check: ${integrity}`);
    if (!db.prepare('SELECT 1 FROM inodes WHERE id = ?').get(ROOT_INODE_ID)) throw new DfsError('IllegalArgument', 'Image holds no formatted namespace (no root directory)');
    const get = (key: string): number => {
      const row = db.prepare('SELECT value FROM state WHERE key = ?').get(key) as { value: unknown } | undefined;
      return typeof row?.value === 'number' ? row.value : 0;
    };
    const set = db.prepare('INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    db.transaction(() => {
      const blockHigh = Math.max(get('block_id_high'), 1_073_741_824);
      set.run('applied_index', 0);
      set.run('applied_term', 0);
      set.run('restore_block_id_floor', blockHigh);
      set.run('restore_block_id_ceiling', blockHigh + RESTORE_ID_GAP);
      set.run('block_id_high', blockHigh + RESTORE_ID_GAP);
      set.run('gen_stamp_high', Math.max(get('gen_stamp_high'), 1000) + RESTORE_ID_GAP);
      set.run('restored_from_index', header.index);
      set.run('restored_from_term', header.term);
      db.prepare('DELETE FROM client_requests').run();
    })();
  } finally {
    db.close();
  }
}

/** Ids of blocks the old cluster may have allocated after the image was taken (see the top). */
export function restoreOrphanRange(getState: (key: string) => unknown): { floor: number; ceiling: number } | null {
  const floor = getState('restore_block_id_floor');
  const ceiling = getState('restore_block_id_ceiling');
  return typeof floor === 'number' && typeof ceiling === 'number' ? { floor, ceiling } : null;
}

/** Checks an image without extracting it: header, length and SHA-256 of the namespace bytes. */
export async function verifyImage(file: string): Promise<{ header: ImageHeader; fileBytes: number }> {
  const { header, bodyOffset, fileBytes } = readImageHeader(file);
  const digest = await sha256OfFile(file, bodyOffset);
  if (digest !== header.sha256) throw new DfsError('IllegalArgument', `Image ${file} is corrupted: SHA-256 of the namespace is ${digest}, the header says ${header.sha256}`);
  return { header, fileBytes };
}
