// The seam between the namesystem and replication. The namesystem turns requests into
// deterministic commands and hands them here; an implementation makes them durable and applies
// them through NamespaceStateMachine. The Raft group implements it for a replicated namenode;
// LocalNamespaceLog is the single-node form, with the same group commit.

import type { ApplyOutcome, NamespaceCommand } from './namespace/commands.js';
import type { NamespaceStateMachine } from './namespace/apply.js';

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

/** Commands applied in one transaction (one fsync) at most. */
const GROUP_COMMIT_COMMANDS_MAX = 512;

export class LocalNamespaceLog implements NamespaceLog {
  private queue: Array<{ command: NamespaceCommand; resolve: (outcome: ApplyOutcome) => void; reject: (error: unknown) => void }> = [];
  private flushScheduled = false;
  readonly isLeader = true;
  readonly role = 'standalone' as const;
  readonly leaderUrl = null;

  constructor(private readonly stateMachine: NamespaceStateMachine) {}

  submit(command: NamespaceCommand): Promise<ApplyOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ command, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Commands arriving in the same turn of the event loop share one transaction and one fsync.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, GROUP_COMMIT_COMMANDS_MAX);
      let index = this.stateMachine.appliedIndex;
      try {
        const outcomes = this.stateMachine.applyBatch(batch.map(({ command }) => ({ index: ++index, term: 1, command })));
        batch.forEach((item, i) => item.resolve(outcomes[i]));
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
  }

  async readBarrier(): Promise<void> {}

  async close(): Promise<void> {
    this.flush();
  }
}
