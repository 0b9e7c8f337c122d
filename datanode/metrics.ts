// The datanode's Prometheus metrics: block transfer and WebHDFS requests (shared/metrics.ts), bytes
// and blocks read and written, checksum failures, aborted pipelines, and its storage as it reports
// it to the namenodes. Counters move once per block or per request; gauges are read when scraped.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { BLOCKS_PATH } from '../shared/block-transfer.js';
import { WEBHDFS_OPS, WEBHDFS_PREFIX, rawOp } from '../shared/webhdfs.js';
import { boundedLabel, createRegistry, instrumentRequests, metricsRoutes, requestMetrics, type RequestMetrics } from '../shared/metrics.js';
import { xceiverCount, type DatanodeContext } from './context.js';

const WEBHDFS_OP_NAMES: ReadonlySet<string> = new Set(Object.values(WEBHDFS_OPS).flat());
/** Disk statistics are refreshed at most this often, however many gauges read them. */
const DISK_STATS_MAX_AGE_MS = 500;

export type ChecksumFailureSource = 'read' | 'scanner' | 'upload';

export class DatanodeMetrics {
  readonly registry: Registry = createRegistry();
  readonly requests: RequestMetrics = requestMetrics(this.registry, 'datanode');
  private readonly bytesWritten = new Counter({ name: 'dfs_datanode_bytes_written_total', help: 'Bytes of replicas finalized here (client writes, pipeline hops, re-replication)', registers: [this.registry] });
  private readonly blocksWritten = new Counter({ name: 'dfs_datanode_blocks_written_total', help: 'Replicas finalized here', registers: [this.registry] });
  private readonly bytesRead = new Counter({ name: 'dfs_datanode_bytes_read_total', help: 'Bytes of block data served in full answers to reads', registers: [this.registry] });
  private readonly blocksRead = new Counter({ name: 'dfs_datanode_block_reads_total', help: 'Block reads served to the end of their range', registers: [this.registry] });
  private scannerCorruptFound: () => number = () => 0;
  private scannerCorruptCounted = 0;
  private readonly checksumFailures: Counter<'source'> = new Counter({
    name: 'dfs_datanode_checksum_failures_total',
    help: 'Checksum mismatches: in a replica served to a reader (read), found by the block scanner (scanner), or in an incoming upload (upload)',
    labelNames: ['source'],
    registers: [this.registry],
    collect: () => {
      const found = this.scannerCorruptFound();
      if (found > this.scannerCorruptCounted) this.checksumFailures.inc({ source: 'scanner' }, found - this.scannerCorruptCounted);
      this.scannerCorruptCounted = Math.max(this.scannerCorruptCounted, found);
    },
  });
  private readonly pipelineAborts = new Counter({
    name: 'dfs_datanode_pipeline_aborts_total',
    help: 'Block writes (pipeline hops) this datanode abandoned, by the kind of failure',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  blockWritten(numBytes: number): void {
    this.blocksWritten.inc();
    this.bytesWritten.inc(numBytes);
  }

  blockRead(numBytes: number): void {
    this.blocksRead.inc();
    this.bytesRead.inc(numBytes);
  }

  checksumFailure(source: ChecksumFailureSource): void {
    this.checksumFailures.inc({ source });
  }

  pipelineAborted(kind: string): void {
    this.pipelineAborts.inc({ kind });
  }

  /** Registers the gauges read from the block store, the transfers and the scanner at scrape time. */
  observe(ctx: DatanodeContext): void {
    const registers = [this.registry];
    let refreshed: { atMs: number; done: Promise<void> } | undefined;
    const storage = async () => {
      if (!refreshed || Date.now() - refreshed.atMs > DISK_STATS_MAX_AGE_MS) refreshed = { atMs: Date.now(), done: ctx.store.refreshDiskStats().catch(() => undefined) };
      await refreshed.done;
      return ctx.store.storageReport(xceiverCount(ctx));
    };
    new Gauge({ name: 'dfs_datanode_capacity_bytes', help: 'Capacity of this datanode\'s volumes (or its --capacity cap)', registers, async collect() { this.set((await storage()).capacityBytes); } });
    new Gauge({ name: 'dfs_datanode_used_bytes', help: 'Bytes used by block and checksum files', registers, async collect() { this.set((await storage()).usedBytes); } });
    new Gauge({ name: 'dfs_datanode_remaining_bytes', help: 'Space left for blocks', registers, async collect() { this.set((await storage()).remainingBytes); } });
    new Gauge({ name: 'dfs_datanode_blocks', help: 'Finalized replicas stored here', registers, collect() { this.set(ctx.store.size); } });
    new Gauge({
      name: 'dfs_datanode_transfers_in_progress',
      help: 'Block reads, writes and replications under way',
      labelNames: ['type'],
      registers,
      collect() {
        this.set({ type: 'read' }, ctx.transfers.reads);
        this.set({ type: 'write' }, ctx.transfers.writes);
        this.set({ type: 'replication' }, ctx.transfers.replications);
      },
    });
    // The scanner keeps its own totals; these counters advance by the difference at each scrape.
    const counterOfTotal = (name: string, help: string, total: () => number): void => {
      let counted = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const now = total();
          if (now > counted) this.inc(now - counted);
          counted = Math.max(counted, now);
        },
      });
    };
    counterOfTotal('dfs_datanode_scanner_bytes_total', 'Bytes verified by the block scanner', () => ctx.scanner?.stats.bytesScanned ?? 0);
    counterOfTotal('dfs_datanode_scanner_blocks_total', 'Replicas verified by the block scanner', () => ctx.scanner?.stats.blocksScanned ?? 0);
    this.scannerCorruptFound = () => ctx.scanner?.stats.corruptFound ?? 0;
  }
}

/** The metrics of a running datanode, found from its context by the routes that count. */
const byContext = new WeakMap<DatanodeContext, DatanodeMetrics>();

export function metricsOf(ctx: DatanodeContext): DatanodeMetrics | undefined {
  return byContext.get(ctx);
}

export function classifyDatanodeRequest(request: FastifyRequest): { api: string; op: string } | undefined {
  const route = request.routeOptions.url;
  if (route === `${BLOCKS_PATH}/:blockId`) return { api: 'block', op: request.method === 'PUT' ? 'write' : 'read' };
  if (route === WEBHDFS_PREFIX || route === `${WEBHDFS_PREFIX}/*`) return { api: 'webhdfs', op: boundedLabel(rawOp(request.query)?.toUpperCase(), WEBHDFS_OP_NAMES) };
  return undefined;
}

/** Creates the datanode's metrics, counts its requests and serves /metrics. */
export async function installDatanodeMetrics(app: FastifyInstance, ctx: DatanodeContext): Promise<DatanodeMetrics> {
  const metrics = new DatanodeMetrics();
  metrics.observe(ctx);
  byContext.set(ctx, metrics);
  instrumentRequests(app, metrics.requests, classifyDatanodeRequest);
  await app.register(metricsRoutes(metrics.registry));
  return metrics;
}
