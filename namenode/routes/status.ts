// Operator-facing status: the namenode's role and the datanodes it knows, for `dfs dfsadmin -report`
// and for tests that wait for a cluster to be ready.

import type { FastifyInstance } from 'fastify';
import type { Namesystem } from '../namesystem.js';

export async function statusRoutes(
  app: FastifyInstance,
  options: { namesystem: Namesystem; namenodeId: string; startedAtMs: number },
): Promise<void> {
  const { namesystem } = options;
  app.get('/rpc/v1/admin/report', async () => {
    const datanodes = namesystem.datanodes;
    return {
      namenode: {
        id: options.namenodeId,
        role: namesystem.log.role,
        clusterId: namesystem.clusterId,
        appliedIndex: namesystem.stateMachine.appliedIndex,
        startedAtMs: options.startedAtMs,
      },
      totals: datanodes.totals(),
      datanodes: datanodes.all().map((node) => ({
        uuid: node.info.uuid,
        url: node.info.url,
        rack: node.info.rack,
        state: datanodes.state(node),
        lastHeartbeatMs: node.lastHeartbeatMs,
        blocks: node.replicas.size,
        adminState: node.adminState,
        ...node.storage,
      })),
    };
  });
}
