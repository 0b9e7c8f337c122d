// The dfs client library: a file-system API over the namenode client and the block pipeline.
// Files are written block by block to the datanodes the namenode assigns and read back block by
// block from their replicas, streaming throughout.

import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DfsError, isDfsError } from '../shared/errors.js';
import { assert } from '../shared/assert.js';
import { homeDirectoryOf, resolveUserPath } from '../shared/paths.js';
import { LEASE_SOFT_LIMIT_MS, NAMENODE_HTTP_PORT_DEFAULT } from '../shared/constants.js';
import type { ExtendedBlock, FileStatus, LocatedBlock, SnapshotDiffReport, SnapshottableDirectory } from '../shared/protocol.js';
import { NamenodeClient } from './namenode-client.js';
import { DfsDirent, DfsStats } from './stats.js';
import { fsCall, fsError } from './fs-errors.js';
// The append writer lives with WebHDFS, its first user; the library shares it rather than copy it.
import { AppendStream } from './append-stream.js';
import { RecoverableBlockWriter } from './blocks/recoverable-writer.js';
import { BufferReplaySource, FileRangeReplaySource, LocalSourceFile, type BlockReplaySource, type ReplayOrigin } from './blocks/replay-source.js';
import { readBlockRange } from './blocks/block-reader.js';

export interface DfsClientOptions {
  /** Namenode base URLs; default from DFS_NAMENODES (comma-separated) or http://127.0.0.1:9870. */
  namenodes?: string[];
  /** Caller identity (HDFS simple authentication); defaults to the OS user. */
  user?: string;
  /** `stale` lets any namenode answer reads without a round trip to the leader (see README). */
  consistency?: 'linearizable' | 'stale';
  /** A bearer token (dfs dfsadmin -createToken); default DFS_TOKEN. The namenode then knows the caller as the token's user. */
  token?: string;
  /** Headers sent on every namenode call (a datanode or namenode acting for a user sends the cluster secret). */
  headers?: Record<string, string>;
  /**
   * Calls made in the same event-loop turn (by this client or others of the process talking to the
   * same namenode) travel in one request (default true). False: one HTTP request per call.
   */
  batching?: boolean;
  /**
   * How often a read asks the namenode again for a block none of whose replicas it could read
   * (none known yet, as just after a namenode restart, or all of them failing), waiting
   * `blockAcquireWaitMs` times the attempt number before each; then it fails with BlockMissing.
   * HDFS's dfs.client.max.block.acquire.failures; default 3 and 1,000 ms.
   */
  blockAcquireRetries?: number;
  blockAcquireWaitMs?: number;
}

export const BLOCK_ACQUIRE_RETRIES_DEFAULT = 3;
export const BLOCK_ACQUIRE_WAIT_MS_DEFAULT = 1_000;

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
  /**
   * The bytes this stream will be given, when the caller can give them again: a local file (its
   * whole content, from byte 0, unchanged during the write) or a buffer the caller holds. Pipeline
   * recovery then replays a block from there and nothing is spilled.
   */
  replayFrom?: ReplayOrigin;
}

export interface ReadOptions {
  /** First byte to read (inclusive). */
  start?: number;
  /** Last byte to read (inclusive), as in fs.createReadStream. */
  end?: number;
  signal?: AbortSignal;
}

/** A mode given as a number or an octal string ('0755', '755'), as fs accepts it. */
export function parseMode(mode: number | string): number {
  const value = typeof mode === 'number' ? mode : /^[0-7]+$/.test(mode) ? parseInt(mode, 8) : NaN;
  if (!Number.isInteger(value) || value < 0) throw new DfsError('IllegalArgument', `Invalid mode: ${mode}`);
  return value & 0o1777;
}

/** fs.utimes takes seconds (numbers or numeric strings) or Dates; the namenode takes ms. */
function toEpochMs(time: number | string | Date): number {
  if (time instanceof Date) return time.getTime();
  const seconds = Number(time);
  if (!Number.isFinite(seconds)) throw new DfsError('IllegalArgument', `Invalid time: ${String(time)}`);
  return Math.round(seconds * 1000);
}

/** The most handed to a block writer at once: it frames (copies) a whole write before sending it. */
const BLOCK_WRITE_PIECE_BYTES_MAX = 1024 * 1024;

/** A read older than this re-fetches the locations (and block tokens) of the blocks it has left. */
const BLOCK_LOCATIONS_REFRESH_MS = 4 * 60_000;

/** HDFS-style lease holder name of one writer. */
const newClientName = (): string => `DFSClient_${hostname()}_${process.pid}_${randomUUID().slice(0, 8)}`;

/** Bytes of the next block read ahead while the current one is consumed (a few of its 64 KiB chunks per request). */
const READ_AHEAD_BYTES_MAX = 8 * 1024 * 1024;

/**
 * Pulls a block read ahead of its consumer, up to `bytesMax` bytes, then stops pulling (the HTTP
 * body's backpressure holds the rest at the datanode). `drain` yields what was read, then the rest.
 */
class ReadAhead {
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private readonly filling: Promise<void>;

  constructor(
    private readonly source: AsyncGenerator<Buffer>,
    private readonly bytesMax: number,
    /** Aborts the source's request: a cancel must not wait for a slow datanode's next bytes. */
    private readonly cancelled: AbortController,
  ) {
    assert(bytesMax >= 0, `read-ahead of ${bytesMax} bytes`);
    this.filling = this.fill();
  }

  private async fill(): Promise<void> {
    try {
      while (this.heldBytes < this.bytesMax) {
        const step = await this.source.next();
        if (step.done) {
          this.ended = true;
          return;
        }
        this.held.push(step.value);
        this.heldBytes += step.value.length;
      }
    } catch (error) {
      // Kept for drain: a failure surfaces when the consumer reaches this block, not before.
      this.failure = { error };
    }
  }

  async *drain(): AsyncGenerator<Buffer> {
    await this.filling;
    while (this.held.length > 0) {
      const piece = this.held.shift()!;
      this.heldBytes -= piece.length;
      yield piece;
    }
    if (this.failure !== null) throw this.failure.error;
    if (!this.ended) yield* this.source;
  }

  async cancel(): Promise<void> {
    this.cancelled.abort(new Error('read-ahead cancelled'));
    await this.filling;
    this.held.length = 0;
    await this.source.return(undefined).catch(() => undefined);
  }
}

export function defaultNamenodes(): string[] {
  const fromEnv = process.env.DFS_NAMENODES?.split(',').map((s) => s.trim()).filter(Boolean);
  return fromEnv && fromEnv.length > 0 ? fromEnv : [`http://127.0.0.1:${NAMENODE_HTTP_PORT_DEFAULT}`];
}

export class DfsClient {
  readonly rpc: NamenodeClient;
  readonly user: string;
  private readonly blockAcquire: { retries: number; waitMs: number };

  constructor(options: DfsClientOptions = {}) {
    this.user = options.user ?? userInfo().username;
    this.blockAcquire = { retries: options.blockAcquireRetries ?? BLOCK_ACQUIRE_RETRIES_DEFAULT, waitMs: options.blockAcquireWaitMs ?? BLOCK_ACQUIRE_WAIT_MS_DEFAULT };
    const token = options.token ?? (process.env.DFS_TOKEN || undefined);
    this.rpc = new NamenodeClient({
      namenodes: options.namenodes ?? defaultNamenodes(),
      user: this.user,
      consistency: options.consistency,
      batching: options.batching,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers },
    });
  }

  get homeDirectory(): string {
    return homeDirectoryOf(this.user);
  }

  /** Absolute namespace path for what a user typed (relative paths are under the home directory). */
  resolve(path: string): string {
    return resolveUserPath(path, this.homeDirectory);
  }

  /** fs.promises.stat: an fs.Stats look-alike that also carries HDFS's FileStatus fields. */
  async stat(path: string, options: { signal?: AbortSignal } = {}): Promise<DfsStats> {
    const resolved = this.resolve(path);
    const { status } = await fsCall('stat', resolved, () => this.rpc.call('getFileInfo', { path: resolved }, options.signal));
    if (!status) throw fsError('FileNotFound', `File does not exist: ${resolved}`, 'stat', resolved);
    return new DfsStats(status);
  }

  /** There are no symbolic links: the same as stat. */
  lstat(path: string, options: { signal?: AbortSignal } = {}): Promise<DfsStats> {
    return this.stat(path, options);
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

  /** fs.promises.readdir: names, or DfsDirents (with each entry's FileStatus) given `withFileTypes`. */
  readdir(path: string, options?: { withFileTypes?: false; signal?: AbortSignal }): Promise<string[]>;
  readdir(path: string, options: { withFileTypes: true; signal?: AbortSignal }): Promise<DfsDirent[]>;
  async readdir(path: string, options: { withFileTypes?: boolean; signal?: AbortSignal } = {}): Promise<string[] | DfsDirent[]> {
    const entries: DfsDirent[] = [];
    for await (const entry of this.opendir(path, options)) entries.push(entry);
    return options.withFileTypes ? entries : entries.map((entry) => entry.name);
  }

  /**
   * fs.promises.opendir: the entries of a directory of any size as an async iterator, fetched from
   * the namenode a page at a time (only one page is held in memory).
   */
  async *opendir(path: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<DfsDirent> {
    const resolved = this.resolve(path);
    let startAfter: string | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      const page = await fsCall('scandir', resolved, async () => {
        const answer = await this.rpc.call('listStatus', { path: resolved, startAfter }, options.signal);
        // listStatus of a file answers the file itself, as in HDFS: readdir wants ENOTDIR.
        const onlyItself = answer.entries.length === 1 && answer.entries[0].path === resolved;
        if ((answer.entries.length === 0 || onlyItself) && startAfter === undefined) {
          const { status } = await this.rpc.call('getFileInfo', { path: resolved }, options.signal);
          if (!status) throw new DfsError('FileNotFound', `File ${resolved} does not exist.`, { path: resolved });
          if (status.type !== 'DIRECTORY') throw new DfsError('PathIsNotDirectory', `${resolved} is not a directory`, { path: resolved });
        }
        return answer;
      });
      for (const entry of page.entries) yield new DfsDirent(entry);
      if (page.remaining === 0 || page.entries.length === 0) return;
      const last = page.entries[page.entries.length - 1].path;
      startAfter = last.slice(last.lastIndexOf('/') + 1);
    }
  }

  /**
   * fs.promises.mkdir: EEXIST when the path exists (unless `recursive`); with `recursive`, answers
   * the first directory it created, or undefined when there was nothing to create.
   */
  async mkdir(path: string, options: { recursive?: boolean; mode?: number | string; permission?: number; signal?: AbortSignal } = {}): Promise<string | undefined> {
    const resolved = this.resolve(path);
    const permission = options.permission ?? (options.mode === undefined ? undefined : parseMode(options.mode));
    return fsCall('mkdir', resolved, async () => {
      let firstMissing: string | undefined;
      if (options.recursive) {
        for (let at = resolved; at !== '/'; at = at.slice(0, Math.max(1, at.lastIndexOf('/')))) {
          const { status } = await this.rpc.call('getFileInfo', { path: at }, options.signal);
          if (status) {
            if (status.type !== 'DIRECTORY') throw new DfsError('ParentNotDirectory', `${at} is not a directory`, { path: at });
            break;
          }
          firstMissing = at;
        }
        if (firstMissing === undefined) return undefined;
      }
      const { created } = await this.rpc.call('mkdirs', { path: resolved, createParent: options.recursive ?? false, permission }, options.signal);
      if (!created && !options.recursive) throw new DfsError('FileAlreadyExists', `${resolved} already exists`, { path: resolved });
      return options.recursive ? firstMissing : undefined;
    });
  }

  async delete(path: string, options: { recursive?: boolean } = {}): Promise<boolean> {
    const { deleted } = await this.rpc.call('delete', { path: this.resolve(path), recursive: options.recursive ?? false });
    return deleted;
  }

  /** fs.promises.rename. As in HDFS, an existing file at `dst` is not replaced (EEXIST). */
  async rename(src: string, dst: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const from = this.resolve(src);
    const to = this.resolve(dst);
    await fsCall('rename', from, () => this.rpc.call('rename', { src: from, dst: to }, options.signal), to);
  }

  /** fs.promises.rm: a directory needs `recursive` (else EISDIR); a missing path is fine with `force`. */
  async rm(path: string, options: { recursive?: boolean; force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const resolved = this.resolve(path);
    await fsCall('rm', resolved, async () => {
      const { status } = await this.rpc.call('getFileInfo', { path: resolved }, options.signal);
      if (!status) {
        if (options.force) return;
        throw new DfsError('FileNotFound', `File does not exist: ${resolved}`, { path: resolved });
      }
      if (status.type === 'DIRECTORY' && !options.recursive) {
        throw new DfsError('PathIsDirectory', `Path is a directory: ${resolved}`, { path: resolved });
      }
      const { deleted } = await this.rpc.call('delete', { path: resolved, recursive: options.recursive ?? false }, options.signal);
      if (!deleted && !options.force) throw new DfsError('FileNotFound', `File does not exist: ${resolved}`, { path: resolved });
    });
  }

  /** fs.promises.rmdir: removes an empty directory (ENOTDIR for a file, ENOTEMPTY when not empty). */
  async rmdir(path: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const resolved = this.resolve(path);
    await fsCall('rmdir', resolved, async () => {
      const { status } = await this.rpc.call('getFileInfo', { path: resolved }, options.signal);
      if (!status) throw new DfsError('FileNotFound', `File does not exist: ${resolved}`, { path: resolved });
      if (status.type !== 'DIRECTORY') throw new DfsError('PathIsNotDirectory', `${resolved} is not a directory`, { path: resolved });
      await this.rpc.call('delete', { path: resolved, recursive: false }, options.signal);
    });
  }

  /** fs.promises.unlink: removes a file (EISDIR for a directory). */
  async unlink(path: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const resolved = this.resolve(path);
    await fsCall('unlink', resolved, async () => {
      const { status } = await this.rpc.call('getFileInfo', { path: resolved }, options.signal);
      if (!status) throw new DfsError('FileNotFound', `File does not exist: ${resolved}`, { path: resolved });
      if (status.type === 'DIRECTORY') throw new DfsError('PathIsDirectory', `Path is a directory: ${resolved}`, { path: resolved });
      await this.rpc.call('delete', { path: resolved, recursive: false }, options.signal);
    });
  }

  /**
   * fs.promises.copyFile: streams `src` into a new `dst` (replaced unless `mode` has
   * fs.constants.COPYFILE_EXCL). The data goes through this client: HDFS has no server-side copy.
   */
  async copyFile(src: string, dst: string, mode = 0, options: Omit<WriteOptions, 'overwrite'> = {}): Promise<void> {
    const from = this.resolve(src);
    const to = this.resolve(dst);
    await fsCall('copyfile', from, async () => {
      const status = await this.stat(from, { signal: options.signal });
      if (status.isDirectory()) throw new DfsError('PathIsDirectory', `Path is a directory: ${from}`, { path: from });
      const overwrite = (mode & fsConstants.COPYFILE_EXCL) === 0;
      await pipeline(
        this.createReadStream(from, { signal: options.signal }),
        this.createWriteStream(to, { replication: status.replication, blockSize: status.blockSize, ...options, overwrite, createParent: options.createParent ?? false }),
        { signal: options.signal },
      );
    }, to);
  }

  /**
   * fs.promises.access: ENOENT when missing; for R_OK/W_OK/X_OK the permission bits are checked as
   * the namenode would: owner bits for the owner, group bits when the group is the user's name,
   * other bits otherwise (this client does not know the user's other groups).
   */
  async access(path: string, mode: number = fsConstants.F_OK, options: { signal?: AbortSignal } = {}): Promise<void> {
    const status = await fsCall('access', this.resolve(path), () => this.stat(path, options));
    if (mode === fsConstants.F_OK) return;
    const shift = status.owner === this.user ? 6 : status.group === this.user ? 3 : 0;
    const granted = (status.permission >> shift) & 0o7;
    if ((mode & 0o7 & granted) !== (mode & 0o7)) {
      throw fsError('AccessControl', `Permission denied: user=${this.user}, access=${mode}, inode=${status.path}`, 'access', status.path);
    }
  }

  /** fs.promises.utimes: numbers are seconds since the epoch, as in Node; Dates are exact to the ms. */
  async utimes(path: string, atime: number | string | Date, mtime: number | string | Date, options: { signal?: AbortSignal } = {}): Promise<void> {
    const resolved = this.resolve(path);
    await fsCall('utime', resolved, () =>
      this.rpc.call('setTimes', { path: resolved, accessTime: toEpochMs(atime), modificationTime: toEpochMs(mtime) }, options.signal),
    );
  }

  /**
   * fs.promises.appendFile: appends through HDFS append (the file's last block reopened under a new
   * generation stamp); creates the file when it does not exist, as fs does.
   */
  async appendFile(
    path: string,
    data: Uint8Array | string | Readable | Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>,
    options: { signal?: AbortSignal; encoding?: BufferEncoding; spillDir?: string } = {},
  ): Promise<void> {
    const resolved = this.resolve(path);
    const source = typeof data === 'string' ? Readable.from([Buffer.from(data, options.encoding)]) : data instanceof Uint8Array ? Readable.from([Buffer.from(data)]) : data;
    await fsCall('open', resolved, async () => {
      const { status } = await this.rpc.call('getFileInfo', { path: resolved }, options.signal);
      if (!status) {
        await pipeline(source, this.createWriteStream(resolved, { overwrite: false, signal: options.signal }), { signal: options.signal });
        return;
      }
      if (status.type === 'DIRECTORY') throw new DfsError('PathIsDirectory', `Path is a directory: ${resolved}`, { path: resolved });
      await pipeline(source, this.createAppendStream(resolved, options), { signal: options.signal });
    });
  }

  /** A Writable appending to an existing file (HDFS append). */
  createAppendStream(path: string, options: { signal?: AbortSignal; spillDir?: string } = {}): AppendStream {
    return new AppendStream(this.rpc, this.resolve(path), options);
  }

  /** fs.promises.truncate: cuts the file to `length` bytes (HDFS cannot make a file longer). */
  async truncate(path: string, length = 0, options: { signal?: AbortSignal } = {}): Promise<void> {
    const resolved = this.resolve(path);
    await fsCall('open', resolved, () => this.rpc.call('truncate', { path: resolved, newLength: length }, options.signal));
  }

  /** HDFS concat: moves the sources' blocks, in order, to the end of `target` and deletes the sources. */
  async concat(target: string, sources: string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    const resolved = this.resolve(target);
    await fsCall('concat', resolved, () => this.rpc.call('concat', { target: resolved, sources: sources.map((source) => this.resolve(source)) }, options.signal));
  }

  /** fs.promises.chmod: `mode` as a number or an octal string ('755'); only the owner or the superuser may. */
  async chmod(path: string, mode: number | string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const resolved = this.resolve(path);
    await fsCall('chmod', resolved, () => this.rpc.call('setPermission', { path: resolved, permission: parseMode(mode) }, options.signal));
  }

  /**
   * fs.promises.chown with HDFS's user and group names instead of numeric ids; either may be
   * undefined to leave it. Changing the owner needs the superuser.
   */
  async chown(path: string, owner: string | undefined, group?: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const resolved = this.resolve(path);
    await fsCall('chown', resolved, () => this.rpc.call('setOwner', { path: resolved, owner, group }, options.signal));
  }

  createWriteStream(path: string, options: WriteOptions = {}): DfsWriteStream {
    return new DfsWriteStream(this, this.resolve(path), options);
  }

  createReadStream(path: string, options: ReadOptions = {}): Readable {
    return Readable.from(this.readRange(this.resolve(path), options), { objectMode: false });
  }

  /**
   * fs.promises.writeFile: replaces the file (flag 'w', the default) or fails with EEXIST when it
   * exists (flag 'wx'). `data` may be a string, bytes, a Readable or any (async) iterable of chunks.
   * Bytes are sent (and replayed on pipeline recovery) from the caller's buffer, not a copy: as with
   * fs.writeFile, do not change them until the promise settles.
   */
  async writeFile(
    path: string,
    data: Uint8Array | string | Readable | Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>,
    options: WriteOptions & { flag?: 'w' | 'wx'; encoding?: BufferEncoding } = {},
  ): Promise<void> {
    const resolved = this.resolve(path);
    const overwrite = options.overwrite ?? options.flag !== 'wx';
    // An empty file needs no block and no lease: one create that closes it (one commit, not two).
    if ((typeof data === 'string' || data instanceof Uint8Array) && data.length === 0) {
      const { createParent, replication, blockSize, permission } = options;
      const request = { path: resolved, clientName: newClientName(), overwrite, createParent, replication, blockSize, permission, closed: true };
      await fsCall('open', resolved, () => this.rpc.call('create', request, options.signal));
      return;
    }
    // Bytes in memory are written from the caller's buffer (no copy) and replayed from it too.
    const bytes = typeof data === 'string' ? Buffer.from(data, options.encoding) : data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : undefined;
    const source = bytes === undefined ? (data as Readable | Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>) : Readable.from([bytes]);
    const replayFrom: ReplayOrigin | undefined = bytes === undefined ? options.replayFrom : { kind: 'buffer', data: bytes };
    // Known non-empty bytes: the first block comes with the create (one call and one commit fewer).
    const stream = new DfsWriteStream(this, resolved, { ...options, overwrite, replayFrom }, { allocateFirstBlock: bytes !== undefined && bytes.length > 0 });
    await fsCall('open', resolved, () => pipeline(source, stream, { signal: options.signal }));
  }

  /** fs.promises.readFile: a Buffer, or a string given an encoding. */
  readFile(path: string, options?: { signal?: AbortSignal; encoding?: null } | null): Promise<Buffer>;
  readFile(path: string, options: BufferEncoding | { signal?: AbortSignal; encoding: BufferEncoding }): Promise<string>;
  async readFile(path: string, options: BufferEncoding | { signal?: AbortSignal; encoding?: BufferEncoding | null } | null = {}): Promise<Buffer | string> {
    const { encoding, signal } = typeof options === 'string' ? { encoding: options, signal: undefined } : (options ?? {});
    const resolved = this.resolve(path);
    const data = await fsCall('open', resolved, async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of this.readRange(resolved, { signal })) chunks.push(chunk);
      return Buffer.concat(chunks);
    });
    return encoding ? data.toString(encoding) : data;
  }

  private async *readRange(path: string, options: ReadOptions): AsyncGenerator<Buffer> {
    const start = options.start ?? 0;
    const endExclusive = options.end === undefined ? Number.MAX_SAFE_INTEGER : options.end + 1;
    if (endExclusive <= start) return;
    const locate = async (from: number) => {
      const { located } = await this.rpc.call('getBlockLocations', { path, offset: from, length: endExclusive - from }, options.signal);
      return { blocks: located.blocks, atMs: Date.now() };
    };
    let located = await locate(start);
    // The next block is requested while this one's last READ_AHEAD_BYTES_MAX are consumed, holding
    // at most that much: its connection set-up and first disk reads overlap this block's tail
    // instead of following it.
    let ahead: ReadAhead | null = null;
    const rangeOf = (block: LocatedBlock) => {
      const from = Math.max(start, block.offset) - block.offset;
      const to = Math.min(endExclusive, block.offset + block.block.numBytes) - block.offset;
      return { from, to };
    };
    // A generator, so a block without replicas fails when the reader reaches it, not when read ahead.
    // A block no replica could serve is located again and read on from the first byte not yet
    // read (its replicas may be reported by now, or be others), as HDFS's DFSInputStream does.
    const dispatcher = this.rpc.httpDispatcher;
    const rpc = this.rpc;
    const { retries, waitMs } = this.blockAcquire;
    async function* readOf(block: LocatedBlock, signal: AbortSignal): AsyncGenerator<Buffer> {
      const { from, to } = rangeOf(block);
      let position = from;
      let current = block;
      for (let failures = 0; ; failures++) {
        try {
          if (current.locations.length === 0) {
            throw new DfsError('BlockMissing', `Could not obtain block ${block.block.blockId} of ${path}: no live replica`, {
              path,
              blockId: block.block.blockId,
            });
          }
          for await (const piece of readBlockRange(current, position, to, { dispatcher, signal })) {
            position += piece.length;
            yield piece;
          }
          return;
        } catch (error) {
          if (!isDfsError(error, 'BlockMissing') || failures >= retries) throw error;
        }
        await sleep(waitMs * (failures + 1), undefined, { signal });
        const { located: again } = await rpc.call('getBlockLocations', { path, offset: block.offset, length: 1 }, signal);
        const found = again.blocks.find((b) => b.offset === block.offset);
        if (!found || found.block.blockId !== block.block.blockId || found.block.numBytes < to) {
          throw new DfsError('BlockMissing', `Block ${block.block.blockId} of ${path} changed while it was being read`, { path, blockId: block.block.blockId });
        }
        current = found;
      }
    }
    const startRead = (block: LocatedBlock, bytesMax: number): ReadAhead | null => {
      const { from, to } = rangeOf(block);
      if (to <= from) return null;
      const cancelled = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, cancelled.signal]) : cancelled.signal;
      return new ReadAhead(readOf(block, signal), bytesMax, cancelled);
    };
    try {
      for (let i = 0; i < located.blocks.length; i++) {
        // Block tokens expire (10 minutes by default): a slow reader asks again for the blocks left.
        if (Date.now() - located.atMs > BLOCK_LOCATIONS_REFRESH_MS) {
          await ahead?.cancel();
          ahead = null;
          located = await locate(Math.max(start, located.blocks[i].offset));
          i = 0;
          if (located.blocks.length === 0) return;
        }
        const current = ahead ?? startRead(located.blocks[i], 0);
        ahead = null;
        if (current === null) continue;
        const next = located.blocks[i + 1];
        const { from, to } = rangeOf(located.blocks[i]);
        let left = to - from;
        if (next !== undefined && left <= READ_AHEAD_BYTES_MAX) ahead = startRead(next, READ_AHEAD_BYTES_MAX);
        for await (const piece of current.drain()) {
          left -= piece.length;
          yield piece;
          // Only for this block's last READ_AHEAD_BYTES_MAX: a read-ahead held while a whole block
          // streams by outlives the young generation, and the client then spent 20% of its CPU in
          // full collections (42 to 47 per 3 GiB read, against 1 to 10).
          if (ahead === null && next !== undefined && left <= READ_AHEAD_BYTES_MAX) ahead = startRead(next, READ_AHEAD_BYTES_MAX);
        }
      }
    } finally {
      // A reader that stops early (or fails) must not leave the next block's request open.
      await ahead?.cancel();
    }
  }

  /** HDFS setReplication: the namenode re-replicates or trims the file's blocks to `replication`. */
  async setReplication(path: string, replication: number): Promise<boolean> {
    const { changed } = await this.rpc.call('setReplication', { path: this.resolve(path), replication });
    return changed;
  }

  // ---- snapshots (HDFS's DistributedFileSystem snapshot methods); read a snapshot at <dir>/.snapshot/<name>/...

  async allowSnapshot(path: string): Promise<void> {
    await this.rpc.call('allowSnapshot', { path: this.resolve(path) });
  }

  async disallowSnapshot(path: string): Promise<void> {
    await this.rpc.call('disallowSnapshot', { path: this.resolve(path) });
  }

  /** Takes a snapshot of `path` (named s<yyyyMMdd-HHmmss.SSS> when no name is given); returns its path. */
  async createSnapshot(path: string, name?: string): Promise<string> {
    const created = await this.rpc.call('createSnapshot', { path: this.resolve(path), name });
    return created.path;
  }

  async deleteSnapshot(path: string, name: string): Promise<void> {
    await this.rpc.call('deleteSnapshot', { path: this.resolve(path), name });
  }

  async renameSnapshot(path: string, oldName: string, newName: string): Promise<void> {
    await this.rpc.call('renameSnapshot', { path: this.resolve(path), oldName, newName });
  }

  async getSnapshottableDirectoryList(): Promise<SnapshottableDirectory[]> {
    return (await this.rpc.call('getSnapshottableDirectoryList', {})).directories;
  }

  /** What changed under `path` from snapshot `from` to snapshot `to` ('.' or '' is the current state). */
  async getSnapshotDiff(path: string, from: string, to: string): Promise<SnapshotDiffReport> {
    return (await this.rpc.call('getSnapshotDiff', { path: this.resolve(path), fromSnapshot: from, toSnapshot: to })).report;
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
  readonly clientName = newClientName();
  bytesWritten = 0;
  private status: FileStatus | null = null;
  private writer: RecoverableBlockWriter | null = null;
  private current: LocatedBlock | null = null;
  /** Datanodes that failed a pipeline of this stream: kept out of its later blocks too. */
  private readonly failedNodes = new Set<string>();
  private previous: ExtendedBlock | undefined;
  /** The first block, when the create allocated it. */
  private preallocated: LocatedBlock | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  /** The local file named by options.replayFrom, open for the whole write. */
  private sourceFile: LocalSourceFile | null = null;

  constructor(
    private readonly client: DfsClient,
    readonly path: string,
    private readonly options: WriteOptions,
    /** The caller will write data: let the create allocate the first block (never for a file that may stay empty). */
    private readonly creation: { allocateFirstBlock: boolean } = { allocateFirstBlock: false },
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    const origin = this.options.replayFrom;
    // The source is opened before the file is created: a missing source fails without a dfs file.
    const opened = origin?.kind === 'file' ? LocalSourceFile.open(origin.path).then((file) => void (this.sourceFile = file)) : Promise.resolve();
    opened
      .then(() => this.client.rpc.call('create', {
        path: this.path,
        clientName: this.clientName,
        overwrite: this.options.overwrite ?? false,
        createParent: this.options.createParent ?? true,
        replication: this.options.replication,
        blockSize: this.options.blockSize,
        permission: this.options.permission,
        ...(this.creation.allocateFirstBlock ? { allocateBlock: true } : {}),
      }))
      .then(({ status, located }) => {
        this.status = status;
        this.preallocated = located ?? null;
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
      const room = Math.min(blockSize - this.writer!.bytesWritten, BLOCK_WRITE_PIECE_BYTES_MAX);
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
    const preallocated = this.preallocated;
    this.preallocated = null;
    // Failed nodes may have come back; with every node excluded, try them again rather than fail.
    const { located } = preallocated ? { located: preallocated } : await addBlock([...this.failedNodes]).catch((error: unknown) => {
      if (this.failedNodes.size === 0 || !(error instanceof DfsError) || error.kind !== 'NoDatanodes') throw error;
      this.failedNodes.clear();
      return addBlock([]);
    });
    this.current = located;
    this.writer = await RecoverableBlockWriter.open(located, {
      dispatcher: this.client.rpc.httpDispatcher,
      signal: this.options.signal,
      spillDir: this.options.spillDir,
      replaySource: this.replaySourceAt(this.bytesWritten),
      recover: async ({ block, excludeNodes }) => {
        const answer = await this.client.rpc.call('updatePipeline', { path: this.path, clientName: this.clientName, block, excludeNodes });
        this.current = answer.located;
        return answer.located;
      },
      onNodeFailed: (nodeUrl) => this.failedNodes.add(nodeUrl),
    });
  }

  /** The replay source of a block starting at stream byte `blockStart`; undefined for a spill file. */
  private replaySourceAt(blockStart: number): BlockReplaySource | undefined {
    const origin = this.options.replayFrom;
    if (origin?.kind === 'buffer') return new BufferReplaySource(origin.data, blockStart);
    if (origin?.kind === 'file') {
      assert(this.sourceFile !== null, 'the replay source file is opened before the first block');
      return new FileRangeReplaySource(this.sourceFile, blockStart);
    }
    return undefined;
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
    const sourceFile = this.sourceFile;
    this.sourceFile = null;
    (async () => {
      await writer?.abort(error ?? new Error('write stream destroyed')).catch(() => undefined);
      await sourceFile?.close();
    })().then(() => callback(error), () => callback(error));
  }

  /** The id of the file this stream created (undefined until `create` succeeded). */
  get fileId(): number | undefined {
    return this.status?.fileId;
  }

  /** The block being written, for diagnostics. */
  get currentBlock(): LocatedBlock | null {
    return this.current;
  }
}
