// The suite's results: every figure under its JSON key, with its unit, the bound it is compared
// with (a baseline measured in the same run, or issue 10's target when no hardware baseline bounds
// it), and a note. Prints the table on stdout and writes the JSON file.

import { writeFileSync } from 'node:fs';
import { formatNumber } from './support.js';

export interface Figure {
  key: string;
  /** What was measured, in a few words (the table's "case" column). */
  label: string;
  /** null when the case could not run (the note says why). */
  value: number | null;
  unit: string;
  /** The figure's bound: ratio = value / bound.value (for "lower is better", bound.value / value). */
  bound?: { label: string; value: number };
  lowerIsBetter?: boolean;
  /** Issue 10's target, in the figure's unit. */
  target?: number;
  note?: string;
}

/** Where one case's CPU went: ms of CPU per operation for each process (client worker, nodes). */
export interface CpuBreakdown {
  label: string;
  /** What one operation is ("op", or "MB" for a transfer). */
  per: string;
  msPerOp: Record<string, number>;
  /** Operations measured, so that rows of one label (a case run in steps) merge into their mean. */
  operations: number;
}

export class Results {
  readonly figures: Figure[] = [];
  readonly details: Record<string, unknown> = {};
  readonly cpu: CpuBreakdown[] = [];

  /** Records where the CPU of some operations went; a label seen before is merged into one row. */
  addCpu(row: CpuBreakdown): void {
    const existing = this.cpu.find((c) => c.label === row.label && c.per === row.per);
    if (!existing) {
      this.cpu.push(row);
      return;
    }
    const operations = existing.operations + row.operations;
    const merged: Record<string, number> = {};
    for (const name of new Set([...Object.keys(existing.msPerOp), ...Object.keys(row.msPerOp)])) {
      merged[name] = ((existing.msPerOp[name] ?? 0) * existing.operations + (row.msPerOp[name] ?? 0) * row.operations) / operations;
    }
    existing.msPerOp = merged;
    existing.operations = operations;
  }

  add(figure: Figure): Figure {
    const existing = this.figures.findIndex((f) => f.key === figure.key);
    if (existing >= 0) this.figures.splice(existing, 1, figure);
    else this.figures.push(figure);
    return figure;
  }

  value(key: string): number | null {
    return this.figures.find((f) => f.key === key)?.value ?? null;
  }

  /** Records a case that failed or could not run: its figure is null and the note says why. */
  unavailable(key: string, label: string, unit: string, reason: string): void {
    this.add({ key, label, value: null, unit, note: reason });
  }

  toJson(meta: Record<string, unknown>): Record<string, unknown> {
    const figures: Record<string, number | null> = {};
    for (const f of this.figures) figures[f.key] = f.value === null ? null : Number(f.value.toFixed(f.value >= 100 ? 0 : 2));
    return {
      ...figures,
      notes: Object.fromEntries(this.figures.filter((f) => f.note).map((f) => [f.key, f.note])),
      ratios: Object.fromEntries(this.figures.filter((f) => ratioOf(f) !== null).map((f) => [f.key, Number(ratioOf(f)!.toFixed(3))])),
      targets: Object.fromEntries(this.figures.filter((f) => f.target !== undefined).map((f) => [f.key, { target: f.target, met: targetMet(f) }])),
      cpu_ms_per_op: Object.fromEntries(this.cpu.map((c) => [c.label, { per: c.per, ...roundAll(c.msPerOp) }])),
      details: this.details,
      meta,
    };
  }

  writeJson(file: string, meta: Record<string, unknown>): void {
    writeFileSync(file, `${JSON.stringify(this.toJson(meta), null, 2)}\n`);
  }

  table(): string {
    const header = ['case', 'key', 'figure', 'unit', 'ratio', 'bound', 'target', 'note'];
    const rows = this.figures.map((f) => {
      const ratio = ratioOf(f);
      const met = targetMet(f);
      return [
        f.label,
        f.key,
        f.value === null ? 'n/a' : formatNumber(f.value),
        f.unit,
        ratio === null ? '' : ratio.toFixed(2),
        f.bound ? `${f.bound.label} = ${formatNumber(f.bound.value)}` : '',
        f.target === undefined ? '' : `${f.lowerIsBetter ? '<=' : '>='} ${formatNumber(f.target)} ${met === null ? '' : met ? 'met' : 'MISSED'}`,
        f.note ?? '',
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 7 ? 0 : r[i].length))));
    const line = (cells: string[]) => cells.map((c, i) => (i === 7 ? c : c.padEnd(widths[i]))).join(' | ').trimEnd();
    return [line(header), widths.map((w, i) => (i === 7 ? '----' : '-'.repeat(w))).join('-|-'), ...rows.map(line)].join('\n');
  }
}

/**
 * CPU per operation, per process: the profile of where the time goes. On a machine whose cores
 * are all busy, a figure is bound by this total, not by any one process's latency.
 */
export function cpuTable(breakdowns: CpuBreakdown[]): string {
  if (breakdowns.length === 0) return '';
  const processes = [...new Set(breakdowns.flatMap((b) => Object.keys(b.msPerOp)))];
  const header = ['CPU ms per operation', 'per', ...processes, 'total'];
  const rows = breakdowns.map((b) => {
    const total = Object.values(b.msPerOp).reduce((sum, v) => sum + v, 0);
    return [b.label, b.per, ...processes.map((p) => (b.msPerOp[p] === undefined ? '' : b.msPerOp[p].toFixed(3))), total.toFixed(3)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

function roundAll(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number(v.toFixed(4))]));
}

export function ratioOf(f: Figure): number | null {
  if (f.value === null || !f.bound || f.bound.value <= 0 || f.value <= 0) return null;
  return f.lowerIsBetter ? f.bound.value / f.value : f.value / f.bound.value;
}

export function targetMet(f: Figure): boolean | null {
  if (f.value === null || f.target === undefined) return null;
  return f.lowerIsBetter ? f.value <= f.target : f.value >= f.target;
}
