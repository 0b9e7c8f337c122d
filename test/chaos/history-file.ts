// A campaign's history on disk (`--save-history`, `--check-history`): JSON lines, a header with the
// records per block (the model needs it), then one operation a line, so a long history can be
// re-checked offline without re-running the cluster.

import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { Op } from './history.js';

const Header = z.object({ format: z.literal('dfs-chaos-history/1'), blockRecords: z.number().int().positive() });

const OpSchema = z.object({
  id: z.number().int().nonnegative(),
  process: z.string(),
  kind: z.enum(['mkdir', 'publish', 'append', 'delete', 'rename', 'read', 'stat', 'list']),
  dir: z.string(),
  args: z.object({
    name: z.string().optional(), src: z.string().optional(), dst: z.string().optional(),
    writeId: z.number().int().optional(), records: z.number().int().nonnegative().optional(),
  }),
  invokeNs: z.number(),
  completeNs: z.number().nullable(),
  status: z.enum(['ok', 'fail', 'unknown']),
  value: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('content'), runs: z.array(z.tuple([z.number().int(), z.number().int()])) }),
    z.object({ kind: z.literal('length'), records: z.number().int() }),
    z.object({ kind: z.literal('names'), names: z.array(z.string()) }),
    z.object({ kind: z.literal('deleted'), deleted: z.boolean() }),
  ]).optional(),
  error: z.string().optional(),
});

export function saveHistory(file: string, ops: readonly Op[], blockRecords: number): void {
  const lines = [JSON.stringify({ format: 'dfs-chaos-history/1', blockRecords }), ...ops.map((op) => JSON.stringify(op))];
  writeFileSync(file, lines.join('\n') + '\n');
}

export function loadHistory(file: string): { ops: Op[]; blockRecords: number } {
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
  const parse = <T>(schema: z.ZodType<T>, line: string, n: number): T => {
    const parsed = schema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`${file}:${n + 1}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  };
  if (lines.length === 0) throw new Error(`${file}: empty history file`);
  const { blockRecords } = parse(Header, lines[0], 0);
  return { ops: lines.slice(1).map((line, i) => parse(OpSchema, line, i + 1) as Op), blockRecords };
}
