// Safety invariants, checked as the simulation runs: election safety (one leader per term), log
// matching, leader completeness, state machine safety (one command per index, same applied
// order everywhere, snapshots equal to the applied state), linearizable reads, and at the end the
// durability of acknowledged commands.

import type { Entry, NodeId } from '../../../namenode/raft/types.js';
import { chainHash, entryKey, type MachineState } from './state-machine.js';

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

function violated(message: string): never {
  throw new InvariantViolation(message);
}

/** (index, term) packed into one number: terms stay far below 2^20 in a run. */
function entryId(index: number, term: number): number {
  return index * 1_048_576 + term;
}

export interface AckedCommand {
  commandId: number;
  index: number;
  key: number;
}

export class Checker {
  private readonly leaderByTerm = new Map<number, NodeId>();
  /** For each (index, term) ever written by any node: the term before it and its payload key. */
  private readonly written = new Map<number, { prevTerm: number; key: number }>();
  /** For each applied index: the term, key and state hash all nodes must agree on. */
  readonly appliedTerm: number[] = [];
  readonly appliedKey: number[] = [];
  readonly appliedHash: number[] = [];
  maxAppliedIndex = 0;
  /** For each index some node has declared committed: the term there. */
  readonly committedTerm: number[] = [];
  maxCommittedIndex = 0;
  readonly acked: AckedCommand[] = [];
  maxAckedIndex = 0;

  leader(term: number, id: NodeId): void {
    const known = this.leaderByTerm.get(term);
    if (known === undefined) this.leaderByTerm.set(term, id);
    else if (known !== id) violated(`election safety: ${known} and ${id} both lead term ${term}`);
  }

  /** A node declares (persists) commit over its entry at `index` with `term`: it is final. */
  committed(node: NodeId, index: number, term: number | undefined): void {
    if (term === undefined) return;
    const known = this.committedTerm[index];
    if (known === undefined) {
      this.committedTerm[index] = term;
      if (index > this.maxCommittedIndex) this.maxCommittedIndex = index;
    } else if (known !== term) {
      violated(`commit safety: ${node} commits term ${term} at index ${index}, which another node committed with term ${known}`);
    }
  }

  /** Log matching: entries with the same index and term have the same payload and predecessor. */
  entriesWritten(node: NodeId, entries: readonly Entry[], termBefore: number | undefined): void {
    let prevTerm = termBefore;
    for (const entry of entries) {
      const id = entryId(entry.index, entry.term);
      const key = entryKey(entry);
      const known = this.written.get(id);
      if (known === undefined) {
        this.written.set(id, { prevTerm: prevTerm ?? -1, key });
      } else {
        if (known.key !== key) violated(`log matching: ${node} wrote a different entry at index ${entry.index} term ${entry.term}`);
        if (prevTerm !== undefined && known.prevTerm !== -1 && known.prevTerm !== prevTerm) {
          violated(`log matching: ${node} has entry ${entry.index}@${entry.term} after term ${prevTerm}, elsewhere after ${known.prevTerm}`);
        }
      }
      prevTerm = entry.term;
    }
  }

  /** State machine safety: `node` applies `entry` right after `state`; returns the new state. */
  applied(node: NodeId, state: MachineState, entry: Entry): MachineState {
    if (entry.index !== state.index + 1) violated(`apply order: ${node} applies ${entry.index} after ${state.index}`);
    const key = entryKey(entry);
    const hash = chainHash(state.hash, key);
    const i = entry.index;
    if (this.appliedTerm[i] === undefined) {
      if (i > 1 && this.appliedHash[i - 1] !== undefined && this.appliedHash[i - 1] !== state.hash) {
        violated(`state machine safety: ${node} state before ${i} differs from the others`);
      }
      this.appliedTerm[i] = entry.term;
      this.appliedKey[i] = key;
      this.appliedHash[i] = hash;
      if (i > this.maxAppliedIndex) this.maxAppliedIndex = i;
    } else if (this.appliedTerm[i] !== entry.term || this.appliedKey[i] !== key || this.appliedHash[i] !== hash) {
      violated(`state machine safety: ${node} applied a different entry at index ${i} (term ${entry.term}, first applied term ${this.appliedTerm[i]})`);
    }
    return { index: i, hash };
  }

  snapshotInstalled(node: NodeId, state: MachineState): void {
    const expected = this.appliedHash[state.index];
    if (state.index > 0 && expected !== undefined && expected !== state.hash) {
      violated(`state machine safety: ${node} installed a snapshot at ${state.index} that differs from the applied state`);
    }
  }

  /** Leader completeness: a new leader holds every entry committed anywhere (in its retained log). */
  newLeader(node: NodeId, firstRetained: number, termAt: (index: number) => number | undefined): void {
    for (let i = firstRetained; i <= this.maxCommittedIndex; i++) {
      const expected = this.committedTerm[i];
      if (expected === undefined) continue;
      const term = termAt(i);
      if (term !== expected) {
        violated(`leader completeness: leader ${node} has term ${term} at committed index ${i} (committed term ${expected})`);
      }
    }
  }

  ack(command: AckedCommand): void {
    this.acked.push(command);
    if (command.index > this.maxAckedIndex) this.maxAckedIndex = command.index;
  }

  /** A linearizable read must observe every command acknowledged before it was issued. */
  readServed(node: NodeId, index: number, minIndex: number): void {
    if (index < minIndex) violated(`linearizable read: ${node} served read at index ${index}, but index ${minIndex} was acknowledged before the read began`);
  }

  /** End of run: every acknowledged command is what the cluster applied at its index. */
  ackedDurable(): void {
    for (const command of this.acked) {
      if (this.appliedKey[command.index] !== command.key) {
        violated(`durability: acknowledged command ${command.commandId} at index ${command.index} is not what was applied there`);
      }
    }
  }
}
