// The load generator: a separate process (so the suite's own bookkeeping never competes with it,
// and so it can be profiled like a real client) that runs one job through the dfs client library
// and prints one JSON line with the result on stdout. `concurrency` clients means that many
// DfsClient instances (each with its own connection pool for blocks), each with one operation in
// flight; being in one process, their namenode calls share batch requests (client/rpc-batch.ts).
//   node dist/bench/client-worker.js '<job as JSON>'

import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DfsClient } from '../client/dfs-client.js';
import { nowMs, runPool } from './support.js';
import { dropPageCache } from './baselines.js';

export type WorkerJob =
  /** Reads `path` `rounds` times, the page cache dropped before each (when root); the best round is the figure. */
  | { kind: 'get'; path: string; rounds: number }
  | { kind: 'writeFiles'; dir: string; count: number; sizeBytes: number; concurrency: number; first?: number; filesPerDir?: number; deadlineMs?: number }
  | { kind: 'mkdir'; dir: string; count: number; concurrency: number }
  | { kind: 'stat'; dir: string; files: number; count: number; concurrency: number }
  | { kind: 'delete'; dir: string; count: number; concurrency: number }
  | { kind: 'list'; dir: string };

export interface WorkerResult {
  /** Operations (or bytes, for get) completed inside the timed window. */
  count: number;
  durationMs: number;
  /** For get: bytes read per round. For list: entries listed. */
  bytes?: number;
  /** For get: each round's duration (durationMs is the best of them). */
  roundsMs?: number[];
  /** For get: whether the page cache was dropped before each round. */
  cacheDropped?: boolean;
  /** CPU time (user + system) this worker process spent on the job, start-up excluded. */
  cpuMs?: number;
}

export const filePath = (dir: string, index: number, filesPerDir?: number): string =>
  filesPerDir ? `${dir}/d${Math.floor(index / filesPerDir)}/f${index}` : `${dir}/f${index}`;

/** DFS_BENCH_NO_BATCHING=1: one HTTP request per namenode call, to compare with batched calls. */
const batching = process.env.DFS_BENCH_NO_BATCHING !== '1';

function clients(namenodes: string[], count: number): DfsClient[] {
  return Array.from({ length: count }, () => new DfsClient({ namenodes, batching }));
}

/** One cheap call per client first, so connection set-up is not part of the timed window. */
async function warmUp(all: DfsClient[]): Promise<void> {
  await Promise.all(all.map((client) => client.exists('/')));
}

async function timedPool(all: DfsClient[], count: number, task: (client: DfsClient, index: number) => Promise<void>): Promise<WorkerResult> {
  await warmUp(all);
  const startedMs = nowMs();
  await runPool(count, all.length, (index, worker) => task(all[worker], index));
  return { count, durationMs: nowMs() - startedMs };
}

export async function runJob(namenodes: string[], job: WorkerJob): Promise<WorkerResult> {
  switch (job.kind) {
    case 'get': {
      const [client] = clients(namenodes, 1);
      try {
        await warmUp([client]);
        const roundsMs: number[] = [];
        let bytes = 0;
        let cacheDropped = true;
        for (let round = 0; round < job.rounds; round++) {
          cacheDropped = dropPageCache() && cacheDropped;
          let roundBytes = 0;
          const sink = new Writable({
            highWaterMark: 4 * 1024 * 1024,
            write(chunk: Buffer, _encoding, callback) {
              roundBytes += chunk.length;
              callback();
            },
          });
          const startedMs = nowMs();
          await pipeline(client.createReadStream(job.path), sink);
          roundsMs.push(nowMs() - startedMs);
          if (round > 0 && roundBytes !== bytes) throw new Error(`get round ${round} read ${roundBytes} bytes, round 0 read ${bytes}`);
          bytes = roundBytes;
        }
        return { count: job.rounds, bytes, durationMs: Math.min(...roundsMs), roundsMs, cacheDropped };
      } finally {
        await client.close();
      }
    }
    case 'writeFiles': {
      const all = clients(namenodes, job.concurrency);
      const data = Buffer.alloc(job.sizeBytes, 0x5a);
      const first = job.first ?? 0;
      try {
        if (job.deadlineMs === undefined) {
          return await timedPool(all, job.count, (client, i) => client.writeFile(filePath(job.dir, first + i, job.filesPerDir), data));
        }
        // Bounded by a wall-clock deadline: stop taking new files once it has passed.
        const deadlineMs = job.deadlineMs;
        let done = 0;
        const result = await timedPool(all, job.count, async (client, i) => {
          if (Date.now() >= deadlineMs) return;
          await client.writeFile(filePath(job.dir, first + i, job.filesPerDir), data);
          done++;
        });
        return { ...result, count: done };
      } finally {
        await Promise.all(all.map((client) => client.close()));
      }
    }
    case 'mkdir': {
      const all = clients(namenodes, job.concurrency);
      try {
        return await timedPool(all, job.count, async (client, i) => {
          await client.mkdir(`${job.dir}/d${i}`);
        });
      } finally {
        await Promise.all(all.map((client) => client.close()));
      }
    }
    case 'stat': {
      const all = clients(namenodes, job.concurrency);
      try {
        return await timedPool(all, job.count, async (client, i) => {
          await client.stat(filePath(job.dir, i % job.files));
        });
      } finally {
        await Promise.all(all.map((client) => client.close()));
      }
    }
    case 'delete': {
      const all = clients(namenodes, job.concurrency);
      try {
        return await timedPool(all, job.count, async (client, i) => {
          const deleted = await client.delete(filePath(job.dir, i));
          if (!deleted) throw new Error(`delete of ${filePath(job.dir, i)} found nothing`);
        });
      } finally {
        await Promise.all(all.map((client) => client.close()));
      }
    }
    case 'list': {
      const [client] = clients(namenodes, 1);
      try {
        await warmUp([client]);
        const startedMs = nowMs();
        let entries = 0;
        for await (const entry of client.list(job.dir)) if (entry) entries++;
        return { count: 1, bytes: entries, durationMs: nowMs() - startedMs };
      } finally {
        await client.close();
      }
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const namenodes = (process.env.DFS_NAMENODES ?? '').split(',').filter(Boolean);
  const job = JSON.parse(process.argv[2] ?? '{}') as WorkerJob;
  const cpuAtStart = process.cpuUsage();
  runJob(namenodes, job).then(
    (result) => {
      const cpu = process.cpuUsage(cpuAtStart);
      process.stdout.write(`${JSON.stringify({ ...result, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`client-worker ${job.kind} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
