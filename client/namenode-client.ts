// Talks to the namenodes: JSON RPC with failover. A call that fails because a namenode is down or
// is not the leader moves on to the next one; mutations carry a request id so a retry of a call
// whose answer was lost is answered from the first result instead of being applied twice.

import { randomUUID } from 'node:crypto';
import { Agent, type Dispatcher } from 'undici';
import { ClientRpc, LEADER_HINT_HEADER, SNAPSHOT_READ_METHODS, type ReadConsistency, type ClientMethod, type ClientRequest, type ClientResponse } from '../shared/protocol.js';
import { DfsError, isDfsError } from '../shared/errors.js';
import { parseAnswer, postJson } from '../shared/http.js';
import { RpcChannel, sharedChannels, type ChannelStats } from './rpc-batch.js';
import { agentTlsOptions } from '../shared/tls.js';
import { REQUEST_ID_HEADER, currentRequestId, newRequestId, withRequestId, withRequestIds } from '../shared/request-id.js';

export interface NamenodeClientOptions {
  namenodes: string[];
  user?: string;
  /** Consistency of reads (see ReadConsistency); linearizable unless told otherwise. */
  consistency?: ReadConsistency;
  dispatcher?: Dispatcher;
  /** Total time to keep retrying a call across namenodes before giving up. */
  failoverTimeoutMs?: number;
  /** Sent on every call (e.g. Authorization: Bearer <token>). */
  headers?: Record<string, string>;
  /**
   * Gather the calls made in the same event-loop turn into one request per namenode (default
   * true; see rpc-batch.ts). Off: one HTTP request per call.
   */
  batching?: boolean;
}

const FAILOVER_TIMEOUT_MS_DEFAULT = 60_000;
/** One attempt at one namenode; a paused or partitioned namenode costs at most this much. */
const ATTEMPT_TIMEOUT_MS = 15_000;
/** Pause after each full round over the namenodes grows by this much, up to the max: short, so a
 *  client notices a newly elected leader within a few tens of milliseconds. */
const FAILOVER_BACKOFF_STEP_MS = 20;
const FAILOVER_BACKOFF_MS_MAX = 250;
const READ_METHODS: ReadonlySet<ClientMethod> = new Set(['getFileInfo', 'listStatus', 'getBlockLocations', 'getContentSummary', 'renewLease', ...SNAPSHOT_READ_METHODS]);
/** Errors after which the same call may succeed on another namenode or a little later. */
const RETRIABLE = new Set(['Unavailable', 'NotLeader', 'SafeMode']);

export class NamenodeClient {
  readonly namenodes: string[];
  readonly user: string | undefined;
  readonly consistency: ReadConsistency;
  readonly clientId = randomUUID();
  private callId = 0;
  private current = 0;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly failoverTimeoutMs: number;
  private readonly headers: Record<string, string>;
  /** One batch channel per namenode (index as in `namenodes`), when batching. */
  private readonly channels: RpcChannel[] | undefined;
  private readonly sharesChannels: boolean;

  constructor(options: NamenodeClientOptions) {
    if (options.namenodes.length === 0) throw new DfsError('IllegalArgument', 'No namenode address given');
    this.namenodes = options.namenodes.map((url) => url.replace(/\/+$/, ''));
    this.user = options.user;
    this.consistency = options.consistency ?? 'linearizable';
    this.ownsDispatcher = !options.dispatcher;
    // Every request through it (RPCs, and the block reads and writes that share it) carries a request id.
    this.dispatcher = withRequestIds(options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connections: 64, ...agentTlsOptions() }));
    this.failoverTimeoutMs = options.failoverTimeoutMs ?? FAILOVER_TIMEOUT_MS_DEFAULT;
    this.headers = options.headers ?? {};
    const isRead = (method: ClientMethod) => READ_METHODS.has(method);
    this.sharesChannels = !options.dispatcher;
    if (options.batching === false) this.channels = undefined;
    else if (options.dispatcher) {
      // A dispatcher of the caller's own (a TLS or mock agent): channels of this client only.
      this.channels = this.namenodes.map((url) => new RpcChannel(url, this.headers, options.dispatcher as Dispatcher, ATTEMPT_TIMEOUT_MS, isRead));
    } else this.channels = this.namenodes.map((url) => sharedChannels.acquire(url, this.headers, ATTEMPT_TIMEOUT_MS, isRead));
  }

  /**
   * Runs `operation` under one request id (a new one unless given): every namenode call and block
   * transfer it makes sends that id, so the namenode's and datanodes' logs show it on every line.
   */
  withRequestId<T>(operation: () => T, id?: string): T {
    return withRequestId(operation, id);
  }

  get activeNamenode(): string {
    return this.namenodes[this.current];
  }

  async call<M extends ClientMethod>(method: M, request: ClientRequest<M>, signal?: AbortSignal): Promise<ClientResponse<M>> {
    const body = {
      user: this.user,
      ...request,
      ...(READ_METHODS.has(method) ? { consistency: this.consistency } : { requestId: { clientId: this.clientId, callId: this.callId++ } }),
    };
    // The operation's id (withRequestId), else one per call; retries on other namenodes keep it.
    const requestId = currentRequestId() ?? newRequestId();
    const deadline = Date.now() + this.failoverTimeoutMs;
    let attempt = 0;
    for (;;) {
      try {
        return await this.attempt(method, body, requestId, signal);
      } catch (error) {
        if (!isDfsError(error) || !RETRIABLE.has(error.kind) || Date.now() >= deadline || signal?.aborted) throw error;
        attempt += 1;
        this.current = (this.current + 1) % this.namenodes.length;
        // After a full round over the namenodes, back off before the next round.
        if (attempt % this.namenodes.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(FAILOVER_BACKOFF_MS_MAX, FAILOVER_BACKOFF_STEP_MS * (attempt / this.namenodes.length))));
        }
      }
    }
  }

  /** One try at the current namenode: in a batch, or as a request of its own. */
  private async attempt<M extends ClientMethod>(method: M, body: Record<string, unknown>, requestId: string, signal: AbortSignal | undefined): Promise<ClientResponse<M>> {
    const onResponseHeaders = (headers: Record<string, string | string[] | undefined>) => this.followLeaderHint(headers[LEADER_HINT_HEADER]);
    const channel = this.channels?.[this.current];
    if (!channel) {
      return (await postJson(`${this.namenodes[this.current]}/rpc/v1/client/${method}`, body, ClientRpc[method].response, {
        dispatcher: this.dispatcher,
        headers: { ...this.headers, [REQUEST_ID_HEADER]: requestId },
        signal,
        timeoutMs: ATTEMPT_TIMEOUT_MS,
        onResponseHeaders,
      })) as ClientResponse<M>;
    }
    const answer = await channel.call({ method, request: body, requestId, signal, onResponseHeaders });
    return parseAnswer(ClientRpc[method].response, answer, `${channel.url} (${method} in a batch)`) as ClientResponse<M>;
  }

  /** Goes straight to the leader next time, saving followers a forwarding hop. */
  private followLeaderHint(hint: string | string[] | undefined): void {
    if (typeof hint !== 'string') return;
    const index = this.namenodes.indexOf(hint.replace(/\/+$/, ''));
    if (index >= 0) this.current = index;
  }

  /** Batch requests sent and the calls they carried, over this client's channels (shared ones count every client's calls). */
  batchStats(): ChannelStats {
    const total = { requests: 0, calls: 0 };
    for (const channel of new Set(this.channels ?? [])) {
      total.requests += channel.stats.requests;
      total.calls += channel.stats.calls;
    }
    return total;
  }

  async close(): Promise<void> {
    if (this.channels && this.sharesChannels) await Promise.all(this.channels.map((channel) => sharedChannels.release(channel)));
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  get httpDispatcher(): Dispatcher {
    return this.dispatcher;
  }
}
