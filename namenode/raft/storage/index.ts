// Durable storage of a namenode's Raft node: segmented log, hard state, snapshots.

export { RaftStorage, type RaftStorageOptions, type RaftInitialState, type StorageUpdate } from './raft-storage.js';
export { SegmentedLog, type ReadonlyLogStorage, type SegmentedLogOptions, type LogStats, SEGMENT_SIZE_BYTES_MAX_DEFAULT, ENTRY_CACHE_BYTES_MAX_DEFAULT } from './log-store.js';
export { HardStateFile } from './hard-state-file.js';
export { SnapshotStore, IncomingSnapshot, type SnapshotInfo, type SnapshotSource, type StagedSnapshot } from './snapshot-store.js';
export { StorageCorruptionError, LogCompactedError, LogUnavailableError } from './errors.js';
