// Batched namenode calls. Every call a process makes to one namenode in the same turn of the event
// loop travels in one HTTP request (POST /rpc/v1/client-batch): a namenode then parses one request
// for many calls and proposes their changes to Raft together, and the client pays one round trip.
// A lone call waits for nothing: the batch leaves on the next setImmediate. Like Hadoop IPC, which
// shares one connection among the DFSClients of a JVM that talk to the same address as the same
// user, clients of one process that talk to the same namenode with the same headers share a channel.
// Reads and writes travel in separate batches, so a quick read never waits for a Raft commit.

import { Agent, type Dispatcher } from 'undici';
import { CLIENT_BATCH_MAX_CALLS, CLIENT_BATCH_PATH, ClientBatchResponse, type ClientMethod } from '../shared/protocol.js';
import { DfsError } from '../shared/errors.js';
import { postJson } from '../shared/http.js';
import { REQUEST_ID_HEADER } from '../shared/request-id.js';
import { agentTlsOptions } from '../shared/tls.js';

/**
 * Calls per batch request (the namenode takes up to CLIENT_BATCH_MAX_CALLS). Small enough that many
 * callers keep several batches in flight, so the client's and the namenode's work overlap instead
 * of taking turns: with 16 callers, batches of 8 gave 10,400..11,400 stats/s and 1,500 mkdirs/s,
 * batches of 16 gave 8,700..9,500 and 1,340..1,400 (`npm run bench -- --only mkdir,stat`).
 */
const BATCH_CALLS_MAX = Math.min(8, CLIENT_BATCH_MAX_CALLS);

export interface BatchedCall {
  method: ClientMethod;
  request: Record<string, unknown>;
  /** The operation's request id, so the namenode's log lines for this call carry it. */
  requestId: string;
  signal?: AbortSignal;
  /** Gets the answer's response headers (the leader hint). */
  onResponseHeaders?: (headers: Record<string, string | string[] | undefined>) => void;
}

interface Pending extends BatchedCall {
  resolve: (answer: unknown) => void;
  reject: (error: unknown) => void;
  settled: boolean;
  detach?: () => void;
}

export interface ChannelStats {
  /** HTTP requests sent (each one a batch). */
  requests: number;
  /** Calls they carried. */
  calls: number;
}

export class RpcChannel {
  readonly stats: ChannelStats = { requests: 0, calls: 0 };
  private readonly queues: { reads: Pending[]; writes: Pending[] } = { reads: [], writes: [] };
  private flushScheduled = false;

  constructor(
    readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly dispatcher: Dispatcher,
    private readonly attemptTimeoutMs: number,
    private readonly isRead: (method: ClientMethod) => boolean,
  ) {}

  /** Resolves with the method's answer (not yet validated against its schema), or rejects with its DfsError. */
  call(call: BatchedCall): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { ...call, resolve, reject, settled: false };
      if (call.signal) {
        if (call.signal.aborted) return reject(call.signal.reason);
        const signal = call.signal;
        const onAbort = () => settle(pending, () => pending.reject(signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        // A signal shared by many calls must not keep a listener per settled call.
        pending.detach = () => signal.removeEventListener('abort', onAbort);
      }
      (this.isRead(call.method) ? this.queues.reads : this.queues.writes).push(pending);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const queue of [this.queues.reads, this.queues.writes]) {
      while (queue.length > 0) {
        const calls = queue.splice(0, BATCH_CALLS_MAX).filter((pending) => !pending.settled);
        if (calls.length > 0) void this.send(calls);
      }
    }
  }

  private async send(calls: Pending[]): Promise<void> {
    this.stats.requests += 1;
    this.stats.calls += calls.length;
    try {
      const { results } = await postJson(
        `${this.url}${CLIENT_BATCH_PATH}`,
        { calls: calls.map(({ method, request, requestId }) => ({ method, request, requestId })) },
        ClientBatchResponse,
        {
          dispatcher: this.dispatcher,
          headers: { ...this.headers, [REQUEST_ID_HEADER]: calls[0].requestId },
          timeoutMs: this.attemptTimeoutMs,
          onResponseHeaders: (headers) => {
            for (const pending of calls) pending.onResponseHeaders?.(headers);
          },
        },
      );
      if (results.length !== calls.length) throw new DfsError('Io', `Batch answer from ${this.url} has ${results.length} results for ${calls.length} calls`);
      results.forEach((result, i) => {
        const pending = calls[i];
        if ('ok' in result) settle(pending, () => pending.resolve(result.ok));
        else settle(pending, () => pending.reject(DfsError.fromRemoteException(result.error, result.status)));
      });
    } catch (error) {
      // The request as a whole failed (namenode unreachable, timed out): every call gets the error;
      // each caller's failover decides whether to retry elsewhere.
      for (const pending of calls) settle(pending, () => pending.reject(error));
    }
  }
}

function settle(pending: Pending, action: () => void): void {
  if (pending.settled) return;
  pending.settled = true;
  pending.detach?.();
  action();
}

/** The channels of this process, shared by the clients that use the default connection pool. */
class ChannelRegistry {
  private readonly channels = new Map<string, { channel: RpcChannel; users: number }>();
  /** Shared by the channels; closed when the last one is released. */
  private agent: Agent | undefined;

  acquire(url: string, headers: Record<string, string>, attemptTimeoutMs: number, isRead: (method: ClientMethod) => boolean): RpcChannel {
    const key = channelKey(url, headers, attemptTimeoutMs);
    let entry = this.channels.get(key);
    if (!entry) {
      this.agent ??= new Agent({ keepAliveTimeout: 30_000, connections: 64, ...agentTlsOptions() });
      entry = { channel: new RpcChannel(url, headers, this.agent, attemptTimeoutMs, isRead), users: 0 };
      this.channels.set(key, entry);
    }
    entry.users += 1;
    return entry.channel;
  }

  async release(channel: RpcChannel): Promise<void> {
    for (const [key, entry] of this.channels) {
      if (entry.channel !== channel) continue;
      entry.users -= 1;
      if (entry.users === 0) this.channels.delete(key);
      break;
    }
    if (this.channels.size === 0 && this.agent) {
      const agent = this.agent;
      this.agent = undefined;
      await agent.close();
    }
  }
}

function channelKey(url: string, headers: Record<string, string>, attemptTimeoutMs: number): string {
  const sorted = Object.keys(headers)
    .sort()
    .map((name) => [name.toLowerCase(), headers[name]]);
  return JSON.stringify([url, sorted, attemptTimeoutMs]);
}

export const sharedChannels = new ChannelRegistry();
