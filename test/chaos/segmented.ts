// Checking a long history in segments (the "cut at quiescent points" idea of Knossos/porcupine
// users). A cut goes at a moment when no operation with a known outcome is in flight: every
// completed operation invoked before the cut completed before it, every one after was invoked after
// it, so in any linearization all of the former precede all of the latter (real-time order), except
// unknown-outcome operations, which may take effect at any later time. The search therefore carries,
// across a cut, the set of configurations (model state, unknown operations not yet taken effect)
// reached by any linearization of the segment (an exhaustive search), and each configuration starts
// the next segment with its pending unknown operations in flight from the start. The history is
// linearizable iff the last segment has a reachable end: exactly the unsegmented question, as the
// set of configurations at a cut is the set of all (state, pending) pairs of full-history
// linearizations' prefixes. Configurations with the same state keep only maximal pending sets (a
// configuration with more operations still able to take effect allows every continuation a smaller
// one does), which keeps the set small when an unknown write was since overwritten.

import type { Op } from './history.js';
import { SEARCH_STEPS_MAX, searchLinearization, type Model, type SearchResult } from './linearizability.js';

/** More configurations than this at a cut: the check gives up ("inconclusive"). */
export const CONFIGS_MAX = 5_000;

const READ_ONLY = new Set(['read', 'stat', 'list']);

/**
 * Splits `ops` at quiescent points: returns segments in time order. Unknown read-only operations
 * are dropped (they change nothing, and the model accepts them in any state).
 */
export function segmentsOf(ops: readonly Op[]): Op[][] {
  const kept = ops.filter((op) => op.completeNs !== null || !READ_ONLY.has(op.kind));
  const sorted = [...kept].sort((a, b) => a.invokeNs - b.invokeNs);
  const segments: Op[][] = [];
  let current: Op[] = [];
  // The latest completion among completed operations of the current segment.
  let horizon = -Infinity;
  for (const op of sorted) {
    // Strictly after: at equal times the linearizability search treats the two as concurrent.
    if (current.length > 0 && op.invokeNs > horizon && current.some((o) => o.completeNs !== null)) {
      segments.push(current);
      current = [];
      horizon = -Infinity;
    }
    current.push(op);
    if (op.completeNs !== null) horizon = Math.max(horizon, op.completeNs);
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

interface Config<S> {
  state: S;
  /** Unknown operations not yet taken effect, by id, ascending. */
  pending: Op[];
}

export interface SegmentedResult {
  result: SearchResult;
  steps: number;
  segments: number;
  /** The segment (0-based) with no linearization from any configuration, when not linearizable. */
  failedSegment?: number;
  /** Largest number of configurations carried across a cut. */
  configsPeak: number;
}

/** Keeps, per state, only the configurations whose pending set no other one's contains. */
function prune<S>(model: Model<S>, configs: Iterable<Config<S>>): Config<S>[] {
  const byState = new Map<string, Config<S>[]>();
  for (const config of configs) {
    const key = model.key(config.state);
    const list = byState.get(key) ?? [];
    const ids = new Set(config.pending.map((op) => op.id));
    if (list.some((other) => other.pending.length >= ids.size && config.pending.every((op) => other.pending.some((o) => o.id === op.id)))) continue;
    const kept = list.filter((other) => !(other.pending.length <= ids.size && other.pending.every((op) => ids.has(op.id))));
    kept.push(config);
    byState.set(key, kept);
  }
  return [...byState.values()].flat();
}

export function searchSegmented<S>(model: Model<S>, ops: readonly Op[], options: { stepsMax?: number; configsMax?: number } = {}): SegmentedResult {
  const stepsMax = options.stepsMax ?? SEARCH_STEPS_MAX;
  const configsMax = options.configsMax ?? CONFIGS_MAX;
  const segments = segmentsOf(ops);
  let configs: Config<S>[] = [{ state: model.init, pending: [] }];
  let steps = 0;
  let configsPeak = 1;
  for (let index = 0; index < segments.length; index++) {
    const next = new Map<string, Config<S>>();
    for (const config of configs) {
      const segmentOps = [...config.pending, ...segments[index]];
      const found = searchLinearization(model, segmentOps, stepsMax, {
        init: config.state,
        onEnd: (state, pending) => {
          const left = pending.map((i) => segmentOps[i]).sort((a, b) => a.id - b.id);
          next.set(`${model.key(state)}#${left.map((op) => op.id).join(',')}`, { state, pending: left });
        },
      });
      steps += found.steps;
      if (found.result === 'inconclusive') return { result: 'inconclusive', steps, segments: segments.length, configsPeak };
      if (next.size > configsMax * 4) return { result: 'inconclusive', steps, segments: segments.length, configsPeak: next.size };
    }
    configs = prune(model, next.values());
    configsPeak = Math.max(configsPeak, configs.length);
    if (configs.length === 0) return { result: 'not-linearizable', steps, segments: segments.length, failedSegment: index, configsPeak };
    if (configs.length > configsMax) return { result: 'inconclusive', steps, segments: segments.length, configsPeak };
  }
  return { result: 'linearizable', steps, segments: segments.length, configsPeak };
}
