// namenode_rss_mb_1m_files (--full only): resident memory of the leading namenode while empty files
// are created, 1,000 per directory, sampled every `rssCheckpointEvery` files. The namespace lives in
// SQLite, so the curve from 100k to 1M files should be flat. 64 clients, not the 16 of the rate
// cases: the figure is memory, and bigger Raft rounds roughly double the create rate on 2 cores (16
// clients on a slow day reached 351k files in 8 minutes). The case is bounded by a deadline: if it
// runs out of time the figure is reported for the files actually created.

import { ADMIN_REQUEST_TIMEOUT_MS } from '../cluster.js';
import { perSecond, progress } from '../support.js';
import { adminClient, runWorker, type CaseContext } from './context.js';

export const RSS_MIB_TARGET = 300;
export const FILES_PER_DIR = 1_000;
const RSS_DIR = '/bench/rss';
const MIB = 1024 * 1024;

/** The V8 heap of a namenode (used and committed, MiB) from its Prometheus metrics (prom-client's defaults). */
async function heapMiB(url: string): Promise<{ used: number; total: number } | undefined> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(ADMIN_REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / MIB;
    const used = gauge('nodejs_heap_size_used_bytes');
    const total = gauge('nodejs_heap_size_total_bytes');
    return Number.isFinite(used) && Number.isFinite(total) ? { used, total } : undefined;
  } catch {
    return undefined;
  }
}

export async function namenodeMemory(ctx: CaseContext): Promise<void> {
  const { rssFiles, rssCheckpointEvery, rssDeadlineMs, rssClients } = ctx.sizes;
  const client = adminClient(ctx);
  try {
    await client.mkdir(RSS_DIR, { recursive: true });
  } finally {
    await client.close();
  }
  const deadlineMs = Date.now() + rssDeadlineMs;
  const samples: Array<{ files: number; rssMiB: number; heapUsedMiB?: number; heapTotalMiB?: number; leader: string; createsPerS: number }> = [];
  const sample = async (files: number, createsPerS: number) => {
    const leader = await ctx.cluster.leader();
    const rssMiB = leader.rssMiB();
    const heap = await heapMiB(leader.url);
    samples.push({ files, rssMiB, heapUsedMiB: heap?.used, heapTotalMiB: heap?.total, leader: leader.name, createsPerS });
    const heapText = heap ? `, V8 heap ${heap.used.toFixed(0)} used of ${heap.total.toFixed(0)}` : '';
    progress(`namenode memory: ${files} files, leader ${leader.name} RSS ${rssMiB.toFixed(0)} MiB${heapText} (${createsPerS.toFixed(0)} creates/s)`);
  };
  await sample(0, 0);
  let created = 0;
  while (created < rssFiles && Date.now() < deadlineMs) {
    const count = Math.min(rssCheckpointEvery, rssFiles - created);
    const result = await runWorker(
      ctx,
      { kind: 'writeFiles', dir: RSS_DIR, first: created, count, sizeBytes: 0, concurrency: rssClients, filesPerDir: FILES_PER_DIR, deadlineMs },
      rssDeadlineMs + 60_000,
      `create empty file, ${rssClients} clients (memory)`,
    );
    created += result.count;
    await sample(created, perSecond(result.count, result.durationMs));
  }
  const at = (files: number) => samples.find((s) => s.files >= files);
  const at100k = at(100_000);
  const final = samples[samples.length - 1];
  ctx.results.details.namenodeRss = samples;
  if (at100k) {
    ctx.results.add({ key: 'namenode_rss_mb_100k_files', label: 'leader RSS after 100k files', value: at100k.rssMiB, unit: 'MiB', lowerIsBetter: true });
  }
  const reached = final.files >= rssFiles;
  // The namespace is in SQLite: what RSS does beyond the heap's swings is what grows with files.
  const heapByFiles = samples.filter((s) => s.heapUsedMiB !== undefined).map((s) => `${s.files / 1000}k=${s.heapUsedMiB!.toFixed(0)}/${s.heapTotalMiB!.toFixed(0)}`).join(', ');
  ctx.results.add({
    key: 'namenode_rss_mb_1m_files',
    label: `leader RSS after ${reached ? rssFiles : final.files} files`,
    value: reached ? final.rssMiB : null,
    unit: 'MiB',
    lowerIsBetter: true,
    bound: reached ? { label: 'target', value: RSS_MIB_TARGET } : undefined,
    target: RSS_MIB_TARGET,
    note:
      (reached
        ? `RSS by files: ${samples.map((s) => `${s.files / 1000}k=${s.rssMiB.toFixed(0)}`).join(', ')}`
        : `deadline reached after ${final.files} of ${rssFiles} files (RSS then ${final.rssMiB.toFixed(0)} MiB); RSS by files: ${samples.map((s) => `${s.files / 1000}k=${s.rssMiB.toFixed(0)}`).join(', ')}`) +
      (heapByFiles ? `; V8 heap used/committed by files: ${heapByFiles}` : ''),
  });
}
