// An unstorage driver over dfs: `storage.mount('/files', dfsDriver({ base: '/apps/site', namenodes }))`.
// Keys map to files under `base` (':' becomes '/'); items are UTF-8 files, raw items bytes;
// metadata is the file's size and times. Missing items read as null, as unstorage's fs drivers do.

import { defineDriver, type Driver } from 'unstorage';
import { isDfsError } from '../shared/errors.js';
import { DfsClient, type DfsClientOptions } from './dfs-client.js';

export interface DfsDriverOptions extends DfsClientOptions {
  /** Folder in dfs holding the items (created on the first write). */
  base: string;
  /** An existing client to use (not closed by dispose); otherwise the driver makes its own. */
  client?: DfsClient;
  readOnly?: boolean;
  /** Ignore clear() (keeps a shared folder safe from a careless caller). */
  noClear?: boolean;
  /** Replication and block size for the files the driver writes. */
  replication?: number;
  blockSize?: number;
}

const DRIVER_NAME = 'dfs';
const PATH_TRAVERSE = /(^|:)\.\.(:|$)/;

const dfsDriver = defineDriver((options: DfsDriverOptions): Driver<DfsDriverOptions, DfsClient> => {
  if (!options?.base) throw new Error(`[unstorage] [${DRIVER_NAME}] Missing required option \`base\`.`);
  const client = options.client ?? new DfsClient(options);
  const base = client.resolve(options.base);

  const pathOf = (key: string): string => {
    if (PATH_TRAVERSE.test(key)) throw new Error(`[unstorage] [${DRIVER_NAME}] Invalid key: ${JSON.stringify(key)}. It should not contain .. segments`);
    const relative = key.split(':').filter(Boolean).join('/');
    return relative ? `${base}/${relative}` : base;
  };
  const missingAsNull = <T>(promise: Promise<T>): Promise<T | null> =>
    promise.catch((error: unknown) => {
      if (isDfsError(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR' || error.code === 'EISDIR')) return null;
      throw error;
    });
  const write = async (key: string, data: string | Uint8Array) => {
    if (options.readOnly) return;
    await client.writeFile(pathOf(key), data, { createParent: true, replication: options.replication, blockSize: options.blockSize });
  };
  const keysUnder = async (dir: string, prefix: string, keys: string[]): Promise<void> => {
    let entries;
    try {
      entries = await client.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isDfsError(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return;
      throw error;
    }
    for (const entry of entries) {
      const key = prefix ? `${prefix}:${entry.name}` : entry.name;
      if (entry.isDirectory()) await keysUnder(entry.status.path, key, keys);
      else keys.push(key);
    }
  };

  return {
    name: DRIVER_NAME,
    options,
    getInstance: () => client,
    async hasItem(key) {
      const status = await missingAsNull(client.stat(pathOf(key)));
      return status !== null && status.isFile();
    },
    async getItem(key) {
      return missingAsNull(client.readFile(pathOf(key), 'utf8'));
    },
    async getItemRaw(key) {
      return missingAsNull(client.readFile(pathOf(key)));
    },
    async getMeta(key) {
      const status = await missingAsNull(client.stat(pathOf(key)));
      if (!status) return null;
      return { size: status.size, mtime: status.mtime, atime: status.atime, ctime: status.ctime, birthtime: status.birthtime, mode: status.mode, replication: status.replication };
    },
    setItem: (key, value) => write(key, value),
    setItemRaw: (key, value: Uint8Array | string) => write(key, typeof value === 'string' ? value : Buffer.from(value)),
    async removeItem(key) {
      if (options.readOnly) return;
      await client.rm(pathOf(key), { force: true });
    },
    async getKeys(keyBase) {
      const keys: string[] = [];
      const prefix = (keyBase ?? '').split(':').filter(Boolean).join(':');
      await keysUnder(pathOf(prefix), prefix, keys);
      return keys;
    },
    async clear(keyBase) {
      if (options.readOnly || options.noClear) return;
      const dir = pathOf(keyBase ?? '');
      // Removes the folder's contents, keeping the folder itself (it may be shared or pre-made).
      const names = await missingAsNull(client.readdir(dir));
      for (const name of names ?? []) await client.rm(`${dir}/${name}`, { recursive: true, force: true });
    },
    async dispose() {
      if (!options.client) await client.close();
    },
  };
});

export default dfsDriver;
export { dfsDriver };
