// `npm run bench -- [--quick | --full] [--json out.json] [--only cases] [--profile dir]`
//
// Issue 10's suite. Measures this machine's bounds first (disk write and read in the cluster's own
// folder, fsync rate, loopback HTTP PUT and GET through fastify and undici, the Raft core alone),
// then starts a fresh cluster (3 namenodes as a Raft group, 3 datanodes, replication 3, 128 MiB
// blocks) in a temporary folder on free loopback ports, runs every case against it, and tears it
// down. Progress goes to stderr, the table to stdout, the figures to --json. Every process and
// folder is removed on every way out, Ctrl-C included (see cleanup.ts).

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { runRaftCoreBench } from './raft-core.js';
import { measureDiskRead, measureDiskWrite, measureFsyncRate, measureHttp } from './baselines.js';
import { cleanUpEverything, removeFolder, trackFolder } from './cleanup.js';
import { BenchCluster } from './cluster.js';
import { Results, cpuTable } from './report.js';
import { GiB, KiB, MiB, nowMs, progress } from './support.js';
import type { CaseContext, Sizes } from './cases/context.js';
import { getBigFile, putBigFile, smallFiles } from './cases/data-path.js';
import { createEmpty, deletes, listing, mkdirs, stats } from './cases/namespace.js';
import { failover } from './cases/failover.js';
import { CaseUnavailable, rereplication } from './cases/rereplication.js';
import { namenodeMemory } from './cases/namenode-memory.js';

const BLOCK_SIZE_BYTES = 128 * MiB;
const HEARTBEAT_INTERVAL_S = 0.5;
/** Short enough that the re-replication case does not wait 10 minutes, long enough that a busy
 *  datanode (2 cores, fsyncing) is never declared dead by mistake during the other cases. */
const DEAD_AFTER_S = 10;

const STANDARD: Sizes = {
  name: 'standard',
  diskBytes: GiB,
  httpBytes: GiB,
  bigFileBytes: GiB,
  blockSizeBytes: BLOCK_SIZE_BYTES,
  smallFiles: 5_000,
  smallFileBytes: 4 * KiB,
  clients: 16,
  mkdirs: 10_000,
  emptyFiles: 10_000,
  stats: 20_000,
  failoverRounds: 5,
  raftCoreEntries: 500_000,
  fsyncProbeMs: 2_000,
  rssFiles: 0,
  rssCheckpointEvery: 100_000,
  rssDeadlineMs: 0,
  rssClients: 64,
};
const QUICK: Sizes = {
  ...STANDARD,
  name: 'quick',
  diskBytes: 256 * MiB,
  httpBytes: 256 * MiB,
  bigFileBytes: 256 * MiB,
  smallFiles: 300,
  mkdirs: 1_000,
  emptyFiles: 1_000,
  stats: 2_000,
  failoverRounds: 2,
  raftCoreEntries: 100_000,
  fsyncProbeMs: 1_000,
};
const FULL: Sizes = { ...STANDARD, name: 'full', rssFiles: 1_000_000, rssCheckpointEvery: 50_000, rssDeadlineMs: 10 * 60_000 };

interface BenchCase {
  name: string;
  /** The figure reported as unavailable when the case fails. */
  key: string;
  label: string;
  unit: string;
  run(ctx: CaseContext): Promise<void>;
}

const CLUSTER_CASES: BenchCase[] = [
  { name: 'put', key: 'put_1gib_rep3_MBps', label: 'put big file (dfs -put)', unit: 'MB/s', run: putBigFile },
  { name: 'get', key: 'get_1gib_MBps', label: 'get big file', unit: 'MB/s', run: getBigFile },
  { name: 'small-files', key: 'small_files_4k_per_s', label: 'small files 4 KiB', unit: 'files/s', run: smallFiles },
  { name: 'mkdir', key: 'mkdir_per_s', label: 'mkdir', unit: 'ops/s', run: mkdirs },
  { name: 'create', key: 'create_empty_per_s', label: 'create empty file', unit: 'ops/s', run: createEmpty },
  { name: 'stat', key: 'stat_per_s', label: 'stat', unit: 'ops/s', run: stats },
  { name: 'list', key: 'list_10k_ms', label: 'list one directory', unit: 'ms', run: listing },
  { name: 'delete', key: 'delete_per_s', label: 'delete', unit: 'ops/s', run: deletes },
  { name: 'rereplication', key: 'rereplication_MBps', label: 're-replication after a datanode dies', unit: 'MB/s', run: rereplication },
  { name: 'failover', key: 'failover_ms_median', label: 'leader failover', unit: 'ms', run: failover },
  { name: 'memory', key: 'namenode_rss_mb_1m_files', label: 'leader RSS after 1M files', unit: 'MiB', run: namenodeMemory },
];
const BASELINE_CASES = ['disk', 'fsync', 'http', 'raft-core'];
/** Cases that need another case's output, run (unreported if not asked for) when they are asked for. */
const PREREQUISITES: Record<string, string[]> = { get: ['put'], rereplication: ['put'], stat: ['create'], list: ['create'], delete: ['create'] };

function gitDescription(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: import.meta.dirname, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: import.meta.dirname, encoding: 'utf8' }).trim().length > 0;
    return `${head}${dirty ? ' (working tree has uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

function loadAverage(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  const program = new Command()
    .name('bench')
    .description("dfs benchmark suite (issue 10): figures against this machine's bounds")
    .option('--quick', 'small sizes, a smoke check (under 2 minutes)')
    .option('--full', 'also the namenode memory case: RSS of the leader after 100k and 1M files')
    .option('--json <file>', 'write the figures to this JSON file')
    .option('--only <cases>', `comma-separated subset: ${[...BASELINE_CASES, ...CLUSTER_CASES.map((c) => c.name)].join(',')}`)
    .option('--profile <dir>', 'run every node and client with --cpu-prof; .cpuprofile files land in this folder')
    .option('--dir <folder>', 'parent of the temporary folder (the disk under test)', tmpdir())
    .parse();
  const opts = program.opts<{ quick?: boolean; full?: boolean; json?: string; only?: string; profile?: string; dir: string }>();
  if (opts.quick && opts.full) throw new Error('--quick and --full exclude each other');
  const sizes = opts.quick ? QUICK : opts.full ? FULL : STANDARD;
  const only = opts.only ? new Set(opts.only.split(',').map((s) => s.trim())) : null;
  const selected = (name: string) => !only || only.has(name);
  const mustRun = (name: string): boolean =>
    selected(name) || Object.entries(PREREQUISITES).some(([dependent, needs]) => needs.includes(name) && mustRun(dependent));
  const profileDir = opts.profile ? resolve(opts.profile) : undefined;

  const results = new Results();
  const startedMs = nowMs();
  const meta: Record<string, unknown> = {
    mode: sizes.name,
    sizes,
    startedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverageAtStart: loadAverage(),
    commit: gitDescription(),
  };
  progress(`mode ${sizes.name}; load average ${meta.loadAverageAtStart} on ${meta.cpus} cores; commit ${meta.commit}`);
  const root = trackFolder(mkdtempSync(join(opts.dir, 'dfs-bench-')));
  meta.folder = root;
  let failures = 0;
  let cluster: BenchCluster | null = null;

  const record = async (benchCase: Pick<BenchCase, 'name' | 'key' | 'label' | 'unit'>, run: () => Promise<void>) => {
    const caseStartedMs = nowMs();
    try {
      await run();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof CaseUnavailable) {
        progress(`${benchCase.name}: ${message}`);
        results.unavailable(benchCase.key, benchCase.label, benchCase.unit, message);
      } else {
        failures++;
        progress(`${benchCase.name} FAILED: ${message}`);
        if (cluster) process.stderr.write(`${cluster.describeFailure()}\n`);
        results.unavailable(benchCase.key, benchCase.label, benchCase.unit, `failed: ${message.split('\n')[0].slice(0, 300)}`);
      }
    }
    (results.details.caseDurationsMs ??= {} as Record<string, number>);
    (results.details.caseDurationsMs as Record<string, number>)[benchCase.name] = Math.round(nowMs() - caseStartedMs);
  };

  try {
    // ---- bounds of this machine, before any dfs process runs --------------------------------
    const bigLocalFile = join(root, 'big.local');
    if (mustRun('disk') || mustRun('put')) {
      await record({ name: 'disk', key: 'baseline_disk_write_MBps', label: 'disk write', unit: 'MB/s' }, async () => {
        progress(`baseline: sequential write of ${sizes.diskBytes / MiB} MiB with fsync every ${BLOCK_SIZE_BYTES / MiB} MiB in ${root}`);
        const write = await measureDiskWrite(bigLocalFile, Math.max(sizes.diskBytes, sizes.bigFileBytes), BLOCK_SIZE_BYTES);
        if (!selected('disk')) return;
        results.add({ key: 'baseline_disk_write_MBps', label: `disk write ${write.sizeBytes / MiB} MiB + fsync`, value: write.MBps, unit: 'MB/s' });
        const read = await measureDiskRead(bigLocalFile);
        results.add({
          key: 'baseline_disk_read_MBps',
          label: `disk read ${read.sizeBytes / MiB} MiB`,
          value: read.MBps,
          unit: 'MB/s',
          note: read.cacheDropped ? 'page cache dropped first' : 'page cache NOT dropped (not root): a warm read',
        });
        meta.pageCacheDropped = read.cacheDropped;
      });
    }
    if (selected('fsync')) {
      await record({ name: 'fsync', key: 'baseline_fsync_per_s', label: 'fsync', unit: 'fsync/s' }, async () => {
        progress('baseline: 4 KiB append + fdatasync rate');
        const fsync = await measureFsyncRate(join(root, 'fsync.probe'), sizes.fsyncProbeMs);
        results.add({ key: 'baseline_fsync_per_s', label: '4 KiB append + fdatasync', value: fsync.perSecond, unit: 'fsync/s', note: `mean ${fsync.meanMs.toFixed(2)} ms` });
      });
    }
    if (selected('http')) {
      await record({ name: 'http', key: 'baseline_http_put_MBps', label: 'loopback HTTP', unit: 'MB/s' }, async () => {
        progress(`baseline: loopback HTTP PUT and GET of ${sizes.httpBytes / MiB} MiB (fastify server process, undici client)`);
        const http = await measureHttp(sizes.httpBytes, profileDir);
        results.add({ key: 'baseline_http_put_MBps', label: `loopback HTTP PUT ${sizes.httpBytes / MiB} MiB`, value: http.put.MBps, unit: 'MB/s' });
        results.add({ key: 'baseline_http_get_MBps', label: `loopback HTTP GET ${sizes.httpBytes / MiB} MiB`, value: http.get.MBps, unit: 'MB/s' });
      });
    }
    if (selected('raft-core')) {
      await record({ name: 'raft-core', key: 'raft_core_entries_per_s', label: 'raft core', unit: 'entries/s' }, async () => {
        progress(`raft core alone: ${sizes.raftCoreEntries} entries, 3 nodes in memory, batches of 512`);
        const core = await runRaftCoreBench({ entries: sizes.raftCoreEntries });
        results.add({ key: 'raft_core_entries_per_s', label: 'raft core, 3 nodes in memory, batch 512', value: core.entriesPerSecond, unit: 'entries/s' });
      });
    }

    // ---- the cluster ----------------------------------------------------------------------------
    const casesToRun = CLUSTER_CASES.filter((c) => mustRun(c.name) && (c.name !== 'memory' || sizes.rssFiles > 0));
    if (casesToRun.length > 0) {
      progress(`starting the cluster: 3 namenodes (Raft), 3 datanodes, replication 3, block ${BLOCK_SIZE_BYTES / MiB} MiB, in ${root}`);
      const clusterStartedMs = nowMs();
      cluster = await BenchCluster.start({
        root,
        namenodes: 3,
        datanodes: 3,
        replication: 3,
        blockSizeBytes: BLOCK_SIZE_BYTES,
        heartbeatIntervalS: HEARTBEAT_INTERVAL_S,
        deadAfterS: DEAD_AFTER_S,
        profileDir,
      });
      progress(`cluster up in ${((nowMs() - clusterStartedMs) / 1000).toFixed(1)} s; leader ${(await cluster.leader()).name}`);
      const ctx: CaseContext = { cluster, sizes, results, workDir: root, profileDir, bigLocalFile, bigRemotePath: null };
      for (const benchCase of casesToRun) {
        await record(benchCase, () => benchCase.run(ctx));
      }
      // Figures of prerequisites that were not asked for are dropped from the report.
      for (const benchCase of casesToRun.filter((c) => !selected(c.name))) {
        const index = results.figures.findIndex((f) => f.key === benchCase.key);
        if (index >= 0) results.figures.splice(index, 1);
      }
    }
  } finally {
    if (cluster) {
      progress(profileDir ? `stopping the cluster (gracefully, so CPU profiles are written to ${profileDir})` : 'stopping the cluster');
      const stopStartedMs = nowMs();
      await cluster.stop().catch((error: unknown) => progress(`stopping the cluster: ${String(error)}`));
      progress(`cluster stopped in ${((nowMs() - stopStartedMs) / 1000).toFixed(1)} s; removing ${root}`);
    }
    const removeStartedMs = nowMs();
    removeFolder(root);
    progress(`temporary folder removed in ${((nowMs() - removeStartedMs) / 1000).toFixed(1)} s`);
    cleanUpEverything();
  }

  meta.loadAverageAtEnd = loadAverage();
  meta.durationS = Math.round((nowMs() - startedMs) / 1000);
  meta.failedCases = failures;
  progress(`done in ${meta.durationS} s; load average at the end ${meta.loadAverageAtEnd}`);
  process.stdout.write(`\ndfs bench (${sizes.name}) - ${new Date().toISOString()} - load ${meta.loadAverageAtStart} -> ${meta.loadAverageAtEnd} on ${meta.cpus} cores - commit ${meta.commit}\n`);
  process.stdout.write(`${results.table()}\n`);
  const cpu = cpuTable(results.cpu);
  if (cpu) process.stdout.write(`\n${cpu}\n`);
  if (opts.json) {
    results.writeJson(opts.json, meta);
    progress(`figures written to ${opts.json}`);
  }
  if (failures > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  cleanUpEverything();
  process.exitCode = 1;
});
