// Transfers in progress on this datanode (block reads, block writes and re-replications), kept in
// memory while they run: the web UI lists them, the heartbeat's xceiver count and the metrics count
// them. Each transfer registers when it starts and ends itself exactly once.

import { assert } from '../shared/assert.js';

export type TransferType = 'read' | 'write' | 'replication';

export interface Transfer {
  id: number;
  type: TransferType;
  /** The block moved; absent for a WebHDFS stream, which spans blocks (`path` names its file). */
  blockId?: number;
  genStamp?: number;
  path?: string;
  /** The nodes the data goes to (pipeline targets, replication targets). */
  targets?: string[];
  startedAtMs: number;
}

export type TransferDetail = Omit<Transfer, 'id' | 'type' | 'startedAtMs'>;

/** Transfers listed by the status route at most: the counts stay exact beyond it. */
export const TRANSFERS_LISTED_MAX = 100;

export class TransferRegistry {
  private readonly running = new Map<number, Transfer>();
  private readonly counts: Record<TransferType, number> = { read: 0, write: 0, replication: 0 };
  private nextId = 1;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Registers a transfer; call the returned function when it ends (further calls do nothing). */
  begin(type: TransferType, detail: TransferDetail = {}): () => void {
    const id = this.nextId++;
    this.running.set(id, { id, type, ...detail, startedAtMs: this.clock() });
    this.counts[type]++;
    return () => {
      if (!this.running.delete(id)) return;
      this.counts[type]--;
      assert(this.counts[type] >= 0, `${type} transfers went negative`);
    };
  }

  get reads(): number {
    return this.counts.read;
  }

  get writes(): number {
    return this.counts.write;
  }

  get replications(): number {
    return this.counts.replication;
  }

  /** The oldest transfers still running, first started first. */
  list(limit = TRANSFERS_LISTED_MAX): Transfer[] {
    const listed: Transfer[] = [];
    for (const transfer of this.running.values()) {
      if (listed.length >= limit) break;
      listed.push({ ...transfer });
    }
    return listed;
  }
}
