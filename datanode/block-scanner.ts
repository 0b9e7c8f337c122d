// Background block scanner (HDFS's VolumeScanner): re-reads every finalized replica once per scan
// period, verifying each chunk against its CRC, at a bounded rate so it never competes with client
// I/O for more than `rateBytesPerSecond`. A replica that fails verification is reported to the
// namenodes, which delete it once a good copy exists elsewhere and re-replicate the block.
// Scan times live in memory: after a restart every replica is due again (at the same bounded rate).

import { setTimeout as sleep } from 'node:timers/promises';
import { isDfsError } from '../shared/errors.js';
import { assert } from '../shared/assert.js';
import type { DatanodeContext } from './context.js';

/** HDFS's dfs.block.scanner.volume.bytes.per.second default. */
export const SCAN_RATE_BYTES_PER_SECOND_DEFAULT = 1024 * 1024;
/** HDFS's dfs.datanode.scan.period.hours default (3 weeks). */
export const SCAN_PERIOD_MS_DEFAULT = 504 * 60 * 60_000;
/** How long an idle scanner sleeps before looking for due replicas again. */
const SCAN_IDLE_POLL_MS_MAX = 60_000;

export interface BlockScannerConfig {
  rateBytesPerSecond: number;
  periodMs: number;
}

export interface BlockScannerStats {
  blocksScanned: number;
  bytesScanned: number;
  corruptFound: number;
}

export class BlockScanner {
  readonly stats: BlockScannerStats = { blocksScanned: 0, bytesScanned: 0, corruptFound: 0 };
  private readonly lastScannedMs = new Map<number, number>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  /** Pacing over a whole pass, so many small replicas are throttled as one stream. */
  private paceStartMs = 0;
  private pacedBytes = 0;

  constructor(
    private readonly ctx: DatanodeContext,
    readonly config: BlockScannerConfig,
  ) {
    assert(config.rateBytesPerSecond > 0 && config.periodMs > 0, 'scanner rate and period must be positive');
  }

  start(): void {
    this.loop ??= this.run().catch((error: unknown) => {
      if (!this.abort.signal.aborted) this.ctx.logger.error({ err: error }, 'block scanner stopped');
    });
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const now = Date.now();
      const due = this.ctx.store
        .blockReport()
        .filter((block) => now - (this.lastScannedMs.get(block.blockId) ?? -Infinity) >= this.config.periodMs)
        .sort((a, b) => (this.lastScannedMs.get(a.blockId) ?? 0) - (this.lastScannedMs.get(b.blockId) ?? 0));
      this.paceStartMs = Date.now();
      this.pacedBytes = 0;
      for (const block of due) {
        if (signal.aborted) return;
        await this.scan(block.blockId);
      }
      this.forgetRemoved();
      await sleep(Math.min(this.config.periodMs, SCAN_IDLE_POLL_MS_MAX), undefined, { signal }).catch(() => undefined);
    }
  }

  /** Verifies one replica, pacing reads so the average stays under the configured rate. */
  private async scan(blockId: number): Promise<void> {
    const replica = this.ctx.store.find(blockId);
    if (!replica) return;
    try {
      for await (const { chunk } of this.ctx.store.read(replica, 0, replica.numBytes)) {
        this.pacedBytes += chunk.length;
        this.stats.bytesScanned += chunk.length;
        const aheadMs = (this.pacedBytes / this.config.rateBytesPerSecond) * 1000 - (Date.now() - this.paceStartMs);
        if (aheadMs > 0) await sleep(aheadMs, undefined, { signal: this.abort.signal });
      }
      this.stats.blocksScanned++;
    } catch (error) {
      if (this.abort.signal.aborted) return;
      if (isDfsError(error, 'Checksum')) {
        this.stats.corruptFound++;
        this.ctx.logger.error({ err: error, blockId, genStamp: replica.genStamp, path: replica.blockPath }, 'block scanner found a corrupt replica; reporting it');
        this.ctx.links?.reportBadBlocks([{ blockId, genStamp: replica.genStamp, numBytes: replica.numBytes }]);
      } else if (!isDfsError(error, 'ReplicaNotFound')) {
        this.ctx.logger.warn({ err: error, blockId }, 'block scanner could not read a replica');
      }
    }
    this.lastScannedMs.set(blockId, Date.now());
  }

  private forgetRemoved(): void {
    for (const blockId of this.lastScannedMs.keys()) {
      if (!this.ctx.store.find(blockId)) this.lastScannedMs.delete(blockId);
    }
  }
}
