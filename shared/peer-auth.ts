// Authentication between the nodes of one cluster: every peer request (namenode to namenode,
// datanode to namenode, datanode to datanode, and a namenode or datanode acting for a user it
// already authenticated) carries the cluster secret in one header, checked in constant time.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { DfsError } from './errors.js';

export const CLUSTER_SECRET_HEADER = 'x-dfs-cluster-secret';
/**
 * The user a peer acts for (a follower forwarding a client's call to the leader, a datanode serving
 * a WebHDFS redirect). Believed only together with the right cluster secret.
 */
export const ACTING_USER_HEADER = 'x-dfs-acting-user';

const digestOf = (value: string): Buffer => createHash('sha256').update(value).digest();
/** The secret's digest, computed once: every peer request is checked against it. */
let known: { secret: string; digest: Buffer } | undefined;

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
export function secretMatches(secret: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  if (known?.secret !== secret) known = { secret, digest: digestOf(secret) };
  return timingSafeEqual(digestOf(given), known.digest);
}

/** True when the request carries the cluster secret. */
export function isPeerRequest(secret: string | undefined, request: FastifyRequest): boolean {
  return secret !== undefined && secretMatches(secret, request.headers[CLUSTER_SECRET_HEADER]);
}

/** A fastify onRequest hook refusing (401) any request without the cluster secret. */
export function requireClusterSecret(secret: string, what: string) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!isPeerRequest(secret, request)) {
      throw new DfsError('Unauthorized', `${what} refused: missing or wrong cluster secret (${CLUSTER_SECRET_HEADER})`);
    }
  };
}

/** The headers a peer request sends: the secret when one is configured, else none. */
export function peerHeaders(secret: string | undefined, actingUser?: string): Record<string, string> {
  if (secret === undefined) return {};
  return { [CLUSTER_SECRET_HEADER]: secret, ...(actingUser !== undefined ? { [ACTING_USER_HEADER]: actingUser } : {}) };
}
