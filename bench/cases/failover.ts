// failover_ms_median: kill -9 of the leading namenode, then the time until a client's next write
// (a mkdir, retried by the client library across namenodes as any application's would be) is
// acknowledged. The client talked to the leader just before, so it starts at the dead node, as a
// real one would. After each round the killed namenode is restarted on its folder and allowed to
// catch up, so every round starts from a healthy 3-node group.

import { median, nowMs, progress, waitFor } from '../support.js';
import { adminClient, type CaseContext } from './context.js';

export const FAILOVER_MS_TARGET = 1_500;
export const CATCH_UP_TIMEOUT_MS = 60_000;

export async function failover(ctx: CaseContext): Promise<void> {
  const { cluster } = ctx;
  const rounds = ctx.sizes.failoverRounds;
  const client = adminClient(ctx);
  const durationsMs: number[] = [];
  try {
    await client.mkdir('/bench/failover', { recursive: true });
    for (let round = 0; round < rounds; round++) {
      const leader = await cluster.leader();
      await client.mkdir(`/bench/failover/before-${round}`);
      const killedAtMs = nowMs();
      const exited = leader.kill();
      await client.mkdir(`/bench/failover/after-${round}`);
      const durationMs = nowMs() - killedAtMs;
      durationsMs.push(durationMs);
      await exited;
      const next = await cluster.leader();
      progress(`failover round ${round + 1}/${rounds}: ${leader.name} killed, ${next.name} leads, write acknowledged after ${durationMs.toFixed(0)} ms`);
      await leader.start();
      await waitFor(
        `${leader.name} to rejoin and catch up`,
        async () => {
          const [mine, theirs] = await Promise.all([cluster.raftStatus(leader), cluster.raftStatus(await cluster.leader())]);
          return mine.role === 'follower' && mine.applied >= theirs.commit;
        },
        CATCH_UP_TIMEOUT_MS,
      );
    }
  } finally {
    await client.close();
  }
  ctx.results.add({
    key: 'failover_ms_median',
    label: `leader kill -9 -> next acknowledged write, median of ${rounds}`,
    value: median(durationsMs),
    unit: 'ms',
    lowerIsBetter: true,
    bound: { label: 'target', value: FAILOVER_MS_TARGET },
    target: FAILOVER_MS_TARGET,
    note: `rounds: ${durationsMs.map((d) => d.toFixed(0)).join(', ')} ms`,
  });
  ctx.results.details.failoverMs = durationsMs;
}
