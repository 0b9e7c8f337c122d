// HTTP plumbing shared by every server and client: mapping errors to Hadoop's RemoteException on the
// way out and back into DfsError on the way in, and a JSON RPC call over undici.

import type { FastifyInstance, FastifyError, FastifyReply } from 'fastify';
import { request, type Dispatcher } from 'undici';
import { z, ZodError } from 'zod';
import { DfsError } from './errors.js';
import { REQUEST_ID_HEADER, currentRequestId } from './request-id.js';

/** Installs the error and not-found handlers that answer every failure as a RemoteException. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DfsError | ZodError, req, reply) => {
    const dfsError = toDfsError(error);
    // Fastify's own 4xx (body too large, malformed JSON, bad content type) keep their status.
    const fastifyStatus = (error as Partial<FastifyError>).statusCode;
    const status = !(error instanceof DfsError) && fastifyStatus && fastifyStatus < 500 ? fastifyStatus : dfsError.status;
    // 503 means "retry, possibly elsewhere" (no leader yet, shutting down): expected, not a fault.
    if (status >= 500 && status !== 503) req.log.error({ err: error }, 'request failed');
    else if (status === 503) req.log.info({ reason: dfsError.message }, 'request deferred');
    else req.log.debug({ err: error }, 'request rejected');
    void reply.code(status).type('application/json').send(dfsError.toRemoteException());
  });
  app.setNotFoundHandler((req, reply) => {
    const error = new DfsError('UnsupportedOperation', `No such endpoint: ${req.method} ${req.url.split('?')[0]}`);
    void reply.code(404).type('application/json').send(error.toRemoteException());
  });
}

/**
 * Fastify's `frameworkErrors` option: errors raised before any route runs (a malformed percent-escape
 * in the URL, an over-long path parameter) are answered as RemoteExceptions too, not fastify's own body.
 */
export function answerFrameworkError(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply.code(status).type('application/json').send(new DfsError('IllegalArgument', error.message, { code: error.code }).toRemoteException());
}

/**
 * An answer sent when a request body was read only in part (an upload refused half-way) closes the
 * connection: the unread rest would otherwise block the next request a keep-alive client sends on
 * it, unanswered until the keep-alive timeout. (A body never read at all Node discards itself.)
 */
export function closeConnectionsWithUnreadBodies(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.raw.readableDidRead && !request.raw.complete) void reply.header('connection', 'close');
    return payload;
  });
}

export function toDfsError(error: unknown): DfsError {
  if (error instanceof DfsError) return error;
  if (error instanceof ZodError) return new DfsError('IllegalArgument', describeZodError(error));
  const fastifyError = error as Partial<FastifyError> | undefined;
  if (fastifyError && typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return new DfsError('IllegalArgument', fastifyError.message ?? 'bad request', { code: fastifyError.code });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new DfsError('Internal', message);
}

export function describeZodError(error: ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; ');
}

/** Parses `value` with `schema`, turning a failure into a 400 IllegalArgument naming the fields. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new DfsError('IllegalArgument', `Invalid ${what}: ${describeZodError(result.error)}`);
  return result.data;
}

export interface RpcOptions {
  dispatcher?: Dispatcher;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Sees the answer's headers (e.g. a namenode's hint about who leads). */
  onResponseHeaders?: (headers: Record<string, string | string[] | undefined>) => void;
}

const RPC_TIMEOUT_MS_DEFAULT = 30_000;

/**
 * POSTs a JSON request and validates the JSON answer. Network failures become `Unavailable` (the
 * caller may retry elsewhere); error answers become the DfsError the server raised.
 */
export async function postJson<S extends z.ZodType>(
  url: string,
  body: unknown,
  responseSchema: S,
  options: RpcOptions = {},
): Promise<z.infer<S>> {
  const timeoutMs = options.timeoutMs ?? RPC_TIMEOUT_MS_DEFAULT;
  // Work done for a request carries its id on (a follower forwarding to the leader, a datanode calling a namenode).
  const requestId = currentRequestId();
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}), ...options.headers },
      dispatcher: options.dispatcher,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new DfsError('Unavailable', `Cannot reach ${new URL(url).origin}: ${(error as Error).message}`, { url });
  }
  options.onResponseHeaders?.(response.headers);
  const text = await response.body.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : {};
  } catch {
    throw new DfsError('Io', `Malformed JSON from ${url} (HTTP ${response.statusCode}): ${text.slice(0, 200)}`, { url });
  }
  if (response.statusCode >= 400) throw DfsError.fromRemoteException(json, response.statusCode);
  return parseAnswer(responseSchema, json, url);
}

/** A remote answer checked against its schema; an answer that does not fit is an Io error naming `url`. */
export function parseAnswer<S extends z.ZodType>(schema: S, json: unknown, url: string): z.infer<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new DfsError('Io', `Unexpected answer from ${url}: ${describeZodError(parsed.error)}`, { url });
  return parsed.data;
}
