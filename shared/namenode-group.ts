// The namenodes of a Raft group as an operator sees them: each member's own Raft status (role, term,
// commit and applied index), asked of the member itself. Shared by `dfs dfsadmin -report` and the
// namenode web UI (GET /rpc/v1/admin/namenodes), so both show the same figures from the same calls.

import { z } from 'zod';

export const RaftStatus = z.object({
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
export type RaftStatus = z.infer<typeof RaftStatus>;

/** One member: its status, or null when it did not answer in time. */
export const NamenodeMember = z.object({ url: z.string(), status: RaftStatus.nullable() });
export type NamenodeMember = z.infer<typeof NamenodeMember>;
export const NamenodeGroup = z.object({ namenodes: z.array(NamenodeMember) });
export type NamenodeGroup = z.infer<typeof NamenodeGroup>;

const STATUS_TIMEOUT_MS = 2_000;

export async function raftStatusOf(url: string): Promise<RaftStatus | null> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/rpc/v1/admin/raft`, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
    const status = RaftStatus.parse(await response.json());
    // A learner replicates but has no vote: its own role reads "follower", the group knows better.
    return status.learners.includes(status.url) ? { ...status, role: 'learner' } : status;
  } catch {
    return null;
  }
}

/** Every member any reachable one of `seeds` knows, plus the seeds, sorted by URL, each with its own status. */
export async function namenodeGroup(seeds: string[]): Promise<NamenodeMember[]> {
  const known = new Set(seeds.map((url) => url.replace(/\/+$/, '')));
  const first = (await Promise.all([...known].map(raftStatusOf))).find((status) => status !== null);
  for (const member of [...(first?.voters ?? []), ...(first?.learners ?? [])]) known.add(member);
  return Promise.all([...known].sort().map(async (url) => ({ url, status: await raftStatusOf(url) })));
}
