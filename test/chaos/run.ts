// `npm run chaos -- --duration 10m --seed S [--json file] [--mode netns|proxy] [--faults k1,k2]
// [--no-appends] [--keep-data] [--save-history file.jsonl]`:
// one chaos campaign against a real cluster; prints operations, faults by kind, anomalies, the
// isolation mode and the command that replays it. `--check-history file.jsonl` re-checks a saved
// history offline (`--steps-max n`: its search budget per directory). Exit codes: 0 no anomaly and every partition conclusive, 1 an anomaly,
// 2 bad arguments or a crash, 3 no anomaly but some partition inconclusive (nothing proven).
// `--test-only-bug stale-read` plants a bug in the namenodes (shared/test-only-bug.ts) to watch
// the checker catch it.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runCampaign, type CampaignResult } from './campaign.js';
import { checkLinearizability, type PartitionReport } from './checker.js';
import { loadHistory, saveHistory } from './history-file.js';
import { FAULT_KINDS } from './nemesis.js';

const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, 'a duration such as 90s, 10m or 1h')
  .transform((value) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value)!;
    return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  });

const Options = z.object({
  duration: Duration.default(60_000),
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).default(() => Math.floor(Math.random() * 2 ** 31)),
  json: z.string().optional(),
  mode: z.enum(['netns', 'proxy', 'auto']).default('auto'),
  faults: z.string().optional().transform((value) => value?.split(',')).pipe(z.array(z.enum(FAULT_KINDS)).optional()),
  'test-only-bug': z.string().optional(),
  'keep-data': z.boolean().default(false),
  'no-appends': z.boolean().default(false),
  quiet: z.boolean().default(false),
  'save-history': z.string().optional(),
  'check-history': z.string().optional(),
  /** The search budget per directory for --check-history (a larger one is the last resort). */
  'steps-max': z.coerce.number().int().positive().optional(),
});

/** Exit status when no anomaly was found but the search gave up on some partition. */
const EXIT_INCONCLUSIVE = 3;

const inconclusiveCount = (partitions: readonly PartitionReport[]) => partitions.filter((p) => p.result === 'inconclusive').length;

function partitionsLine(partitions: readonly PartitionReport[]): string {
  const parts = partitions.map((p) => `${p.dir} ${p.ops} ops ${p.result} (${p.steps.toLocaleString('en-US')} steps${p.segments !== undefined ? `, ${p.segments} segments` : ''})`);
  return `linearizability: ${parts.join('; ')}; inconclusive: ${inconclusiveCount(partitions)}`;
}

function summary(result: CampaignResult, replay: string): string {
  const lines = [
    `chaos campaign: seed ${result.seed}, mode ${result.mode}, ${(result.wallMs / 1000).toFixed(0)} s`,
    `operations: ${result.ops.total} (ok ${result.ops.ok}, refused ${result.ops.fail} (e.g. no such file), unknown outcome ${result.ops.unknown})`,
    `faults: ${Object.entries(result.faults).map(([kind, n]) => `${kind} ${n}`).join(', ') || 'none'}`,
    partitionsLine(result.partitions),
    `anomalies: ${result.anomalies.length}`,
  ];
  for (const anomaly of result.anomalies) {
    lines.push(`  [${anomaly.kind}] ${anomaly.message}`);
    for (const line of anomaly.window) lines.push(`      ${line}`);
  }
  if (result.dataDir) lines.push(`node folders and logs kept in ${result.dataDir}`);
  lines.push(`replay: ${replay}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' }, seed: { type: 'string' }, json: { type: 'string' }, mode: { type: 'string' },
      faults: { type: 'string' }, 'test-only-bug': { type: 'string' }, 'keep-data': { type: 'boolean' }, 'no-appends': { type: 'boolean' }, quiet: { type: 'boolean' },
      'save-history': { type: 'string' }, 'check-history': { type: 'string' }, 'steps-max': { type: 'string' },
    },
    strict: true,
  });
  const parsed = Options.safeParse(values);
  if (!parsed.success) {
    console.error(`chaos: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(2);
  }
  const o = parsed.data;
  if (o['check-history']) {
    const { ops, blockRecords } = loadHistory(o['check-history']);
    const checkStarted = performance.now();
    const { anomalies, partitions } = checkLinearizability(ops, { blockRecords, stepsMax: o['steps-max'] });
    console.log(`history ${o['check-history']}: ${ops.length} operations, checked in ${((performance.now() - checkStarted) / 1000).toFixed(1)} s`);
    console.log(partitionsLine(partitions));
    console.log(`anomalies: ${anomalies.length}`);
    for (const anomaly of anomalies) {
      console.log(`  [${anomaly.kind}] ${anomaly.message}`);
      for (const line of anomaly.window) console.log(`      ${line}`);
    }
    if (o.json) writeFileSync(o.json, JSON.stringify({ ops: ops.length, anomalies: anomalies.length, inconclusive: inconclusiveCount(partitions), details: { anomalies, partitions } }, null, 2) + '\n');
    process.exit(anomalies.length > 0 ? 1 : inconclusiveCount(partitions) > 0 ? EXIT_INCONCLUSIVE : 0);
  }
  const started = performance.now();
  const log = o.quiet ? undefined : (line: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);
  // Ctrl-C: exit through process.exit so the 'exit' handlers remove namespaces and mounts.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  const result = await runCampaign({
    seed: o.seed, durationMs: o.duration, mode: o.mode, faultKinds: o.faults, testOnlyBug: o['test-only-bug'], keepData: o['keep-data'], appends: !o['no-appends'], log,
    onHistory: o['save-history'] ? (ops, blockRecords) => saveHistory(o['save-history']!, ops, blockRecords) : undefined,
  });
  const replay = [
    `npm run chaos -- --duration ${values.duration ?? '60s'} --seed ${o.seed} --mode ${result.mode}`,
    ...(values.faults ? [`--faults ${values.faults}`] : []),
    ...(o['test-only-bug'] ? [`--test-only-bug ${o['test-only-bug']}`] : []),
    ...(o['no-appends'] ? ['--no-appends'] : []),
  ].join(' ');
  console.log(summary(result, replay));
  if (o.json) {
    writeFileSync(o.json, JSON.stringify({ ops: result.ops.total, faults: result.faults, anomalies: result.anomalies.length, inconclusive: inconclusiveCount(result.partitions), mode: result.mode, seed: result.seed, details: { ops: result.ops, anomalies: result.anomalies, partitions: result.partitions, wallMs: result.wallMs } }, null, 2) + '\n');
  }
  process.exit(result.anomalies.length > 0 ? 1 : inconclusiveCount(result.partitions) > 0 ? EXIT_INCONCLUSIVE : 0);
}

main().catch((error: unknown) => {
  console.error(`chaos: ${(error as Error).stack ?? String(error)}`);
  process.exit(2);
});
