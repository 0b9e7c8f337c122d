// Prometheus metrics shared by every node: one prom-client Registry per process (with Node's default
// process metrics), per-request counters and latency histograms filled from one fastify hook, and the
// GET /metrics route. Each role registers its own metrics on top (namenode/metrics.ts, datanode/metrics.ts).
// Hot paths pay per request or per block, never per chunk.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Request latency buckets, 1 ms to 60 s: metadata calls sit at the low end, block transfers high. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** What a request was, for its labels; undefined leaves it uncounted (e.g. /metrics itself). */
export type RequestClassifier = (request: FastifyRequest) => { api: string; op: string } | undefined;

export interface RequestMetrics {
  requests: Counter<'api' | 'op' | 'status'>;
  duration: Histogram<'api' | 'op' | 'status'>;
}

export function requestMetrics(registry: Registry, role: 'namenode' | 'datanode'): RequestMetrics {
  return {
    requests: new Counter({
      name: `dfs_${role}_requests_total`,
      help: `Requests answered by this ${role}, by API, operation and HTTP status`,
      labelNames: ['api', 'op', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: `dfs_${role}_request_duration_seconds`,
      help: `Time from a request's arrival to the end of its answer, by API, operation and HTTP status`,
      labelNames: ['api', 'op', 'status'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
  };
}

/**
 * Counts and times every classified request once its answer is sent (a root hook: it sees the
 * requests of every plugin), and logs it at debug level with its request id.
 */
export function instrumentRequests(app: FastifyInstance, metrics: RequestMetrics, classify: RequestClassifier): void {
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    const kind = classify(request);
    if (kind) {
      const labels = { api: kind.api, op: kind.op, status: String(reply.statusCode) };
      const seconds = reply.elapsedTime / 1000;
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, seconds);
      request.log.debug({ ...kind, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed');
    }
    done();
  });
}

/** GET /metrics in Prometheus text format. */
export function metricsRoutes(registry: Registry) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/metrics', async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    });
  };
}

/** `op` label value from a closed set, so a caller cannot grow the label space. */
export function boundedLabel(value: string | undefined, allowed: ReadonlySet<string>): string {
  return value !== undefined && allowed.has(value) ? value : 'other';
}
