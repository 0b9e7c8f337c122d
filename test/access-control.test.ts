// Access control against real processes: the cluster secret on peer traffic (datanode to namenode,
// datanode to datanode, follower to leader), block tokens checked by datanodes (forged, expired,
// wrong block, wrong mode), bearer tokens (created, required, revoked on every namenode, expired)
// over the CLI, the client RPC and WebHDFS, HDFS permissions including the sticky bit, and TLS.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { NamespaceStore } from '../namenode/namespace/store.js';
import { NamespaceStateMachine } from '../namenode/namespace/apply.js';
import type { NamespaceCommand } from '../namenode/namespace/commands.js';
import { listTokens, newToken, verifyToken } from '../namenode/namespace/tokens.js';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { BlockTokenKey } from '../shared/block-token.js';
import { CLUSTER_SECRET_HEADER } from '../shared/peer-auth.js';
import { trustCa } from '../shared/tls.js';
import { TestCluster, runCli, temporaryDirectory, waitFor } from './helpers/processes.js';
import { RaftTestCluster } from './helpers/raft-cluster.js';

const BLOCK = 64 * 1024;
const SUPERUSER = userInfo().username;

interface Answer {
  status: number;
  location: string | null;
  text: string;
  json: { RemoteException?: { exception: string; message: string } } & Record<string, unknown>;
}

async function http(method: string, url: string, options: { body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const response = await fetch(url, { method, body: options.body as BodyInit | undefined, headers: options.headers, redirect: 'manual' });
  const text = await response.text();
  let json = {} as Answer['json'];
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    // binary body
  }
  return { status: response.status, location: response.headers.get('location'), text, json };
}

const rpc = (namenode: string, method: string, body: unknown, headers: Record<string, string> = {}) =>
  http('POST', `${namenode}/rpc/v1/client/${method}`, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

t.test('tokens in the namespace: superuser only, hashed, deterministic on every replica', async (t) => {
  const dir = temporaryDirectory('tokens');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const replicas = ['a', 'b'].map((name) => new NamespaceStore(join(dir, `${name}.sqlite`)));
  t.teardown(() => replicas.forEach((store) => store.close()));
  const alice = newToken();
  const entries: NamespaceCommand[] = [
    { op: 'format', now: 1, clusterId: 'c', superuser: 'hdfs', supergroup: 'supergroup' },
    { op: 'createToken', now: 10, id: alice.id, user: 'alice', secretHash: alice.secretHash, expires: 1_000, issuer: 'mallory' },
    { op: 'createToken', now: 10, id: alice.id, user: 'alice', secretHash: alice.secretHash, expires: 1_000, issuer: 'hdfs' },
    { op: 'revokeToken', now: 20, id: '0123456789abcdef', issuer: 'hdfs' },
  ];
  const outcomes = replicas.map((store) => new NamespaceStateMachine(store).applyBatch(entries.map((command, i) => ({ index: i + 1, term: 1, command }))));
  t.same(outcomes[0], outcomes[1], 'every replica reaches the same answers');
  t.same(listTokens(replicas[0]), listTokens(replicas[1]), 'and the same table');
  t.match(outcomes[0][1], { ok: false, error: { kind: 'AccessControl', message: /Superuser privilege is required/ } }, 'only the superuser creates tokens');
  t.match(outcomes[0][3], { ok: false, error: { kind: 'IllegalArgument' } }, 'revoking an unknown id fails');
  const stored = JSON.stringify(replicas[0].db.prepare('SELECT * FROM tokens').all());
  t.notMatch(stored, alice.text.split('.')[1], 'the secret is not stored, only its hash');
  const store = replicas[0];
  t.equal(verifyToken(store, alice.text, 500), 'alice', 'a valid token stands for its user');
  t.throws(() => verifyToken(store, `${alice.id}.${'A'.repeat(43)}`, 500), { kind: 'Unauthorized', message: /invalid token/ }, 'a wrong secret');
  t.throws(() => verifyToken(store, 'garbage', 500), { kind: 'Unauthorized', message: /invalid token/ });
  t.throws(() => verifyToken(store, alice.text, 1_000), { kind: 'Unauthorized', message: /expired/ }, 'expired at its expiry');
  new NamespaceStateMachine(store).applyBatch([{ index: 5, term: 1, command: { op: 'revokeToken', now: 30, id: alice.id, issuer: 'hdfs' } }]);
  t.throws(() => verifyToken(store, alice.text, 500), { kind: 'Unauthorized', message: /revoked/ }, 'a revoked token');
});

t.test('peer secret and block tokens', async (t) => {
  const cluster = await TestCluster.start({ datanodes: 2, replication: 2, blockSize: BLOCK, heartbeatIntervalSeconds: 0.3 });
  t.teardown(() => cluster.stop());
  const nn = cluster.namenode.url;
  const key = new BlockTokenKey(cluster.secret);
  const data = randomBytes(BLOCK + 1000);

  await t.test('a datanode without the cluster secret is refused and not registered', async (t) => {
    const register = { node: { uuid: 'intruder', url: 'http://127.0.0.1:1', rack: '/default-rack' }, storage: { capacityBytes: 1, usedBytes: 0, remainingBytes: 1, xceiverCount: 0, full: false } };
    for (const headers of [{}, { [CLUSTER_SECRET_HEADER]: 'wrong' }] as Array<Record<string, string>>) {
      const answer = await http('POST', `${nn}/rpc/v1/datanode/register`, { body: JSON.stringify(register), headers: { 'content-type': 'application/json', ...headers } });
      t.equal(answer.status, 401, 'refused with 401');
      t.match(answer.json.RemoteException?.message, /cluster secret/);
    }
    const heartbeat = await http('POST', `${nn}/rpc/v1/datanode/heartbeat`, { body: JSON.stringify({ uuid: 'intruder', storage: register.storage }), headers: { 'content-type': 'application/json' } });
    t.equal(heartbeat.status, 401);
    const report = await cluster.report();
    t.same(report.datanodes.map((d) => d.uuid).filter((uuid) => uuid === 'intruder'), [], 'no datanode was added');
    t.equal(report.totals.live, 2);
  });

  await t.test('with the secret everywhere, the CLI writes (a pipeline of two) and reads', async (t) => {
    const put = await cluster.dfs(['-put', '-', '/secured.bin'], data);
    t.equal(put.code, 0, put.stderr);
    const get = await cluster.dfs(['-cat', '/secured.bin']);
    t.equal(get.code, 0, get.stderr);
    t.ok(get.stdout.equals(data), 'byte-identical');
  });

  await t.test('the datanode checks block tokens', async (t) => {
    const located = await rpc(nn, 'getBlockLocations', { path: '/secured.bin', user: SUPERUSER });
    t.equal(located.status, 200);
    const blocks = (located.json as unknown as { located: { blocks: Array<{ block: { blockId: number; genStamp: number }; locations: Array<{ url: string }>; blockToken?: string }> } }).located.blocks;
    t.equal(blocks.length, 2);
    const [first, second] = blocks;
    t.ok(first.blockToken, 'getBlockLocations hands out a block token');
    const blockUrl = (token?: string) =>
      `${first.locations[0].url}/dfs/v1/blocks/${first.block.blockId}?genStamp=${first.block.genStamp}${token === undefined ? '' : `&blocktoken=${encodeURIComponent(token)}`}`;
    const ok = await http('GET', blockUrl(first.blockToken));
    t.equal(ok.status, 200, 'the namenode\'s token reads the block');

    const refusals: Array<[string, string | undefined, RegExp]> = [
      ['no token', undefined, /no blocktoken given/],
      ['a forged signature', `${first.blockToken!.split('.')[0]}.${Buffer.alloc(32, 7).toString('base64url')}`, /bad signature/],
      ['a token signed under another secret', new BlockTokenKey('not the cluster secret').sign({ blockId: first.block.blockId, mode: 'read', user: SUPERUSER }), /bad signature/],
      ['an expired token', key.sign({ blockId: first.block.blockId, mode: 'read', user: SUPERUSER }, Date.now() - 11 * 60_000), /expired/],
      ['the token of another block', second.blockToken, /the token is for block/],
      ['garbage', 'not-a-token', /malformed/],
    ];
    for (const [what, token, message] of refusals) {
      const answer = await http('GET', blockUrl(token));
      t.equal(answer.status, 403, `${what}: 403`);
      t.match(answer.json.RemoteException?.message, message, `${what}: says why`);
    }

    // A read token cannot write: the block store gains nothing.
    const newBlock = { blockId: 999_999_001, genStamp: 5000 };
    const readToken = key.sign({ blockId: newBlock.blockId, mode: 'read', user: SUPERUSER });
    const target = cluster.datanodes[0].url;
    const put = await http('PUT', `${target}/dfs/v1/blocks/${newBlock.blockId}?genStamp=${newBlock.genStamp}&blocktoken=${encodeURIComponent(readToken)}`, {
      body: Buffer.alloc(8),
      headers: { 'content-type': 'application/octet-stream' },
    });
    t.equal(put.status, 403, 'a read token does not write');
    t.match(put.json.RemoteException?.message, /grants read only/);
    const wrongPeer = await http('PUT', `${target}/dfs/v1/blocks/${newBlock.blockId}?genStamp=${newBlock.genStamp}`, {
      body: Buffer.alloc(8),
      headers: { 'content-type': 'application/octet-stream', [CLUSTER_SECRET_HEADER]: 'wrong' },
    });
    t.equal(wrongPeer.status, 401, 'a peer with the wrong secret: 401');
    const writeToken = key.sign({ blockId: newBlock.blockId, mode: 'write', user: SUPERUSER });
    const readBack = await http('GET', `${target}/dfs/v1/blocks/${newBlock.blockId}?genStamp=${newBlock.genStamp}&blocktoken=${encodeURIComponent(writeToken)}`);
    t.equal(readBack.status, 404, 'nothing was stored for the refused writes');
  });

  await t.test('WebHDFS redirects carry a grant for that path and op; the datanode refuses anything else', async (t) => {
    const create = await http('PUT', `${nn}/webhdfs/v1/web.txt?op=CREATE&user.name=${SUPERUSER}`);
    t.equal(create.status, 307);
    const location = new URL(create.location!);
    t.ok(location.searchParams.get('blocktoken'), 'the redirect carries a block token');
    const stripped = new URL(location);
    stripped.searchParams.delete('blocktoken');
    const refused = await http('PUT', stripped.toString(), { body: 'x' });
    t.equal(refused.status, 403, 'without the grant: 403');
    const otherPath = new URL(location.toString().replace('/web.txt', '/elsewhere.txt'));
    t.equal((await http('PUT', otherPath.toString(), { body: 'x' })).status, 403, 'the grant names its path');
    const elsewhere = new URL(location);
    elsewhere.searchParams.set('namenoderpcaddress', '127.0.0.1:1');
    const leak = await http('PUT', elsewhere.toString(), { body: 'x' });
    t.equal(leak.status, 403, 'the datanode sends the secret to none but its own namenodes');
    t.match(leak.json.RemoteException?.message, /not a namenode of this datanode/);
    const created = await http('PUT', location.toString(), { body: 'hello webhdfs' });
    t.equal(created.status, 201, created.text);
    const open = await http('GET', `${nn}/webhdfs/v1/web.txt?op=OPEN&user.name=${SUPERUSER}`);
    t.equal(open.status, 307);
    const writeWithReadGrant = await http('PUT', open.location!.replace('op=OPEN', 'op=CREATE'), { body: 'overwritten' });
    t.equal(writeWithReadGrant.status, 403, 'an OPEN grant does not CREATE');
    const read = await http('GET', open.location!);
    t.equal(read.text, 'hello webhdfs');
    const missing = await rpc(nn, 'getFileInfo', { path: '/elsewhere.txt', user: SUPERUSER });
    t.equal((missing.json as { status: unknown }).status, null, 'no file was created by the refused requests');
  });

  await t.test('forwarded requests need the cluster secret', async (t) => {
    const answer = await rpc(nn, 'mkdirs', { path: '/spoofed', user: SUPERUSER }, { 'x-dfs-forwarded-by': '1' });
    t.equal(answer.status, 401);
    const status = await rpc(nn, 'getFileInfo', { path: '/spoofed', user: SUPERUSER });
    t.equal((status.json as { status: unknown }).status, null, 'nothing changed');
  });
});

t.test('bearer tokens and permissions on a group of three namenodes requiring tokens', async (t) => {
  const cluster = await RaftTestCluster.start({ namenodes: 3, datanodes: 2, replication: 2, namenodeArgs: ['--require-token'] });
  t.teardown(() => cluster.stop());
  const urls = cluster.urls;
  const leader = (await cluster.leader()).url;
  const follower = urls.find((url) => url !== leader)!;
  /** The CLI as an admin holding the cluster secret (how the first token is made), or with a token. */
  const asAdmin = (args: string[]) => runCli(args, urls, undefined, { DFS_CLUSTER_SECRET: cluster.secret, DFS_TOKEN: undefined });
  const withToken = (token: string | undefined, args: string[], input?: Buffer) => runCli(args, urls, input, { DFS_CLUSTER_SECRET: undefined, DFS_TOKEN: token });
  const createToken = async (user: string, expires?: string): Promise<string> => {
    const run = await asAdmin(['dfsadmin', '-createToken', user, ...(expires ? ['-expires', expires] : [])]);
    t.equal(run.code, 0, run.stderr);
    return run.stdout.toString().trim();
  };

  const admin = await createToken(SUPERUSER);
  const alice = await createToken('alice', '7d');
  const bob = await createToken('bob');
  t.match(admin, /^[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/, 'a token is <id>.<secret>');

  await t.test('without a valid token nothing is allowed and nothing changes', async (t) => {
    const ls = await withToken(undefined, ['-mkdir', '/nope']);
    t.not(ls.code, 0);
    t.match(ls.stderr, /Authentication required/);
    for (const url of urls) {
      const web = await http('PUT', `${url}/webhdfs/v1/nope?op=MKDIRS&user.name=${SUPERUSER}`);
      t.equal(web.status, 401, 'WebHDFS: 401');
      t.equal(web.json.RemoteException?.exception, 'SecurityException');
      const bad = await http('PUT', `${url}/webhdfs/v1/nope?op=MKDIRS&delegation=0123456789abcdef.${'A'.repeat(43)}`);
      t.equal(bad.status, 401, 'an unknown token: 401');
      t.match(bad.json.RemoteException?.message, /invalid token/);
      const viaRpc = await rpc(url, 'mkdirs', { path: '/nope', user: SUPERUSER });
      t.equal(viaRpc.status, 401, 'client RPC: 401');
    }
    const user = await withToken(undefined, ['dfsadmin', '-createToken', 'mallory']);
    t.not(user.code, 0, 'no token and no secret: cannot create tokens');
    const byAlice = await withToken(alice, ['dfsadmin', '-createToken', 'mallory']);
    t.not(byAlice.code, 0, 'a non-superuser cannot create tokens');
    t.match(byAlice.stderr, /Superuser privilege is required/);
    const check = await withToken(admin, ['-test', '-e', '/nope']);
    t.equal(check.code, 1, '/nope was never created');
  });

  await t.test('with a token every operation works, as the token\'s user', async (t) => {
    const data = randomBytes(100_000);
    for (const args of [['-mkdir', '-p', '/data/shared'], ['-chmod', '1777', '/data/shared'], ['-chmod', '755', '/data']]) {
      const run = await withToken(admin, args);
      t.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    }
    const put = await withToken(admin, ['-put', '-', '/data/file.bin'], data);
    t.equal(put.code, 0, put.stderr);
    const cat = await withToken(admin, ['-cat', '/data/file.bin']);
    t.ok(cat.stdout.equals(data), 'read back through block tokens');
    const ls = await withToken(admin, ['-ls', '/data']);
    t.match(ls.stdout.toString(), /\/data\/file\.bin/);
    // WebHDFS with delegation= and with Authorization: Bearer, through a follower: user.name is ignored.
    const create = await http('PUT', `${follower}/webhdfs/v1/data/shared/alice.txt?op=CREATE&user.name=${SUPERUSER}&delegation=${alice}`);
    t.equal(create.status, 307);
    t.notMatch(create.location!, alice.split('.')[1], 'the bearer token does not travel to the datanode');
    t.equal((await http('PUT', create.location!, { body: 'alice was here' })).status, 201);
    const status = await http('GET', `${follower}/webhdfs/v1/data/shared/alice.txt?op=GETFILESTATUS`, { headers: { authorization: `Bearer ${alice}` } });
    t.equal(status.status, 200);
    t.equal((status.json.FileStatus as { owner: string }).owner, 'alice', 'the token\'s user owns what it creates');
    const open = await http('GET', `${leader}/webhdfs/v1/data/shared/alice.txt?op=OPEN&delegation=${alice}`);
    const grant = new URL(open.location!).searchParams.get('blocktoken')!;
    const replay = await http('DELETE', `${leader}/webhdfs/v1/data/shared/alice.txt?op=DELETE&blocktoken=${encodeURIComponent(grant)}`);
    t.equal(replay.status, 401, 'a redirect grant is no credential at the namenode');
    t.equal((await http('GET', open.location!)).text, 'alice was here', 'the file is still there, and the grant reads it');
    const mkdirViaFollower = await http('PUT', `${follower}/webhdfs/v1/data/shared/bobdir?op=MKDIRS`, { headers: { authorization: `Bearer ${bob}` } });
    t.equal(mkdirViaFollower.status, 200, 'a follower relays a write with the caller\'s identity');
    const bobDir = await http('GET', `${leader}/webhdfs/v1/data/shared/bobdir?op=GETFILESTATUS&delegation=${bob}`);
    t.equal((bobDir.json.FileStatus as { owner: string }).owner, 'bob');
    const rm = await withToken(admin, ['-rm', '-skipTrash', '/data/file.bin']);
    t.equal(rm.code, 0, rm.stderr);
  });

  await t.test('permissions: owner/group/other and the sticky bit', async (t) => {
    const denied = await withToken(alice, ['-put', '-', '/data/alice.bin'], Buffer.from('x'));
    t.not(denied.code, 0, 'alice cannot write in /data (755, owned by the superuser)');
    t.match(denied.stderr, /Permission denied/);
    const put = await withToken(alice, ['-put', '-', '/data/shared/private.txt'], Buffer.from('secret'));
    t.equal(put.code, 0, put.stderr);
    t.equal((await withToken(alice, ['-chmod', '600', '/data/shared/private.txt'])).code, 0);
    const bobReads = await withToken(bob, ['-cat', '/data/shared/private.txt']);
    t.not(bobReads.code, 0, 'bob cannot read alice\'s 600 file');
    t.match(bobReads.stderr, /Permission denied/);
    const bobDeletes = await withToken(bob, ['-rm', '-skipTrash', '/data/shared/private.txt']);
    t.not(bobDeletes.code, 0, 'the sticky bit: bob cannot delete alice\'s file in a 1777 directory');
    t.match(bobDeletes.stderr, /Permission denied/);
    const bobDeletesWeb = await http('DELETE', `${leader}/webhdfs/v1/data/shared/private.txt?op=DELETE&delegation=${bob}`);
    t.equal(bobDeletesWeb.status, 403);
    t.match(bobDeletesWeb.json.RemoteException?.message, /sticky bit/, 'refused by the sticky bit (the directory is world-writable)');
    const bobRenames = await withToken(bob, ['-mv', '/data/shared/private.txt', '/data/shared/mine.txt']);
    t.not(bobRenames.code, 0, 'nor rename it');
    const bobChmods = await withToken(bob, ['-chmod', '777', '/data/shared/private.txt']);
    t.not(bobChmods.code, 0, 'nor change its mode');
    const bobChowns = await withToken(bob, ['-chown', 'bob', '/data/shared/private.txt']);
    t.not(bobChowns.code, 0, 'nor its owner');
    const bobAppends = await withToken(bob, ['-appendToFile', '-', '/data/shared/private.txt'], Buffer.from('more'));
    t.not(bobAppends.code, 0, 'nor append to it');
    const bobTouches = await withToken(bob, ['-touch', '/data/shared/private.txt']);
    t.not(bobTouches.code, 0, 'nor set its times');
    const stat = await withToken(admin, ['-cat', '/data/shared/private.txt']);
    t.equal(stat.stdout.toString(), 'secret', 'the superuser reads anything, and the file is untouched');
    t.equal((await withToken(alice, ['-rm', '-skipTrash', '/data/shared/private.txt'])).code, 0, 'the owner deletes it');

    // A recursive delete needs rwx on every non-empty directory below (HDFS's subAccess).
    t.equal((await withToken(alice, ['-mkdir', '/data/shared/home'])).code, 0);
    for (const args of [['-mkdir', '/data/shared/home/locked'], ['-chmod', '700', '/data/shared/home/locked'], ['-touchz', '/data/shared/home/locked/keep']]) {
      const run = await withToken(admin, args);
      t.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    }
    const summary = await http('GET', `${leader}/webhdfs/v1/data/shared/home?op=GETCONTENTSUMMARY&delegation=${bob}`);
    t.equal(summary.status, 403, 'no content summary over a directory one cannot read');
    const aliceRm = await http('DELETE', `${leader}/webhdfs/v1/data/shared/home?op=DELETE&recursive=true&delegation=${alice}`);
    t.equal(aliceRm.status, 403, 'alice cannot delete a tree holding a directory she cannot change');
    t.match(aliceRm.json.RemoteException?.message, /locked/);
    t.equal((await withToken(admin, ['-test', '-e', '/data/shared/home/locked/keep'])).code, 0, 'nothing was deleted');
    t.equal((await withToken(admin, ['-rm', '-r', '-skipTrash', '/data/shared/home'])).code, 0, 'the superuser can');
  });

  await t.test('a revoked token stops working on every namenode; an expired one too', async (t) => {
    const listed = await asAdmin(['dfsadmin', '-listTokens']);
    t.equal(listed.code, 0, listed.stderr);
    const aliceId = alice.split('.')[0];
    t.match(listed.stdout.toString(), new RegExp(`${aliceId}\\s+alice\\s.*valid`));
    t.notMatch(listed.stdout.toString(), alice.split('.')[1], 'the secret part is never shown again');
    const revoke = await asAdmin(['dfsadmin', '-revokeToken', aliceId]);
    t.equal(revoke.code, 0, revoke.stderr);
    for (const url of urls) {
      await waitFor(`the revocation to reach ${url}`, async () => {
        const answer = await http('GET', `${url}/webhdfs/v1/?op=GETFILESTATUS&delegation=${alice}`);
        return answer.status === 401 && /revoked/.test(answer.json.RemoteException?.message ?? '');
      });
    }
    t.pass('refused by every namenode');
    const short = await createToken('carol', '1s');
    await waitFor('the short token to expire', async () => (await http('GET', `${leader}/webhdfs/v1/?op=GETFILESTATUS&delegation=${short}`)).status === 401, 10_000);
    const expired = await http('GET', `${leader}/webhdfs/v1/?op=GETFILESTATUS&delegation=${short}`);
    t.match(expired.json.RemoteException?.message, /expired/);
    const after = await asAdmin(['dfsadmin', '-listTokens']);
    t.match(after.stdout.toString(), new RegExp(`${aliceId}\\s+alice\\s.*revoked`));
  });
});

/** A self-signed certificate for 127.0.0.1 (its own CA), or why there is none. */
function selfSignedCertificate(dir: string): { cert: string; key: string } | string {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    return { cert, key };
  } catch (error) {
    return `openssl cannot make a test certificate: ${(error as Error).message}`;
  }
}

t.test('TLS on every listener: a cluster over https', async (t) => {
  const dir = temporaryDirectory('tls');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const made = selfSignedCertificate(dir);
  if (typeof made === 'string') {
    t.comment(`skipped: ${made}`);
    t.pass('TLS not tested: no openssl');
    return;
  }
  const tls = ['--tls-cert', made.cert, '--tls-key', made.key, '--tls-ca', made.cert];
  // This process (the harness polling the namenode) trusts the certificate too.
  trustCa(made.cert);
  const cluster = await TestCluster.start({ datanodes: 2, replication: 2, blockSize: BLOCK, heartbeatIntervalSeconds: 0.3, namenodeArgs: tls, datanodeArgs: () => tls });
  t.teardown(() => cluster.stop());
  t.match(cluster.namenode.url, /^https:\/\//, 'the namenode advertises https');
  t.ok(cluster.datanodes.every((d) => d.url.startsWith('https://')), 'so do the datanodes');
  const report = await cluster.report();
  t.equal(report.totals.live, 2, 'datanodes registered over https');

  const data = randomBytes(BLOCK * 2 + 123);
  const env = { DFS_TLS_CA: made.cert };
  const put = await runCli(['-fs', cluster.namenode.url, '-put', '-', '/tls.bin'], [cluster.namenode.url], data, env);
  t.equal(put.code, 0, put.stderr);
  const get = await runCli(['-fs', cluster.namenode.url, '-cat', '/tls.bin'], [cluster.namenode.url], undefined, env);
  t.equal(get.code, 0, get.stderr);
  t.ok(get.stdout.equals(data), 'put and get over https, pipeline of two datanodes');
  const untrusted = await runCli(['-fs', cluster.namenode.url, '-ls', '/'], [cluster.namenode.url], undefined, { DFS_TLS_CA: undefined });
  t.not(untrusted.code, 0, 'a client that does not trust the certificate cannot connect');

  // WebHDFS over https: the redirect names an https datanode.
  const create = await http('PUT', `${cluster.namenode.url}/webhdfs/v1/web-tls.txt?op=CREATE&user.name=${SUPERUSER}`);
  t.equal(create.status, 307);
  t.match(create.location, /^https:\/\//);
  t.equal((await http('PUT', create.location!, { body: 'over tls' })).status, 201);
  const open = await http('GET', `${cluster.namenode.url}/webhdfs/v1/web-tls.txt?op=OPEN&user.name=${SUPERUSER}`);
  t.equal((await http('GET', open.location!)).text, 'over tls');
});
