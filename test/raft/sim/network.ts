// The simulated network's fault model: per-run rates of loss, duplication and long delays (which
// reorder messages), and partitions as a set of blocked directed links (a symmetric partition
// blocks both directions, a one-way partition only one).

import type { NodeId } from '../../../namenode/raft/types.js';
import type { Prng } from './prng.js';

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  longDelayRate: number;
  baseDelayMsMax: number;
  longDelayMsMax: number;
}

export class Network {
  private readonly blocked = new Set<string>();

  constructor(public faults: NetworkFaults) {}

  static randomFaults(prng: Prng): NetworkFaults {
    return {
      dropRate: prng.float() * 0.1,
      duplicateRate: prng.float() * 0.03,
      longDelayRate: prng.float() * 0.05,
      baseDelayMsMax: prng.range(2, 15),
      longDelayMsMax: prng.range(100, 1500),
    };
  }

  static reliable(): NetworkFaults {
    return { dropRate: 0, duplicateRate: 0, longDelayRate: 0, baseDelayMsMax: 5, longDelayMsMax: 5 };
  }

  canDeliver(from: NodeId, to: NodeId): boolean {
    return this.blocked.size === 0 || !this.blocked.has(`${from}>${to}`);
  }

  blockOneWay(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Cuts every link between `a` and `b` both ways. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.blocked.add(`${x}>${y}`);
        this.blocked.add(`${y}>${x}`);
      }
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  isPartitioned(): boolean {
    return this.blocked.size > 0;
  }
}
