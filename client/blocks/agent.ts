// The HTTP connection pool client-side block I/O uses unless the caller passes its own: keep-alive,
// so reading a file block after block reuses connections to the same datanodes.

import { Agent, type Dispatcher } from 'undici';

let shared: Agent | undefined;

export function defaultBlockDispatcher(): Dispatcher {
  shared ??= new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 64 });
  return shared;
}
