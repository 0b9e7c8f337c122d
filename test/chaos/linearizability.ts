// A Wing–Gong linearizability checker with Lowe's memoization (as in Knossos and porcupine): a
// depth-first search for an order of the operations that respects real time (an operation that
// completed before another began comes first) and that the sequential model accepts. A
// (linearized set, model state) pair seen once is never explored again. Operations whose outcome is
// unknown have no completion: they may take effect at any point after their invocation, or never.
// The model may be nondeterministic (a step returns several states); each is tried in turn.
// The namespace is checked per directory: operations on different directories commute.

import type { Op } from './history.js';

export interface Model<S> {
  init: S;
  step(state: S, op: Op): S[];
  key(state: S): string;
}

export type SearchResult = 'linearizable' | 'not-linearizable' | 'inconclusive';

interface Entry {
  op: number;
  call: boolean;
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

interface Frame<S> {
  entry: Entry;
  state: S;
  choices: S[];
  choice: number;
}

/** Steps of the search before it gives up and says "inconclusive". */
export const SEARCH_STEPS_MAX = 2_000_000;

function buildList(ops: readonly Op[]): Entry {
  const events: Array<{ time: number; entry: Entry }> = [];
  ops.forEach((op, index) => {
    const call: Entry = { op: index, call: true, match: null, prev: null, next: null };
    events.push({ time: op.invokeNs, entry: call });
    if (op.completeNs !== null) {
      const ret: Entry = { op: index, call: false, match: null, prev: null, next: null };
      call.match = ret;
      events.push({ time: op.completeNs, entry: ret });
    }
  });
  // At equal times a call goes first: the two operations are then concurrent, the weaker claim.
  events.sort((a, b) => a.time - b.time || Number(b.entry.call) - Number(a.entry.call));
  const head: Entry = { op: -1, call: false, match: null, prev: null, next: null };
  let last = head;
  for (const { entry } of events) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

function lift(entry: Entry): void {
  entry.prev!.next = entry.next;
  if (entry.next) entry.next.prev = entry.prev;
  const match = entry.match;
  if (match) {
    match.prev!.next = match.next;
    if (match.next) match.next.prev = match.prev;
  }
}

function unlift(entry: Entry): void {
  const match = entry.match;
  if (match) {
    match.prev!.next = match;
    if (match.next) match.next.prev = match;
  }
  entry.prev!.next = entry;
  if (entry.next) entry.next.prev = entry;
}

/** Searches for a linearization of `ops` (one partition) under `model`. */
export interface SearchOptions<S> {
  /** The state to start from (default: the model's initial state). */
  init?: S;
  /**
   * Exhaustive mode: called with every reachable end configuration (the state after all completed
   * operations, and the indices of the unknown-outcome operations not linearized in that path);
   * the search goes on after each, and the result is linearizable when there was at least one.
   */
  onEnd?: (state: S, pending: number[]) => void;
}

export function searchLinearization<S>(model: Model<S>, ops: readonly Op[], stepsMax = SEARCH_STEPS_MAX, options: SearchOptions<S> = {}): { result: SearchResult; steps: number } {
  const head = buildList(ops);
  // Zobrist hashing of the linearized set: two random 32-bit words per operation.
  const zobrist = new Uint32Array(ops.length * 2);
  let seed = 0x2545f491;
  for (let i = 0; i < zobrist.length; i++) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    zobrist[i] = seed >>> 0;
  }
  let h1 = 0;
  let h2 = 0;
  const seen = new Set<string>();
  const stack: Array<Frame<S>> = [];
  let state = options.init ?? model.init;
  let entry = head.next;
  let steps = 0;
  let ends = 0;

  const tryChoices = (frameEntry: Entry, from: S, choices: S[], first: number): boolean => {
    const op = frameEntry.op;
    const n1 = (h1 ^ zobrist[op * 2]) >>> 0;
    const n2 = (h2 ^ zobrist[op * 2 + 1]) >>> 0;
    for (let c = first; c < choices.length; c++) {
      const key = `${n1}:${n2}:${model.key(choices[c])}`;
      if (seen.has(key)) continue;
      seen.add(key);
      stack.push({ entry: frameEntry, state: from, choices, choice: c });
      state = choices[c];
      h1 = n1;
      h2 = n2;
      lift(frameEntry);
      return true;
    }
    return false;
  };

  // Undoes the last choice and moves on to the next alternative; false when none is left.
  const backtrack = (): boolean => {
    const frame = stack.pop();
    if (!frame) return false;
    unlift(frame.entry);
    state = frame.state;
    h1 = (h1 ^ zobrist[frame.entry.op * 2]) >>> 0;
    h2 = (h2 ^ zobrist[frame.entry.op * 2 + 1]) >>> 0;
    entry = tryChoices(frame.entry, frame.state, frame.choices, frame.choice + 1) ? head.next : frame.entry.next;
    return true;
  };
  const done = (): { result: SearchResult; steps: number } => ({ result: options.onEnd && ends > 0 ? 'linearizable' : 'not-linearizable', steps });

  for (;;) {
    if (++steps > stepsMax) return { result: 'inconclusive', steps };
    if (entry === null) {
      // Every completed operation is placed; what is left in the list are unknown operations skipped.
      if (!options.onEnd) return { result: 'linearizable', steps };
      ends++;
      const pending: number[] = [];
      for (let e = head.next; e !== null; e = e.next) pending.push(e.op);
      options.onEnd(state, pending);
      if (!backtrack()) return done();
      continue;
    }
    if (entry.call) {
      let choices = model.step(state, ops[entry.op]);
      // Exhaustive mode: an unknown operation taking effect as a no-op is the same as leaving it
      // pending (which allows more later), so only its effects are tried; this keeps 2^k end
      // configurations of k such operations from being enumerated. (The lazy search keeps the no-op:
      // placing it early takes the operation out of the search for good, which is cheaper there.)
      if (options.onEnd && entry.match === null) {
        const here = model.key(state);
        choices = choices.filter((choice) => model.key(choice) !== here);
      }
      entry = tryChoices(entry, state, choices, 0) ? head.next : entry.next;
      continue;
    }
    // A completed operation that cannot be placed before this point: undo the last choice.
    if (!backtrack()) return done();
  }
}

const READ_ONLY = new Set(['read', 'stat', 'list']);

/**
 * The history as it stood at time `t`: operations invoked by then; those still running become
 * unknown (a read still running is dropped, it changes nothing).
 */
export function prefixAt(ops: readonly Op[], t: number): Op[] {
  const prefix: Op[] = [];
  for (const op of ops) {
    if (op.invokeNs > t) continue;
    if (op.completeNs !== null && op.completeNs <= t) prefix.push(op);
    else if (!READ_ONLY.has(op.kind)) prefix.push({ ...op, completeNs: null, status: 'unknown', value: undefined });
  }
  return prefix;
}

export interface Violation {
  /** The operation whose completion first makes the history non-linearizable. */
  culprit: Op;
  /** The smallest failing prefix's operations on the culprit's names, in invocation order. */
  window: Op[];
}

/** Binary search for the earliest completion after which the history stops being linearizable. */
export function smallestFailingWindow<S>(
  makeModel: (ops: readonly Op[]) => Model<S>,
  ops: readonly Op[],
  windowOpsMax = 20,
  search: (model: Model<S>, ops: readonly Op[]) => { result: SearchResult } = searchLinearization,
): Violation | null {
  const times = [...new Set(ops.map((op) => op.completeNs).filter((t): t is number => t !== null))].sort((a, b) => a - b);
  const fails = (t: number) => {
    const prefix = prefixAt(ops, t);
    return search(makeModel(prefix), prefix).result === 'not-linearizable';
  };
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0 || !fails(times[hi])) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fails(times[mid])) hi = mid;
    else lo = mid + 1;
  }
  const t = times[lo];
  const culprit = ops.find((op) => op.completeNs === t)!;
  const names = new Set([culprit.args.name, culprit.args.src, culprit.args.dst].filter((n): n is string => n !== undefined));
  const touches = (op: Op) => op.kind === 'list' || culprit.kind === 'list' || [op.args.name, op.args.src, op.args.dst].some((n) => n !== undefined && names.has(n));
  const window = prefixAt(ops, t).filter(touches).sort((a, b) => a.invokeNs - b.invokeNs).slice(-windowOpsMax);
  return { culprit, window };
}
