// The datanode's HTTP server: one plugin per surface (block transfer, status), errors answered as
// Hadoop RemoteExceptions.

import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installErrorHandlers } from '../shared/http.js';
import { httpsServerOptions, type TlsFiles } from '../shared/tls.js';
import { requestIdServerOptions, scopeRequests } from '../shared/request-id.js';
import { installDatanodeMetrics } from './metrics.js';
import type { DatanodeContext } from './context.js';
import { blockTransferRoutes } from './routes/block-transfer.js';
import { statusRoutes } from './routes/status.js';
import { webhdfsDatanodeRoutes } from './webhdfs/routes.js';

export async function buildDatanodeServer(ctx: DatanodeContext, tls?: TlsFiles): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    // Per-request lines would drown the transfer logs; the routes log what matters.
    logController: new LogController({ disableRequestLogging: true }),
    // close() must not wait on a stalled upload: cut it (its temporary replica is then removed).
    forceCloseConnections: true,
    ...requestIdServerOptions,
    ...httpsServerOptions(tls),
  }) as unknown as FastifyInstance;
  installErrorHandlers(app);
  scopeRequests(app);
  await installDatanodeMetrics(app, ctx);
  await app.register(blockTransferRoutes(ctx));
  await app.register(statusRoutes(ctx));
  await app.register(webhdfsDatanodeRoutes(ctx));
  return app;
}
