// What every case gets: the running cluster, the run's sizes, where to put local files and
// profiles, the results, and two ways to drive load: the client worker process (bench/client-worker.ts)
// and the dfs CLI itself, both as child processes bounded by a deadline.

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { DfsClient } from '../../client/dfs-client.js';
import { trackChild } from '../cleanup.js';
import { CLI_PATH, profileFlags, type BenchCluster } from '../cluster.js';
import type { WorkerJob, WorkerResult } from '../client-worker.js';
import type { Results } from '../report.js';
import { nowMs } from '../support.js';

export interface Sizes {
  name: 'quick' | 'standard' | 'full';
  diskBytes: number;
  httpBytes: number;
  /** The large file of put/get/re-replication. */
  bigFileBytes: number;
  blockSizeBytes: number;
  smallFiles: number;
  smallFileBytes: number;
  clients: number;
  mkdirs: number;
  /** Empty files created in one directory: also the directory that is listed. */
  emptyFiles: number;
  stats: number;
  failoverRounds: number;
  raftCoreEntries: number;
  fsyncProbeMs: number;
  /** Files for the namenode memory case (0: skipped), and where RSS is sampled. */
  rssFiles: number;
  rssCheckpointEvery: number;
  rssDeadlineMs: number;
  /** Concurrent clients of the memory case: it measures memory, so it creates as fast as the group allows. */
  rssClients: number;
}

export interface CaseContext {
  cluster: BenchCluster;
  sizes: Sizes;
  results: Results;
  /** A local folder on the cluster's disk for source files. */
  workDir: string;
  profileDir?: string;
  /** The local source of the big file (written by the disk baseline). */
  bigLocalFile: string;
  /** Where the big file lives in dfs once put_1gib has run. */
  bigRemotePath: string | null;
}

export const WORKER_PATH = resolve(import.meta.dirname, '../client-worker.js');
export const WORKER_TIMEOUT_MS_DEFAULT = 10 * 60_000;

/** Runs a child node process to completion, killing it at the deadline. */
function runChild(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; durationMs: number }> {
  return new Promise((resolveRun, reject) => {
    const startedMs = nowMs();
    const child = trackChild(spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.slice(-2).join(' ').slice(0, 200)} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr, durationMs: nowMs() - startedMs });
    });
  });
}

/** `cpuLabel` names the job's row in the CPU table (default: what the job does); runs of one label share a row. */
export async function runWorker(ctx: CaseContext, job: WorkerJob, timeoutMs = WORKER_TIMEOUT_MS_DEFAULT, cpuLabel = workerLabel(job)): Promise<WorkerResult> {
  const argv = [...profileFlags(ctx.profileDir, `client-${job.kind}`), WORKER_PATH, JSON.stringify(job)];
  const nodes = [...ctx.cluster.namenodes, ...ctx.cluster.datanodes].filter((node) => node.running);
  const cpuBefore = nodes.map((node) => node.cpuMs());
  const run = await runChild(argv, { DFS_NAMENODES: ctx.cluster.namenodeUrls.join(','), DFS_LOG_LEVEL: 'warn' }, timeoutMs);
  if (run.code !== 0) throw new Error(`client worker ${job.kind} failed (exit ${run.code}): ${run.stderr.trim().slice(-2000)}`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as WorkerResult;
  // The nodes' CPU over the whole worker run (its start-up included, a few ms of heartbeats); for
  // get, per MB over all its rounds.
  const operations = job.kind === 'get' ? ((result.bytes ?? 0) * result.count) / 1e6 : job.kind === 'list' ? 1 : result.count;
  if (operations > 0) {
    const msPerOp: Record<string, number> = {};
    if (result.cpuMs !== undefined) msPerOp.client = result.cpuMs / operations;
    nodes.forEach((node, i) => (msPerOp[node.name] = (node.cpuMs() - cpuBefore[i]) / operations));
    ctx.results.addCpu({ label: cpuLabel, per: job.kind === 'get' ? 'MB' : job.kind === 'list' ? 'listing' : 'op', msPerOp, operations });
  }
  return result;
}

function workerLabel(job: WorkerJob): string {
  if (job.kind === 'writeFiles') return job.sizeBytes === 0 ? 'create empty file' : `write ${job.sizeBytes} B file`;
  return job.kind;
}

/** Runs the built dfs CLI (`dfs -put ...`); the duration includes the process start-up. */
export async function runCli(ctx: CaseContext, args: string[], timeoutMs = WORKER_TIMEOUT_MS_DEFAULT): Promise<{ durationMs: number; stdout: string }> {
  const argv = [...profileFlags(ctx.profileDir, `cli${args[0]}`), CLI_PATH, ...args];
  const run = await runChild(argv, { DFS_NAMENODES: ctx.cluster.namenodeUrls.join(','), DFS_LOG_LEVEL: 'warn' }, timeoutMs);
  if (run.code !== 0) throw new Error(`dfs ${args.join(' ')} failed (exit ${run.code}): ${run.stderr.trim().slice(-2000)}`);
  return { durationMs: run.durationMs, stdout: run.stdout };
}

/** A client in the suite's own process, for set-up and checks (never for timed load). */
export function adminClient(ctx: CaseContext): DfsClient {
  return new DfsClient({ namenodes: ctx.cluster.namenodeUrls });
}
