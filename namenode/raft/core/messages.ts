// The messages Raft peers exchange, and the Ready value the core hands to the application.
// Plain data (no classes) so the transport can serialise them; `Uint8Array` payloads stay opaque.

import type { Entry, HardState, NodeId, SnapshotMetadata, ConfState } from '../types.js';

interface MessageBase {
  from: NodeId;
  to: NodeId;
  /** The sender's term (for a pre-vote request: the term it would campaign in). */
  term: number;
}

/** Leader → follower: entries after (index, logTerm), plus the leader's commit index. */
export interface AppendEntriesMessage extends MessageBase {
  type: 'appendEntries';
  /** Index of the entry immediately preceding `entries`. */
  index: number;
  /** Term of the entry at `index`. */
  logTerm: number;
  entries: Entry[];
  commit: number;
}

/**
 * Follower → leader. Success: `index` is the follower's last index matching the leader.
 * Reject: `index` echoes the rejected `index`; (`rejectHint`, `logTerm`) is the follower's last
 * index ≤ `index` whose term ≤ the leader's `logTerm`, so the leader skips whole terms.
 * Also sent (without meaning for `index`) to tell a stale leader about a newer term.
 */
export interface AppendResponseMessage extends MessageBase {
  type: 'appendResponse';
  index: number;
  reject: boolean;
  rejectHint: number;
  logTerm: number;
}

export interface HeartbeatMessage extends MessageBase {
  type: 'heartbeat';
  /** min(follower's match, leader's commit): never beyond what the follower holds. */
  commit: number;
  /** ReadIndex round this heartbeat confirms leadership for, or null. */
  context: string | null;
}

export interface HeartbeatResponseMessage extends MessageBase {
  type: 'heartbeatResponse';
  context: string | null;
}

export interface VoteRequestMessage extends MessageBase {
  type: 'requestVote' | 'requestPreVote';
  /** Candidate's last log index and term (the up-to-date check). */
  index: number;
  logTerm: number;
  /** Campaign started by a leadership transfer: voters ignore their leader lease. */
  transfer: boolean;
}

export interface VoteResponseMessage extends MessageBase {
  type: 'voteResponse' | 'preVoteResponse';
  reject: boolean;
}

/**
 * Leader → follower too far behind: install the snapshot described by `snapshot`. The bytes are
 * moved by the application's transport, named by the opaque `snapshotRef`; the receiving
 * transport delivers this message only once the bytes are staged locally (and may rewrite the ref
 * to its local copy).
 */
export interface SnapshotMessage extends MessageBase {
  type: 'snapshot';
  snapshot: SnapshotMetadata;
  snapshotRef: string;
}

/** Leader → transfer target: campaign now, skipping pre-vote and the election timeout. */
export interface TimeoutNowMessage extends MessageBase {
  type: 'timeoutNow';
}

/** Follower → leader: a linearizable read request identified by `context`. */
export interface ReadIndexMessage extends MessageBase {
  type: 'readIndex';
  context: string;
}

/** Leader → follower: the read identified by `context` may be served once applied ≥ `index`. */
export interface ReadIndexResponseMessage extends MessageBase {
  type: 'readIndexResponse';
  context: string;
  index: number;
}

export type Message =
  | AppendEntriesMessage
  | AppendResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | VoteRequestMessage
  | VoteResponseMessage
  | SnapshotMessage
  | TimeoutNowMessage
  | ReadIndexMessage
  | ReadIndexResponseMessage;

export type MessageType = Message['type'];

/** Role as reported to operators; `learner` is a follower that cannot vote. */
export type RaftRole = 'leader' | 'follower' | 'candidate' | 'precandidate' | 'learner';

/** Volatile state worth telling the application about when it changes. */
export interface SoftState {
  lead: NodeId | null;
  role: RaftRole;
  /** Membership in effect on this node (takes effect when a change is appended to the log). */
  conf: ConfState;
}

/** A linearizable read is ready to serve once the state machine has applied `index`. */
export interface ReadState {
  index: number;
  context: string;
}

export interface SnapshotToInstall {
  metadata: SnapshotMetadata;
  snapshotRef: string;
}

/**
 * What the application must do, in this order:
 *   1. send `messages` (safe to send at once, even before persisting);
 *   2. persist `snapshot` (replacing the whole log), then `entries` (overwriting the stored log
 *      from `entries[0].index` on), then `hardState` — one fsync for the lot (group commit);
 *   3. only then send `messagesAfterPersist` (votes and acknowledgements depend on step 2);
 *   4. install `snapshot` into the state machine, apply `committedEntries` in order, serve
 *      `readStates` once applied ≥ their index;
 *   5. call `advance()`. No other `ready()` until then (step/tick/propose are fine meanwhile).
 */
export interface Ready {
  softState: SoftState | null;
  hardState: HardState | null;
  snapshot: SnapshotToInstall | null;
  entries: Entry[];
  committedEntries: Entry[];
  messages: Message[];
  messagesAfterPersist: Message[];
  readStates: ReadState[];
  /** True when step 2 has anything to write (the app may skip the fsync otherwise). */
  mustSync: boolean;
}

/** Messages that acknowledge or request durable state: sent only after the Ready is persisted. */
export function mustFollowPersistence(type: MessageType): boolean {
  switch (type) {
    case 'appendResponse':
    case 'heartbeatResponse':
    case 'requestVote':
    case 'requestPreVote':
    case 'voteResponse':
    case 'preVoteResponse':
      return true;
    case 'appendEntries':
    case 'heartbeat':
    case 'snapshot':
    case 'timeoutNow':
    case 'readIndex':
    case 'readIndexResponse':
      return false;
  }
}
