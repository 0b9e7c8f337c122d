// Bearer token administration for the superuser: create (the token text is answered once and
// stored only hashed), revoke, list. Changes run on the leader through the namespace log; a
// follower relays them, vouching for the caller with the cluster secret.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DfsError } from '../../shared/errors.js';
import { parseInput, postJson } from '../../shared/http.js';
import { UserName } from '../../shared/protocol.js';
import type { Namesystem } from '../namesystem.js';
import type { NamenodeAuth } from '../security/auth.js';
import { outcomeValue } from '../namespace/apply.js';
import { listTokens, newToken, type TokenInfo } from '../namespace/tokens.js';

const TOKENS_PATH = '/rpc/v1/admin/tokens';
/** Ten years: beyond that an expiry is a typo. */
const TOKEN_LIFETIME_MS_MAX = 10 * 365 * 24 * 3600_000;

const CreateRequest = z.object({ user: UserName.optional(), tokenUser: UserName, expiresInMs: z.number().int().positive().max(TOKEN_LIFETIME_MS_MAX).optional() });
const RevokeRequest = z.object({ user: UserName.optional(), id: z.string().regex(/^[0-9a-f]{16}$/, 'a token id is 16 hex digits') });
const ListQuery = z.object({ user: UserName.optional() });
const TokenInfoSchema = z.object({ id: z.string(), user: z.string(), created: z.number(), createdBy: z.string(), expires: z.number().nullable(), revoked: z.number().nullable() });
const CreateAnswer = TokenInfoSchema.extend({ token: z.string() });

export async function tokenRoutes(app: FastifyInstance, options: { namesystem: Namesystem; auth: NamenodeAuth }): Promise<void> {
  const { namesystem, auth } = options;

  const superuserOf = (request: FastifyRequest, claimed: string | undefined, what: string): string => {
    const user = auth.identify(request, claimed) ?? namesystem.config.defaultUser;
    if (user !== namesystem.config.superuser) throw new DfsError('AccessControl', `Access denied for user ${user}. Superuser privilege is required to ${what}`);
    return user;
  };

  /** Runs `command` on the leader, or relays the request to it. */
  const onLeader = async <T>(path: string, body: object, user: string, schema: z.ZodType<T>, run: () => Promise<T>): Promise<T> => {
    if (namesystem.log.isLeader) return run();
    const leader = namesystem.log.leaderUrl;
    if (!leader) throw new DfsError('Unavailable', 'No namenode leader is elected yet; retry');
    return postJson(`${leader}${path}`, body, schema, { headers: auth.peerHeaders(user) });
  };

  app.post(`${TOKENS_PATH}/create`, async (request) => {
    const input = parseInput(CreateRequest, request.body, 'createToken request');
    const issuer = superuserOf(request, input.user, 'create tokens');
    return onLeader(`${TOKENS_PATH}/create`, input, issuer, CreateAnswer, async () => {
      const token = newToken();
      const now = Date.now();
      const info = outcomeValue<TokenInfo>(
        await namesystem.log.submit({
          op: 'createToken',
          now,
          id: token.id,
          user: input.tokenUser,
          secretHash: token.secretHash,
          expires: input.expiresInMs === undefined ? null : now + input.expiresInMs,
          issuer,
        }),
      );
      request.log.info({ id: info.id, tokenUser: info.user, expires: info.expires, issuer }, 'token created');
      return { ...info, token: token.text };
    });
  });

  app.post(`${TOKENS_PATH}/revoke`, async (request) => {
    const input = parseInput(RevokeRequest, request.body, 'revokeToken request');
    const issuer = superuserOf(request, input.user, 'revoke tokens');
    return onLeader(`${TOKENS_PATH}/revoke`, input, issuer, TokenInfoSchema, async () => {
      const info = outcomeValue<TokenInfo>(await namesystem.log.submit({ op: 'revokeToken', now: Date.now(), id: input.id, issuer }));
      request.log.info({ id: info.id, tokenUser: info.user, issuer }, 'token revoked');
      return info;
    });
  });

  app.get(TOKENS_PATH, async (request) => {
    const query = parseInput(ListQuery, request.query, 'listTokens request');
    superuserOf(request, query.user, 'list tokens');
    await namesystem.log.readBarrier();
    return { tokens: listTokens(namesystem.store) };
  });
}
