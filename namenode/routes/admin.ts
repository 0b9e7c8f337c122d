// Operator RPC for the data path: fsck, decommissioning, and the replication monitor's state.
// `dfs fsck` and `dfs dfsadmin` speak it. Decommissioning is soft state, like the rest of what
// the namenode knows about datanodes: the CLI sends it to every namenode, and a restarted namenode
// forgets it (HDFS keeps it in an operator-maintained excludes file).

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DfsError } from '../../shared/errors.js';
import { parseInput } from '../../shared/http.js';
import { normalizePath } from '../../shared/paths.js';
import type { Namesystem } from '../namesystem.js';
import type { ReplicationMonitor } from '../datanodes/replication-monitor.js';
import type { DatanodeDescriptor } from '../datanodes/datanode-manager.js';
import { fsck } from '../datanodes/fsck.js';

const FsckQuery = z.object({
  path: z.string().min(1).max(8192).default('/'),
  details: z
    .enum(['0', '1', 'true', 'false'])
    .default('0')
    .transform((value) => value === '1' || value === 'true'),
});
const NodeRequest = z.object({ node: z.string().min(1).max(1024) });

export async function adminRoutes(app: FastifyInstance, options: { namesystem: Namesystem; monitor: ReplicationMonitor }): Promise<void> {
  const { namesystem, monitor } = options;
  const datanodes = namesystem.datanodes;

  app.get('/rpc/v1/admin/fsck', async (request) => {
    const query = parseInput(FsckQuery, request.query, 'fsck request');
    const path = normalizePath(query.path);
    await namesystem.log.readBarrier();
    const root = namesystem.store.resolve(path);
    if (!root) throw new DfsError('FileNotFound', `Path ${path} does not exist`, { path });
    return { ...fsck(namesystem.store, datanodes, root, path, query.details), blocksQueuedForReplication: monitor.stats.underReplicated };
  });

  app.get('/rpc/v1/admin/replication', async () => ({ isLeader: namesystem.log.isLeader, safeMode: monitor.safeMode, stats: monitor.stats, config: monitor.config }));

  const requireNode = (body: unknown): DatanodeDescriptor => {
    const { node } = parseInput(NodeRequest, body, 'datanode');
    const found = datanodes.lookup(node);
    if (!found) throw new DfsError('IllegalArgument', `Unknown datanode ${node} (give its uuid or advertised URL)`, { node });
    return found;
  };
  const describe = (node: DatanodeDescriptor) => ({ uuid: node.info.uuid, url: node.info.url, adminState: node.adminState, blocks: node.replicas.size });

  app.post('/rpc/v1/admin/decommission', async (request) => {
    const node = requireNode(request.body);
    if (node.adminState === 'normal') {
      datanodes.setAdminState(node, 'decommissioning');
      request.log.info({ datanode: node.info.url, uuid: node.info.uuid, blocks: node.replicas.size }, 'decommissioning started');
    }
    return describe(node);
  });

  app.post('/rpc/v1/admin/recommission', async (request) => {
    const node = requireNode(request.body);
    if (node.adminState !== 'normal') {
      datanodes.setAdminState(node, 'normal');
      request.log.info({ datanode: node.info.url, uuid: node.info.uuid }, 'recommissioned: back in service');
    }
    return describe(node);
  });
}
