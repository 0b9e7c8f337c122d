// Namespace cases through the 3-namenode Raft group, 16 concurrent clients: mkdir, create of empty
// files (writeFile of no bytes, as touchz does: one create that closes the file) into one directory, stat of those files, a listing of
// that directory, then delete of every file. Each mutation is acknowledged only once committed by
// a majority, so each is durable when counted.

import { perSecond, progress } from '../support.js';
import { adminClient, runWorker, type CaseContext } from './context.js';
import type { WorkerResult } from '../client-worker.js';

export const MKDIR_PER_S_TARGET = 3_000;
export const CREATE_PER_S_TARGET = 3_000;
export const STAT_PER_S_TARGET = 10_000;

const LIST_DIR = '/bench/list';

/** Issue 10 sets no delete target: its ratio is taken against the create target, and nothing is "met". */
function addRate(ctx: CaseContext, key: string, label: string, result: WorkerResult, target: number, isTarget = true): void {
  ctx.results.add({
    key,
    label,
    value: perSecond(result.count, result.durationMs),
    unit: 'ops/s',
    bound: { label: isTarget ? 'target' : 'create target', value: target },
    target: isTarget ? target : undefined,
  });
  ctx.results.details[key] = result;
}

export async function mkdirs(ctx: CaseContext): Promise<void> {
  const { mkdirs: count, clients } = ctx.sizes;
  const client = adminClient(ctx);
  try {
    await client.mkdir('/bench/mkdir', { recursive: true });
  } finally {
    await client.close();
  }
  progress(`mkdir: ${count} directories, ${clients} clients`);
  const result = await runWorker(ctx, { kind: 'mkdir', dir: '/bench/mkdir', count, concurrency: clients });
  addRate(ctx, 'mkdir_per_s', `mkdir x ${count}, ${clients} clients`, result, MKDIR_PER_S_TARGET);
}

export async function createEmpty(ctx: CaseContext): Promise<void> {
  const { emptyFiles: count, clients } = ctx.sizes;
  const client = adminClient(ctx);
  try {
    await client.mkdir(LIST_DIR, { recursive: true });
  } finally {
    await client.close();
  }
  progress(`create: ${count} empty files in one directory, ${clients} clients`);
  const result = await runWorker(ctx, { kind: 'writeFiles', dir: LIST_DIR, count, sizeBytes: 0, concurrency: clients });
  addRate(ctx, 'create_empty_per_s', `create empty file x ${count} (writeFile of 0 bytes)`, result, CREATE_PER_S_TARGET);
}

export async function stats(ctx: CaseContext): Promise<void> {
  const { emptyFiles: files, stats: count, clients } = ctx.sizes;
  progress(`stat: ${count} getFileInfo calls (linearizable), ${clients} clients`);
  const result = await runWorker(ctx, { kind: 'stat', dir: LIST_DIR, files, count, concurrency: clients });
  addRate(ctx, 'stat_per_s', `stat x ${count} (linearizable reads)`, result, STAT_PER_S_TARGET);
}

export async function listing(ctx: CaseContext): Promise<void> {
  const { emptyFiles: files } = ctx.sizes;
  progress(`list: one directory of ${files} entries`);
  const result = await runWorker(ctx, { kind: 'list', dir: LIST_DIR });
  if (result.bytes !== files) throw new Error(`listing returned ${result.bytes} entries, expected ${files}`);
  ctx.results.add({
    key: 'list_10k_ms',
    label: `list one directory of ${files} entries`,
    value: result.durationMs,
    unit: 'ms',
    lowerIsBetter: true,
    note: files === 10_000 ? undefined : `${files} entries in this run, not 10,000`,
  });
  ctx.results.details.list = result;
}

export async function deletes(ctx: CaseContext): Promise<void> {
  const { emptyFiles: count, clients } = ctx.sizes;
  progress(`delete: ${count} files, ${clients} clients`);
  const result = await runWorker(ctx, { kind: 'delete', dir: LIST_DIR, count, concurrency: clients });
  addRate(ctx, 'delete_per_s', `delete x ${count}`, result, CREATE_PER_S_TARGET, false);
}
