// Chooses datanodes for a new block: distinct live nodes, weighted toward free space and away from
// busy nodes, so writes spread without piling onto one disk. When datanodes carry more than one rack
// label, HDFS's default rack-aware policy applies: the second replica on another rack than the
// first, the third on the second's rack (one rack failure never loses a block, and only one copy
// crosses racks), further ones anywhere.

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
  const rackAware = new Set(pool.map((node) => node.info.rack)).size > 1;
  while (chosen.length < request.replication && pool.length > 0) {
    const preferred = rackAware ? pool.filter(rackRule(chosen)) : pool;
    const pick = pickOne(preferred.length > 0 ? preferred : pool, request.random);
    chosen.push(pick);
    pool.splice(pool.indexOf(pick), 1);
  }
  return chosen;
}

/** Which nodes the next replica should come from, given those chosen so far (HDFS's default policy). */
function rackRule(chosen: DatanodeDescriptor[]): (node: DatanodeDescriptor) => boolean {
  if (chosen.length === 1) return (node) => node.info.rack !== chosen[0].info.rack;
  if (chosen.length === 2 && chosen[0].info.rack !== chosen[1].info.rack) return (node) => node.info.rack === chosen[1].info.rack;
  return () => true;
}

/** Power of two choices: pick two at random, keep the one with more room and fewer transfers. */
function pickOne(pool: DatanodeDescriptor[], random: () => number): DatanodeDescriptor {
  const a = pool[Math.floor(random() * pool.length)];
  const b = pool[Math.floor(random() * pool.length)];
  const score = (node: DatanodeDescriptor) => node.storage.remainingBytes / (1 + node.storage.xceiverCount);
  return score(a) >= score(b) ? a : b;
}
