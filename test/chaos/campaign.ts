// One chaos campaign: start a cluster, run the workload under the nemesis for a while, heal, let
// lease recovery close abandoned files, read everything back, and check the history.

import { rmSync } from 'node:fs';
import { Prng } from '../raft/sim/prng.js';
import { temporaryDirectory, waitFor } from '../helpers/processes.js';
import { ChaosCluster, LEASE_HARD_LIMIT_S } from './cluster.js';
import { checkLinearizability, type Anomaly, type PartitionReport } from './checker.js';
import { History, type Op } from './history.js';
import { FAULT_KINDS, Nemesis, type FaultKind } from './nemesis.js';
import type { NetworkMode } from './network.js';
import { decodeContent, RECORD_BYTES } from './records.js';
import { CHAOS_ROOT, DIRS, errorKind, FILE_NAMES, Workload } from './workload.js';

export interface CampaignOptions {
  seed: number;
  durationMs: number;
  mode: NetworkMode | 'auto';
  blockSizeBytes?: number;
  datanodes?: number;
  writers?: number;
  faultKinds?: readonly FaultKind[];
  /** Pause between faults, ms. */
  faultGapMs?: [number, number];
  testOnlyBug?: string;
  /** Appends in the workload (default true). */
  appends?: boolean;
  log?: (line: string) => void;
  /** Keep the nodes' folders (and logs) after the run, for a post-mortem. */
  keepData?: boolean;
  /** Called with the whole history before it is checked (`--save-history`). */
  onHistory?: (ops: readonly Op[], blockRecords: number) => void;
}

export interface CampaignResult {
  seed: number;
  mode: NetworkMode;
  ops: { total: number; ok: number; fail: number; unknown: number };
  faults: Partial<Record<FaultKind, number>>;
  anomalies: Anomaly[];
  partitions: PartitionReport[];
  wallMs: number;
  dataDir: string | null;
}

const BLOCK_SIZE_BYTES_DEFAULT = 256 * 1024;
/** Lease recovery must close every abandoned file within this long after healing. */
const RECOVERY_DEADLINE_MS = (LEASE_HARD_LIMIT_S + 50) * 1000;

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const blockSizeBytes = options.blockSizeBytes ?? BLOCK_SIZE_BYTES_DEFAULT;
  const root = temporaryDirectory('chaos');
  const prng = new Prng(options.seed);
  const removeRoot = () => rmSync(root, { recursive: true, force: true });
  const cluster = await ChaosCluster.start({ root, mode: options.mode, blockSizeBytes, datanodes: options.datanodes ?? 4, testOnlyBug: options.testOnlyBug }).catch((error: unknown) => {
    removeRoot();
    throw error;
  });
  log(`cluster up (${cluster.network.mode} mode): namenodes ${cluster.namenodeUrls.join(' ')}`);
  const clients = [];
  const anomalies: Anomaly[] = [];
  const history = new History();
  let nemesis: Nemesis | null = null;
  try {
    const admin = cluster.client();
    clients.push(admin);
    for (const dir of DIRS) await waitFor(`mkdir ${dir}`, () => admin.mkdir(dir, { recursive: true }).then(() => true), 30_000);

    const workload = new Workload({ blockSizeBytes, prng: prng.fork(), history, anomalies, appends: options.appends });
    const writers = Array.from({ length: options.writers ?? 4 }, (_, i) => ({ name: `w${i + 1}`, client: cluster.client() }));
    const readers = cluster.namenodeUrls.map((url, i) => ({ name: `r${i + 1}@nn${i + 1}`, client: cluster.client([url]) }));
    clients.push(...writers.map((w) => w.client), ...readers.map((r) => r.client));
    nemesis = new Nemesis(cluster, prng.fork(), { kinds: options.faultKinds ?? FAULT_KINDS, gapMs: options.faultGapMs ?? [500, 2_500], log });
    // Registered after the nemesis's and the cluster's exit handlers: runs once nodes and mounts are gone.
    if (!options.keepData) process.once('exit', removeRoot);
    workload.start(writers, readers);
    nemesis.start();
    await new Promise((r) => setTimeout(r, options.durationMs));

    log('healing');
    await nemesis.stop();
    await workload.stop();
    await cluster.waitForHealthy(120_000);
    log(`healed; ${history.ops.length} operations; waiting for lease recovery`);

    await waitForLeaseRecovery(admin, anomalies, log);
    log('final reads');
    for (const dir of DIRS) {
      await workload.list(admin, 'final', dir);
      for (const name of FILE_NAMES) await workload.read(admin, 'final', dir, name, true);
    }
    await checkTemporaryFiles(admin, workload.tmpFiles, anomalies, log);

    options.onHistory?.(history.ops, blockSizeBytes / RECORD_BYTES);
    log('checking linearizability');
    const { anomalies: found, partitions } = checkLinearizability(history.ops, { blockRecords: blockSizeBytes / RECORD_BYTES, relative: (ns) => history.relative(ns) });
    anomalies.push(...found);
    const count = (status: string) => history.ops.filter((op) => op.status === status).length;
    return {
      seed: options.seed,
      mode: cluster.network.mode,
      ops: { total: history.ops.length, ok: count('ok'), fail: count('fail'), unknown: count('unknown') },
      faults: nemesis.faults,
      anomalies,
      partitions,
      wallMs: Date.now() - started,
      dataDir: options.keepData ? root : null,
    };
  } finally {
    await nemesis?.stop();
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
    process.off('exit', removeRoot);
    if (!options.keepData) removeRoot();
  }
}

type Client = ReturnType<ChaosCluster['client']>;

/** Files under construction once healed must be closed by lease recovery before the deadline. */
async function waitForLeaseRecovery(client: Client, anomalies: Anomaly[], log: (line: string) => void): Promise<void> {
  const open = async () => {
    const paths: string[] = [];
    for (const dir of DIRS) for await (const entry of client.list(dir)) if (entry.underConstruction) paths.push(entry.path);
    return paths;
  };
  const started = Date.now();
  const before = await open();
  log(`${before.length} file(s) under construction after healing${before.length ? `: ${before.join(', ')}` : ''}`);
  try {
    await waitFor('lease recovery to close every file', async () => (await open()).length === 0, RECOVERY_DEADLINE_MS, 500);
    if (before.length > 0) log(`lease recovery closed them in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch {
    const left = await open().catch(() => ['(cannot list)']);
    anomalies.push({ kind: 'under-construction', message: `still under construction ${RECOVERY_DEADLINE_MS / 1000} s after healing: ${left.join(', ')}`, window: [] });
  }
}

/** A publish's temporary file (left by a failed write) holds a prefix of its write, intact. */
async function checkTemporaryFiles(client: Client, tmpFiles: string[], anomalies: Anomaly[], log: (line: string) => void): Promise<void> {
  for (const path of tmpFiles) {
    let data: Buffer;
    try {
      data = await client.readFile(path);
    } catch (error) {
      const kind = errorKind(error);
      // An unacknowledged write may be lost whole; a renamed one is not here any more.
      if (kind !== 'FileNotFound') log(`note: ${path} (never acknowledged) unreadable: ${kind}`);
      continue;
    }
    const decoded = decodeContent(data);
    const writeId = Number(/w(\d+)$/.exec(path)?.[1]);
    if (!decoded.ok || decoded.runs.length > 1 || (decoded.runs.length === 1 && decoded.runs[0][0] !== writeId)) {
      anomalies.push({ kind: 'corrupt-content', message: `${path}: ${decoded.ok ? `holds ${JSON.stringify(decoded.runs)}, not a prefix of write ${writeId}` : decoded.reason}`, window: [] });
    }
  }
}

export { CHAOS_ROOT };
