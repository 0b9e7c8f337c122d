// The log as the core sees it: a durable prefix served lazily by the application's
// ReadonlyLogStorage, an unstable suffix (entries, and possibly a snapshot from the leader) not yet
// persisted, the latest snapshot's metadata (the compaction point), and the commit/applied indexes.
// Modelled on etcd's log.go and log_unstable.go.

import { assert } from '../../../shared/assert.js';
import type { Entry, SnapshotMetadata } from '../types.js';

/**
 * The persisted log, read by the core. Must reflect every Ready the application has persisted
 * (after `advance()`): entries written from `entries[0].index` on replace the stored tail, and an
 * installed snapshot discards every stored entry. Must serve every index in
 * [snapshot.index + 1, lastIndex()]; it may still hold older entries the core has compacted.
 */
export interface ReadonlyLogStorage {
  /** First index stored (≤ snapshot.index + 1). */
  firstIndex(): number;
  /** Last index stored (the snapshot index when no entry follows it). */
  lastIndex(): number;
  /** Term of a stored entry (firstIndex ≤ index ≤ lastIndex). */
  term(index: number): number;
  /** Entries [lo, hi), cut after `maxBytes` but never empty when lo < hi. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
}

/** Bytes one entry costs in a batch: payload plus a fixed allowance for its header. */
export const ENTRY_OVERHEAD_BYTES = 24;

export function entrySizeBytes(entry: Entry): number {
  return entry.data.length + ENTRY_OVERHEAD_BYTES;
}

/** Entries read from storage per page when scanning the log at start-up. */
export const LOG_SCAN_PAGE_BYTES = 4 * 1024 * 1024;

export class RaftLog {
  /** Latest snapshot: every index ≤ snapshot.index is compacted. */
  snapshot: SnapshotMetadata;
  snapshotRef: string;
  /** The snapshot came from the leader and is not yet persisted. */
  snapshotUnstable = false;
  /** Entries not yet persisted; unstable[0] has index unstableOffset. */
  unstable: Entry[] = [];
  unstableOffset: number;
  committed: number;
  applied: number;

  constructor(readonly storage: ReadonlyLogStorage, snapshot: SnapshotMetadata, snapshotRef: string,
    committed: number, applied: number) {
    assert(storage.firstIndex() <= snapshot.index + 1, 'raft log: storage starts after the snapshot');
    this.snapshot = snapshot;
    this.snapshotRef = snapshotRef;
    this.unstableOffset = Math.max(storage.lastIndex(), snapshot.index) + 1;
    this.committed = Math.max(committed, snapshot.index);
    this.applied = applied;
    assert(this.committed <= this.lastIndex(), 'raft log: commit beyond last index');
    assert(this.applied <= this.committed, 'raft log: applied beyond commit');
  }

  firstIndex(): number {
    return this.snapshot.index + 1;
  }

  lastIndex(): number {
    return this.unstableOffset + this.unstable.length - 1;
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, 'raft log: last term unavailable');
    return term;
  }

  /** Highest index known to be on disk (what the leader may count for itself). */
  persistedLastIndex(): number {
    return this.snapshotUnstable ? 0 : this.unstableOffset - 1;
  }

  /** Term at `index`, or undefined when compacted or beyond the last index. */
  term(index: number): number | undefined {
    if (index === this.snapshot.index) return this.snapshot.term;
    if (index < this.snapshot.index || index > this.lastIndex()) return undefined;
    if (index >= this.unstableOffset) return this.unstable[index - this.unstableOffset].term;
    return this.storage.term(index);
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Whether a candidate's log (lastIndex, lastTerm) is at least as up to date as ours (§5.4.1). */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries [lo, hi) cut at `maxBytes` (at least one), or undefined when lo is compacted. */
  entries(lo: number, hi: number, maxBytes: number, maxCount = Number.MAX_SAFE_INTEGER): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    hi = Math.min(hi, this.lastIndex() + 1, lo + maxCount);
    if (lo >= hi) return [];
    let result: Entry[];
    if (lo < this.unstableOffset) {
      result = this.storage.entries(lo, Math.min(hi, this.unstableOffset), maxBytes);
      assert(result.length > 0 && result[0].index === lo, 'raft log: storage returned wrong entries');
      if (result[result.length - 1].index + 1 < Math.min(hi, this.unstableOffset)) return result;
    } else {
      result = [];
    }
    let bytes = 0;
    for (const entry of result) bytes += entrySizeBytes(entry);
    for (let index = Math.max(lo, this.unstableOffset); index < hi; index++) {
      const entry = this.unstable[index - this.unstableOffset];
      bytes += entrySizeBytes(entry);
      if (bytes > maxBytes && result.length > 0) break;
      result.push(entry);
    }
    return result;
  }

  /**
   * Follower side of AppendEntries: if our log holds (prevIndex, prevTerm), append what is new
   * and commit up to min(commit, last new index). Returns the new entries actually written
   * (possibly none) and the last new index, or undefined when the consistency check fails.
   */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, entries: Entry[]):
    { lastNewIndex: number; appended: Entry[] } | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNewIndex = prevIndex + entries.length;
    let appended: Entry[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      assert(entry.index === prevIndex + 1 + i, 'raft log: non-contiguous append');
      if (!this.matchTerm(entry.index, entry.term)) {
        assert(entry.index > this.committed, `raft log: conflict at committed index ${entry.index}`);
        appended = entries.slice(i);
        this.append(appended);
        break;
      }
    }
    this.commitTo(Math.min(commit, lastNewIndex));
    return { lastNewIndex, appended };
  }

  /** Appends entries, replacing any unstable or stable tail from entries[0].index on. */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const after = entries[0].index;
    assert(after > this.committed, 'raft log: truncating committed entries');
    assert(after <= this.lastIndex() + 1, 'raft log: append leaves a gap');
    if (after === this.unstableOffset + this.unstable.length) {
      for (const entry of entries) this.unstable.push(entry);
    } else if (after <= this.unstableOffset) {
      this.unstable = entries.slice();
      this.unstableOffset = after;
    } else {
      this.unstable = this.unstable.slice(0, after - this.unstableOffset).concat(entries);
    }
  }

  /** The application persisted entries up to (index, term): drop them from the unstable suffix. */
  stableTo(index: number, term: number): void {
    if (index < this.unstableOffset || index >= this.unstableOffset + this.unstable.length) return;
    if (this.unstable[index - this.unstableOffset].term !== term) return; // replaced meanwhile
    this.unstable = this.unstable.slice(index + 1 - this.unstableOffset);
    this.unstableOffset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshotUnstable && this.snapshot.index === index) this.snapshotUnstable = false;
  }

  /** Replace the whole log by a snapshot received from the leader (persisted by the next Ready). */
  restore(snapshot: SnapshotMetadata, snapshotRef: string): void {
    assert(snapshot.index > this.committed, 'raft log: restoring an old snapshot');
    this.snapshot = snapshot;
    this.snapshotRef = snapshotRef;
    this.snapshotUnstable = true;
    this.unstable = [];
    this.unstableOffset = snapshot.index + 1;
    this.committed = snapshot.index;
  }

  /** The application took a snapshot at `index` (applied): forget everything up to it. */
  compact(snapshot: SnapshotMetadata, snapshotRef: string): void {
    assert(!this.snapshotUnstable, 'raft log: compacting while installing a snapshot');
    assert(snapshot.index > this.snapshot.index, 'raft log: compaction must move forward');
    assert(snapshot.index <= this.applied, 'raft log: compacting unapplied entries');
    this.snapshot = snapshot;
    this.snapshotRef = snapshotRef;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    assert(index <= this.lastIndex(), `raft log: commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  /** Leader rule (§5.4.2): commit `index` only if its entry is from the current term. */
  maybeCommit(index: number, term: number): boolean {
    return index > this.committed && this.term(index) === term && this.commitTo(index);
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    assert(index <= this.committed, 'raft log: applied beyond commit');
    assert(index >= this.applied, 'raft log: applied moves backwards');
    this.applied = index;
  }

  hasNextCommittedEntries(): boolean {
    return !this.snapshotUnstable && this.committed > this.applied;
  }

  nextCommittedEntries(maxBytes: number): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const entries = this.entries(lo, this.committed + 1, maxBytes);
    assert(entries !== undefined, 'raft log: committed entries compacted before being applied');
    return entries;
  }

  /**
   * The last index ≤ `index` whose term is ≤ `term`, with that term (0 when unknown): where a
   * leader's and a follower's logs can still agree (etcd's findConflictByTerm).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; ;) {
      const ourTerm = this.term(index);
      if (ourTerm === undefined) return { index, term: 0 };
      if (ourTerm <= term || index === 0) return { index, term: ourTerm };
      index--;
    }
  }
}
