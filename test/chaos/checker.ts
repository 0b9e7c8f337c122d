// Judges a chaos run's history: linearizability per directory (linearizability.ts over model.ts, cut
// at quiescent points by segmented.ts),
// and turns a violation into a printable anomaly with its smallest failing window.

import { describeOp, type Op } from './history.js';
import { searchLinearization, smallestFailingWindow, type Model, type SearchResult } from './linearizability.js';
import { searchSegmented } from './segmented.js';
import { step, type DirState, emptyDir } from './model.js';

export interface Anomaly {
  kind: 'not-linearizable' | 'corrupt-content' | 'under-construction' | 'unreadable';
  message: string;
  /** Operations around the failure, one line each. */
  window: string[];
}

export interface PartitionReport {
  dir: string;
  ops: number;
  result: SearchResult;
  steps: number;
  /** Segments the partition's history was cut into at quiescent points (absent: not cut). */
  segments?: number;
}

export function dirModel(ops: readonly Op[], blockRecords: number): Model<DirState> {
  const byId = new Map(ops.map((op) => [op.id, op]));
  const ctx = { blockRecords, opById: (id: number) => byId.get(id)! };
  return { init: emptyDir(), step: (state, op) => step(ctx, state, op), key: (state) => state.key };
}

export function checkLinearizability(
  ops: readonly Op[],
  options: { blockRecords: number; relative?: (ns: number | null) => string; stepsMax?: number },
): { anomalies: Anomaly[]; partitions: PartitionReport[] } {
  const byDir = new Map<string, Op[]>();
  for (const op of ops) {
    if (!byDir.has(op.dir)) byDir.set(op.dir, []);
    byDir.get(op.dir)!.push(op);
  }
  const anomalies: Anomaly[] = [];
  const partitions: PartitionReport[] = [];
  const makeModel = (part: readonly Op[]) => dirModel(part, options.blockRecords);
  for (const [dir, part] of [...byDir.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    // The plain search first (lazy: it stops at the first linearization); the segmented one (eager:
    // every configuration at every cut) only when the plain one runs out of steps.
    const plain = searchLinearization(makeModel(part), part, options.stepsMax);
    const segmented = plain.result === 'inconclusive' ? searchSegmented(makeModel(part), part, { stepsMax: options.stepsMax }) : null;
    const result = segmented?.result ?? plain.result;
    partitions.push({ dir, ops: part.length, result, steps: plain.steps + (segmented?.steps ?? 0), segments: segmented?.segments });
    if (result !== 'not-linearizable') continue;
    const violation = smallestFailingWindow(makeModel, part, undefined, (model, prefix) => {
      const first = searchLinearization(model, prefix, options.stepsMax);
      return first.result === 'inconclusive' ? searchSegmented(model, prefix, { stepsMax: options.stepsMax }) : first;
    });
    const describe = (op: Op) => describeOp(op, options.relative);
    anomalies.push({
      kind: 'not-linearizable',
      message: violation
        ? `${dir}: no linearization once ${describe(violation.culprit)} completes`
        : `${dir}: the history of ${part.length} operations is not linearizable`,
      window: violation ? violation.window.map(describe) : [],
    });
  }
  return { anomalies, partitions };
}
