// Assembles the namenode's HTTP server: one fastify plugin per surface (client RPC, datanode RPC,
// status, Raft peers, Raft administration, web UI), sharing the error mapping to Hadoop's RemoteException.

import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { answerFrameworkError, closeConnectionsWithUnreadBodies, installErrorHandlers } from '../shared/http.js';
import { httpsServerOptions, type TlsFiles } from '../shared/tls.js';
import { metricsRoutes } from '../shared/metrics.js';
import { requestIdServerOptions, scopeRequests } from '../shared/request-id.js';
import { countBatchedCall, installNamenodeMetrics, type NamenodeMetrics } from './metrics.js';
import type { AuditLog } from './audit-log.js';
import { RPC_BODY_BYTES_MAX } from '../shared/constants.js';
import type { Namesystem } from './namesystem.js';
import { clientRpcRoutes } from './routes/client-rpc.js';
import { datanodeRpcRoutes } from './routes/datanode-rpc.js';
import { statusRoutes } from './routes/status.js';
import { ClusterReporter } from './cluster-report.js';
import { ReplicationMonitor, replicationMonitorDefaults } from './datanodes/replication-monitor.js';
import { raftAdminRoutes } from './routes/raft-admin.js';
import { imageRoutes } from './routes/image.js';
import { peerRoutes } from './raft-group/peer-routes.js';
import type { RaftNamespaceLog } from './raft-group/raft-namespace-log.js';
import { webhdfsNamenodeRoutes } from './webhdfs/routes.js';
import { namenodeWebUi } from './web-ui/plugin.js';
import { NamenodeAuth } from './security/auth.js';
import { tokenRoutes } from './routes/tokens.js';

export interface NamenodeServerOptions {
  namesystem: Namesystem;
  raft: RaftNamespaceLog;
  secret: string;
  /** False when the secret was generated for a group of one: datanodes cannot know it, so they are not asked for it. */
  secretConfigured: boolean;
  /** HTTPS certificate and key; plain HTTP without. */
  tls?: TlsFiles;
  /** Refuse client calls without a valid bearer token. */
  requireToken?: boolean;
  blockTokenLifetimeMs?: number;
  superuser: string;
  url: string;
  namenodeId: string;
  heartbeatIntervalMs: number;
  startedAtMs: number;
  logger: Logger;
  webhdfsProxy?: boolean;
  /** Prometheus metrics served at /metrics. */
  metrics?: NamenodeMetrics;
  /** The audit log (none with --no-audit). */
  audit?: AuditLog;
  /** Close a connection idle this long. */
  idleTimeoutMs?: number;
}

/**
 * A connection that moves no byte for this long is closed, so a client trickling a request body
 * and going silent cannot hold a socket (and up to RPC_BODY_BYTES_MAX of buffered JSON) forever.
 * Far longer than any request waits in silence (a relayed write, a read barrier, hashing an image).
 */
export const NAMENODE_IDLE_TIMEOUT_MS_DEFAULT = 150_000;

export async function buildNamenodeServer(options: NamenodeServerOptions): Promise<FastifyInstance> {
  // An https server is typed apart from an http one; every route here is the same on both.
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: RPC_BODY_BYTES_MAX,
    logController: new LogController({ disableRequestLogging: true }),
    connectionTimeout: options.idleTimeoutMs ?? NAMENODE_IDLE_TIMEOUT_MS_DEFAULT,
    frameworkErrors: answerFrameworkError,
    ...requestIdServerOptions,
    ...httpsServerOptions(options.tls),
  }) as unknown as FastifyInstance;
  installErrorHandlers(app);
  closeConnectionsWithUnreadBodies(app);
  const auth = new NamenodeAuth({ secret: options.secret, requireToken: options.requireToken ?? false, blockTokenLifetimeMs: options.blockTokenLifetimeMs }, options.namesystem.store);
  options.namesystem.blockTokens = auth.blockTokens;
  scopeRequests(app);
  if (options.metrics) {
    installNamenodeMetrics(app, options.metrics, options.namesystem, options.raft, options.heartbeatIntervalMs);
    await app.register(metricsRoutes(options.metrics.registry));
  }
  const metrics = options.metrics;
  await app.register(clientRpcRoutes, {
    namesystem: options.namesystem,
    selfUrl: options.url,
    audit: options.audit,
    auth,
    onBatchedCall: metrics ? (method, status, seconds) => countBatchedCall(metrics, method, status, seconds) : undefined,
  });
  await app.register(tokenRoutes, { namesystem: options.namesystem, auth });
  const monitor = new ReplicationMonitor(
    options.namesystem.store,
    options.namesystem.log,
    options.namesystem.datanodes,
    replicationMonitorDefaults(options.heartbeatIntervalMs),
    options.logger.child({ component: 'replication' }),
  );
  await app.register(datanodeRpcRoutes, {
    namesystem: options.namesystem,
    namenodeId: options.namenodeId,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    monitor,
    secret: options.secretConfigured ? options.secret : undefined,
  });
  const reporter = new ClusterReporter({ namesystem: options.namesystem, monitor, namenodeId: options.namenodeId, url: options.url, startedAtMs: options.startedAtMs });
  await app.register(statusRoutes, { reporter, url: options.url });
  await app.register(raftAdminRoutes, { raft: options.raft, superuser: options.superuser, url: options.url, auth });
  await app.register(imageRoutes, { namesystem: options.namesystem });
  await app.register(peerRoutes, { raft: options.raft, secret: options.secret });
  await app.register(webhdfsNamenodeRoutes, { namesystem: options.namesystem, selfUrl: options.url, proxy: options.webhdfsProxy, audit: options.audit, auth });
  await app.register(namenodeWebUi);
  return app;
}
