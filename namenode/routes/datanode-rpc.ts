// Datanode protocol: registration, heartbeats and block reports. Soft state only: these never go
// through the namespace log.

import type { FastifyInstance } from 'fastify';
import { DatanodeRpc } from '../../shared/protocol.js';
import { parseInput } from '../../shared/http.js';
import type { Namesystem } from '../namesystem.js';

export async function datanodeRpcRoutes(
  app: FastifyInstance,
  options: { namesystem: Namesystem; namenodeId: string; heartbeatIntervalMs: number },
): Promise<void> {
  const { namesystem } = options;
  const datanodes = namesystem.datanodes;

  app.post('/rpc/v1/datanode/register', async (request) => {
    const input = parseInput(DatanodeRpc.register.request, request.body, 'register request');
    datanodes.register(input.node, input.storage);
    request.log.info({ datanode: input.node.uuid, url: input.node.url }, 'datanode registered');
    return { namenodeId: options.namenodeId, clusterId: namesystem.clusterId, heartbeatIntervalMs: options.heartbeatIntervalMs };
  });

  app.post('/rpc/v1/datanode/heartbeat', async (request) => {
    const input = parseInput(DatanodeRpc.heartbeat.request, request.body, 'heartbeat');
    const commands = datanodes.heartbeat(input.uuid, input.storage);
    return { commands: commands ?? [{ type: 'reregister' }] };
  });

  app.post('/rpc/v1/datanode/blockReport', async (request) => {
    const input = parseInput(DatanodeRpc.blockReport.request, request.body, 'block report');
    const known = namesystem.processBlockReport(input.uuid, input.blocks);
    return { commands: known ? [] : [{ type: 'reregister' }] };
  });

  app.post('/rpc/v1/datanode/blockReceivedAndDeleted', async (request) => {
    const input = parseInput(DatanodeRpc.blockReceivedAndDeleted.request, request.body, 'incremental block report');
    for (const block of input.received ?? []) datanodes.replicaReceived(input.uuid, block);
    for (const block of input.deleted ?? []) datanodes.replicaRemoved(input.uuid, block.blockId);
    return {};
  });

  app.post('/rpc/v1/datanode/reportBadBlocks', async (request) => {
    const input = parseInput(DatanodeRpc.reportBadBlocks.request, request.body, 'bad block report');
    for (const block of input.blocks) {
      request.log.warn({ datanode: input.uuid, blockId: block.blockId }, 'corrupt replica reported');
      datanodes.replicaRemoved(input.uuid, block.blockId);
    }
    return {};
  });
}
