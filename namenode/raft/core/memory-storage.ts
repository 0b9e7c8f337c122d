// An in-memory ReadonlyLogStorage with the write operations an application performs when it
// persists a Ready. Used by tests, the simulator's disks and the benchmark; the real store lives
// in namenode/raft/storage.

import { assert } from '../../../shared/assert.js';
import { EMPTY_HARD_STATE, type Entry, type HardState, type SnapshotMetadata } from '../types.js';
import { entrySizeBytes, type ReadonlyLogStorage } from './raft-log.js';

export class MemoryLogStorage implements ReadonlyLogStorage {
  hardState: HardState = EMPTY_HARD_STATE;
  snapshot: SnapshotMetadata;
  /** entries[i].index === snapshot.index + 1 + i */
  private log: Entry[] = [];

  constructor(snapshot: SnapshotMetadata) {
    this.snapshot = snapshot;
  }

  firstIndex(): number {
    return this.snapshot.index + 1;
  }

  lastIndex(): number {
    return this.snapshot.index + this.log.length;
  }

  term(index: number): number {
    if (index === this.snapshot.index) return this.snapshot.term;
    assert(index > this.snapshot.index && index <= this.lastIndex(), `memory storage: term(${index}) unavailable`);
    return this.log[index - this.snapshot.index - 1].term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    assert(lo >= this.firstIndex() && hi <= this.lastIndex() + 1 && lo <= hi, `memory storage: entries(${lo}, ${hi}) out of range`);
    const result: Entry[] = [];
    let bytes = 0;
    for (let index = lo; index < hi; index++) {
      const entry = this.log[index - this.snapshot.index - 1];
      bytes += entrySizeBytes(entry);
      if (bytes > maxBytes && result.length > 0) break;
      result.push(entry);
    }
    return result;
  }

  /** Persists entries, replacing the stored tail from entries[0].index on. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0].index;
    assert(first > this.snapshot.index && first <= this.lastIndex() + 1, 'memory storage: append leaves a gap');
    this.log.length = first - this.snapshot.index - 1;
    for (const entry of entries) this.log.push(entry);
  }

  /** Installs a snapshot: the whole log is replaced by it. */
  applySnapshot(snapshot: SnapshotMetadata): void {
    this.snapshot = snapshot;
    this.log = [];
  }

  /** Drops the entries covered by a snapshot taken locally at `snapshot.index`. */
  compact(snapshot: SnapshotMetadata): void {
    assert(snapshot.index >= this.snapshot.index && snapshot.index <= this.lastIndex(), 'memory storage: bad compaction');
    this.log = this.log.slice(snapshot.index - this.snapshot.index);
    this.snapshot = snapshot;
  }

  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  /** A copy (for simulated disks that keep a durable image apart from pending writes). */
  clone(): MemoryLogStorage {
    const copy = new MemoryLogStorage(this.snapshot);
    copy.hardState = this.hardState;
    copy.log = this.log.slice();
    return copy;
  }
}
