// The dfs client library: a file-system API over the namenode client and the block pipeline.
// Files are written block by block to the datanodes the namenode assigns and read back block by
// block from their replicas, streaming throughout.

import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DfsError } from '../shared/errors.js';
import { homeDirectoryOf, resolveUserPath } from '../shared/paths.js';
import { LEASE_SOFT_LIMIT_MS, NAMENODE_HTTP_PORT_DEFAULT } from '../shared/constants.js';
import type { ExtendedBlock, FileStatus, LocatedBlock } from '../shared/protocol.js';
import { NamenodeClient } from './namenode-client.js';
import { RecoverableBlockWriter } from './blocks/recoverable-writer.js';
import { readBlockRange } from './blocks/block-reader.js';

export interface DfsClientOptions {
  /** Namenode base URLs; default from DFS_NAMENODES (comma-separated) or http://127.0.0.1:9870. */
  namenodes?: string[];
  /** Caller identity (HDFS simple authentication); defaults to the OS user. */
  user?: string;
  /** `stale` lets any namenode answer reads without a round trip to the leader (see README). */
  consistency?: 'linearizable' | 'stale';
}

export interface WriteOptions {
  overwrite?: boolean;
  replication?: number;
  blockSize?: number;
  permission?: number;
  /** Create missing parent directories (true by default, as FileSystem.create does). */
  createParent?: boolean;
  signal?: AbortSignal;
  /** Folder for the current block's spill file (pipeline recovery replays from it); default the OS temp folder. */
  spillDir?: string;
}

export interface ReadOptions {
  /** First byte to read (inclusive). */
  start?: number;
  /** Last byte to read (inclusive), as in fs.createReadStream. */
  end?: number;
  signal?: AbortSignal;
}

export function defaultNamenodes(): string[] {
  const fromEnv = process.env.DFS_NAMENODES?.split(',').map((s) => s.trim()).filter(Boolean);
  return fromEnv && fromEnv.length > 0 ? fromEnv : [`http://127.0.0.1:${NAMENODE_HTTP_PORT_DEFAULT}`];
}

export class DfsClient {
  readonly rpc: NamenodeClient;
  readonly user: string;

  constructor(options: DfsClientOptions = {}) {
    this.user = options.user ?? userInfo().username;
    this.rpc = new NamenodeClient({ namenodes: options.namenodes ?? defaultNamenodes(), user: this.user, consistency: options.consistency });
  }

  get homeDirectory(): string {
    return homeDirectoryOf(this.user);
  }

  /** Absolute namespace path for what a user typed (relative paths are under the home directory). */
  resolve(path: string): string {
    return resolveUserPath(path, this.homeDirectory);
  }

  async stat(path: string): Promise<FileStatus> {
    const resolved = this.resolve(path);
    const { status } = await this.rpc.call('getFileInfo', { path: resolved });
    if (!status) throw new DfsError('FileNotFound', `File does not exist: ${resolved}`, { path: resolved });
    return status;
  }

  async exists(path: string): Promise<boolean> {
    const { status } = await this.rpc.call('getFileInfo', { path: this.resolve(path) });
    return status !== null;
  }

  /** Every entry of a directory, fetched page by page so huge directories stream. */
  async *list(path: string): AsyncGenerator<FileStatus> {
    const resolved = this.resolve(path);
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.rpc.call('listStatus', { path: resolved, startAfter });
      yield* page.entries;
      if (page.remaining === 0 || page.entries.length === 0) return;
      const last = page.entries[page.entries.length - 1].path;
      startAfter = last.slice(last.lastIndexOf('/') + 1);
    }
  }

  async readdir(path: string): Promise<FileStatus[]> {
    const entries: FileStatus[] = [];
    for await (const entry of this.list(path)) entries.push(entry);
    return entries;
  }

  async mkdir(path: string, options: { recursive?: boolean; permission?: number } = {}): Promise<boolean> {
    const { created } = await this.rpc.call('mkdirs', {
      path: this.resolve(path),
      createParent: options.recursive ?? false,
      permission: options.permission,
    });
    return created;
  }

  async delete(path: string, options: { recursive?: boolean } = {}): Promise<boolean> {
    const { deleted } = await this.rpc.call('delete', { path: this.resolve(path), recursive: options.recursive ?? false });
    return deleted;
  }

  async rename(src: string, dst: string): Promise<void> {
    await this.rpc.call('rename', { src: this.resolve(src), dst: this.resolve(dst) });
  }

  createWriteStream(path: string, options: WriteOptions = {}): DfsWriteStream {
    return new DfsWriteStream(this, this.resolve(path), options);
  }

  createReadStream(path: string, options: ReadOptions = {}): Readable {
    return Readable.from(this.readRange(this.resolve(path), options), { objectMode: false });
  }

  async writeFile(path: string, data: Uint8Array | string | Readable, options: WriteOptions = {}): Promise<void> {
    const source = typeof data === 'string' || data instanceof Uint8Array ? Readable.from([Buffer.from(data)]) : data;
    await pipeline(source, this.createWriteStream(path, { overwrite: true, ...options }), { signal: options.signal });
  }

  async readFile(path: string, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.readRange(this.resolve(path), options)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  private async *readRange(path: string, options: ReadOptions): AsyncGenerator<Buffer> {
    const start = options.start ?? 0;
    const endExclusive = options.end === undefined ? Number.MAX_SAFE_INTEGER : options.end + 1;
    if (endExclusive <= start) return;
    const { located } = await this.rpc.call('getBlockLocations', { path, offset: start, length: endExclusive - start }, options.signal);
    for (const block of located.blocks) {
      const from = Math.max(start, block.offset) - block.offset;
      const to = Math.min(endExclusive, block.offset + block.block.numBytes) - block.offset;
      if (to <= from) continue;
      if (block.locations.length === 0) {
        throw new DfsError('BlockMissing', `Could not obtain block ${block.block.blockId} of ${path}: no live replica`, {
          path,
          blockId: block.block.blockId,
        });
      }
      yield* readBlockRange(block, from, to, { dispatcher: this.rpc.httpDispatcher, signal: options.signal });
    }
  }

  /** HDFS setReplication: the namenode re-replicates or trims the file's blocks to `replication`. */
  async setReplication(path: string, replication: number): Promise<boolean> {
    const { changed } = await this.rpc.call('setReplication', { path: this.resolve(path), replication });
    return changed;
  }

  async close(): Promise<void> {
    await this.rpc.close();
  }
}

/**
 * A Writable that creates a file, fills blocks one after another through datanode pipelines and
 * completes the file on end. Until `finish`, the file is under construction and held by our lease.
 */
export class DfsWriteStream extends Writable {
  readonly clientName = `DFSClient_${hostname()}_${process.pid}_${randomUUID().slice(0, 8)}`;
  bytesWritten = 0;
  private status: FileStatus | null = null;
  private writer: RecoverableBlockWriter | null = null;
  private current: LocatedBlock | null = null;
  private previous: ExtendedBlock | undefined;
  private leaseTimer: NodeJS.Timeout | null = null;
  /** Datanodes that failed a pipeline of this stream: kept out of its later blocks too. */
  private readonly failedNodes = new Set<string>();

  constructor(
    private readonly client: DfsClient,
    readonly path: string,
    private readonly options: WriteOptions,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.client.rpc
      .call('create', {
        path: this.path,
        clientName: this.clientName,
        overwrite: this.options.overwrite ?? false,
        createParent: this.options.createParent ?? true,
        replication: this.options.replication,
        blockSize: this.options.blockSize,
        permission: this.options.permission,
      })
      .then(({ status }) => {
        this.status = status;
        this.leaseTimer = setInterval(() => {
          this.client.rpc.call('renewLease', { clientName: this.clientName }).catch(() => undefined);
        }, LEASE_SOFT_LIMIT_MS / 2);
        this.leaseTimer.unref();
        callback();
      }, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeChunk(chunk).then(() => callback(), callback);
  }

  private async writeChunk(chunk: Buffer): Promise<void> {
    const blockSize = this.status!.blockSize;
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.writer) await this.openNextBlock();
      const room = blockSize - this.writer!.bytesWritten;
      const piece = chunk.subarray(offset, offset + room);
      await this.writer!.write(piece);
      offset += piece.length;
      this.bytesWritten += piece.length;
      if (this.writer!.bytesWritten === blockSize) await this.finishBlock();
    }
  }

  private async openNextBlock(): Promise<void> {
    const addBlock = (excludeNodes: string[]) =>
      this.client.rpc.call('addBlock', { path: this.path, clientName: this.clientName, previous: this.previous, excludeNodes });
    // Failed nodes may have come back; with every node excluded, try them again rather than fail.
    const { located } = await addBlock([...this.failedNodes]).catch((error: unknown) => {
      if (this.failedNodes.size === 0 || !(error instanceof DfsError) || error.kind !== 'NoDatanodes') throw error;
      this.failedNodes.clear();
      return addBlock([]);
    });
    this.current = located;
    this.writer = await RecoverableBlockWriter.open(located, {
      dispatcher: this.client.rpc.httpDispatcher,
      signal: this.options.signal,
      spillDir: this.options.spillDir,
      recover: async ({ block, excludeNodes }) => {
        const answer = await this.client.rpc.call('updatePipeline', { path: this.path, clientName: this.clientName, block, excludeNodes });
        this.current = answer.located;
        return answer.located;
      },
      onNodeFailed: (nodeUrl) => this.failedNodes.add(nodeUrl),
    });
  }

  private async finishBlock(): Promise<void> {
    const writer = this.writer!;
    try {
      const { block } = await writer.finish();
      this.previous = block;
    } finally {
      await writer.close();
    }
    this.writer = null;
    this.current = null;
  }

  override _final(callback: (error?: Error | null) => void): void {
    (async () => {
      if (this.writer) await this.finishBlock();
      const { status } = await this.client.rpc.call('complete', { path: this.path, clientName: this.clientName, last: this.previous });
      this.status = status;
    })().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    const writer = this.writer;
    this.writer = null;
    if (writer) writer.abort(error ?? new Error('write stream destroyed')).then(() => callback(error), () => callback(error));
    else callback(error);
  }

  /** The block being written, for diagnostics. */
  get currentBlock(): LocatedBlock | null {
    return this.current;
  }
}
