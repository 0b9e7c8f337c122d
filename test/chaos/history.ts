// The history of a chaos run: every client operation with its invocation and completion time
// (monotonic, ns), its arguments and its outcome. `ok` and `fail` are definite answers; `unknown`
// (a timeout, a lost connection, a failed pipeline) may or may not have taken effect, and an unknown
// operation counts as never completed (Knossos's :info), so it may take effect at any later time.

import type { Run } from './records.js';

export type OpKind = 'mkdir' | 'publish' | 'append' | 'delete' | 'rename' | 'read' | 'stat' | 'list';
export type OpStatus = 'ok' | 'fail' | 'unknown';

export interface OpArgs {
  /** The file or sub-directory name inside `dir` (publish, append, delete, read, stat, mkdir). */
  name?: string;
  src?: string;
  dst?: string;
  /** Content written (publish, append): `records` records of write `writeId`. */
  writeId?: number;
  records?: number;
}

/** What a successful read-only operation saw. */
export type OpValue =
  | { kind: 'content'; runs: Run[] }
  | { kind: 'length'; records: number }
  | { kind: 'names'; names: string[] }
  | { kind: 'deleted'; deleted: boolean };

export interface Op {
  id: number;
  process: string;
  kind: OpKind;
  /** The directory the operation works in: the linearizability checker's partition key. */
  dir: string;
  args: OpArgs;
  invokeNs: number;
  /** null while running, and for ever when the outcome is unknown. */
  completeNs: number | null;
  status: OpStatus;
  value?: OpValue;
  /** The error kind (DfsError kind, or a short description) of a fail or unknown outcome. */
  error?: string;
}

export const nowNs = (): number => Number(process.hrtime.bigint());

export class History {
  readonly ops: Op[] = [];
  private readonly startNs = nowNs();

  invoke(process: string, kind: OpKind, dir: string, args: OpArgs): Op {
    const op: Op = { id: this.ops.length, process, kind, dir, args, invokeNs: nowNs(), completeNs: null, status: 'unknown' };
    this.ops.push(op);
    return op;
  }

  complete(op: Op, status: 'ok' | 'fail', value?: OpValue, error?: string): void {
    op.completeNs = nowNs();
    op.status = status;
    op.value = value;
    op.error = error;
  }

  /** The outcome cannot be known: the operation stays open for ever. */
  indeterminate(op: Op, error: string): void {
    op.status = 'unknown';
    op.error = error;
  }

  /** Seconds since the history started, for printing. */
  relative(ns: number | null): string {
    return ns === null ? '∞' : ((ns - this.startNs) / 1e9).toFixed(3);
  }
}

export function describeOp(op: Op, relative: (ns: number | null) => string = (ns) => String(ns)): string {
  const args = op.kind === 'rename' ? `${op.args.src} -> ${op.args.dst}` : `${op.args.name ?? ''}${op.args.writeId !== undefined ? ` w${op.args.writeId}×${op.args.records}` : ''}`;
  const value = op.value === undefined ? '' : ` = ${describeValue(op.value)}`;
  const error = op.error ? ` (${op.error})` : '';
  return `#${op.id} ${op.process} [${relative(op.invokeNs)}, ${relative(op.completeNs)}] ${op.kind} ${op.dir}/${args} ${op.status}${value}${error}`;
}

function describeValue(value: OpValue): string {
  switch (value.kind) {
    case 'content': return value.runs.length === 0 ? '(empty)' : value.runs.map(([w, n]) => `w${w}×${n}`).join('+');
    case 'length': return `${value.records} records`;
    case 'names': return `[${value.names.join(', ')}]`;
    case 'deleted': return String(value.deleted);
  }
}
