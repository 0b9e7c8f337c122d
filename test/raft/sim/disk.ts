// A simulated disk for one node: a durable image (log, hard state, snapshots) and at most one
// batch of written-but-unsynced changes, which a crash throws away. The durable log is what the
// Raft core reads as its ReadonlyLogStorage.

import { assert } from '../../../shared/assert.js';
import { MemoryLogStorage } from '../../../namenode/raft/core/index.js';
import type { Ready } from '../../../namenode/raft/core/index.js';
import type { HardState, SnapshotMetadata } from '../../../namenode/raft/types.js';
import type { MachineState } from './state-machine.js';

/** Snapshots a disk keeps (a snapshot message may name one the node has since replaced). */
export const SNAPSHOTS_KEPT_MAX = 4;

interface PendingWrite {
  ready: Ready;
  snapshotState: MachineState | null;
}

export class SimDisk {
  readonly durable: MemoryLogStorage;
  /** Durable snapshots by index, newest last. */
  private snapshots: { metadata: SnapshotMetadata; state: MachineState }[];
  private pending: PendingWrite | null = null;

  constructor(initial: { hardState: HardState; snapshot: SnapshotMetadata }) {
    const metadata = initial.snapshot;
    this.durable = new MemoryLogStorage(metadata);
    this.durable.setHardState(initial.hardState);
    this.snapshots = [{ metadata, state: { index: metadata.index, hash: 0 } }];
  }

  /** Writes a Ready's durable parts; they survive a crash only after sync(). */
  write(ready: Ready, snapshotState: MachineState | null): void {
    assert(this.pending === null, 'disk: one unsynced write at a time');
    assert((ready.snapshot === null) === (snapshotState === null), 'disk: snapshot without its state');
    this.pending = { ready, snapshotState };
  }

  sync(): void {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    const { ready, snapshotState } = pending;
    if (ready.snapshot !== null && snapshotState !== null) {
      this.durable.applySnapshot(ready.snapshot.metadata);
      this.keepSnapshot(ready.snapshot.metadata, snapshotState);
    }
    this.durable.append(ready.entries);
    if (ready.hardState !== null) this.durable.setHardState(ready.hardState);
  }

  /** Loses whatever was written but not synced. */
  crash(): void {
    this.pending = null;
  }

  /** A snapshot taken locally (written and synced atomically) and the log compacted up to it. */
  saveLocalSnapshot(metadata: SnapshotMetadata, state: MachineState): void {
    assert(this.pending === null, 'disk: snapshot while a write is pending');
    this.keepSnapshot(metadata, state);
    this.durable.compact(metadata);
  }

  latestSnapshot(): { metadata: SnapshotMetadata; state: MachineState } {
    return this.snapshots[this.snapshots.length - 1];
  }

  snapshotAt(index: number): MachineState | undefined {
    return this.snapshots.find((s) => s.metadata.index === index)?.state;
  }

  private keepSnapshot(metadata: SnapshotMetadata, state: MachineState): void {
    this.snapshots.push({ metadata, state: { ...state } });
    if (this.snapshots.length > SNAPSHOTS_KEPT_MAX) this.snapshots.shift();
  }
}
