// A NamespaceLog without replication, for unit tests of the namespace: commands submitted in the
// same turn of the event loop are applied in one transaction, as the Raft log batches them.

import type { ApplyOutcome, NamespaceCommand } from '../../namenode/namespace/commands.js';
import type { NamespaceStateMachine } from '../../namenode/namespace/apply.js';
import type { NamespaceLog } from '../../namenode/namespace-log.js';

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
