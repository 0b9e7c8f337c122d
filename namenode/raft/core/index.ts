// Public surface of the pure Raft core: the node, its configuration, messages, Ready, the log
// storage interface the application implements, membership changes, and an in-memory storage.

export { RaftNode } from './raft-node.js';
export type { ProposeResult, ProposeRejection, RaftStatus, ProgressStatus } from './raft-node.js';
export {
  DEFAULT_ELECTION_TICKS, DEFAULT_HEARTBEAT_TICKS, DEFAULT_MAX_BYTES_PER_APPEND, DEFAULT_MAX_COMMITTED_BYTES_PER_READY,
  DEFAULT_MAX_ENTRIES_PER_APPEND, DEFAULT_MAX_INFLIGHT_MESSAGES, DEFAULT_MAX_PENDING_READ_INDEX_REQUESTS,
  DEFAULT_MAX_UNCOMMITTED_ENTRIES, initialMemberState, joiningNodeState,
} from './config.js';
export type { RaftConfig, TestOnlyBugs } from './config.js';
export { mustFollowPersistence } from './messages.js';
export type {
  AppendEntriesMessage, AppendResponseMessage, HeartbeatMessage, HeartbeatResponseMessage, Message, MessageType,
  RaftRole, ReadIndexMessage, ReadIndexResponseMessage, ReadState, Ready, SnapshotMessage, SnapshotToInstall,
  SoftState, TimeoutNowMessage, VoteRequestMessage, VoteResponseMessage,
} from './messages.js';
export type { ReadonlyLogStorage } from './raft-log.js';
export { ENTRY_OVERHEAD_BYTES, entrySizeBytes } from './raft-log.js';
export { applyConfChange, decodeConfChange, encodeConfChange, validateConfChange } from './conf-change.js';
export type { ConfChange, ConfChangeType } from './conf-change.js';
export { MemoryLogStorage } from './memory-storage.js';
