// Request ids: one id follows a client's operation from the client library through the namenode to
// the datanodes (`x-request-id` header, or `requestid` on a WebHDFS redirect URL). The id of the
// work in progress lives in an AsyncLocalStorage scope, so loggers (see shared/logger.ts) stamp it
// on every line and outgoing HTTP requests (requestIdInterceptor) carry it on.

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';

export const REQUEST_ID_HEADER = 'x-request-id';
/** The query parameter a WebHDFS redirect carries the id in (a redirected client drops headers). */
export const REQUEST_ID_PARAM = 'requestid';
/** Ids from outside are used only when short and plain, so they are safe in logs and URLs. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

const scope = new AsyncLocalStorage<string>();

export const newRequestId = (): string => randomUUID();

export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value);
}

/** The id of the operation this code runs for, if any. */
export function currentRequestId(): string | undefined {
  return scope.getStore();
}

/** Runs `fn` (and everything it starts) under one request id: a new one unless given. */
export function withRequestId<T>(fn: () => T, id: string = newRequestId()): T {
  return scope.run(id, fn);
}

/**
 * Makes `id` the current request id for the rest of this synchronous run and everything it starts
 * (used by servers in their first request hook: events of the request's socket then carry it too).
 */
export function enterRequestId(id: string): void {
  scope.enterWith(id);
}

/** An undici interceptor: every request leaving through it carries the current id (or a fresh one). */
export const requestIdInterceptor: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
  const id = currentRequestId() ?? newRequestId();
  return dispatch({ ...options, headers: withHeader(options.headers, id) }, handler);
};

function withHeader(headers: Dispatcher.DispatchOptions['headers'], id: string): Dispatcher.DispatchOptions['headers'] {
  if (headers === undefined || headers === null) return { [REQUEST_ID_HEADER]: id };
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === REQUEST_ID_HEADER) return headers;
    return [...headers, REQUEST_ID_HEADER, id] as typeof headers;
  }
  if (typeof headers === 'object' && !(Symbol.iterator in headers)) {
    const record = headers as Record<string, string | string[] | undefined>;
    if (record[REQUEST_ID_HEADER] !== undefined) return headers;
    return { ...record, [REQUEST_ID_HEADER]: id };
  }
  return headers;
}

/** A dispatcher whose requests carry request ids. */
export function withRequestIds(dispatcher: Dispatcher): Dispatcher {
  return dispatcher.compose(requestIdInterceptor);
}

/** fastify's genReqId: the caller's id when well-formed (header, else a WebHDFS redirect's parameter), else a new one. */
export function requestIdOf(request: { headers: Record<string, string | string[] | undefined>; url?: string }): string {
  const header = request.headers[REQUEST_ID_HEADER];
  if (isValidRequestId(header)) return header;
  const url = request.url ?? '';
  const at = url.indexOf(`${REQUEST_ID_PARAM}=`);
  if (at > 0 && (url[at - 1] === '?' || url[at - 1] === '&')) {
    const fromQuery = new URLSearchParams(url.slice(url.indexOf('?'))).get(REQUEST_ID_PARAM);
    if (isValidRequestId(fromQuery)) return fromQuery;
  }
  return newRequestId();
}

/** fastify options that make request ids the scope of each request (pair with scopeRequests). */
export const requestIdServerOptions = {
  genReqId: requestIdOf,
  // The logger stamps the id itself (shared/logger.ts), so request loggers add nothing.
  childLoggerFactory: <L>(logger: L): L => logger,
};

/** Enters the request's id scope first thing, so every hook, handler and body event runs under it. */
export function scopeRequests(app: { addHook(name: 'onRequest', hook: (request: { id: string }, reply: unknown, done: () => void) => void): unknown }): void {
  app.addHook('onRequest', (request, _reply, done) => {
    enterRequestId(request.id);
    done();
  });
}

/** Runs `fn` outside any request's scope: for shared background work a request merely woke up. */
export function outsideRequestScope<T>(fn: () => T): T {
  return scope.exit(fn);
}
