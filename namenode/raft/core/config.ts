// RaftConfig: the knobs of one Raft node, their defaults and their validation. Every bound on a
// queue or a batch is a named constant here.

import { assert } from '../../../shared/assert.js';
import { EMPTY_HARD_STATE, type HardState, type NodeId, type SnapshotMetadata } from '../types.js';
import type { ReadonlyLogStorage } from './raft-log.js';

export const DEFAULT_ELECTION_TICKS = 10;
export const DEFAULT_HEARTBEAT_TICKS = 1;
/** Appends in flight per follower in replicate state (pipelining window). */
export const DEFAULT_MAX_INFLIGHT_MESSAGES = 256;
/** Proposals batched into one AppendEntries message. */
export const DEFAULT_MAX_ENTRIES_PER_APPEND = 1024;
export const DEFAULT_MAX_BYTES_PER_APPEND = 1024 * 1024;
/** Committed entries handed to the application in one Ready. */
export const DEFAULT_MAX_COMMITTED_BYTES_PER_READY = 8 * 1024 * 1024;
/** Proposals beyond this many uncommitted entries are refused (back-pressure). */
export const DEFAULT_MAX_UNCOMMITTED_ENTRIES = 100_000;
/** ReadIndex requests a leader queues (waiting for its first commit, or for a heartbeat round). */
export const DEFAULT_MAX_PENDING_READ_INDEX_REQUESTS = 4096;

/** Deliberate bugs the simulator must catch. Never set outside tests. */
export interface TestOnlyBugs {
  /** Leader commits an entry of an earlier term by counting replicas (Raft paper, Figure 8). */
  commitPreviousTermByCount?: boolean;
  /** Voters grant votes without the log up-to-date check. */
  voteWithoutLogCheck?: boolean;
  /** Acknowledge appends (and count the leader's own entries) before they are persisted. */
  ackBeforePersist?: boolean;
}

export interface RaftConfig {
  id: NodeId;
  /** The persisted log after `snapshot` (read lazily; must reflect every persisted Ready). */
  storage: ReadonlyLogStorage;
  /** Persisted hard state (EMPTY_HARD_STATE for a new node). */
  hardState: HardState;
  /** Latest persisted snapshot; for a new cluster {index 0, term 0, conf: initial members}. */
  snapshot: SnapshotMetadata;
  /** Application's name for the snapshot's bytes, echoed in `snapshot` messages. */
  snapshotRef?: string;
  /** Index the state machine has applied (≥ snapshot.index); defaults to snapshot.index. */
  applied?: number;
  /** Uniform random number in [0, 1): the only source of randomness (election jitter). */
  random: () => number;
  electionTicks?: number;
  heartbeatTicks?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** 'lease' answers ReadIndex without a heartbeat round; only honoured with checkQuorum. */
  readOnly?: 'safe' | 'lease';
  maxInflightMessages?: number;
  maxEntriesPerAppend?: number;
  maxBytesPerAppend?: number;
  maxCommittedBytesPerReady?: number;
  maxUncommittedEntries?: number;
  maxPendingReadIndexRequests?: number;
  testOnlyBugs?: TestOnlyBugs;
}

export type ResolvedRaftConfig = Required<Omit<RaftConfig, 'testOnlyBugs'>> & { testOnlyBugs: TestOnlyBugs };

export function resolveConfig(config: RaftConfig): ResolvedRaftConfig {
  const resolved: ResolvedRaftConfig = {
    id: config.id,
    storage: config.storage,
    hardState: config.hardState,
    snapshot: config.snapshot,
    snapshotRef: config.snapshotRef ?? '',
    applied: config.applied ?? config.snapshot.index,
    random: config.random,
    electionTicks: config.electionTicks ?? DEFAULT_ELECTION_TICKS,
    heartbeatTicks: config.heartbeatTicks ?? DEFAULT_HEARTBEAT_TICKS,
    preVote: config.preVote ?? true,
    checkQuorum: config.checkQuorum ?? true,
    readOnly: config.readOnly ?? 'safe',
    maxInflightMessages: config.maxInflightMessages ?? DEFAULT_MAX_INFLIGHT_MESSAGES,
    maxEntriesPerAppend: config.maxEntriesPerAppend ?? DEFAULT_MAX_ENTRIES_PER_APPEND,
    maxBytesPerAppend: config.maxBytesPerAppend ?? DEFAULT_MAX_BYTES_PER_APPEND,
    maxCommittedBytesPerReady: config.maxCommittedBytesPerReady ?? DEFAULT_MAX_COMMITTED_BYTES_PER_READY,
    maxUncommittedEntries: config.maxUncommittedEntries ?? DEFAULT_MAX_UNCOMMITTED_ENTRIES,
    maxPendingReadIndexRequests: config.maxPendingReadIndexRequests ?? DEFAULT_MAX_PENDING_READ_INDEX_REQUESTS,
    testOnlyBugs: config.testOnlyBugs ?? {},
  };
  assert(resolved.id.length > 0, 'raft config: empty id');
  assert(resolved.heartbeatTicks >= 1, 'raft config: heartbeatTicks must be ≥ 1');
  assert(resolved.electionTicks > resolved.heartbeatTicks, 'raft config: electionTicks must exceed heartbeatTicks');
  assert(resolved.maxInflightMessages >= 1, 'raft config: maxInflightMessages must be ≥ 1');
  assert(resolved.maxEntriesPerAppend >= 1, 'raft config: maxEntriesPerAppend must be ≥ 1');
  assert(resolved.maxBytesPerAppend >= 1, 'raft config: maxBytesPerAppend must be ≥ 1');
  assert(resolved.applied >= resolved.snapshot.index, 'raft config: applied below snapshot index');
  assert(resolved.hardState.commit >= resolved.snapshot.index || resolved.hardState.commit === 0,
    'raft config: hard state commit below snapshot index');
  return resolved;
}

/**
 * Persisted state of a brand-new cluster's initial members: a snapshot at index 1, term 1 that
 * carries the membership (the application's snapshot bytes for it are its empty state machine).
 * Starting from a snapshot rather than from log entries means a node that joins later, empty,
 * learns the whole membership history from the leader's snapshot.
 */
export function initialMemberState(voters: readonly NodeId[]): { hardState: HardState; snapshot: SnapshotMetadata } {
  assert(voters.length > 0, 'raft: a cluster needs at least one voter');
  return {
    hardState: { term: 1, vote: null, commit: 1 },
    snapshot: { index: 1, term: 1, conf: { voters: [...voters].sort(), learners: [] } },
  };
}

/** Persisted state of a node about to be added to a running cluster: empty, no membership. */
export function joiningNodeState(): { hardState: HardState; snapshot: SnapshotMetadata } {
  return { hardState: EMPTY_HARD_STATE, snapshot: { index: 0, term: 0, conf: { voters: [], learners: [] } } };
}
