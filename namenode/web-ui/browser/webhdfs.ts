// WebHDFS calls the file browser makes from the browser, as the user named in the page's header
// (sent as user.name, WebHDFS's simple authentication; empty: the namenode's default user).

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

const USER_KEY = 'dfs.web-ui.user';

export function currentUser(): string {
  return localStorage.getItem(USER_KEY) ?? '';
}

export function setCurrentUser(user: string): void {
  if (user === '') localStorage.removeItem(USER_KEY);
  else localStorage.setItem(USER_KEY, user);
}

export const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

/** A WebHDFS URL on this namenode for `path` and `op`, with the current user. */
export function webhdfsUrl(path: string, op: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams({ op, ...params });
  const user = currentUser();
  if (user !== '') query.set('user.name', user);
  return `/webhdfs/v1${encodePath(path)}?${query.toString()}`;
}

export const childPath = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

export async function listStatus(path: string): Promise<FileStatusJson[]> {
  return (await fetchJson<{ FileStatuses: { FileStatus: FileStatusJson[] } }>(webhdfsUrl(path, 'LISTSTATUS'))).FileStatuses.FileStatus;
}

export async function fileStatus(path: string): Promise<FileStatusJson> {
  return (await fetchJson<{ FileStatus: FileStatusJson }>(webhdfsUrl(path, 'GETFILESTATUS'))).FileStatus;
}

export async function blockLocations(path: string): Promise<LocatedBlockJson[]> {
  return (await fetchJson<{ LocatedBlocks: { locatedBlocks: LocatedBlockJson[] } }>(webhdfsUrl(path, 'GET_BLOCK_LOCATIONS'))).LocatedBlocks.locatedBlocks;
}

export async function mkdirs(path: string): Promise<void> {
  await fetchJson(webhdfsUrl(path, 'MKDIRS'), { method: 'PUT' });
}

/**
 * Hadoop's two steps, as its own file browser does: the namenode names a datanode (noredirect=true,
 * since a browser cannot re-send a file body across a redirect), then the datanode takes the bytes.
 */
export async function upload(path: string, file: File): Promise<void> {
  const { Location } = await fetchJson<{ Location: string }>(webhdfsUrl(path, 'CREATE', { noredirect: 'true', overwrite: 'false' }), { method: 'PUT' });
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
