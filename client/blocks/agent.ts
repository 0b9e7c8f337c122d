// The HTTP connection pool client-side block I/O uses unless the caller passes its own: keep-alive,
// so reading a file block after block reuses connections to the same datanodes.

import { Agent, type Dispatcher } from 'undici';
import { withRequestIds } from '../../shared/request-id.js';
import { agentTlsOptions } from '../../shared/tls.js';

let shared: Dispatcher | undefined;

export function defaultBlockDispatcher(): Dispatcher {
  // Block transfers carry the request id of the operation they serve (shared/request-id.ts).
  shared ??= withRequestIds(new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 64, ...agentTlsOptions() }));
  return shared;
}
