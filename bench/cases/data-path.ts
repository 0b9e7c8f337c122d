// Data-path cases: one big file through `dfs -put` (the CLI's code path: <dst>._COPYING_ then a
// rename), read back cold through the client library, and many small durable files from 16 clients.

import { KiB, megabytesPerSecond, perSecond, progress } from '../support.js';
import { adminClient, runCli, runWorker, type CaseContext } from './context.js';

export const BIG_FILE_PATH = '/bench/big.bin';
export const SMALL_FILES_PER_S_TARGET = 1_000;

/** put_1gib_rep3_MBps: bounded by a third of the disk write baseline (every byte lands on the one disk 3 times). */
export async function putBigFile(ctx: CaseContext): Promise<void> {
  const { bigFileBytes } = ctx.sizes;
  const diskWrite = ctx.results.value('baseline_disk_write_MBps');
  const client = adminClient(ctx);
  try {
    await client.mkdir('/bench', { recursive: true });
  } finally {
    await client.close();
  }
  progress(`put: dfs -put of ${bigFileBytes / (1024 * KiB)} MiB, replication ${ctx.cluster.options.replication}`);
  const { durationMs } = await runCli(ctx, ['-put', ctx.bigLocalFile, BIG_FILE_PATH]);
  const check = adminClient(ctx);
  try {
    const status = await check.stat(BIG_FILE_PATH);
    if (status.length !== bigFileBytes) throw new Error(`put wrote ${status.length} bytes, expected ${bigFileBytes}`);
  } finally {
    await check.close();
  }
  ctx.bigRemotePath = BIG_FILE_PATH;
  ctx.results.add({
    key: 'put_1gib_rep3_MBps',
    label: `put ${bigFileBytes / (1024 * KiB)} MiB, rep 3 (dfs -put)`,
    value: megabytesPerSecond(bigFileBytes, durationMs),
    unit: 'MB/s',
    bound: diskWrite === null ? undefined : { label: 'disk write / 3', value: diskWrite / 3 },
    target: diskWrite === null ? undefined : 0.7 * (diskWrite / 3),
    note: 'wall time of the CLI process, start-up included',
  });
  ctx.results.details.put = { sizeBytes: bigFileBytes, durationMs };
}

/** Cold reads of the big file; the best is the figure, as the HTTP baseline is the best of its rounds. */
export const GET_ROUNDS = 3;

/**
 * get_1gib_MBps: bounded by the smaller of the disk read and HTTP GET baselines. The best of
 * GET_ROUNDS reads by one client process, the page cache dropped before each: the first read of a
 * fresh process also pays for compiling its read path and growing its heap, which the baselines
 * (best of their rounds) do not.
 */
export async function getBigFile(ctx: CaseContext): Promise<void> {
  if (!ctx.bigRemotePath) throw new Error('the big file was not written (put failed)');
  progress(`get: read back ${ctx.sizes.bigFileBytes / (1024 * KiB)} MiB, best of ${GET_ROUNDS} reads`);
  const result = await runWorker(ctx, { kind: 'get', path: ctx.bigRemotePath, rounds: GET_ROUNDS });
  if (result.bytes !== ctx.sizes.bigFileBytes) throw new Error(`get read ${result.bytes} bytes, expected ${ctx.sizes.bigFileBytes}`);
  const bounds = [ctx.results.value('baseline_disk_read_MBps'), ctx.results.value('baseline_http_get_MBps')].filter((v): v is number => v !== null);
  const bound = bounds.length > 0 ? Math.min(...bounds) : null;
  const rounds = (result.roundsMs ?? []).map((ms) => megabytesPerSecond(result.bytes ?? 0, ms).toFixed(0)).join(', ');
  ctx.results.add({
    key: 'get_1gib_MBps',
    label: `get ${ctx.sizes.bigFileBytes / (1024 * KiB)} MiB (client library), best of ${GET_ROUNDS}`,
    value: megabytesPerSecond(result.bytes, result.durationMs),
    unit: 'MB/s',
    bound: bound === null ? undefined : { label: 'min(disk read, http get)', value: bound },
    target: bound === null ? undefined : 0.8 * bound,
    note: `${result.cacheDropped ? 'page cache dropped before each read' : 'page cache NOT dropped (not root): warm reads'}; rounds ${rounds} MB/s`,
  });
  ctx.results.details.get = result;
}

/** small_files_4k_per_s: durable 4 KiB files (create, one block through a 3-datanode pipeline, complete). */
export async function smallFiles(ctx: CaseContext): Promise<void> {
  const { smallFiles: count, smallFileBytes, clients } = ctx.sizes;
  progress(`small files: ${count} x ${smallFileBytes / KiB} KiB, ${clients} clients`);
  const result = await runWorker(ctx, { kind: 'writeFiles', dir: '/bench/small', count, sizeBytes: smallFileBytes, concurrency: clients, filesPerDir: 1000 });
  ctx.results.add({
    key: 'small_files_4k_per_s',
    label: `${count} files of ${smallFileBytes / KiB} KiB, ${clients} clients`,
    value: perSecond(result.count, result.durationMs),
    unit: 'files/s',
    bound: { label: 'target', value: SMALL_FILES_PER_S_TARGET },
    target: SMALL_FILES_PER_S_TARGET,
  });
  ctx.results.details.smallFiles = result;
}
