// Writes one replica into a volume's tmp/ folder, chunk by chunk (data file + CRCs in the meta
// file), then makes it durable and visible in one step: fsync both files, rename the meta then the
// block file into finalized/, fsync the folder. Until then no reader and no restart sees it.

import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CHECKSUM_BYTES, CHECKSUM_CHUNK_BYTES } from '../../shared/constants.js';
import { DfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import { blockDir, blockFileName, encodeMetaHeader, metaFileName, tmpDir, META_HEADER_BYTES } from './layout.js';
import type { Volume } from './volume.js';

/** CRCs buffered before a meta write: 256 CRCs cover 16 MiB of data in one 1 KiB write. */
const META_BATCH_CRCS = 256;
/**
 * Chunks gathered before one writev to the data file: 16 chunks of 64 KiB. On a virtual machine a
 * write through the thread pool costs far more per call than per byte (a 1 GiB block written as
 * 64 KiB writes took 12 times the kernel CPU of the same bytes as 1 MiB writevs).
 */
const DATA_BATCH_BYTES = 1024 * 1024;

export interface Replica {
  blockId: number;
  genStamp: number;
  numBytes: number;
  volume: Volume;
  blockPath: string;
  metaPath: string;
}

/** Turns a file-system failure into the DfsError a caller can act on (ENOSPC is DiskFull). */
export function storageError(error: unknown, what: string, context: Record<string, unknown>): DfsError {
  if (error instanceof DfsError) return error;
  const err = error as NodeJS.ErrnoException;
  const kind = err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 'DiskFull' : 'Io';
  return new DfsError(kind, `${what}: ${err.message}`, { ...context, code: err.code });
}

/** Data written between background fdatasyncs while a block streams in. */
const BACKGROUND_FLUSH_BYTES = 8 * 1024 * 1024;

export class ReplicaWriter {
  numBytes = 0;
  private claimedBytes = 0;
  private crcBatch = Buffer.allocUnsafe(META_BATCH_CRCS * CHECKSUM_BYTES);
  private crcBatchCount = 0;
  /** Verified chunks not yet written (held by reference: the caller hands them over). */
  private dataBatch: Buffer[] = [];
  private dataBatchBytes = 0;
  private metaHeaderWritten = false;
  private sawShortChunk = false;
  private unflushedBytes = 0;
  private backgroundFlush: Promise<void> | null = null;
  private backgroundFlushError: unknown = undefined;
  private closed = false;
  private state: 'writing' | 'synced' | 'committed' | 'aborted' = 'writing';

  private constructor(
    readonly volume: Volume,
    readonly blockId: number,
    readonly genStamp: number,
    private readonly dataFile: FileHandle,
    private readonly metaFile: FileHandle,
    readonly tmpBlockPath: string,
    readonly tmpMetaPath: string,
  ) {}

  static async create(volume: Volume, block: { blockId: number; genStamp: number }): Promise<ReplicaWriter> {
    const unique = randomBytes(4).toString('hex');
    const tmpBlockPath = join(tmpDir(volume.dir), `${blockFileName(block.blockId)}.${unique}`);
    const tmpMetaPath = join(tmpDir(volume.dir), `${metaFileName(block.blockId, block.genStamp)}.${unique}`);
    const context = { blockId: block.blockId, genStamp: block.genStamp, volume: volume.dir };
    volume.claim(META_HEADER_BYTES, context);
    let dataFile: FileHandle | undefined;
    let metaFile: FileHandle | undefined;
    try {
      // Both opens at once: each is a thread-pool round trip, and a small block pays them in latency.
      // The meta header goes out with the first CRCs (flushCrcs); tmp/ is wiped at startup anyway.
      const [data, meta] = await Promise.allSettled([open(tmpBlockPath, 'wx'), open(tmpMetaPath, 'wx')]);
      if (data.status === 'fulfilled') dataFile = data.value;
      if (meta.status === 'fulfilled') metaFile = meta.value;
      if (data.status === 'rejected') throw data.reason;
      if (meta.status === 'rejected') throw meta.reason;
    } catch (error) {
      await dataFile?.close().catch(() => undefined);
      await metaFile?.close().catch(() => undefined);
      await rm(tmpBlockPath, { force: true });
      await rm(tmpMetaPath, { force: true });
      volume.release(META_HEADER_BYTES);
      throw storageError(error, `Cannot create a replica in ${volume.dir}`, context);
    }
    const writer = new ReplicaWriter(volume, block.blockId, block.genStamp, dataFile as FileHandle, metaFile as FileHandle, tmpBlockPath, tmpMetaPath);
    writer.claimedBytes = META_HEADER_BYTES;
    return writer;
  }

  private get context(): Record<string, unknown> {
    return { blockId: this.blockId, genStamp: this.genStamp, path: this.tmpBlockPath };
  }

  /**
   * Appends one verified chunk and its CRC. Only the last chunk may be shorter than a full chunk.
   * The writer keeps `data` (no copy) until it is written: the caller must not reuse the buffer.
   */
  async append(data: Buffer, crc: number): Promise<void> {
    this.appendChunk([data], data.length, crc);
    await this.flush();
  }

  /**
   * Takes one verified chunk given as slices (a chunk received across two socket reads) without
   * writing anything; `flush` writes what was taken once a batch is full. The slices are held
   * by reference until written.
   */
  appendChunk(parts: Buffer[], length: number, crc: number): void {
    assert(this.state === 'writing', `append to a ${this.state} replica`);
    assert(length > 0 && length <= CHECKSUM_CHUNK_BYTES, 'chunk length out of range');
    assert(!this.sawShortChunk, 'chunk after a short chunk');
    if (length < CHECKSUM_CHUNK_BYTES) this.sawShortChunk = true;
    this.volume.claim(length + CHECKSUM_BYTES, this.context);
    this.claimedBytes += length + CHECKSUM_BYTES;
    for (const part of parts) this.dataBatch.push(part);
    this.dataBatchBytes += length;
    if ((this.crcBatchCount + 1) * CHECKSUM_BYTES > this.crcBatch.length) {
      // More chunks taken than one meta write holds: keep them all until the next flush.
      const grown = Buffer.allocUnsafe(this.crcBatch.length * 2);
      this.crcBatch.copy(grown, 0, 0, this.crcBatchCount * CHECKSUM_BYTES);
      this.crcBatch = grown;
    }
    this.crcBatch.writeUInt32BE(crc >>> 0, this.crcBatchCount * CHECKSUM_BYTES);
    this.crcBatchCount++;
    this.numBytes += length;
  }

  /** A batch of taken data or CRCs is full: `flush` before taking more. */
  get flushDue(): boolean {
    return this.dataBatchBytes >= DATA_BATCH_BYTES || this.crcBatchCount >= META_BATCH_CRCS;
  }

  /** Writes the data and CRCs taken so far once either batch is full. */
  async flush(): Promise<void> {
    try {
      if (this.dataBatchBytes >= DATA_BATCH_BYTES) await this.flushData();
      if (this.crcBatchCount >= META_BATCH_CRCS) await this.flushCrcs();
    } catch (error) {
      throw storageError(error, `Cannot write replica ${this.tmpBlockPath}`, this.context);
    }
  }

  /** Writes the gathered chunks in one writev, then lets a background flush start if one is due. */
  private async flushData(): Promise<void> {
    if (this.dataBatchBytes === 0) return;
    const batch = this.dataBatch;
    const bytes = this.dataBatchBytes;
    this.dataBatch = [];
    this.dataBatchBytes = 0;
    await writevFully(this.dataFile, batch);
    this.flushInBackground(bytes);
  }

  /**
   * Starts an fdatasync every BACKGROUND_FLUSH_BYTES while the block streams in, so the dirty data
   * reaches the disk during the write and the fsync that acknowledges the block is short. Durability
   * still rests on that final fsync; this only spreads the work.
   */
  private flushInBackground(bytes: number): void {
    this.unflushedBytes += bytes;
    if (this.unflushedBytes < BACKGROUND_FLUSH_BYTES || this.backgroundFlush) return;
    this.unflushedBytes = 0;
    this.backgroundFlush = this.dataFile
      .datasync()
      .catch((error: unknown) => {
        this.backgroundFlushError ??= error;
      })
      .finally(() => {
        this.backgroundFlush = null;
      });
  }

  /** Waits for a background flush in flight (files must not close under it) and reports its failure. */
  private async settleBackgroundFlush(): Promise<void> {
    await this.backgroundFlush;
    if (this.backgroundFlushError !== undefined) throw this.backgroundFlushError;
  }

  /** Makes both files durable (still in tmp/). */
  async sync(): Promise<void> {
    assert(this.state === 'writing', `sync of a ${this.state} replica`);
    try {
      await this.flushData();
      await this.settleBackgroundFlush();
      await Promise.all([this.dataFile.datasync(), this.flushCrcs().then(() => this.metaFile.datasync())]);
      await this.closeFiles();
    } catch (error) {
      throw storageError(error, `Cannot sync replica ${this.tmpBlockPath}`, this.context);
    }
    this.state = 'synced';
  }

  /** Moves the synced files into finalized/ (meta first, so a crash never leaves a block without CRCs). */
  async commit(): Promise<Replica> {
    assert(this.state === 'synced', `commit of a ${this.state} replica`);
    const dir = blockDir(this.volume.dir, this.blockId);
    const blockPath = join(dir, blockFileName(this.blockId));
    const metaPath = join(dir, metaFileName(this.blockId, this.genStamp));
    try {
      await renameCreatingDir(this.tmpMetaPath, metaPath, dir);
      await rename(this.tmpBlockPath, blockPath);
      await fsyncDir(dir);
    } catch (error) {
      throw storageError(error, `Cannot finalize replica into ${dir}`, this.context);
    }
    this.state = 'committed';
    return { blockId: this.blockId, genStamp: this.genStamp, numBytes: this.numBytes, volume: this.volume, blockPath, metaPath };
  }

  /** Removes the temporary files and gives their space back. Safe to call in any state but committed. */
  async abort(): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.dataBatch = [];
    this.dataBatchBytes = 0;
    await this.backgroundFlush;
    await this.closeFiles().catch(() => undefined);
    await rm(this.tmpBlockPath, { force: true });
    await rm(this.tmpMetaPath, { force: true });
    this.volume.release(this.claimedBytes);
    this.claimedBytes = 0;
  }

  /** Writes the buffered CRCs, preceded by the meta header on the first call (one write, not two). */
  private async flushCrcs(): Promise<void> {
    if (this.crcBatchCount === 0 && this.metaHeaderWritten) return;
    const crcs = this.crcBatch.subarray(0, this.crcBatchCount * CHECKSUM_BYTES);
    const bytes = this.metaHeaderWritten ? crcs : Buffer.concat([encodeMetaHeader(), crcs]);
    this.metaHeaderWritten = true;
    this.crcBatchCount = 0;
    await writeFully(this.metaFile, bytes);
  }

  private async closeFiles(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.dataFile.close(), this.metaFile.close()]);
  }
}

/**
 * Renames into `dir`, creating it only when the rename says it is missing: the block folders are
 * few and soon all exist, so most blocks save a mkdir round trip on their finalize path.
 */
async function renameCreatingDir(from: string, to: string, dir: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
    await rename(from, to);
  }
}

/** One writev for all of `buffers`, continuing after a short write. */
async function writevFully(file: FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers;
  for (;;) {
    const total = pending.reduce((sum, b) => sum + b.length, 0);
    const { bytesWritten } = await file.writev(pending);
    if (bytesWritten === total) return;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
        continue;
      }
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
    pending = rest;
  }
}

async function writeFully(file: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

interface DirSyncWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}
/** Per folder: callers waiting for the next fsync, and whether one is running. */
const dirSyncs = new Map<string, { waiting: DirSyncWaiter[]; running: boolean }>();
/** Directory fsyncs this process has issued (tests check that concurrent callers share them). */
export const dirSyncStats = { fsyncs: 0 };

/**
 * Makes the creates, renames and unlinks done in `dir` before the call durable. Concurrent callers
 * share fsyncs (group commit): one fsync serves everyone who asked before it started, so the
 * small blocks finalized together in one folder cost one directory fsync, not one each.
 */
export function fsyncDir(dir: string): Promise<void> {
  let state = dirSyncs.get(dir);
  if (!state) dirSyncs.set(dir, (state = { waiting: [], running: false }));
  const synced = new Promise<void>((resolve, reject) => state.waiting.push({ resolve, reject }));
  if (!state.running) void syncDirForWaiters(dir, state);
  return synced;
}

async function syncDirForWaiters(dir: string, state: { waiting: DirSyncWaiter[]; running: boolean }): Promise<void> {
  state.running = true;
  while (state.waiting.length > 0) {
    // Everyone in this batch asked before this fsync started: it covers their changes.
    const batch = state.waiting.splice(0);
    try {
      await syncDirNow(dir);
      for (const waiter of batch) waiter.resolve();
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
    }
  }
  state.running = false;
  dirSyncs.delete(dir);
}

async function syncDirNow(dir: string): Promise<void> {
  dirSyncStats.fsyncs++;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
