// The seam between the namesystem and replication. The namesystem turns requests into
// deterministic commands and hands them here; an implementation makes them durable and applies
// them through NamespaceStateMachine. The Raft group (raft-group/raft-namespace-log.ts) implements it.

import type { ApplyOutcome, NamespaceCommand } from './namespace/commands.js';

export type NamenodeRole = 'leader' | 'follower' | 'candidate' | 'learner' | 'standalone';

export interface NamespaceLog {
  /** Resolves with the command's outcome once it is durable (by a majority) and applied here. */
  submit(command: NamespaceCommand): Promise<ApplyOutcome>;
  /** Resolves when local reads reflect every write acknowledged before the call (linearizable reads). */
  readBarrier(): Promise<void>;
  /** True when this node may accept writes now. */
  readonly isLeader: boolean;
  readonly role: NamenodeRole;
  /** Base URL of the namenode that currently accepts writes, when known and not this one. */
  readonly leaderUrl: string | null;
  close(): Promise<void>;
}
