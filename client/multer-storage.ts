// A multer storage engine that streams each uploaded file into dfs (never to local disk):
// `multer({ storage: dfsStorage({ client, destination: '/uploads' }) })`. The file lands under
// `<destination>/<filename>`; `req.file` gets `path` (the dfs path) and `size`.

import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { pipeline } from 'node:stream/promises';
import { joinPath } from '../shared/paths.js';
import type { DfsClient, WriteOptions } from './dfs-client.js';

type Resolver = (req: Request, file: Express.Multer.File) => string | Promise<string>;

export interface DfsStorageOptions {
  client: DfsClient;
  /** Folder in dfs, or a function choosing it per file. */
  destination: string | Resolver;
  /** File name within the folder; a random UUID by default (never the client's name as-is). */
  filename?: Resolver;
  /** Replace an existing file of the same name (default false: the upload fails with EEXIST). */
  overwrite?: boolean;
  replication?: number;
  blockSize?: number;
}

export interface DfsStoredFile {
  path: string;
  destination: string;
  filename: string;
  size: number;
}

class DfsStorageEngine implements StorageEngine {
  constructor(private readonly options: DfsStorageOptions) {}

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    this.store(req, file).then((info) => callback(null, info), (error: unknown) => callback(error));
  }

  private async store(req: Request, file: Express.Multer.File): Promise<DfsStoredFile> {
    const { client } = this.options;
    const destination = typeof this.options.destination === 'string' ? this.options.destination : await this.options.destination(req, file);
    const filename = this.options.filename ? await this.options.filename(req, file) : randomUUID();
    const path = joinPath(client.resolve(destination), filename);
    const writeOptions: WriteOptions = { overwrite: this.options.overwrite ?? false, replication: this.options.replication, blockSize: this.options.blockSize };
    const out = client.createWriteStream(path, writeOptions);
    await pipeline(file.stream, out);
    return { path, destination, filename, size: out.bytesWritten };
  }

  _removeFile(_req: Request, file: Express.Multer.File & Partial<DfsStoredFile>, callback: (error: Error | null) => void): void {
    this.options.client.rm(file.path, { force: true }).then(() => callback(null), (error: Error) => callback(error));
  }
}

export function dfsStorage(options: DfsStorageOptions): StorageEngine {
  return new DfsStorageEngine(options);
}
