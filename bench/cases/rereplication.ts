// rereplication_MBps: a fourth datanode joins (with 3 datanodes and replication 3 there is nowhere
// to copy to), then a datanode holding every block of the big file is killed with SIGKILL. Once the
// leader declares it dead (the cluster runs with a short --dead-after), the replication monitor
// copies its blocks datanode to datanode; the figure is the bytes that lost a replica divided by
// the time from "declared dead" to "fsck reports no under-replicated block". The detection time is
// reported beside it.
//
// Needs the namenode's replication monitor (GET /rpc/v1/admin/replication); without it the case is
// reported as not available rather than measured.

import { getJson } from '../cluster.js';
import { megabytesPerSecond, nowMs, progress, waitFor } from '../support.js';
import { adminClient, type CaseContext } from './context.js';

/** Slowest restore rate the case waits for before giving up (bytes per second). */
export const RESTORE_RATE_BYTES_PER_S_MIN = 2_000_000;
export const RESTORE_TIMEOUT_MS_MIN = 60_000;
export const DEAD_DECLARATION_SLACK_MS = 30_000;
export const RESTORE_POLL_INTERVAL_MS = 100;

interface FsckView {
  summary: { totalBlocks: number; underReplicated: number; missingBlocks: number; missingReplicas: number };
}

export class CaseUnavailable extends Error {}

export async function rereplication(ctx: CaseContext): Promise<void> {
  const { cluster } = ctx;
  const path = ctx.bigRemotePath;
  if (!path) throw new Error('the big file was not written (put failed)');
  const leader = await cluster.leader();
  const monitor = await fetch(`${leader.url}/rpc/v1/admin/replication`).catch(() => null);
  if (!monitor || monitor.status === 404) {
    throw new CaseUnavailable('not available: this namenode build has no replication monitor (GET /rpc/v1/admin/replication is 404)');
  }

  const client = adminClient(ctx);
  let lostBytes = 0;
  let victimUrl: string;
  try {
    const { located } = await client.rpc.call('getBlockLocations', { path, offset: 0, length: ctx.sizes.bigFileBytes });
    const holders = new Map<string, number>();
    for (const block of located.blocks) {
      for (const location of block.locations) holders.set(location.url, (holders.get(location.url) ?? 0) + block.block.numBytes);
    }
    [victimUrl, lostBytes] = [...holders.entries()].sort((a, b) => b[1] - a[1])[0];
  } finally {
    await client.close();
  }
  const victim = cluster.datanodes.find((node) => node.url === victimUrl);
  if (!victim) throw new Error(`no datanode process serves ${victimUrl}`);

  progress(`re-replication: adding a datanode, then killing ${victim.name} (holds ${(lostBytes / 1e6).toFixed(0)} MB of ${path})`);
  await cluster.addDatanode();
  const killedAtMs = nowMs();
  await victim.kill();
  const deadAfterMs = cluster.options.deadAfterS * 1000;
  await waitFor(
    `${victim.name} to be declared dead`,
    async () => (await cluster.report()).datanodes.find((node) => node.url === victimUrl)?.state === 'dead',
    deadAfterMs + DEAD_DECLARATION_SLACK_MS,
  );
  const deadAtMs = nowMs();
  progress(`re-replication: ${victim.name} declared dead after ${((deadAtMs - killedAtMs) / 1000).toFixed(1)} s; waiting for full replication`);
  const restoreTimeoutMs = Math.max(RESTORE_TIMEOUT_MS_MIN, (lostBytes / RESTORE_RATE_BYTES_PER_S_MIN) * 1000);
  let last: FsckView | null = null;
  await waitFor(
    `${path} to be fully replicated again`,
    async () => {
      const current = await cluster.leader();
      last = await getJson<FsckView>(`${current.url}/rpc/v1/admin/fsck?path=${encodeURIComponent(path)}`);
      return last.summary.underReplicated === 0 && last.summary.missingBlocks === 0;
    },
    restoreTimeoutMs,
    RESTORE_POLL_INTERVAL_MS,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; last fsck summary: ${JSON.stringify((last as FsckView | null)?.summary)}`);
  });
  const restoredAtMs = nowMs();
  // Each restored byte is read from one datanode's disk and written to another's: the same disk here.
  const diskWrite = ctx.results.value('baseline_disk_write_MBps');
  ctx.results.add({
    key: 'rereplication_MBps',
    label: `re-replicate ${(lostBytes / 1e6).toFixed(0)} MB after a datanode dies`,
    value: megabytesPerSecond(lostBytes, restoredAtMs - deadAtMs),
    unit: 'MB/s',
    bound: diskWrite === null ? undefined : { label: 'disk write', value: diskWrite },
    note: `declared dead ${((deadAtMs - killedAtMs) / 1000).toFixed(1)} s after kill -9 (--dead-after ${cluster.options.deadAfterS} s); restore took ${((restoredAtMs - deadAtMs) / 1000).toFixed(1)} s`,
  });
  ctx.results.details.rereplication = { lostBytes, detectionMs: deadAtMs - killedAtMs, restoreMs: restoredAtMs - deadAtMs };
}
