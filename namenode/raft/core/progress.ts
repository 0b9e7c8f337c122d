// The leader's view of one follower: how far its log matches (match), what to send next (next),
// and the flow-control state (probe: one append at a time until the follower's position is
// known; replicate: pipelined appends bounded by an inflight window; snapshot: waiting for an
// InstallSnapshot to finish). Modelled on etcd's tracker/progress.go.

import { assert } from '../../../shared/assert.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** Ring of the last index carried by each append in flight, bounded by `capacity`. */
export class Inflights {
  private readonly buffer: number[];
  private start = 0;
  count = 0;

  constructor(readonly capacity: number) {
    assert(capacity >= 1, 'inflights: capacity must be ≥ 1');
    this.buffer = new Array<number>(capacity).fill(0);
  }

  full(): boolean {
    return this.count === this.capacity;
  }

  add(lastIndex: number): void {
    assert(!this.full(), 'inflights: add while full');
    const slot = (this.start + this.count) % this.capacity;
    if (this.count > 0) {
      const previous = this.buffer[(slot + this.capacity - 1) % this.capacity];
      assert(lastIndex > previous, 'inflights: indexes must increase');
    }
    this.buffer[slot] = lastIndex;
    this.count++;
  }

  /** Frees every append whose last index is ≤ `index` (acknowledged). */
  freeLE(index: number): void {
    while (this.count > 0 && this.buffer[this.start] <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
  }

  /** Frees the oldest append (used when a whole window may have been lost). */
  freeFirst(): void {
    if (this.count === 0) return;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append was sent and no answer has come back yet. */
  probeSent = false;
  /** Snapshot index being installed, in snapshot state. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = true;
  readonly inflights: Inflights;

  constructor(next: number, maxInflightMessages: number, public isLearner: boolean) {
    assert(next >= 1, 'progress: next must be ≥ 1');
    this.next = next;
    this.inflights = new Inflights(maxInflightMessages);
  }

  paused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  /** An acknowledgement up to `index`; returns whether match moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      this.probeSent = false;
      updated = true;
    }
    this.next = Math.max(this.next, index + 1);
    assert(this.next > this.match, 'progress: next must exceed match');
    return updated;
  }

  /** Records an append carrying entries up to `lastIndex` (or none when `entryCount` is 0). */
  sentAppend(entryCount: number, lastIndex: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * A rejection of the append after `rejected`; `matchHint` is the highest index that may still
   * match. Returns false when the rejection is stale.
   */
  maybeDecreaseTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }
}
