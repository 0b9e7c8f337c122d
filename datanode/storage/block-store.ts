// The datanode's replicas across its volumes: the replica map (blockId -> finalized replica),
// loading it from disk at start, choosing a volume for a new block, and deleting replicas.
// File formats and folder layout live in layout.ts; writing and reading one replica in their own files.

import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/logger.js';
import { DfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import type { DatanodeStorageReport, ExtendedBlock } from '../../shared/protocol.js';
import { BLOCK_FILE_PATTERN, META_FILE_PATTERN, finalizedDir, metaFileBytes } from './layout.js';
import { Volume, type VolumeLimits, type VolumeReport } from './volume.js';
import { ReplicaWriter, fsyncDir, type Replica } from './replica-writer.js';
import { readVerifiedChunks, type VerifiedChunk } from './replica-reader.js';

export type { Replica, VolumeReport, VerifiedChunk };

export class BlockStore {
  private readonly replicas = new Map<number, Replica>();
  /** Blocks with a write in progress: a second writer for the same block is refused. */
  private readonly writing = new Set<number>();
  private nextVolume = 0;

  private constructor(
    readonly volumes: Volume[],
    private readonly logger: Logger,
  ) {}

  /** Prepares every volume (folders, tmp/ cleanup) and loads the finalized replicas. */
  static async open(dirs: string[], limits: VolumeLimits, logger: Logger): Promise<BlockStore> {
    assert(dirs.length > 0, 'at least one data folder is required');
    const store = new BlockStore(
      dirs.map((dir) => new Volume(dir, limits)),
      logger,
    );
    for (const volume of store.volumes) {
      const leftovers = await volume.prepare();
      if (leftovers.length > 0) logger.info({ volume: volume.dir, files: leftovers.length }, 'removed unfinished replicas from tmp/');
      await store.loadVolume(volume);
    }
    logger.info({ replicas: store.replicas.size, volumes: dirs }, 'block store loaded');
    return store;
  }

  get size(): number {
    return this.replicas.size;
  }

  /** The finalized replica of `blockId`, if any, whatever its generation stamp. */
  find(blockId: number): Replica | undefined {
    return this.replicas.get(blockId);
  }

  /**
   * The replica to serve for a block at `genStamp`. As in HDFS, a replica with an older generation
   * stamp is stale and never served; a newer one (the block was recovered or appended) is.
   */
  get(block: { blockId: number; genStamp: number }): Replica {
    const replica = this.replicas.get(block.blockId);
    if (!replica || replica.genStamp < block.genStamp) {
      throw new DfsError('ReplicaNotFound', `Replica not found for blk_${block.blockId}_${block.genStamp}`, {
        blockId: block.blockId,
        genStamp: block.genStamp,
        ...(replica ? { storedGenStamp: replica.genStamp } : {}),
      });
    }
    return replica;
  }

  /** Starts a new replica in the next volume with room (round-robin). */
  async createWriter(block: { blockId: number; genStamp: number }): Promise<ReplicaWriter> {
    const context = { blockId: block.blockId, genStamp: block.genStamp };
    const existing = this.replicas.get(block.blockId);
    if (existing && existing.genStamp >= block.genStamp) {
      throw new DfsError('IllegalArgument', `Replica blk_${block.blockId}_${existing.genStamp} already exists`, {
        ...context,
        storedGenStamp: existing.genStamp,
        reason: 'replica-exists',
      });
    }
    if (this.writing.has(block.blockId)) {
      throw new DfsError('IllegalArgument', `blk_${block.blockId} is already being written`, { ...context, reason: 'write-in-progress' });
    }
    const volume = this.chooseVolume();
    if (!volume) {
      throw new DfsError('DiskFull', 'No volume has room for a new block', {
        ...context,
        volumes: this.volumes.map((v) => ({ dir: v.dir, remaining: v.remainingBytes })),
      });
    }
    this.writing.add(block.blockId);
    try {
      return await ReplicaWriter.create(volume, block);
    } catch (error) {
      this.writing.delete(block.blockId);
      throw error;
    }
  }

  /** Finalizes a synced writer and makes the replica visible; an older replica of the block is removed. */
  async commit(writer: ReplicaWriter): Promise<Replica> {
    assert(this.writing.has(writer.blockId), 'commit of an unknown writer');
    try {
      const replica = await writer.commit();
      const previous = this.replicas.get(replica.blockId);
      this.replicas.set(replica.blockId, replica);
      replica.volume.blocks++;
      if (previous) await this.removeFiles(previous, replica);
      return replica;
    } finally {
      this.writing.delete(writer.blockId);
    }
  }

  async abort(writer: ReplicaWriter): Promise<void> {
    await writer.abort();
    this.writing.delete(writer.blockId);
  }

  /** Deletes the replica if it is the named one or older. Returns the replica deleted, if any. */
  async delete(block: { blockId: number; genStamp: number }): Promise<Replica | undefined> {
    const replica = this.replicas.get(block.blockId);
    if (!replica || replica.genStamp > block.genStamp) return undefined;
    this.replicas.delete(block.blockId);
    await this.removeFiles(replica);
    return replica;
  }

  read(replica: Replica, start: number, end: number): AsyncGenerator<VerifiedChunk> {
    return readVerifiedChunks(replica, start, end);
  }

  blockReport(): ExtendedBlock[] {
    return [...this.replicas.values()].map((r) => ({ blockId: r.blockId, genStamp: r.genStamp, numBytes: r.numBytes }));
  }

  /** The first `limit` replicas in load and write order (a status page's short list, without copying the whole map). */
  sample(limit: number): Replica[] {
    const sampled: Replica[] = [];
    for (const replica of this.replicas.values()) {
      if (sampled.length >= limit) break;
      sampled.push(replica);
    }
    return sampled;
  }

  volumeReports(): VolumeReport[] {
    return this.volumes.map((v) => v.report());
  }

  async refreshDiskStats(): Promise<void> {
    await Promise.all(this.volumes.map((v) => v.refreshDiskStats()));
  }

  storageReport(xceiverCount: number): DatanodeStorageReport {
    let capacityBytes = 0;
    let usedBytes = 0;
    let remainingBytes = 0;
    for (const volume of this.volumes) {
      capacityBytes += volume.capacityBytes;
      usedBytes += volume.usedBytes;
      remainingBytes += volume.remainingBytes;
    }
    return { capacityBytes, usedBytes, remainingBytes, xceiverCount, full: !this.volumes.some((v) => v.hasRoomForBlock()) };
  }

  private chooseVolume(): Volume | undefined {
    for (let i = 0; i < this.volumes.length; i++) {
      const volume = this.volumes[(this.nextVolume + i) % this.volumes.length];
      if (volume.hasRoomForBlock()) {
        this.nextVolume = (this.nextVolume + i + 1) % this.volumes.length;
        return volume;
      }
    }
    return undefined;
  }

  /** Removes a replica's files; when `replacement` shares the block file path, only the old meta goes. */
  private async removeFiles(replica: Replica, replacement?: Replica): Promise<void> {
    const blockFileShared = replacement?.blockPath === replica.blockPath;
    if (!blockFileShared) await rm(replica.blockPath, { force: true });
    await rm(replica.metaPath, { force: true });
    replica.volume.release(blockFileShared ? metaFileBytes(replica.numBytes) : replica.numBytes + metaFileBytes(replica.numBytes));
    replica.volume.blocks--;
  }

  /** Loads one volume's finalized replicas; removes stale metas and metas without a block file. */
  private async loadVolume(volume: Volume): Promise<void> {
    for await (const { dir, names } of walkDirs(finalizedDir(volume.dir))) {
      const blockFiles = new Set<number>();
      const metas = new Map<number, number[]>();
      for (const name of names) {
        const blockMatch = BLOCK_FILE_PATTERN.exec(name);
        if (blockMatch) blockFiles.add(Number(blockMatch[1]));
        const metaMatch = META_FILE_PATTERN.exec(name);
        if (metaMatch) {
          const list = metas.get(Number(metaMatch[1])) ?? [];
          list.push(Number(metaMatch[2]));
          metas.set(Number(metaMatch[1]), list);
        }
      }
      let removed = false;
      for (const [blockId, genStamps] of metas) {
        genStamps.sort((a, b) => b - a);
        // A meta without its block file, or an older generation's meta, is what an interrupted commit or delete leaves.
        const stale = blockFiles.has(blockId) ? genStamps.slice(1) : genStamps;
        for (const genStamp of stale) {
          await rm(join(dir, `blk_${blockId}_${genStamp}.meta`), { force: true });
          removed = true;
          this.logger.info({ blockId, genStamp, dir }, 'removed stale meta file');
        }
      }
      if (removed) await fsyncDir(dir);
      for (const blockId of blockFiles) {
        const genStamp = metas.get(blockId)?.[0];
        const blockPath = join(dir, `blk_${blockId}`);
        if (genStamp === undefined) {
          this.logger.warn({ blockId, path: blockPath }, 'block file without a meta file: not loaded');
          continue;
        }
        const metaPath = join(dir, `blk_${blockId}_${genStamp}.meta`);
        const [blockStat, metaStat] = await Promise.all([stat(blockPath), stat(metaPath)]);
        if (metaStat.size !== metaFileBytes(blockStat.size)) {
          this.logger.warn({ blockId, genStamp, path: metaPath, blockBytes: blockStat.size, metaBytes: metaStat.size }, 'meta file does not match block length: not loaded');
          continue;
        }
        const replica: Replica = { blockId, genStamp, numBytes: blockStat.size, volume, blockPath, metaPath };
        const other = this.replicas.get(blockId);
        if (other && other.genStamp >= genStamp) {
          this.logger.warn({ blockId, genStamp, kept: other.blockPath, path: blockPath }, 'older duplicate replica removed');
          await rm(blockPath, { force: true });
          await rm(metaPath, { force: true });
          continue;
        }
        volume.usedBytes += blockStat.size + metaStat.size;
        volume.blocks++;
        this.replicas.set(blockId, replica);
        if (other) {
          this.logger.warn({ blockId, genStamp: other.genStamp, path: other.blockPath, kept: blockPath }, 'older duplicate replica removed');
          this.replicas.delete(blockId);
          this.replicas.set(blockId, replica);
          await this.removeFiles(other);
        }
      }
    }
  }
}

/** Every folder under `root` (including it) with the names of the files it holds. */
async function* walkDirs(root: string): AsyncGenerator<{ dir: string; names: string[] }> {
  const entries = await readdir(root, { withFileTypes: true });
  yield { dir: root, names: entries.filter((e) => e.isFile()).map((e) => e.name) };
  for (const entry of entries) {
    if (entry.isDirectory()) yield* walkDirs(join(root, entry.name));
  }
}
