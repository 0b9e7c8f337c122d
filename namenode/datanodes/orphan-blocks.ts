// Replicas the namespace does not know after a restore from an image: blocks the old cluster wrote
// after the image was taken (their ids lie in the restored namespace's orphan range). They may be
// the only copy of data an operator still wants (a newer image restored next, a file copied out by
// hand), so they are reported and kept for a grace period, and deleted only by the leader's
// replication monitor once it has left safe mode. Soft state: rebuilt from block reports.

import type { ExtendedBlock } from '../../shared/protocol.js';

/** Default grace before an orphan replica is deleted: a day, time for an operator to notice. */
export const ORPHAN_BLOCK_GRACE_MS_DEFAULT = 24 * 60 * 60_000;
/** Orphans tracked at most (an upper bound on this soft state; beyond it they wait for a later report). */
const ORPHANS_TRACKED_MAX = 1_000_000;

interface Orphan {
  block: ExtendedBlock;
  firstSeenMs: number;
  holders: Set<string>;
}

export class OrphanBlocks {
  private readonly orphans = new Map<number, Orphan>();
  graceMs = ORPHAN_BLOCK_GRACE_MS_DEFAULT;
  deleted = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Records that `uuid` holds a replica of an orphan block; true when first seen. */
  add(uuid: string, block: ExtendedBlock): boolean {
    const known = this.orphans.get(block.blockId);
    if (known) {
      known.holders.add(uuid);
      return false;
    }
    if (this.orphans.size >= ORPHANS_TRACKED_MAX) return false;
    this.orphans.set(block.blockId, { block, firstSeenMs: this.clock(), holders: new Set([uuid]) });
    return true;
  }

  removed(uuid: string, blockId: number): void {
    const orphan = this.orphans.get(blockId);
    if (!orphan) return;
    orphan.holders.delete(uuid);
    if (orphan.holders.size === 0) this.orphans.delete(blockId);
  }

  get count(): number {
    return this.orphans.size;
  }

  /** Orphans whose grace has passed, removed from tracking: the caller deletes their replicas. */
  takeExpired(): Array<{ block: ExtendedBlock; holders: string[] }> {
    const now = this.clock();
    const expired: Array<{ block: ExtendedBlock; holders: string[] }> = [];
    for (const [blockId, orphan] of this.orphans) {
      if (now - orphan.firstSeenMs < this.graceMs) continue;
      this.orphans.delete(blockId);
      expired.push({ block: orphan.block, holders: [...orphan.holders] });
    }
    this.deleted += expired.length;
    return expired;
  }

  /** When the oldest tracked orphan becomes deletable, for reports. */
  summary(): { count: number; graceMs: number; deleted: number; oldestFirstSeenMs: number | null } {
    let oldest: number | null = null;
    for (const orphan of this.orphans.values()) oldest = oldest === null ? orphan.firstSeenMs : Math.min(oldest, orphan.firstSeenMs);
    return { count: this.orphans.size, graceMs: this.graceMs, deleted: this.deleted, oldestFirstSeenMs: oldest };
  }
}
