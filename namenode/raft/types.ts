// The values Raft persists, shared by the pure core (namenode/raft/core) and the durable store
// (namenode/raft/storage). Messages and the Ready value belong to the core.

export type NodeId = string;

export const EntryType = {
  /** An application command (a namespace mutation for the namenode), opaque to Raft. */
  Normal: 0,
  /** A membership change; `data` is the encoded change, interpreted by the core. */
  ConfChange: 1,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque payload. An empty payload is the no-op a new leader appends to commit its term. */
  data: Uint8Array;
}

/** What must survive a crash besides the log: the current term, the vote cast in it, and the commit index. */
export interface HardState {
  term: number;
  vote: NodeId | null;
  commit: number;
}

/** The membership a snapshot (or the log up to an index) establishes. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  conf: ConfState;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: null, commit: 0 }) as HardState;
