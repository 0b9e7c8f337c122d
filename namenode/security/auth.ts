// Who is calling the namenode. In order: a peer presenting the cluster secret may name the user it
// acts for (a follower relaying a client's call, a datanode serving a WebHDFS redirect); a bearer
// token (Authorization: Bearer, or WebHDFS `delegation=`) stands for its user; otherwise the
// caller's own claim (HDFS simple authentication), unless the namenode requires tokens.

import type { FastifyRequest } from 'fastify';
import { DfsError } from '../../shared/errors.js';
import { ACTING_USER_HEADER, CLUSTER_SECRET_HEADER, isPeerRequest, peerHeaders } from '../../shared/peer-auth.js';
import { BlockTokenKey } from '../../shared/block-token.js';
import { UserName } from '../../shared/protocol.js';
import type { NamespaceStore } from '../namespace/store.js';
import { verifyToken } from '../namespace/tokens.js';

export interface NamenodeAuthOptions {
  /** The cluster secret (generated per process for a group of one without a configured secret). */
  secret: string;
  /** Refuse (401) callers without a valid bearer token. */
  requireToken: boolean;
  blockTokenLifetimeMs?: number;
}

export class NamenodeAuth {
  readonly blockTokens: BlockTokenKey;

  constructor(
    private readonly options: NamenodeAuthOptions,
    private readonly store: NamespaceStore,
    private readonly clock: () => number = Date.now,
  ) {
    this.blockTokens = new BlockTokenKey(options.secret, options.blockTokenLifetimeMs);
  }

  get secret(): string {
    return this.options.secret;
  }

  isPeer(request: FastifyRequest): boolean {
    return isPeerRequest(this.options.secret, request);
  }

  /** Headers of a call made for `user` to another namenode (that namenode believes the user). */
  peerHeaders(user?: string): Record<string, string> {
    return peerHeaders(this.options.secret, user);
  }

  /**
   * The authenticated caller, or `claimed` (possibly undefined: the default user) when neither a
   * peer nor a token speaks and tokens are not required. Throws Unauthorized (401).
   */
  identify(request: FastifyRequest, claimed: string | undefined, delegation?: string): string | undefined {
    if (request.headers[CLUSTER_SECRET_HEADER] !== undefined) {
      if (!this.isPeer(request)) throw new DfsError('Unauthorized', `Peer request refused: wrong cluster secret (${CLUSTER_SECRET_HEADER})`);
      const acting = request.headers[ACTING_USER_HEADER];
      if (typeof acting !== 'string') return claimed;
      const parsed = UserName.safeParse(acting);
      if (!parsed.success) throw new DfsError('IllegalArgument', `Invalid ${ACTING_USER_HEADER}: ${acting}`);
      return parsed.data;
    }
    const token = bearerToken(request) ?? delegation;
    if (token !== undefined) return verifyToken(this.store, token, this.clock());
    if (this.options.requireToken) {
      throw new DfsError('Unauthorized', 'Authentication required: this namenode accepts only requests with a valid token (Authorization: Bearer <token>, or delegation=<token> on WebHDFS)');
    }
    return claimed;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new DfsError('Unauthorized', 'Authentication failed: the Authorization header must be "Bearer <token>"');
  return match[1];
}
