// Block tokens: a namenode's signed permission to read or write one block (or, for a WebHDFS
// redirect, one path), for one user, until an expiry. Signed with HMAC-SHA256 under a key derived
// from the cluster secret, so any namenode signs and any datanode verifies without talking to each
// other. Wire form: base64url(JSON payload) "." base64url(HMAC).

import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DfsError } from './errors.js';

/** The query parameter carrying a block token on datanode URLs. */
export const BLOCK_TOKEN_PARAM = 'blocktoken';
/** Generous, so clocks a few minutes apart and slow writes of a large block still pass. */
export const BLOCK_TOKEN_LIFETIME_MS_DEFAULT = 10 * 60_000;
/** Longer tokens are refused before any work: a token is a few hundred bytes. */
const BLOCK_TOKEN_CHARS_MAX = 4096;
const KEY_CONTEXT = 'dfs block token key v1';

export type BlockAccessMode = 'read' | 'write';

const Payload = z.object({
  /** Block id, or the path of a WebHDFS redirect. Exactly one. */
  b: z.number().int().positive().optional(),
  p: z.string().optional(),
  m: z.enum(['read', 'write']),
  u: z.string().min(1),
  /** Expiry, ms since the epoch. */
  e: z.number().int(),
});
type Payload = z.infer<typeof Payload>;

export interface BlockTokenGrant {
  blockId?: number;
  path?: string;
  mode: BlockAccessMode;
  user: string;
}

export class BlockTokenKey {
  private readonly key: Buffer;

  constructor(clusterSecret: string, readonly lifetimeMs = BLOCK_TOKEN_LIFETIME_MS_DEFAULT) {
    this.key = createHmac('sha256', clusterSecret).update(KEY_CONTEXT).digest();
  }

  sign(grant: BlockTokenGrant, now = Date.now()): string {
    const payload: Payload = { ...(grant.blockId !== undefined ? { b: grant.blockId } : { p: grant.path }), m: grant.mode, u: grant.user, e: now + this.lifetimeMs };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /**
   * Checks `token` grants `mode` on `target` (a block id or a path); returns the user it was issued
   * to. Throws AccessControl (403) naming what is wrong.
   */
  verify(token: string | undefined, target: { blockId: number } | { path: string }, mode: BlockAccessMode, now = Date.now()): string {
    const what = 'blockId' in target ? `block ${target.blockId}` : `path ${target.path}`;
    const refuse = (reason: string) => new DfsError('AccessControl', `Block token refused for ${mode} of ${what}: ${reason}`, { ...target, mode });
    if (token === undefined || token === '') throw refuse(`no ${BLOCK_TOKEN_PARAM} given`);
    if (token.length > BLOCK_TOKEN_CHARS_MAX) throw refuse('token too long');
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) throw refuse('malformed token');
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse('bad signature (forged, or signed under another cluster secret)');
    let payload: Payload;
    try {
      payload = Payload.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      throw refuse('malformed token');
    }
    if (payload.e <= now) throw refuse(`expired ${Math.round((now - payload.e) / 1000)} s ago`);
    if ('blockId' in target ? payload.b !== target.blockId : payload.p !== target.path) {
      throw refuse(`the token is for ${payload.b !== undefined ? `block ${payload.b}` : `path ${payload.p}`}`);
    }
    // A write token also lets the writer read back what it writes (append copies a block's prefix).
    if (payload.m !== mode && !(payload.m === 'write' && mode === 'read')) throw refuse(`the token grants ${payload.m} only`);
    return payload.u;
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}
