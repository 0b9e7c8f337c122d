// Majority rules over one voter set: the committed index (the highest index a quorum holds) and
// the outcome of an election. Single-server changes mean there is never a joint configuration.

import { assert } from '../../../shared/assert.js';
import type { NodeId } from '../types.js';

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** Highest index acknowledged by a majority of `voters`; `matchOf` gives each voter's index. */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf);
  matches.sort((a, b) => b - a);
  const index = matches[quorumSize(voters.length) - 1];
  assert(index >= 0, 'quorum: negative match index');
  return index;
}

export type VoteResult = 'won' | 'lost' | 'pending';

export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const needed = quorumSize(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  if (granted >= needed) return 'won';
  if (voters.length - rejected < needed) return 'lost';
  return 'pending';
}

/** Whether the acknowledging set `acks` includes a majority of `voters`. */
export function hasQuorum(voters: readonly NodeId[], acks: (id: NodeId) => boolean): boolean {
  let count = 0;
  for (const id of voters) if (acks(id)) count++;
  return count >= quorumSize(voters.length);
}
