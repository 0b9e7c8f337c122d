// The sequential specification the checker holds dfs to: one directory of the namespace (files and
// sub-directories by name) and what each workload operation may do to it. A step returns every
// state the operation may lead to: none when its recorded outcome is impossible in that state, one
// for a definite outcome, several for an unknown one (no effect, full effect, or for an append a
// block-aligned prefix, what lease recovery keeps of an abandoned write).

import type { Op } from './history.js';
import { runsKey, type Run } from './records.js';

/** A run of records in the model, with the append that wrote it (to relax reads that overlap it). */
export interface Segment {
  writeId: number;
  /** Records this state holds. */
  records: number;
  /** Records the write carried (more than `records` when lease recovery kept a prefix). */
  full: number;
  /** The append operation's id, or -1 for a file published whole by a rename. */
  appendOp: number;
}

export interface DirState {
  readonly files: ReadonlyMap<string, readonly Segment[]>;
  readonly dirs: ReadonlySet<string>;
  readonly key: string;
}

function makeState(files: ReadonlyMap<string, readonly Segment[]>, dirs: ReadonlySet<string>): DirState {
  const fileKeys = [...files.keys()].sort().map((name) => `${name}=${files.get(name)!.map((s) => `${s.writeId}x${s.records}/${s.full}@${s.appendOp}`).join(',')}`);
  return { files, dirs, key: `${[...dirs].sort().join(',')}|${fileKeys.join(';')}` };
}

export const emptyDir = (): DirState => makeState(new Map(), new Set());

function withFile(state: DirState, name: string, segments: readonly Segment[] | null): DirState {
  const files = new Map(state.files);
  if (segments === null) files.delete(name);
  else files.set(name, segments);
  return makeState(files, state.dirs);
}

export interface ModelContext {
  /** Records per block: an abandoned append keeps its data up to a block boundary of the file. */
  blockRecords: number;
  /** Operations by id, to tell whether an append overlaps a read in real time. */
  opById: (id: number) => Op;
}

/** True when append `appendOp` had not completed when `reader` began: the reader may see part of it. */
function overlaps(ctx: ModelContext, appendOp: number, reader: Op): boolean {
  if (appendOp < 0) return false;
  const append = ctx.opById(appendOp);
  return append.completeNs === null || append.completeNs > reader.invokeNs;
}

/**
 * Whether a reader that saw `got` is consistent with `segments`: the same runs, or (HDFS lets a
 * reader see a file under construction up to any length) a prefix cut inside appends that were still
 * running when the read began.
 */
export function contentMatches(ctx: ModelContext, segments: readonly Segment[], got: readonly Run[], reader: Op): boolean {
  let i = 0;
  while (i < segments.length && i < got.length && got[i][0] === segments[i].writeId && got[i][1] === segments[i].records) i++;
  if (i === segments.length && i === got.length) return true;
  if (got.length > i + 1) return false;
  for (let j = i; j < segments.length; j++) if (!overlaps(ctx, segments[j].appendOp, reader)) return false;
  if (got.length === i) return true;
  return i < segments.length && got[i][0] === segments[i].writeId && got[i][1] <= segments[i].full;
}

function lengthMatches(ctx: ModelContext, segments: readonly Segment[], records: number, reader: Op): boolean {
  const total = segments.reduce((sum, s) => sum + s.records, 0);
  if (records === total) return true;
  // Shorter or longer than the model only inside the tail of appends still running at the read.
  let prefix = total;
  for (let j = segments.length - 1; j >= 0 && overlaps(ctx, segments[j].appendOp, reader); j--) {
    prefix -= segments[j].records;
    if (records >= prefix && records <= prefix + segments[j].full) return true;
  }
  return false;
}

/** Every state `op` may lead to from `state` (empty: the outcome is impossible there). */
export function step(ctx: ModelContext, state: DirState, op: Op): DirState[] {
  const { name = '', src = '', dst = '' } = op.args;
  const exists = state.files.has(name);
  const unknown = op.status === 'unknown';
  switch (op.kind) {
    case 'mkdir': {
      const made = makeState(state.files, new Set([...state.dirs, name]));
      if (op.status === 'ok') return [made];
      return [state, made];
    }
    case 'publish': {
      const published = exists ? null : withFile(state, name, [{ writeId: op.args.writeId!, records: op.args.records!, full: op.args.records!, appendOp: -1 }]);
      if (op.status === 'ok') return published ? [published] : [];
      if (op.status === 'fail') return op.error === 'FileAlreadyExists' ? (exists ? [state] : []) : [state];
      return published ? [state, published] : [state];
    }
    case 'append': {
      if (!exists) return op.status === 'ok' ? [] : [state];
      const segments = state.files.get(name)!;
      const full = op.args.records!;
      const appended = (records: number) => withFile(state, name, [...segments, { writeId: op.args.writeId!, records, full, appendOp: op.id }]);
      if (op.status === 'ok') return [appended(full)];
      if (op.status === 'fail') return [state];
      // Unknown: nothing, all of it, or what lease recovery keeps (whole blocks of the file).
      const base = segments.reduce((sum, s) => sum + s.records, 0);
      const outcomes = [state, appended(full)];
      const firstBoundary = (Math.floor(base / ctx.blockRecords) + 1) * ctx.blockRecords;
      for (let end = firstBoundary; end < base + full; end += ctx.blockRecords) outcomes.push(appended(end - base));
      return outcomes;
    }
    case 'delete': {
      if (unknown) return exists ? [state, withFile(state, name, null)] : [state];
      if (op.status === 'fail') return [state];
      const deleted = op.value?.kind === 'deleted' && op.value.deleted;
      if (deleted) return exists ? [withFile(state, name, null)] : [];
      return exists ? [] : [state];
    }
    case 'rename': {
      const possible = state.files.has(src) && !state.files.has(dst);
      const moved = possible ? withFile(withFile(state, dst, state.files.get(src)!), src, null) : null;
      if (op.status === 'ok') return moved ? [moved] : [];
      if (op.status === 'fail') {
        if (op.error === 'FileNotFound') return state.files.has(src) ? [] : [state];
        if (op.error === 'FileAlreadyExists') return state.files.has(src) && state.files.has(dst) ? [state] : [];
        return [state];
      }
      return moved ? [state, moved] : [state];
    }
    case 'read':
    case 'stat': {
      if (unknown) return [state];
      if (op.status === 'fail') return op.error === 'FileNotFound' ? (exists ? [] : [state]) : [state];
      if (!exists) return [];
      const segments = state.files.get(name)!;
      if (op.value?.kind === 'content') return contentMatches(ctx, segments, op.value.runs, op) ? [state] : [];
      if (op.value?.kind === 'length') return lengthMatches(ctx, segments, op.value.records, op) ? [state] : [];
      return [];
    }
    case 'list': {
      if (op.status !== 'ok' || op.value?.kind !== 'names') return [state];
      const expected = [...state.files.keys(), ...state.dirs].sort();
      return expected.join('/') === [...op.value.names].sort().join('/') ? [state] : [];
    }
  }
}

/** A short description of a state, for reports. */
export function describeState(state: DirState): string {
  const files = [...state.files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, segs]) => `${name}=${runsKey(segs.map((s) => [s.writeId, s.records]))}`);
  return `{${[...[...state.dirs].sort().map((d) => `${d}/`), ...files].join(' ')}}`;
}
