// Datanode protocol: registration, heartbeats and block reports. Soft state only: these never go
// through the namespace log. This plugin also runs what acts on that soft state: the replication
// monitor (built by the server, which shares it with the cluster report), and the admin routes
// (fsck, decommissioning) that read it.

import type { FastifyInstance } from 'fastify';
import { DatanodeRpc, type HaState } from '../../shared/protocol.js';
import { parseInput } from '../../shared/http.js';
import type { Namesystem } from '../namesystem.js';
import type { ReplicationMonitor } from '../datanodes/replication-monitor.js';
import { adminRoutes } from './admin.js';
import { requireClusterSecret } from '../../shared/peer-auth.js';

const DATANODE_RPC_PREFIX = '/rpc/v1/datanode/';

export async function datanodeRpcRoutes(
  app: FastifyInstance,
  options: {
    namesystem: Namesystem;
    namenodeId: string;
    heartbeatIntervalMs: number;
    monitor: ReplicationMonitor;
    /** The configured cluster secret: datanodes must present it. Unchecked when none is configured. */
    secret?: string;
  },
): Promise<void> {
  const { namesystem, monitor } = options;
  const datanodes = namesystem.datanodes;
  app.addHook('onReady', async () => monitor.start());
  app.addHook('onClose', async () => monitor.stop());
  await app.register(adminRoutes, { namesystem, monitor });
  if (options.secret !== undefined) {
    const check = requireClusterSecret(options.secret, 'Datanode request');
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith(DATANODE_RPC_PREFIX)) await check(request);
    });
  }

  const haState = (): HaState => (namesystem.log.isLeader ? 'active' : 'standby');

  app.post('/rpc/v1/datanode/register', async (request) => {
    const input = parseInput(DatanodeRpc.register.request, request.body, 'register request');
    datanodes.register(input.node, input.storage);
    request.log.info({ datanode: input.node.uuid, url: input.node.url }, 'datanode registered');
    return { namenodeId: options.namenodeId, clusterId: namesystem.clusterId, heartbeatIntervalMs: options.heartbeatIntervalMs, haState: haState() };
  });

  app.post('/rpc/v1/datanode/heartbeat', async (request) => {
    const input = parseInput(DatanodeRpc.heartbeat.request, request.body, 'heartbeat');
    const commands = datanodes.heartbeat(input.uuid, input.storage);
    return { commands: commands ?? [{ type: 'reregister' }], haState: haState() };
  });

  app.post('/rpc/v1/datanode/blockReport', async (request) => {
    const input = parseInput(DatanodeRpc.blockReport.request, request.body, 'block report');
    const known = namesystem.processBlockReport(input.uuid, input.blocks);
    return { commands: known ? [] : [{ type: 'reregister' }] };
  });

  app.post('/rpc/v1/datanode/blockReceivedAndDeleted', async (request) => {
    const input = parseInput(DatanodeRpc.blockReceivedAndDeleted.request, request.body, 'incremental block report');
    namesystem.processIncrementalReport(input.uuid, input.received ?? [], input.deleted ?? []);
    return { haState: haState() };
  });

  app.post('/rpc/v1/datanode/reportBadBlocks', async (request) => {
    const input = parseInput(DatanodeRpc.reportBadBlocks.request, request.body, 'bad block report');
    for (const block of input.blocks) {
      const marked = datanodes.markCorrupt(input.uuid, block);
      request.log.warn({ datanode: input.uuid, blockId: block.blockId, genStamp: block.genStamp, marked }, 'corrupt replica reported');
    }
    return {};
  });
}
