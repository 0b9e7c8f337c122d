// GET /dfs/v1/status: what an operator (or a test, or the web UI) wants to know about this datanode
// at a glance: volumes, replicas, transfers in progress, and the last word of each namenode.

import type { FastifyPluginAsync } from 'fastify';
import { DatanodeStatus } from '../../shared/datanode-status.js';
import { DFS_VERSION } from '../../shared/version.js';
import type { DatanodeContext } from '../context.js';

/** Replicas named in the status's short list. */
export const BLOCK_SAMPLE_MAX = 20;

export function statusRoutes(ctx: DatanodeContext): FastifyPluginAsync {
  return async (app) => {
    const startedAtMs = Date.now();
    app.get('/dfs/v1/status', async (): Promise<DatanodeStatus> => {
      await ctx.store.refreshDiskStats();
      const now = Date.now();
      return DatanodeStatus.parse({
        uuid: ctx.uuid,
        url: ctx.url,
        rack: ctx.rack,
        version: DFS_VERSION,
        startedAtMs,
        uptimeMs: now - startedAtMs,
        blocks: ctx.store.size,
        blockSample: ctx.store.sample(BLOCK_SAMPLE_MAX).map((r) => ({ blockId: r.blockId, genStamp: r.genStamp, numBytes: r.numBytes, volume: r.volume.dir })),
        volumes: ctx.store.volumeReports(),
        transfers: { reads: ctx.transfers.reads, writes: ctx.transfers.writes, replications: ctx.transfers.replications },
        transfersInProgress: ctx.transfers.list().map((transfer) => ({ ...transfer, ageMs: now - transfer.startedAtMs })),
        namenodes: (ctx.links?.status() ?? []).map((link) => ({
          ...link,
          lastHeartbeat: link.lastHeartbeat && { ...link.lastHeartbeat, ageMs: now - link.lastHeartbeat.atMs },
        })),
        scanner: ctx.scanner ? { ...ctx.scanner.stats, ...ctx.scanner.config } : undefined,
      });
    });
  };
}
