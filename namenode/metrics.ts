// The namenode's Prometheus metrics: client RPC and WebHDFS requests (shared/metrics.ts), the Raft
// group as this namenode sees it, log append latency and fsyncs, the namespace's size, and the
// datanodes as the soft state knows them (capacity, liveness, heartbeat age, re-replication queue).
// Gauges are read when scraped, so keeping them costs nothing between scrapes.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ClientRpc } from '../shared/protocol.js';
import { WEBHDFS_OPS, WEBHDFS_PREFIX, rawOp } from '../shared/webhdfs.js';
import { boundedLabel, createRegistry, instrumentRequests, requestMetrics, type RequestMetrics } from '../shared/metrics.js';
import { INODE_DIRECTORY, INODE_FILE } from './namespace/schema.js';
import type { Namesystem } from './namesystem.js';
import type { RaftNamespaceLog } from './raft-group/raft-namespace-log.js';

const RPC_METHODS: ReadonlySet<string> = new Set(Object.keys(ClientRpc));
const WEBHDFS_OP_NAMES: ReadonlySet<string> = new Set(Object.values(WEBHDFS_OPS).flat());
const RAFT_ROLES = ['leader', 'follower', 'candidate', 'precandidate', 'learner'] as const;
/** Raft log saves take an fsync or two: 100 µs to a few seconds on a struggling disk. */
const SAVE_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const NAMESPACE_COUNTS_SQL = `SELECT
  (SELECT count(*) FROM inodes WHERE type = ${INODE_FILE}) AS files,
  (SELECT count(*) FROM inodes WHERE type = ${INODE_DIRECTORY}) AS directories,
  (SELECT count(*) FROM blocks) AS blocks`;

export class NamenodeMetrics {
  readonly registry: Registry = createRegistry();
  readonly requests: RequestMetrics = requestMetrics(this.registry, 'namenode');
  private readonly saveDuration = new Histogram({
    name: 'dfs_raft_log_save_duration_seconds',
    help: 'Time to make one Raft Ready durable (its entries and, on a term or vote change, the hard state)',
    buckets: SAVE_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  private readonly fsyncs = new Counter({ name: 'dfs_raft_fsyncs_total', help: 'fsyncs of the Raft log and hard state', registers: [this.registry] });
  private readonly entriesSaved = new Counter({ name: 'dfs_raft_log_entries_saved_total', help: 'Raft log entries made durable on this namenode', registers: [this.registry] });
  private readonly auditEvents = new Counter({
    name: 'dfs_namenode_audit_events_total',
    help: 'Audited namespace operations, by whether they were allowed',
    labelNames: ['allowed'],
    registers: [this.registry],
  });

  /** Called by the Raft driver after each durable save. */
  readonly onRaftSave = (seconds: number, fsyncs: number, entries: number): void => {
    this.saveDuration.observe(seconds);
    if (fsyncs > 0) this.fsyncs.inc(fsyncs);
    if (entries > 0) this.entriesSaved.inc(entries);
  };

  readonly onAudit = (allowed: boolean): void => {
    this.auditEvents.inc({ allowed: String(allowed) });
  };

  /** Registers the gauges read from the namesystem and the Raft group at scrape time. */
  observe(
    namesystem: Namesystem,
    raft: RaftNamespaceLog,
    heartbeatIntervalMs: number,
    replicationStats: () => Promise<{ underReplicated: number; pending: number } | undefined>,
  ): void {
    const registers = [this.registry];
    const raftGauge = (name: string, help: string, read: (status: ReturnType<RaftNamespaceLog['status']>) => number) =>
      new Gauge({ name, help, registers, collect() { this.set(read(raft.status())); } });
    raftGauge('dfs_raft_term', 'Current Raft term', (s) => s.term);
    raftGauge('dfs_raft_commit_index', 'Highest log index known committed', (s) => s.commit);
    raftGauge('dfs_raft_applied_index', 'Highest log index applied to the namespace', (s) => s.applied);
    raftGauge('dfs_raft_last_index', 'Last index in this namenode\'s log', (s) => s.lastIndex);
    raftGauge('dfs_raft_snapshot_index', 'Index of the latest snapshot', (s) => s.snapshotIndex);
    raftGauge('dfs_raft_voters', 'Voting members of the group', (s) => s.conf.voters.length);
    new Gauge({
      name: 'dfs_raft_role',
      help: '1 for this namenode\'s current Raft role, 0 for the others',
      labelNames: ['role'],
      registers,
      collect() {
        const role = raft.status().role;
        for (const each of RAFT_ROLES) this.set({ role: each }, each === role ? 1 : 0);
      },
    });
    new Gauge({
      name: 'dfs_namespace_objects',
      help: 'Files, directories and blocks in the namespace',
      labelNames: ['type'],
      registers,
      collect() {
        const counts = namesystem.store.db.prepare(NAMESPACE_COUNTS_SQL).get() as { files: number; directories: number; blocks: number };
        this.set({ type: 'files' }, counts.files);
        this.set({ type: 'directories' }, counts.directories);
        this.set({ type: 'blocks' }, counts.blocks);
      },
    });
    new Gauge({
      name: 'dfs_datanodes',
      help: 'Datanodes by liveness (live, stale, dead) as this namenode sees them',
      labelNames: ['state'],
      registers,
      collect() {
        const totals = namesystem.datanodes.totals();
        for (const state of ['live', 'stale', 'dead'] as const) this.set({ state }, totals[state]);
      },
    });
    new Gauge({
      name: 'dfs_datanodes_decommissioning',
      help: 'Datanodes being drained (decommissioning) or drained (decommissioned)',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = { decommissioning: 0, decommissioned: 0 };
        for (const node of namesystem.datanodes.all()) if (node.adminState !== 'normal') counts[node.adminState]++;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    const capacity = (name: string, help: string, read: (t: ReturnType<Namesystem['datanodes']['totals']>) => number) =>
      new Gauge({ name, help, registers, collect() { this.set(read(namesystem.datanodes.totals())); } });
    capacity('dfs_cluster_capacity_bytes', 'Capacity the datanodes report, summed', (t) => t.capacityBytes);
    capacity('dfs_cluster_used_bytes', 'Bytes used by blocks on the datanodes, summed', (t) => t.usedBytes);
    capacity('dfs_cluster_remaining_bytes', 'Space left for blocks on the datanodes, summed', (t) => t.remainingBytes);
    new Gauge({
      name: 'dfs_datanode_heartbeats_missed',
      help: 'Heartbeat intervals since each datanode was last heard from, beyond the first (0 while heartbeats arrive on time)',
      labelNames: ['datanode'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const node of namesystem.datanodes.all()) {
          const missed = heartbeatIntervalMs > 0 ? Math.max(0, Math.floor((now - node.lastHeartbeatMs) / heartbeatIntervalMs) - 1) : 0;
          this.set({ datanode: node.info.url }, missed);
        }
      },
    });
    new Gauge({
      name: 'dfs_datanode_last_heartbeat_age_seconds',
      help: 'Seconds since each datanode\'s last heartbeat',
      labelNames: ['datanode'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const node of namesystem.datanodes.all()) this.set({ datanode: node.info.url }, (now - node.lastHeartbeatMs) / 1000);
      },
    });
    new Gauge({
      name: 'dfs_replication_queue_blocks',
      help: 'Blocks below their replication at the leader\'s last scan (0 on followers, which do not decide)',
      registers,
      async collect() {
        this.set((await replicationStats())?.underReplicated ?? 0);
      },
    });
    new Gauge({
      name: 'dfs_replication_pending_blocks',
      help: 'Block copies scheduled by the leader and not yet reported done',
      registers,
      async collect() {
        this.set((await replicationStats())?.pending ?? 0);
      },
    });
  }
}

/** Labels for the namenode's requests: client RPC by method, WebHDFS by op; other routes are not counted (a batch's calls are, one by one: countBatchedCall). */
export function classifyNamenodeRequest(request: FastifyRequest): { api: string; op: string } | undefined {
  const route = request.routeOptions.url;
  if (route === '/rpc/v1/client/:method') return { api: 'rpc', op: boundedLabel((request.params as { method?: string }).method, RPC_METHODS) };
  if (route === WEBHDFS_PREFIX || route === `${WEBHDFS_PREFIX}/*`) return { api: 'webhdfs', op: boundedLabel(rawOp(request.query)?.toUpperCase(), WEBHDFS_OP_NAMES) };
  return undefined;
}

/** Counts one call of a client batch as if it had come alone: its method, its status, its own time. */
export function countBatchedCall(metrics: NamenodeMetrics, method: string, status: number, seconds: number): void {
  const labels = { api: 'rpc', op: boundedLabel(method, RPC_METHODS), status: String(status) };
  metrics.requests.requests.inc(labels);
  metrics.requests.duration.observe(labels, seconds);
}

/** Counts requests and serves /metrics; the replication stats come from the admin route, in process. */
export function installNamenodeMetrics(app: FastifyInstance, metrics: NamenodeMetrics, namesystem: Namesystem, raft: RaftNamespaceLog, heartbeatIntervalMs: number): void {
  instrumentRequests(app, metrics.requests, classifyNamenodeRequest);
  let cached: { atMs: number; stats: Promise<{ underReplicated: number; pending: number } | undefined> } | undefined;
  const replicationStats = () => {
    // Both replication gauges share one look-up per scrape.
    if (!cached || Date.now() - cached.atMs > 100) {
      cached = {
        atMs: Date.now(),
        stats: app
          .inject({ method: 'GET', url: '/rpc/v1/admin/replication' })
          .then((answer) => (answer.statusCode === 200 ? (answer.json() as { isLeader: boolean; stats: { underReplicated: number; pending: number } }) : undefined))
          .then((body) => (body?.isLeader ? body.stats : undefined))
          .catch(() => undefined),
      };
    }
    return cached.stats;
  };
  metrics.observe(namesystem, raft, heartbeatIntervalMs, replicationStats);
}
