// `dfs dfsadmin -createToken <user> [-expires <duration>] | -revokeToken <id> | -listTokens`: bearer
// token administration (superuser only). The caller is the OS user, or the user of $DFS_TOKEN.

import { userInfo } from 'node:os';
import { z } from 'zod';
import { DfsError, isDfsError } from '../../shared/errors.js';
import { postJson } from '../../shared/http.js';
import { request } from 'undici';
import { peerHeaders } from '../../shared/peer-auth.js';

const TokenInfo = z.object({ id: z.string(), user: z.string(), created: z.number(), createdBy: z.string(), expires: z.number().nullable(), revoked: z.number().nullable() });
const Created = TokenInfo.extend({ token: z.string() });
const Listed = z.object({ tokens: z.array(TokenInfo) });
const UNIT_MS = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 } as const;

/** `7d`, `12h`, `30m`, `90s` (a bare number is seconds). */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) throw new DfsError('IllegalArgument', `Not a duration: ${text} (use e.g. 7d, 12h, 30m, 90s)`);
  return Number(match[1]) * UNIT_MS[(match[2] || 's') as keyof typeof UNIT_MS];
}

/**
 * How the admin proves who they are: their own token ($DFS_TOKEN), else the cluster secret
 * ($DFS_CLUSTER_SECRET: whoever holds it runs the cluster; this is how the first token is made
 * on a namenode that requires tokens), else nothing (the OS user name is believed).
 */
export function adminHeaders(user: string): Record<string, string> {
  if (process.env.DFS_TOKEN) return { authorization: `Bearer ${process.env.DFS_TOKEN}` };
  return peerHeaders(process.env.DFS_CLUSTER_SECRET || undefined, user);
}

/** Tries each namenode until one answers (any relays to the leader); a refusal is final. */
async function onAnyNamenode<T>(namenodes: string[], call: (base: string) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (const namenode of namenodes) {
    try {
      return await call(namenode.replace(/\/+$/, ''));
    } catch (error) {
      if (!isDfsError(error, 'Unavailable')) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

const when = (ms: number | null): string => (ms === null ? 'never' : new Date(ms).toISOString());

export async function runTokenCommand(namenodes: string[], command: string, args: string[]): Promise<number> {
  const user = userInfo().username;
  const headers = adminHeaders(user);
  switch (command) {
    case '-createToken': {
      const [tokenUser, flag, duration] = args;
      if (!tokenUser || (flag !== undefined && (flag !== '-expires' || !duration))) {
        throw new DfsError('IllegalArgument', 'Usage: dfs dfsadmin -createToken <user> [-expires <duration, e.g. 7d or 12h>]');
      }
      const body = { user, tokenUser, ...(duration ? { expiresInMs: parseDuration(duration) } : {}) };
      const created = await onAnyNamenode(namenodes, (base) => postJson(`${base}/rpc/v1/admin/tokens/create`, body, Created, { headers }));
      // The token text is shown this once; the namenodes keep only its hash.
      process.stdout.write(`${created.token}\n`);
      process.stderr.write(`Token ${created.id} for user ${created.user}, expires ${when(created.expires)}. Keep it secret: it cannot be shown again.\n`);
      return 0;
    }
    case '-revokeToken': {
      const [id] = args;
      if (!id) throw new DfsError('IllegalArgument', 'Usage: dfs dfsadmin -revokeToken <token-id>');
      const revoked = await onAnyNamenode(namenodes, (base) => postJson(`${base}/rpc/v1/admin/tokens/revoke`, { user, id }, TokenInfo, { headers }));
      process.stdout.write(`Revoked token ${revoked.id} of user ${revoked.user}\n`);
      return 0;
    }
    case '-listTokens': {
      const listed = await onAnyNamenode(namenodes, async (base) => {
        let response;
        try {
          response = await request(`${base}/rpc/v1/admin/tokens?user=${encodeURIComponent(user)}`, { headers });
        } catch (error) {
          throw new DfsError('Unavailable', `Cannot reach ${base}: ${(error as Error).message}`);
        }
        const json: unknown = await response.body.json().catch(() => ({}));
        if (response.statusCode >= 400) throw DfsError.fromRemoteException(json, response.statusCode);
        return Listed.parse(json);
      });
      const lines = ['ID                USER             CREATED                   EXPIRES                   STATE'];
      const now = Date.now();
      for (const t of listed.tokens) {
        const state = t.revoked !== null ? 'revoked' : t.expires !== null && t.expires <= now ? 'expired' : 'valid';
        lines.push(`${t.id}  ${t.user.padEnd(15)}  ${when(t.created).padEnd(24)}  ${when(t.expires).padEnd(24)}  ${state}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    }
    default:
      throw new DfsError('IllegalArgument', `Unknown token command ${command}`);
  }
}
