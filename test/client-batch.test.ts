// Batched namenode calls (client/rpc-batch.ts, POST /rpc/v1/client-batch) against a real 3-namenode
// Raft group: calls made together share requests, yet each one is answered, fails, is forwarded,
// deduplicated and aborted on its own, exactly as when sent alone.

import t from 'tap';
import { userInfo } from 'node:os';
import { DfsClient } from '../client/dfs-client.js';
import { CLIENT_BATCH_MAX_CALLS, CLIENT_BATCH_PATH } from '../shared/protocol.js';
import { RaftTestCluster } from './helpers/raft-cluster.js';

interface BatchAnswer {
  results: Array<{ ok?: unknown; status?: number; error?: unknown }>;
  RemoteException: { exception: string };
}

async function postBatch(url: string, body: unknown): Promise<{ status: number; json: BatchAnswer }> {
  const response = await fetch(`${url}${CLIENT_BATCH_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as BatchAnswer };
}

t.test('batched namenode calls', async (t) => {
  const cluster = await RaftTestCluster.start({ namenodes: 3, datanodes: 1, replication: 1 });
  t.teardown(() => cluster.stop());
  const leader = await cluster.leader();
  const follower = cluster.namenodes.find((node) => node !== leader)!;

  await t.test('concurrent calls of clients in one process share requests; each gets its own answer', async (t) => {
    const first = cluster.client();
    const second = cluster.client();
    t.teardown(() => Promise.all([first.close(), second.close()]));
    await first.mkdir('/shared');
    const before = first.rpc.batchStats();
    const made = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? first : second).mkdir(`/shared/d${i}`)));
    t.same(made, Array.from({ length: 24 }, () => undefined));
    const after = first.rpc.batchStats();
    t.same(first.rpc.batchStats(), second.rpc.batchStats(), 'the two clients use the same channels');
    t.equal(after.calls - before.calls, 24, 'every call went through a batch');
    t.ok(after.requests - before.requests <= 6, `24 calls took ${after.requests - before.requests} requests`);
    t.ok(after.requests - before.requests >= 3, 'batches are at most 8 calls, so several are in flight');
    const names = (await first.readdir('/shared')).sort();
    t.same(names, Array.from({ length: 24 }, (_, i) => `d${i}`).sort(), 'every directory exists');

    // One failure in a batch fails only its own call.
    const outcomes = await Promise.allSettled([first.stat('/shared/d1'), first.stat('/shared/missing'), second.stat('/shared/d2')]);
    t.equal(outcomes[0].status, 'fulfilled');
    t.match(outcomes[1], { status: 'rejected', reason: { code: 'ENOENT' } });
    t.equal(outcomes[2].status, 'fulfilled');
    await t.rejects(first.mkdir('/shared/d3'), { code: 'EEXIST' }, 'a mutation refused in a batch is refused to its caller');
  });

  await t.test('writes batched to a follower are forwarded to the leader', async (t) => {
    const client = new DfsClient({ namenodes: [follower.url] });
    t.teardown(() => client.close());
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.mkdir(`/via-follower/d${i}`, { recursive: true })));
    const reader = cluster.client();
    t.teardown(() => reader.close());
    t.equal((await reader.readdir('/via-follower')).length, 10);
  });

  await t.test('an aborted call rejects alone; the rest of its batch is answered', async (t) => {
    const client = cluster.client();
    t.teardown(() => client.close());
    const controller = new AbortController();
    const aborted = client.rpc.call('getFileInfo', { path: '/' }, controller.signal);
    const kept = client.rpc.call('getFileInfo', { path: '/shared' });
    controller.abort(new Error('caller gave up'));
    await t.rejects(aborted, { message: 'caller gave up' });
    t.match(await kept, { status: { type: 'DIRECTORY' } });
  });

  await t.test('the batch route over raw HTTP: order, per-call errors, limits, deduplication', async (t) => {
    const mixed = await postBatch(leader.url, {
      calls: [
        { method: 'getFileInfo', request: { path: '/shared' } },
        { method: 'noSuchMethod', request: {} },
        { method: 'getFileInfo', request: { path: '../etc' } },
        { method: 'getFileInfo', request: { path: '/nowhere' } },
      ],
    });
    t.equal(mixed.status, 200);
    t.equal(mixed.json.results.length, 4, 'one result per call, in order');
    t.match(mixed.json.results[0], { ok: { status: { type: 'DIRECTORY' } } });
    t.match(mixed.json.results[1], { status: 400, error: { RemoteException: { exception: 'UnsupportedOperationException' } } });
    t.match(mixed.json.results[2], { status: 400, error: { RemoteException: { message: /path/i } } });
    t.match(mixed.json.results[3], { ok: { status: null } }, 'a missing path is a null status, as a lone call answers');

    for (const body of [{}, { calls: [] }, { calls: Array.from({ length: CLIENT_BATCH_MAX_CALLS + 1 }, () => ({ method: 'getFileInfo', request: { path: '/' } })) }, { calls: [{ method: 'getFileInfo' }] }]) {
      const refused = await postBatch(leader.url, body);
      t.equal(refused.status, 400, `refused: ${JSON.stringify(body).slice(0, 60)}`);
      t.equal(refused.json.RemoteException.exception, 'IllegalArgumentException');
    }

    // A retried call (same request id) is answered from its first result, not applied twice.
    const user = userInfo().username;
    const call = { method: 'mkdirs', request: { user, path: '/dedupe', requestId: { clientId: 'batch-test', callId: 7 } } };
    const once = await postBatch(leader.url, { calls: [call] });
    const again = await postBatch(leader.url, { calls: [call, { method: 'mkdirs', request: { user, path: '/dedupe', requestId: { clientId: 'batch-test', callId: 8 } } }] });
    t.same(once.json.results[0], { ok: { created: true } });
    t.same(again.json.results[0], { ok: { created: true } }, 'the retry gets the first answer');
    t.same(again.json.results[1], { ok: { created: false } }, 'a new call sees the directory exists');
    const anonymous = await postBatch(leader.url, { calls: [{ method: 'mkdirs', request: { path: '/not-mine', requestId: { clientId: 'batch-test', callId: 9 } } }] });
    t.match(anonymous.json.results[0], { status: 403, error: { RemoteException: { exception: 'AccessControlException' } } }, 'each call is checked as its own user');
  });

  await t.test('without batching, one request per call still works', async (t) => {
    const client = new DfsClient({ namenodes: cluster.urls, batching: false });
    t.teardown(() => client.close());
    await Promise.all(Array.from({ length: 5 }, (_, i) => client.mkdir(`/unbatched/d${i}`, { recursive: true })));
    t.same(client.rpc.batchStats(), { requests: 0, calls: 0 });
    t.equal((await client.readdir('/unbatched')).length, 5);
  });
});
