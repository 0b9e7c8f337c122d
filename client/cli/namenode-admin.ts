// `dfs dfsadmin` for the namenode group: the namenodes' section of -report (role, term, commit and
// applied index of each), -removeNamenode and -transferLeadership. Membership changes need the
// superuser, as every dfsadmin change does in HDFS.

import { userInfo } from 'node:os';
import { adminHeaders } from './tokens.js';
import { z } from 'zod';
import { postJson } from '../../shared/http.js';
import { namenodeGroup } from '../../shared/namenode-group.js';

/** Lines describing every namenode of the group: the members any reachable namenode knows, plus those given. */
export async function namenodeReportLines(namenodes: string[]): Promise<string[]> {
  const members = await namenodeGroup(namenodes);
  const lines = [`Namenodes (${members.length}):`, ''];
  for (const { url, status } of members) {
    if (!status) {
      lines.push(`Name: ${url}`, 'Role: unreachable', '');
      continue;
    }
    lines.push(
      `Name: ${url}`,
      `Role: ${status.role}`,
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
