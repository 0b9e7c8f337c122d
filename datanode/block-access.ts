// Who may read or write a block on this datanode: a peer presenting the cluster secret (the next
// hop of a pipeline, re-replication, a namenode copying a block), or a client holding the
// namenode's block token for that block and mode. Unchecked when no cluster secret is configured.

import type { FastifyRequest } from 'fastify';
import { DfsError } from '../shared/errors.js';
import { CLUSTER_SECRET_HEADER, isPeerRequest } from '../shared/peer-auth.js';
import type { BlockAccessMode } from '../shared/block-token.js';
import type { DatanodeContext } from './context.js';

/** Throws 401 for a wrong cluster secret, 403 for a missing or bad block token; returns the user, if known. */
export function authorizeBlockAccess(ctx: DatanodeContext, request: FastifyRequest, target: { blockId: number } | { path: string }, mode: BlockAccessMode, token: string | undefined): string | undefined {
  if (ctx.secret === undefined || ctx.blockTokens === undefined) return undefined;
  if (isPeerRequest(ctx.secret, request)) return undefined;
  if (request.headers[CLUSTER_SECRET_HEADER] !== undefined) {
    throw new DfsError('Unauthorized', `Peer request refused: wrong cluster secret (${CLUSTER_SECRET_HEADER})`);
  }
  return ctx.blockTokens.verify(token, target, mode);
}
