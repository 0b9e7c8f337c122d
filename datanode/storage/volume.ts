// One data folder: its space accounting (what dfs uses, what the disk or the test cap leaves) and
// its folders. The block store decides which volume takes a block; a volume only answers "is there room".

import { mkdir, readdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKSUM_CHUNK_BYTES } from '../../shared/constants.js';
import { DfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import { finalizedDir, tmpDir } from './layout.js';

export interface VolumeLimits {
  /** Space left for other uses: a volume with less free space takes no new blocks. */
  reservedBytes: number;
  /** Caps the volume's capacity below the disk's (tests, shared disks). */
  capacityBytes?: number;
}

export interface VolumeReport {
  dir: string;
  capacity: number;
  used: number;
  remaining: number;
  blocks: number;
}

/** Free space a volume needs to accept a new block: at least one checksum chunk. */
export const VOLUME_ROOM_BYTES_MIN = CHECKSUM_CHUNK_BYTES;

export class Volume {
  /** Bytes of this volume's block, meta and temporary files. */
  usedBytes = 0;
  blocks = 0;
  private diskTotalBytes = 0;
  private diskAvailableBytes = 0;

  constructor(
    readonly dir: string,
    private readonly limits: VolumeLimits,
  ) {
    assert(limits.reservedBytes >= 0, 'reservedBytes must not be negative');
  }

  /** Creates the folders and removes what a crash left in tmp/. Returns the names removed. */
  async prepare(): Promise<string[]> {
    await mkdir(finalizedDir(this.dir), { recursive: true });
    await mkdir(tmpDir(this.dir), { recursive: true });
    const leftovers = await readdir(tmpDir(this.dir));
    await Promise.all(leftovers.map((name) => rm(join(tmpDir(this.dir), name), { recursive: true, force: true })));
    await this.refreshDiskStats();
    return leftovers;
  }

  async refreshDiskStats(): Promise<void> {
    const stats = await statfs(this.dir);
    this.diskTotalBytes = stats.blocks * stats.bsize;
    this.diskAvailableBytes = stats.bavail * stats.bsize;
  }

  get capacityBytes(): number {
    return this.limits.capacityBytes ?? this.diskTotalBytes;
  }

  get remainingBytes(): number {
    const capped = this.limits.capacityBytes === undefined ? Infinity : this.limits.capacityBytes - this.usedBytes;
    return Math.max(0, Math.min(capped, this.diskAvailableBytes) - this.limits.reservedBytes);
  }

  hasRoomForBlock(): boolean {
    return this.remainingBytes >= VOLUME_ROOM_BYTES_MIN;
  }

  /**
   * Accounts bytes about to be written. Under a test cap this is where the "disk" fills up; on a real
   * disk the write itself fails with ENOSPC.
   */
  claim(bytes: number, context: Record<string, unknown>): void {
    if (this.limits.capacityBytes !== undefined && this.usedBytes + bytes > this.limits.capacityBytes) {
      throw new DfsError('DiskFull', `Volume ${this.dir} is full (capacity ${this.limits.capacityBytes} bytes)`, { ...context, volume: this.dir });
    }
    this.usedBytes += bytes;
  }

  release(bytes: number): void {
    this.usedBytes -= bytes;
    assert(this.usedBytes >= 0, `volume ${this.dir} used bytes went negative`);
  }

  report(): VolumeReport {
    return { dir: this.dir, capacity: this.capacityBytes, used: this.usedBytes, remaining: this.remainingBytes, blocks: this.blocks };
  }
}
