// Bearer tokens in the replicated namespace: a row per token with the SHA-256 of its secret (the
// secret itself is shown once, to the admin who created it, and stored nowhere). Created and
// revoked through Raft commands the leader fills in (id, hash, times), so every namenode accepts
// and refuses the same tokens. A token's text is `<id>.<secret>`.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DfsError } from '../../shared/errors.js';
import { UserName, RequestId } from '../../shared/protocol.js';
import type { NamespaceStore } from './store.js';

export const TOKENS_DDL = `
CREATE TABLE IF NOT EXISTS tokens (
  id          TEXT    PRIMARY KEY,
  user        TEXT    NOT NULL,
  secret_hash TEXT    NOT NULL,
  created     INTEGER NOT NULL,
  created_by  TEXT    NOT NULL,
  -- NULL: never expires.
  expires     INTEGER,
  revoked     INTEGER
) STRICT;
`;

const TOKEN_ID = z.string().regex(/^[0-9a-f]{16}$/, 'a token id is 16 hex digits');
const TOKEN_TEXT = /^([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;
const Common = { now: z.number().int().min(0), request: RequestId.optional() };

export const CreateTokenCommand = z.object({
  op: z.literal('createToken'),
  ...Common,
  id: TOKEN_ID,
  user: UserName,
  secretHash: z.string().regex(/^[0-9a-f]{64}$/),
  expires: z.number().int().nullable(),
  /** Who asked: must be the superuser at this log position. */
  issuer: UserName,
});
export const RevokeTokenCommand = z.object({ op: z.literal('revokeToken'), ...Common, id: TOKEN_ID, issuer: UserName });
export type CreateTokenCommand = z.infer<typeof CreateTokenCommand>;
export type RevokeTokenCommand = z.infer<typeof RevokeTokenCommand>;

export interface TokenInfo {
  id: string;
  user: string;
  created: number;
  createdBy: string;
  expires: number | null;
  revoked: number | null;
}

interface TokenRow {
  id: string;
  user: string;
  secret_hash: string;
  created: number;
  created_by: string;
  expires: number | null;
  revoked: number | null;
}

const hashOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** What the leader puts in a createToken command, and the token text to show the admin once. */
export function newToken(): { id: string; secretHash: string; text: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secretHash: hashOf(secret), text: `${id}.${secret}` };
}

function requireSuperuser(store: NamespaceStore, issuer: string, what: string): void {
  if (issuer !== store.getState('superuser')) {
    throw new DfsError('AccessControl', `Access denied for user ${issuer}. Superuser privilege is required to ${what}`);
  }
}

export function applyCreateToken(store: NamespaceStore, command: CreateTokenCommand): TokenInfo {
  requireSuperuser(store, command.issuer, 'create tokens');
  store.db
    .prepare('INSERT INTO tokens (id, user, secret_hash, created, created_by, expires, revoked) VALUES (?, ?, ?, ?, ?, ?, NULL)')
    .run(command.id, command.user, command.secretHash, command.now, command.issuer, command.expires);
  return { id: command.id, user: command.user, created: command.now, createdBy: command.issuer, expires: command.expires, revoked: null };
}

export function applyRevokeToken(store: NamespaceStore, command: RevokeTokenCommand): TokenInfo {
  requireSuperuser(store, command.issuer, 'revoke tokens');
  const row = store.db.prepare('SELECT * FROM tokens WHERE id = ?').get(command.id) as TokenRow | undefined;
  if (!row) throw new DfsError('IllegalArgument', `No token with id ${command.id}`, { id: command.id });
  if (row.revoked === null) store.db.prepare('UPDATE tokens SET revoked = ? WHERE id = ?').run(command.now, command.id);
  return toInfo({ ...row, revoked: row.revoked ?? command.now });
}

export function listTokens(store: NamespaceStore): TokenInfo[] {
  return (store.db.prepare('SELECT * FROM tokens ORDER BY created, id').all() as TokenRow[]).map(toInfo);
}

/**
 * The user a token stands for. Throws Unauthorized (401) for a malformed, unknown, expired or
 * revoked token, without saying which of the first two (an unknown id tells an attacker nothing).
 */
export function verifyToken(store: NamespaceStore, text: string, now: number): string {
  const match = TOKEN_TEXT.exec(text);
  const row = match ? (store.db.prepare('SELECT * FROM tokens WHERE id = ?').get(match[1]) as TokenRow | undefined) : undefined;
  const given = Buffer.from(hashOf(match?.[2] ?? ''), 'hex');
  const expected = Buffer.from(row?.secret_hash ?? hashOf('no such token'), 'hex');
  if (!match || !row || !timingSafeEqual(given, expected)) throw new DfsError('Unauthorized', 'Authentication failed: invalid token');
  if (row.revoked !== null) throw new DfsError('Unauthorized', `Authentication failed: token ${row.id} was revoked`, { id: row.id });
  if (row.expires !== null && row.expires <= now) throw new DfsError('Unauthorized', `Authentication failed: token ${row.id} expired`, { id: row.id });
  return row.user;
}

function toInfo(row: TokenRow): TokenInfo {
  return { id: row.id, user: row.user, created: row.created, createdBy: row.created_by, expires: row.expires, revoked: row.revoked };
}
