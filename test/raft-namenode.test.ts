// The namenode Raft group on real processes: failover under load loses no acknowledged operation
// and applies none twice; a paused namenode catches up through a snapshot; a wiped namenode
// rejoins; namenodes are added and removed online; a restart of every namenode keeps everything.

import t from 'tap';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { RaftTestCluster } from './helpers/raft-cluster.js';
import { waitFor } from './helpers/processes.js';
import type { DfsClient } from '../client/dfs-client.js';
import type { DatanodeStatus } from '../shared/datanode-status.js';

const contentOf = (name: string) => Buffer.from(`${name}\n`.repeat(50));

/** Writers creating small files until told to stop; records what was acknowledged and when. */
function startLoad(client: DfsClient, workers: number) {
  const acked: Array<{ path: string; at: number }> = [];
  const failures: unknown[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running; i++) {
      const path = `/load/w${w}/f${i}`;
      try {
        await client.writeFile(path, contentOf(path), { overwrite: false, replication: 2 });
        acked.push({ path, at: Date.now() });
      } catch (error) {
        failures.push(error);
        return;
      }
    }
  });
  return {
    acked,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

t.test('a 3-namenode group keeps serving and loses nothing', async (t) => {
  const cluster = await RaftTestCluster.start({ namenodes: 3, datanodes: 3, snapshotEntries: 100 });
  t.teardown(() => cluster.stop());
  const client = cluster.client();
  t.teardown(() => client.close());
  await client.mkdir('/load', { recursive: true });

  await t.test('a follower answers Raft messages in the HTTP response that carried them', async (t) => {
    const leaderStatus = await cluster.status(await cluster.leader());
    const follower = cluster.namenodes.find((node) => node.running && node.url !== leaderStatus.url);
    if (!follower) throw new Error('no follower');
    const followerStatus = await cluster.status(follower);
    const post = (messages: unknown[], secret = cluster.secret) =>
      fetch(`${follower.url}/rpc/v1/raft/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dfs-cluster-secret': secret },
        body: JSON.stringify({ messages }),
      });
    const heartbeat = { type: 'heartbeat', from: leaderStatus.id, to: followerStatus.id, term: leaderStatus.term, commit: 0, context: 'probe' };
    const answered = await post([heartbeat]);
    t.equal(answered.status, 200);
    const body = (await answered.json()) as { messages: Array<{ type: string; from: string; to: string; context?: string }> };
    t.ok(
      body.messages.some((m) => m.type === 'heartbeatResponse' && m.from === followerStatus.id && m.to === leaderStatus.id && m.context === 'probe'),
      `the heartbeat's answer comes back in the response: ${JSON.stringify(body.messages)}`,
    );
    // A message that causes no answer still gets a (empty) response rather than hanging.
    const stale = await post([{ ...heartbeat, type: 'heartbeatResponse', from: leaderStatus.id, term: 0, context: null }]);
    t.equal(stale.status, 200);
    t.same(((await stale.json()) as { messages: unknown[] }).messages, []);
    t.equal((await post([heartbeat], 'wrong')).status, 401, 'without the cluster secret nothing is stepped');
  });

  await t.test('kill -9 of the leader during writes: a new leader takes over, the client carries on', async (t) => {
    const load = startLoad(client, 4);
    await waitFor('some writes before the crash', () => load.acked.length >= 20);
    const leader = await cluster.leader();
    const killedAt = Date.now();
    await leader.stop('SIGKILL');
    await waitFor('a write acknowledged after the crash', () => load.acked.some((a) => a.at > killedAt), 20_000);
    const failoverMs = Math.min(...load.acked.filter((a) => a.at > killedAt).map((a) => a.at)) - killedAt;
    t.comment(`first write acknowledged ${failoverMs} ms after kill -9 of the leader`);
    const countAtFailover = load.acked.length;
    await waitFor('more writes after failover', () => load.acked.length >= countAtFailover + 20);
    await load.stop();
    t.same(load.failures.map(String), [], 'no client operation failed (a retry applied twice would fail with "already exists")');
    t.ok(failoverMs < 5_000, `writes resumed within 5 s (took ${failoverMs} ms)`);
    for (const { path } of load.acked) t.same(await client.readFile(path), contentOf(path), `${path} reads back`);
    await leader.start();
  });

  await t.test('every datanode knows which namenode is active (reports go to it at once, to standbys in batches)', async (t) => {
    const haStates = async () => {
      const leaderUrl = (await cluster.status(await cluster.leader())).url;
      const views = await Promise.all(
        cluster.datanodes.map(async (datanode) => ((await (await fetch(`${datanode.url}/dfs/v1/status`)).json()) as DatanodeStatus).namenodes),
      );
      return { leaderUrl, views };
    };
    const agreed = await waitFor(
      'every datanode to see the current leader as its only active namenode',
      async () => {
        const { leaderUrl, views } = await haStates();
        const ok = views.every((links) => links.every((link) => (link.haState === 'active') === (link.url === leaderUrl)));
        return ok ? { leaderUrl, views } : null;
      },
      20_000,
    );
    for (const links of agreed.views) {
      t.same(links.filter((link) => link.haState === 'active').map((link) => link.url), [agreed.leaderUrl], 'one active namenode: the leader');
      t.equal(links.filter((link) => link.haState === 'standby').length, links.length - 1, 'the others are standbys');
    }
    // A file written now completes: its replicas reach the active namenode without the standby delay.
    await client.writeFile('/load/after-ha-check', Buffer.from('ha'));
    t.same(await client.readFile('/load/after-ha-check'), Buffer.from('ha'));
  });

  await t.test('a paused namenode catches up through a snapshot once it resumes', async (t) => {
    const leader = await cluster.leader();
    const follower = cluster.namenodes.find((n) => n !== leader && n.running)!;
    follower.child!.kill('SIGSTOP');
    let leaderStatus;
    try {
      for (let i = 0; i < 60; i++) await Promise.all([0, 1, 2, 3, 4].map((j) => client.mkdir(`/paused/d${i}-${j}`, { recursive: true })));
      leaderStatus = await cluster.status(leader);
    } finally {
      follower.child!.kill('SIGCONT');
    }
    t.ok(leaderStatus.snapshotIndex > 1, `the leader compacted its log (snapshot at ${leaderStatus.snapshotIndex})`);
    // Caught up, and holding a snapshot near the leader's (its own snapshots are copied in the
    // background, so one may land just after the last entry is applied).
    const caughtUp = await waitFor('the follower to catch up', async () => {
      const status = await cluster.status(follower);
      return status.applied >= leaderStatus.commit && status.snapshotIndex >= leaderStatus.snapshotIndex - 300 ? status : null;
    });
    t.ok(caughtUp.snapshotIndex >= leaderStatus.snapshotIndex - 300, 'the follower installed a snapshot');
    t.ok(follower.recentLog.some((line) => line.includes('namespace restored from snapshot')), 'the follower restored the namespace from the snapshot');
    const direct = new (client.constructor as typeof DfsClient)({ namenodes: [follower.url], user: userInfo().username });
    t.equal((await direct.readdir('/paused')).length, 300, 'the caught-up follower answers reads with every directory');
    await direct.close();
  });

  await t.test('a wiped namenode rejoins under a new identity and catches up', async (t) => {
    const leader = await cluster.leader();
    const victim = cluster.namenodes.find((n) => n !== leader && n.running)!;
    const before = await cluster.status(victim);
    await victim.stop('SIGKILL');
    rmSync(victim.dataDir, { recursive: true, force: true });
    await victim.start();
    const after = await waitFor('the wiped namenode to become a voter again', async () => {
      const status = await cluster.status(victim);
      const leaderView = await cluster.status(await cluster.leader());
      return status.role === 'follower' && leaderView.voters.includes(victim.url) && status.applied >= leaderView.commit - 5 ? status : null;
    }, 30_000);
    t.not(after.id, before.id, 'it joined with a new incarnation');
    t.equal(after.voters.length, 3, 'the group has three voters again');
    await client.mkdir('/after-wipe');
    t.ok(await client.exists('/after-wipe'));
  });

  await t.test('a fourth namenode joins online; one is removed online', async (t) => {
    const added = await cluster.addNamenode();
    await waitFor('the new namenode to be promoted to voter', async () => (await cluster.status(await cluster.leader())).voters.length === 4, 30_000);
    const leader = await cluster.leader();
    const removed = cluster.namenodes.find((n) => n !== leader && n !== added && n.running)!;
    const response = await fetch(`${leader.url}/rpc/v1/admin/namenodes/remove`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: removed.url, user: userInfo().username }),
    });
    t.equal(response.status, 200, await response.text());
    const status = await cluster.status(await cluster.leader());
    t.same(status.voters.sort(), cluster.namenodes.filter((n) => n !== removed).map((n) => n.url).sort(), 'voters are the other four minus the removed one');
    await removed.stop();
    cluster.namenodes = cluster.namenodes.filter((n) => n !== removed);
    await client.mkdir('/after-membership');
    t.ok(await client.exists('/after-membership'));
  });

  await t.test('restarting every namenode at once keeps everything acknowledged', async (t) => {
    const before = (await client.readdir('/paused')).length;
    await Promise.all(cluster.namenodes.map((n) => n.stop('SIGKILL')));
    await Promise.all(cluster.namenodes.map((n) => n.start()));
    await cluster.leader();
    await waitFor('reads after restart', () => client.exists('/after-membership'), 20_000);
    t.equal((await client.readdir('/paused')).length, before);
    t.ok(await client.exists('/after-wipe'));
  });
});

t.test('a writer killed mid-file loses its lease after the hard limit; the file closes with what was acknowledged', async (t) => {
  const blockSize = 64 * 1024;
  const cluster = await RaftTestCluster.start({ namenodes: 1, datanodes: 2, replication: 2, blockSize, namenodeArgs: ['--lease-hard-limit', '2'] });
  t.teardown(() => cluster.stop());
  const script = join(cluster.root, 'writer.mjs');
  const clientModule = resolve(import.meta.dirname, '../dist/client/index.js');
  writeFileSync(
    script,
    `import { DfsClient } from ${JSON.stringify(clientModule)};
const client = new DfsClient({ namenodes: [${JSON.stringify(cluster.urls[0])}] });
const stream = client.createWriteStream('/abandoned.bin', { blockSize: ${blockSize} });
stream.write(Buffer.alloc(${blockSize * 2.5}, 7), () => console.log('two and a half blocks written'));
setInterval(() => {}, 1000);
`,
  );
  const writer = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => writer.kill('SIGKILL'));
  await new Promise<void>((done) => writer.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('written') && done()));
  const client = cluster.client();
  t.teardown(() => client.close());
  t.equal((await client.stat('/abandoned.bin')).underConstruction, true, 'the file is open for writing');
  writer.kill('SIGKILL');
  const closed = await waitFor('lease recovery', async () => {
    const status = await client.stat('/abandoned.bin');
    return status.underConstruction ? null : status;
  }, 20_000);
  t.equal(closed.length, blockSize * 2, 'the two acknowledged blocks are kept; the unfinished third is dropped');
  t.same(await client.readFile('/abandoned.bin'), Buffer.alloc(blockSize * 2, 7), 'and they read back');
});
