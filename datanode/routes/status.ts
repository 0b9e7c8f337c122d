// GET /dfs/v1/status: what an operator (or a test) wants to know about this datanode at a glance.

import type { FastifyPluginAsync } from 'fastify';
import type { DatanodeContext } from '../context.js';

export function statusRoutes(ctx: DatanodeContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/dfs/v1/status', async () => {
      await ctx.store.refreshDiskStats();
      return {
        uuid: ctx.uuid,
        url: ctx.url,
        rack: ctx.rack,
        blocks: ctx.store.size,
        volumes: ctx.store.volumeReports(),
        transfers: { ...ctx.transfers },
        scanner: ctx.scanner ? { ...ctx.scanner.stats, ...ctx.scanner.config } : undefined,
      };
    });
  };
}
