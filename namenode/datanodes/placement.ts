// Chooses datanodes for a new block: distinct live nodes, weighted toward free space and away from
// busy nodes, so writes spread without piling onto one disk (HDFS's default policy without racks).

import type { DatanodeDescriptor } from './datanode-manager.js';

export interface PlacementRequest {
  replication: number;
  candidates: DatanodeDescriptor[];
  exclude: Set<string>;
  /** Injected so tests and the simulator are deterministic. */
  random: () => number;
}

export function chooseTargets(request: PlacementRequest): DatanodeDescriptor[] {
  const pool = request.candidates.filter((node) => !request.exclude.has(node.info.uuid) && !request.exclude.has(node.info.url));
  const chosen: DatanodeDescriptor[] = [];
  while (chosen.length < request.replication && pool.length > 0) {
    // Power of two choices: pick two at random, keep the one with more room and fewer transfers.
    const a = pool[Math.floor(request.random() * pool.length)];
    const b = pool[Math.floor(request.random() * pool.length)];
    const score = (node: DatanodeDescriptor) => node.storage.remainingBytes / (1 + node.storage.xceiverCount);
    const pick = score(a) >= score(b) ? a : b;
    chosen.push(pick);
    pool.splice(pool.indexOf(pick), 1);
  }
  return chosen;
}
