// Everything a namenode's Raft node persists, under one directory:
//   <dir>/log/<first index, 20 digits>.seg   the segmented log (log-store.ts)
//   <dir>/hardstate                          term, vote, commit in two alternating slots
//   <dir>/snap/<index>-<term>/{data,meta}    the latest snapshot (snapshot-store.ts)
// This facade keeps the three consistent across crashes: a snapshot is durable before the log is
// compacted or reset behind it, so on open the latest snapshot is the truth about the log's start.

import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../../../shared/assert.js';
import { silentLogger, type Logger } from '../../../shared/logger.js';
import type { Entry, HardState, SnapshotMetadata } from '../types.js';
import { StorageCorruptionError } from './errors.js';
import { fsyncDirSync } from './fs-io.js';
import { HardStateFile } from './hard-state-file.js';
import { SegmentedLog, type LogStats, type ReadonlyLogStorage } from './log-store.js';
import { SnapshotStore, type IncomingSnapshot, type SnapshotInfo, type SnapshotSource, type StagedSnapshot } from './snapshot-store.js';

export interface RaftStorageOptions {
  dir: string;
  segmentSizeBytesMax?: number;
  entryCacheBytesMax?: number;
  logger?: Logger;
}

export interface RaftInitialState {
  hardState: HardState;
  snapshot: SnapshotMetadata | null;
}

/** What one Ready asks to persist. */
export interface StorageUpdate {
  hardState?: HardState;
  entries?: readonly Entry[];
}

export class RaftStorage implements ReadonlyLogStorage {
  private constructor(
    readonly dir: string,
    private readonly log: SegmentedLog,
    private readonly hardStateFile: HardStateFile,
    private readonly snapshots: SnapshotStore,
    private readonly logger: Logger,
  ) {}

  static async open(options: RaftStorageOptions): Promise<RaftStorage> {
    const logger = options.logger ?? silentLogger();
    if (!fs.existsSync(options.dir)) {
      fs.mkdirSync(options.dir, { recursive: true });
      fsyncDirSync(path.dirname(options.dir));
    }
    const snapshots = SnapshotStore.open({ dir: path.join(options.dir, 'snap'), logger });
    const snapshot = snapshots.latest()?.meta ?? null;
    const log = SegmentedLog.open({
      dir: path.join(options.dir, 'log'),
      segmentSizeBytesMax: options.segmentSizeBytesMax,
      entryCacheBytesMax: options.entryCacheBytesMax,
      createAt: snapshot ? { index: snapshot.index, term: snapshot.term } : undefined,
      logger,
    });
    const hardStateFile = HardStateFile.open(options.dir);
    const storage = new RaftStorage(options.dir, log, hardStateFile, snapshots, logger);
    await storage.reconcileWithSnapshot();
    return storage;
  }

  initialState(): RaftInitialState {
    return { hardState: this.hardStateFile.hardState, snapshot: this.snapshots.latest()?.meta ?? null };
  }

  firstIndex(): number {
    return this.log.firstIndex();
  }

  lastIndex(): number {
    return this.log.lastIndex();
  }

  term(index: number): number {
    return this.log.term(index);
  }

  entries(lo: number, hiExclusive: number, maxBytes: number): Entry[] {
    return this.log.entries(lo, hiExclusive, maxBytes);
  }

  get stats(): LogStats {
    return this.log.stats;
  }

  /**
   * Persists one Ready: the entries (overwriting a conflicting suffix if the first one is <= lastIndex())
   * then the hard state. Resolves once all of it is durable: one fdatasync for the log and one for
   * the hard state file if it changed. Entries are written before the hard state so a durable commit
   * index never points past the durable log. Await it before the next save.
   */
  async save(update: StorageUpdate): Promise<void> {
    if (update.entries && update.entries.length > 0) {
      if (update.entries[0].index <= this.log.lastIndex()) this.checkOverwritable(update.entries[0].index);
      await this.log.append(update.entries);
    }
    if (update.hardState) await this.hardStateFile.save(update.hardState);
  }

  /** Durably drops entries >= index (they must not be committed). */
  async truncateFrom(index: number): Promise<void> {
    this.checkOverwritable(index);
    await this.log.truncateFrom(index);
  }

  /** Entries a snapshot covers are committed: replacing them would break Raft's log matching. */
  private checkOverwritable(index: number): void {
    const snapshot = this.snapshots.latest()?.meta;
    assert(!snapshot || index > snapshot.index, `refusing to overwrite entry ${index}: the snapshot at index ${snapshot?.index} covers it (committed)`);
  }

  /** The latest durable snapshot, with the path of its data file. */
  latestSnapshot(): SnapshotInfo | null {
    return this.snapshots.latest();
  }

  /** Saves a snapshot of the applied state (the log is unchanged; compact() behind it afterwards). */
  async saveSnapshot(meta: SnapshotMetadata, source: SnapshotSource): Promise<SnapshotInfo> {
    this.assertInLog(meta);
    return this.snapshots.save(meta, source);
  }

  /** A local snapshot must name an entry this log holds (index and term). */
  private assertInLog(meta: SnapshotMetadata): void {
    assert(meta.index <= this.log.lastIndex() && this.log.term(meta.index) === meta.term, `local snapshot (index ${meta.index}, term ${meta.term}) is not in the log`);
  }

  /**
   * A snapshot of the applied state written before its position is known (see SnapshotStore.stage);
   * installing it checks that the position is in the log. The log is unchanged: compact() behind it
   * afterwards. Staging touches neither the log nor the latest snapshot, so it may run beside log
   * writes; installing may not.
   */
  async stageSnapshot(write: (dataPath: string) => Promise<void>): Promise<StagedSnapshot> {
    const staged = await this.snapshots.stage(write);
    return {
      install: async (meta) => {
        this.assertInLog(meta);
        return staged.install(meta);
      },
      discard: () => staged.discard(),
    };
  }

  /**
   * Receives a leader's snapshot in chunks. finish() makes it durable and the latest, and leaves the
   * log alone: the core may still decline the snapshot (it already committed that far, or holds its
   * last entry) and go on reading its log. The log is discarded by installSnapshot(), once the core
   * has restored the snapshot.
   */
  async receiveSnapshot(meta: SnapshotMetadata): Promise<IncomingSnapshot> {
    return this.snapshots.beginIncoming(meta);
  }

  /**
   * The core restored a received snapshot (a Ready carries it): discard every stored entry, as the
   * core's contract says. A crash before this is finished by open(), which keeps a log that already
   * agrees with the snapshot at its index and resets any other (a valid Raft state either way:
   * entries after a matching (index, term) are resolved by the next append).
   */
  async installSnapshot(meta: SnapshotMetadata): Promise<void> {
    const latest = this.snapshots.latest();
    assert(latest !== null && latest.meta.index >= meta.index, `installing snapshot ${meta.index}, but the latest durable one is ${latest?.meta.index}`);
    await this.log.reset({ index: meta.index, term: meta.term });
  }

  /** Deletes log segments wholly at or behind `index`, which the latest snapshot must cover. */
  async compact(index: number): Promise<void> {
    const snapshot = this.snapshots.latest();
    assert(snapshot && index <= snapshot.meta.index, `compact(${index}) beyond the latest snapshot (index ${snapshot?.meta.index})`);
    await this.log.compact(index);
  }

  close(): void {
    this.log.close();
    this.hardStateFile.close();
  }

  /**
   * The log must start at or before the latest snapshot and, if it reaches past it, agree with it.
   * Otherwise a snapshot install was interrupted between the durable snapshot and the log reset:
   * finish it (idempotent).
   */
  private async reconcileWithSnapshot(): Promise<void> {
    const snapshot = this.snapshots.latest()?.meta ?? null;
    const prefix = this.log.compactedPrefix();
    if (!snapshot) {
      if (prefix.index > 0) throw new StorageCorruptionError(this.log.dir, 0, `log starts after index ${prefix.index} but no snapshot exists`);
      return;
    }
    if (prefix.index > snapshot.index) {
      throw new StorageCorruptionError(this.log.dir, 0, `log is compacted to index ${prefix.index}, past the latest snapshot (index ${snapshot.index})`);
    }
    if (snapshot.index <= this.log.lastIndex() && this.log.term(snapshot.index) === snapshot.term) return;
    this.logger.info({ index: snapshot.index, term: snapshot.term, lastIndex: this.log.lastIndex() }, 'raft storage: resetting the log to the snapshot');
    await this.log.reset({ index: snapshot.index, term: snapshot.term });
  }
}
