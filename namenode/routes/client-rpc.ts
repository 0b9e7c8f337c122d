// Client protocol: POST /rpc/v1/client/<method> with a JSON body validated by the shared schemas.
// The dfs client library speaks this (several calls per request through the batch route); WebHDFS is served by its own plugin on top of the same namesystem.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CLIENT_BATCH_PATH, ClientBatchRequest, ClientRpc, LEADER_HINT_HEADER, SNAPSHOT_READ_METHODS, type ClientMethod } from '../../shared/protocol.js';
import { DfsError } from '../../shared/errors.js';
import { parseInput, postJson, toDfsError } from '../../shared/http.js';
import { isValidRequestId, withRequestId } from '../../shared/request-id.js';
import type { Namesystem } from '../namesystem.js';
import type { NamenodeAuth } from '../security/auth.js';
import { grantBlockTokens } from '../security/block-grants.js';
import { FORWARDED_FOR_HEADER, callerIp, rpcAuditTarget, type AuditLog } from '../audit-log.js';

/** Methods any namenode answers itself; every other one changes state and runs on the leader. */
const READ_METHODS: ReadonlySet<ClientMethod> = new Set(['getFileInfo', 'listStatus', 'getBlockLocations', 'getContentSummary', ...SNAPSHOT_READ_METHODS]);
const FORWARDED_HEADER = 'x-dfs-forwarded-by';

export interface ClientRpcOptions {
  namesystem: Namesystem;
  selfUrl: string;
  audit?: AuditLog;
  auth: NamenodeAuth;
  /** Each call of a batch once answered (a lone request is counted by the request hooks). */
  onBatchedCall?: (method: string, status: number, seconds: number) => void;
}

export async function clientRpcRoutes(app: FastifyInstance, options: ClientRpcOptions): Promise<void> {
  const { namesystem } = options;
  const handlers: { [M in ClientMethod]: (request: never) => Promise<unknown> } = {
    mkdirs: (r) => namesystem.mkdirs(r),
    create: (r) => namesystem.create(r),
    addBlock: (r) => namesystem.addBlock(r),
    complete: (r) => namesystem.complete(r),
    getFileInfo: (r) => namesystem.getFileInfo(r),
    listStatus: (r) => namesystem.listStatus(r),
    delete: (r) => namesystem.delete(r),
    rename: (r) => namesystem.rename(r),
    getBlockLocations: (r) => namesystem.getBlockLocations(r),
    renewLease: (r) => namesystem.renewLease(r),
    updatePipeline: (r) => namesystem.updatePipeline(r),
    setReplication: (r) => namesystem.setReplication(r),
    setPermission: (r) => namesystem.setPermission(r),
    setOwner: (r) => namesystem.setOwner(r),
    setTimes: (r) => namesystem.setTimes(r),
    getContentSummary: (r) => namesystem.getContentSummary(r),
    append: (r) => namesystem.append(r),
    concat: (r) => namesystem.concat(r),
    truncate: (r) => namesystem.truncate(r),
    allowSnapshot: (r) => namesystem.snapshots.allowSnapshot(r),
    disallowSnapshot: (r) => namesystem.snapshots.disallowSnapshot(r),
    createSnapshot: (r) => namesystem.snapshots.createSnapshot(r),
    deleteSnapshot: (r) => namesystem.snapshots.deleteSnapshot(r),
    renameSnapshot: (r) => namesystem.snapshots.renameSnapshot(r),
    getSnapshottableDirectoryList: (r) => namesystem.snapshots.getSnapshottableDirectoryList(r),
    getSnapshotDiff: (r) => namesystem.snapshots.getSnapshotDiff(r),
  };

  /** One call, as a single request or as one call of a batch: validated, authorized and audited on its own. */
  const runCall = async (request: FastifyRequest, method: string, body: unknown): Promise<unknown> => {
    if (!Object.hasOwn(ClientRpc, method)) throw new DfsError('UnsupportedOperation', `Unknown client method: ${method}`);
    const spec = ClientRpc[method as ClientMethod];
    const input = parseInput(spec.request, body ?? {}, `${method} request`);
    // Only a namenode (holding the cluster secret) forwards; the audit log trusts its forwarded-for.
    if (request.headers[FORWARDED_HEADER] && !options.auth.isPeer(request)) throw new DfsError('Unauthorized', 'Forwarded request refused: missing or wrong cluster secret');
    const user = options.auth.identify(request, (input as { user?: string }).user);
    if (user !== undefined) (input as { user?: string }).user = user;
    if (!READ_METHODS.has(method as ClientMethod) && !namesystem.log.isLeader) {
      // Any namenode accepts any request: a follower forwards writes to the leader it knows.
      const leader = namesystem.log.leaderUrl;
      if (!leader || request.headers[FORWARDED_HEADER]) {
        throw new DfsError('Unavailable', leader ? 'Leadership is changing; retry' : 'No namenode leader is elected yet; retry', { leader });
      }
      return postJson(`${leader}/rpc/v1/client/${method}`, input, spec.response, {
        headers: { [FORWARDED_HEADER]: '1', [FORWARDED_FOR_HEADER]: request.ip, ...options.auth.peerHeaders(user) },
      });
    }
    const run = async () => {
      const answer = await handlers[method as ClientMethod](input as never);
      grantBlockTokens(method as ClientMethod, answer, user ?? namesystem.config.defaultUser, options.auth.blockTokens);
      return answer;
    };
    if (!options.audit) return run();
    const who = { user: (input as { user?: string }).user ?? namesystem.config.defaultUser, ip: callerIp(request, FORWARDED_HEADER), proto: 'rpc' as const };
    return options.audit.around(rpcAuditTarget(method, input as never), who, run);
  };

  const hintLeader = (reply: FastifyReply): void => {
    const leaderHint = namesystem.log.isLeader ? options.selfUrl : namesystem.log.leaderUrl;
    if (leaderHint) reply.header(LEADER_HINT_HEADER, leaderHint);
  };

  app.post<{ Params: { method: string } }>('/rpc/v1/client/:method', async (request, reply) => {
    hintLeader(reply);
    return runCall(request, request.params.method, request.body);
  });

  // The calls of a batch run concurrently, as separate requests would: the leader proposes their
  // changes together, so one Raft round commits them all. Each gets its own answer or error.
  app.post(CLIENT_BATCH_PATH, async (request, reply) => {
    const { calls } = parseInput(ClientBatchRequest, request.body ?? {}, 'client batch');
    hintLeader(reply);
    const results = await Promise.all(
      calls.map((call) => {
        const startedNs = process.hrtime.bigint();
        const answered = (status: number) => options.onBatchedCall?.(call.method, status, Number(process.hrtime.bigint() - startedNs) / 1e9);
        return withRequestId(
          () =>
            runCall(request, call.method, call.request).then(
              (ok) => {
                answered(200);
                return { ok };
              },
              (error: unknown) => {
                const dfsError = toDfsError(error);
                if (dfsError.status >= 500 && dfsError.status !== 503) request.log.error({ err: error, method: call.method }, 'batched call failed');
                answered(dfsError.status);
                return { error: dfsError.toRemoteException(), status: dfsError.status };
              },
            ),
          isValidRequestId(call.requestId) ? call.requestId : request.id,
        );
      }),
    );
    return { results };
  });
}
