// Operator-facing status: the namenode's role, the datanodes it knows, the namespace's block health
// (namenode/cluster-report.ts), for `dfs dfsadmin -report`, `dfs -df`, the web UI and tests that wait
// for a cluster to be ready; and the namenodes of the Raft group, each asked for its own status.

import type { FastifyInstance } from 'fastify';
import { ClusterReport } from '../../shared/cluster-report.js';
import { NamenodeGroup, namenodeGroup } from '../../shared/namenode-group.js';
import type { ClusterReporter } from '../cluster-report.js';

export async function statusRoutes(app: FastifyInstance, options: { reporter: ClusterReporter; url: string }): Promise<void> {
  app.get('/rpc/v1/admin/report', async (): Promise<ClusterReport> => ClusterReport.parse(options.reporter.report()));

  app.get('/rpc/v1/admin/namenodes', async (): Promise<NamenodeGroup> => NamenodeGroup.parse({ namenodes: await namenodeGroup([options.url]) }));
}
