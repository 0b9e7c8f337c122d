// HDFS path rules, shared by every component: a namespace path is absolute, '/'-separated, with no
// empty, '.' or '..' components (DFSUtil.isValidName). Clients may resolve relative paths against
// the user's home directory first, as `hdfs dfs` does.

import { PATH_BYTES_MAX, PATH_COMPONENT_BYTES_MAX, PATH_DEPTH_MAX } from './constants.js';
import { DfsError } from './errors.js';

function invalid(path: string, why: string): DfsError {
  return new DfsError('InvalidPath', `Invalid path name Invalid file name: ${path}`, { path, reason: why });
}

/** Splits a valid absolute path into its components; throws InvalidPath with the reason otherwise. */
export function pathComponents(path: string): string[] {
  if (typeof path !== 'string' || !path.startsWith('/')) throw invalid(String(path), 'path is not absolute');
  if (Buffer.byteLength(path) > PATH_BYTES_MAX) throw invalid(path.slice(0, 200), `path is longer than ${PATH_BYTES_MAX} bytes`);
  if (path === '/') return [];
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = trimmed.slice(1).split('/');
  if (parts.length > PATH_DEPTH_MAX) throw invalid(path, `path is deeper than ${PATH_DEPTH_MAX}`);
  for (const part of parts) checkComponent(path, part);
  return parts;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function checkComponent(path: string, part: string): void {
  if (part === '') throw invalid(path, 'empty path component');
  if (part === '.' || part === '..') throw invalid(path, `'${part}' component`);
  if (part.includes(':')) throw invalid(path, "':' in a path component");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(part)) throw invalid(path, 'control character in a path component');
  if (part.includes('\ufffd')) throw invalid(path, 'invalid UTF-8 in a path component');
  // A lone surrogate has no UTF-8 form: stored, it would turn into U+FFFD, a name no one could address.
  if (LONE_SURROGATE.test(part)) throw invalid(path, 'invalid Unicode (a lone surrogate) in a path component');
  if (Buffer.byteLength(part) > PATH_COMPONENT_BYTES_MAX) {
    throw invalid(path, `component longer than ${PATH_COMPONENT_BYTES_MAX} bytes`);
  }
}

/** The canonical form of a valid path: no trailing slash except for the root. */
export function normalizePath(path: string): string {
  const parts = pathComponents(path);
  return '/' + parts.join('/');
}

export function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

export function parentPath(path: string): string {
  const index = path.lastIndexOf('/');
  return index <= 0 ? '/' : path.slice(0, index);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** True when `ancestor` is `path` or one of its parents. */
export function isAncestorOrSelf(ancestor: string, path: string): boolean {
  if (ancestor === '/') return true;
  return path === ancestor || path.startsWith(ancestor + '/');
}

/**
 * Resolves what a user typed into an absolute path the way Hadoop's Path does: relative paths are
 * relative to the home directory; repeated and trailing slashes are folded. `.` and `..` are kept
 * so the namenode rejects them with HDFS's message instead of silently walking the tree.
 */
export function resolveUserPath(input: string, homeDirectory: string): string {
  const absolute = input.startsWith('/') ? input : `${homeDirectory}/${input}`;
  const folded = absolute.replace(/\/+/g, '/');
  return folded.length > 1 && folded.endsWith('/') ? folded.slice(0, -1) : folded;
}

export const homeDirectoryOf = (user: string): string => `/user/${user}`;
