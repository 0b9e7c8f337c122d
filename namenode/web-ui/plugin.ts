// The namenode's web UI (HDFS's dfshealth and explorer pages): served at `/`, reading the cluster
// report, the namenode group and WebHDFS from the browser. See shared/web-ui/serve.ts for how the
// browser modules are built and served.

import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { serveWebUi } from '../../shared/web-ui/serve.js';

export async function namenodeWebUi(app: FastifyInstance): Promise<void> {
  serveWebUi(app, { title: 'dfs namenode', area: 'namenode', browserDir: join(import.meta.dirname, 'browser'), entry: 'main.js' });
}
