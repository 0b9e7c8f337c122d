// The datanode's web UI at `/`: volumes, replicas, transfers in progress and the namenodes' last
// answers, read from GET /dfs/v1/status. See shared/web-ui/serve.ts for how the page is served.

import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { serveWebUi } from '../../shared/web-ui/serve.js';

export async function datanodeWebUi(app: FastifyInstance): Promise<void> {
  serveWebUi(app, { title: 'dfs datanode', area: 'datanode', browserDir: join(import.meta.dirname, 'browser'), entry: 'main.js' });
}
