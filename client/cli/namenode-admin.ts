// `dfs dfsadmin` for the namenode group: the namenodes' section of -report (role, term, commit and
// applied index of each), -removeNamenode and -transferLeadership. Membership changes need the
// superuser, as every dfsadmin change does in HDFS.

import { userInfo } from 'node:os';
import { adminHeaders } from './tokens.js';
import { z } from 'zod';
import { postJson } from '../../shared/http.js';

const RaftStatus = z.object({
  url: z.string(),
  role: z.string(),
  term: z.number(),
  leader: z.string().nullable(),
  commit: z.number(),
  applied: z.number(),
  lastIndex: z.number(),
  snapshotIndex: z.number(),
  voters: z.array(z.string()),
  learners: z.array(z.string()),
});
type RaftStatus = z.infer<typeof RaftStatus>;

const STATUS_TIMEOUT_MS = 2_000;

async function statusOf(url: string): Promise<RaftStatus | null> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/rpc/v1/admin/raft`, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
    return RaftStatus.parse(await response.json());
  } catch {
    return null;
  }
}

/** Lines describing every namenode of the group: the members any reachable namenode knows, plus those given. */
export async function namenodeReportLines(namenodes: string[]): Promise<string[]> {
  const known = new Set(namenodes.map((url) => url.replace(/\/+$/, '')));
  const first = (await Promise.all([...known].map(statusOf))).find((status) => status !== null);
  for (const member of [...(first?.voters ?? []), ...(first?.learners ?? [])]) known.add(member);
  const statuses = await Promise.all([...known].sort().map(async (url) => ({ url, status: await statusOf(url) })));
  const lines = [`Namenodes (${statuses.length}):`, ''];
  for (const { url, status } of statuses) {
    if (!status) {
      lines.push(`Name: ${url}`, 'Role: unreachable', '');
      continue;
    }
    const role = status.learners.includes(url) ? 'learner' : status.role;
    lines.push(
      `Name: ${url}`,
      `Role: ${role}`,
      `Term: ${status.term}`,
      `Leader: ${status.leader ?? 'none'}`,
      `Commit index: ${status.commit}`,
      `Applied index: ${status.applied}`,
      `Last log index: ${status.lastIndex}`,
      `Snapshot index: ${status.snapshotIndex}`,
      '',
    );
  }
  return lines;
}

const Done = z.object({ done: z.boolean() });

/** -removeNamenode <url> and -transferLeadership <url>; any namenode forwards to the leader. */
export async function changeNamenodeGroup(namenodes: string[], command: '-removeNamenode' | '-transferLeadership', target: string): Promise<string> {
  const route = command === '-removeNamenode' ? 'remove' : 'transfer';
  let lastError: unknown;
  for (const namenode of namenodes) {
    try {
      const { done } = await postJson(`${namenode.replace(/\/+$/, '')}/rpc/v1/admin/namenodes/${route}`, { url: target, user: userInfo().username }, Done, { headers: adminHeaders(userInfo().username) });
      if (command === '-removeNamenode') return `Removed namenode ${target} from the group`;
      return done ? `Leadership is moving to ${target}` : `Leadership transfer to ${target} was not started (not a voter, or already leader)`;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
