// WebHDFS calls the file browser makes from the browser, as the user named in the page's header
// (sent as user.name, WebHDFS's simple authentication; empty: the namenode's default user), or, when
// the header holds a bearer token, as the token's user (the namenode then ignores user.name).

import { fetchJson } from '../../../shared/web-ui/browser/dom.js';

export interface FileStatusJson {
  accessTime: number;
  blockSize: number;
  childrenNum: number;
  group: string;
  length: number;
  modificationTime: number;
  owner: string;
  pathSuffix: string;
  permission: string;
  replication: number;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
}

export interface LocatedBlockJson {
  block: { blockId: number; generationStamp: number; numBytes: number };
  locations: Array<{ name: string; hostName: string; xferPort: number; networkLocation: string }>;
  startOffset: number;
}

/** A header field's value kept in localStorage across pages and reloads; empty: none. */
function stored(key: string): { get: () => string; set: (value: string) => void } {
  return {
    get: () => localStorage.getItem(key) ?? '',
    set: (value) => (value === '' ? localStorage.removeItem(key) : localStorage.setItem(key, value)),
  };
}

const storedUser = stored('dfs.web-ui.user');
const storedToken = stored('dfs.web-ui.token');
export const currentUser = storedUser.get;
export const setCurrentUser = storedUser.set;
export const currentToken = storedToken.get;
export const setCurrentToken = storedToken.set;

/** What a header value may hold (fetch refuses others): a token is printable ASCII without spaces. */
export const isTokenText = (text: string): boolean => /^[!-~]*$/.test(text);

export const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

/** A WebHDFS URL on this namenode for `path` and `op`, with the current user (unless a token speaks). */
export function webhdfsUrl(path: string, op: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams({ op, ...params });
  const user = currentUser();
  if (user !== '' && currentToken() === '') query.set('user.name', user);
  return `/webhdfs/v1${encodePath(path)}?${query.toString()}`;
}

/**
 * A WebHDFS call to this namenode, with the token (if any) in the Authorization header: the page's
 * own origin, so no CORS preflight, and the token stays out of URLs (history, proxies' logs).
 */
function namenodeCall<T>(path: string, op: string, init: RequestInit = {}, params: Record<string, string> = {}): Promise<T> {
  const token = currentToken();
  return fetchJson<T>(webhdfsUrl(path, op, params), token === '' ? init : { ...init, headers: { authorization: `Bearer ${token}` } });
}

/**
 * OPEN for a download: a link cannot carry a header, so the token rides as Hadoop's `delegation=`.
 * The namenode keeps it to itself: its redirect to a datanode carries a grant for this file instead.
 */
export function downloadUrl(path: string): string {
  const token = currentToken();
  return webhdfsUrl(path, 'OPEN', token === '' ? {} : { delegation: token });
}

export const childPath = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

export async function listStatus(path: string): Promise<FileStatusJson[]> {
  return (await namenodeCall<{ FileStatuses: { FileStatus: FileStatusJson[] } }>(path, 'LISTSTATUS')).FileStatuses.FileStatus;
}

export async function fileStatus(path: string): Promise<FileStatusJson> {
  return (await namenodeCall<{ FileStatus: FileStatusJson }>(path, 'GETFILESTATUS')).FileStatus;
}

export async function blockLocations(path: string): Promise<LocatedBlockJson[]> {
  return (await namenodeCall<{ LocatedBlocks: { locatedBlocks: LocatedBlockJson[] } }>(path, 'GET_BLOCK_LOCATIONS')).LocatedBlocks.locatedBlocks;
}

export async function mkdirs(path: string): Promise<void> {
  await namenodeCall(path, 'MKDIRS', { method: 'PUT' });
}

/**
 * Hadoop's two steps, as its own file browser does: the namenode names a datanode (noredirect=true,
 * since a browser cannot re-send a file body across a redirect), then the datanode takes the bytes.
 * The token goes to the namenode only: the Location carries the namenode's grant for this one file,
 * which is all the datanode checks (no Authorization there, so no header for its preflight to allow).
 */
export async function upload(path: string, file: File): Promise<void> {
  const { Location } = await namenodeCall<{ Location: string }>(path, 'CREATE', { method: 'PUT' }, { noredirect: 'true', overwrite: 'false' });
  if (!/^https?:\/\//.test(Location)) throw new Error(`The namenode answered an unexpected location: ${Location}`);
  await fetchJson(Location, { method: 'PUT', body: file });
}

/** drwxr-xr-x from WebHDFS's octal permission string. */
export function permissionString(type: FileStatusJson['type'], octal: string): string {
  const mode = parseInt(octal, 8);
  const bits = ['r', 'w', 'x'];
  let text = type === 'DIRECTORY' ? 'd' : '-';
  for (let shift = 6; shift >= 0; shift -= 3) for (let bit = 0; bit < 3; bit++) text += mode & (1 << (shift + 2 - bit)) ? bits[bit] : '-';
  if (mode & 0o1000) text = text.slice(0, 9) + (mode & 1 ? 't' : 'T');
  return text;
}
