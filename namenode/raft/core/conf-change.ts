// Single-server membership changes: the change vocabulary, its encoding in a ConfChange entry,
// validation against the current membership and its application to a ConfState.
//
// Rule (Raft dissertation §4.1, with etcd's caveat): a change takes effect on every node as soon
// as its entry is APPENDED to that node's log (committed or not); a truncated change is undone.
// A leader proposes a new change only once the previous one is applied and it has applied an
// entry of its own term (the fix for the single-server change bug Ongaro reported in 2015).

import type { ConfState, NodeId } from '../types.js';

export type ConfChangeType = 'addVoter' | 'addLearner' | 'promoteLearner' | 'removeNode';

export interface ConfChange {
  type: ConfChangeType;
  node: NodeId;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfChange(change: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify({ type: change.type, node: change.node }));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const parsed = JSON.parse(decoder.decode(data)) as ConfChange;
  return { type: parsed.type, node: parsed.node };
}

/** Why `change` cannot be applied to `conf`, or null when it can. */
export function validateConfChange(conf: ConfState, change: ConfChange): string | null {
  const isVoter = conf.voters.includes(change.node);
  const isLearner = conf.learners.includes(change.node);
  switch (change.type) {
    case 'addVoter':
      return isVoter ? `${change.node} is already a voter` : null;
    case 'addLearner':
      return isVoter || isLearner ? `${change.node} is already a member` : null;
    case 'promoteLearner':
      return isLearner ? null : `${change.node} is not a learner`;
    case 'removeNode':
      if (!isVoter && !isLearner) return `${change.node} is not a member`;
      return isVoter && conf.voters.length === 1 ? 'cannot remove the last voter' : null;
  }
}

export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  const voters = conf.voters.filter((id) => id !== change.node);
  const learners = conf.learners.filter((id) => id !== change.node);
  switch (change.type) {
    case 'addVoter':
    case 'promoteLearner':
      voters.push(change.node);
      break;
    case 'addLearner':
      learners.push(change.node);
      break;
    case 'removeNode':
      break;
  }
  voters.sort();
  learners.sort();
  return { voters, learners };
}

export function sameConf(a: ConfState, b: ConfState): boolean {
  return a.voters.join(',') === b.voters.join(',') && a.learners.join(',') === b.learners.join(',');
}
