// The datanode's HTTP server: one plugin per surface (block transfer, status, WebHDFS, web UI), errors answered as
// Hadoop RemoteExceptions.

import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { answerFrameworkError, closeConnectionsWithUnreadBodies, installErrorHandlers } from '../shared/http.js';
import { PIPELINE_ACK_TIMEOUT_MS } from '../shared/block-transfer.js';
import { httpsServerOptions, type TlsFiles } from '../shared/tls.js';
import { requestIdServerOptions, scopeRequests } from '../shared/request-id.js';
import { installDatanodeMetrics } from './metrics.js';
import type { DatanodeContext } from './context.js';
import { blockTransferRoutes } from './routes/block-transfer.js';
import { statusRoutes } from './routes/status.js';
import { webhdfsDatanodeRoutes } from './webhdfs/routes.js';
import { datanodeWebUi } from './web-ui/plugin.js';

/**
 * A connection that moves no byte for this long is closed: a client that stalls mid-upload (or
 * stops reading) must not hold a socket, a temporary replica and a transfer slot forever. Longer
 * than a pipeline hop may wait, silent, for the rest of the pipeline to fsync and acknowledge.
 */
export const DATANODE_IDLE_TIMEOUT_MS_DEFAULT = PIPELINE_ACK_TIMEOUT_MS + 30_000;

export async function buildDatanodeServer(ctx: DatanodeContext, options: { idleTimeoutMs?: number; tls?: TlsFiles } = {}): Promise<FastifyInstance> {
  const { tls } = options;
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    // Per-request lines would drown the transfer logs; the routes log what matters.
    logController: new LogController({ disableRequestLogging: true }),
    // close() must not wait on a stalled upload: cut it (its temporary replica is then removed).
    forceCloseConnections: true,
    // Node's socket idle timeout: the request stream errors, so the upload is aborted and cleaned up.
    connectionTimeout: options.idleTimeoutMs ?? DATANODE_IDLE_TIMEOUT_MS_DEFAULT,
    frameworkErrors: answerFrameworkError,
    ...requestIdServerOptions,
    ...httpsServerOptions(tls),
  }) as unknown as FastifyInstance;
  installErrorHandlers(app);
  closeConnectionsWithUnreadBodies(app);
  scopeRequests(app);
  await installDatanodeMetrics(app, ctx);
  await app.register(blockTransferRoutes(ctx));
  await app.register(statusRoutes(ctx));
  await app.register(webhdfsDatanodeRoutes(ctx));
  await app.register(datanodeWebUi);
  return app;
}
