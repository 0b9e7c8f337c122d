// Namespace backup and restore on real processes: `dfsadmin -fetchImage` during a write load, a
// new namenode group restored from the image with the old datanodes (every file acknowledged before
// the image reads back identical; a later file is absent and its replicas survive until the orphan
// grace period ends), refused corrupted and truncated images, and the offline image viewer.

import t from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { RaftTestCluster, freePort } from './helpers/raft-cluster.js';
import { NodeProcess, replicaIds, runCli, temporaryDirectory, waitFor } from './helpers/processes.js';
import { DfsClient } from '../client/dfs-client.js';

const BLOCK_SIZE = 64 * 1024;
const ORPHAN_GRACE_SECONDS = 20;
const contentOf = (path: string, size = 3_000) => {
  const line = Buffer.from(`${path}\n`);
  return Buffer.concat(Array.from({ length: Math.ceil(size / line.length) }, () => line)).subarray(0, size);
};

t.test('fetchImage under load, restore into a new namenode group with the old datanodes', async (t) => {
  const cluster = await RaftTestCluster.start({ namenodes: 3, datanodes: 3, replication: 2, blockSize: BLOCK_SIZE });
  t.teardown(() => cluster.stop());
  const client = cluster.client();
  t.teardown(() => client.close());
  const work = temporaryDirectory('backup');
  const image = join(work, 'namespace.img');

  // Files before the image: some span several blocks.
  const expected = new Map<string, Buffer>();
  for (let i = 0; i < 6; i++) {
    const path = `/data/pre/f${i}`;
    const bytes = contentOf(path, i % 2 === 0 ? 3 * BLOCK_SIZE + 123 : 2_000);
    await client.writeFile(path, bytes, { overwrite: false });
    expected.set(path, bytes);
  }

  // A write load while the image is fetched: every file acknowledged before the fetch began is in it.
  let running = true;
  const acked: Array<{ path: string; at: number }> = [];
  const loops = Array.from({ length: 2 }, async (_, w) => {
    for (let i = 0; running; i++) {
      const path = `/data/load/w${w}/f${i}`;
      await client.writeFile(path, contentOf(path), { overwrite: false });
      acked.push({ path, at: Date.now() });
    }
  });
  await waitFor('some writes under load', () => acked.length >= 10);
  const fetchStartedAt = Date.now();
  const fetched = await cluster.dfs(['dfsadmin', '-fetchImage', image]);
  running = false;
  await Promise.all(loops);
  t.equal(fetched.code, 0, `fetchImage succeeds: ${fetched.stderr}`);
  const out = fetched.stdout.toString();
  t.comment(out.trim().split('\n').join(' | '));
  t.match(out, /Saved namespace image to .*namespace\.img/);
  const index = Number(/Index: (\d+)/.exec(out)?.[1]);
  t.ok(index > 10, `the image is at a committed index (${index})`);
  t.match(out, /Cluster id: dfs-local/);
  t.match(out, /SHA-256: [0-9a-f]{64}/);
  t.notOk(readdirSync(work).some((name) => name.endsWith('.part')), 'no partial download left beside the image');
  for (const { path, at } of acked) if (at < fetchStartedAt) expected.set(path, contentOf(path));
  t.comment(`${expected.size} files acknowledged before the image; ${acked.length} written under load in all`);

  // A file written after the image: the restored namespace does not know it.
  const latePath = '/data/late.bin';
  await client.writeFile(latePath, contentOf(latePath, 2 * BLOCK_SIZE + 7), { overwrite: false });
  const { located } = await client.rpc.call('getBlockLocations', { path: latePath });
  const lateBlocks = located.blocks.map((b) => b.block.blockId);
  t.equal(lateBlocks.length, 3);

  await t.test('oiv lists the image offline', async (t) => {
    const listing = await runCli(['oiv', image, '-ls', '-stats'], []);
    t.equal(listing.code, 0, listing.stderr);
    const text = listing.stdout.toString();
    t.match(text, /checksum OK/);
    for (const path of ['/data/pre/f0', '/data/pre/f5']) t.match(text, new RegExp(` ${path.replace(/\//g, '\\/')}\\n`), `lists ${path}`);
    t.match(text, new RegExp(`\\s4 /data/pre/f0\\n`), 'a file of 3 blocks and a bit shows 4 blocks');
    t.notMatch(text, /late\.bin/);
    t.match(text, /Files: \d+/);
    const hdfsStyle = await runCli(['oiv', '-i', image, '-p', 'Stats'], []);
    t.equal(hdfsStyle.code, 0);
    t.match(hdfsStyle.stdout.toString(), /Blocks: \d+/);
  });

  const corrupted = join(work, 'corrupted.img');
  const truncated = join(work, 'truncated.img');
  const bytes = readFileSync(image);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 100] ^= 0xff;
  writeFileSync(corrupted, flipped);
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 4096));

  await t.test('a corrupted or truncated image is refused with a clear message', async (t) => {
    for (const [file, reason] of [
      [corrupted, /corrupted: SHA-256/],
      [truncated, /truncated/],
    ] as const) {
      const oiv = await runCli(['oiv', file], []);
      t.equal(oiv.code, 1, 'oiv refuses it');
      t.match(oiv.stderr, reason);
      const dir = join(work, `refused-${reason.source.slice(0, 5)}`);
      const started = await runCli(['namenode', '--port', '0', '--data', dir, '--restore', file], []);
      t.equal(started.code, 1, 'the namenode refuses to start from it');
      t.match(started.stderr, reason);
      t.same(existsSync(dir) ? readdirSync(dir) : [], [], 'the data folder stays empty');
    }
  });

  // Restore: the old namenodes go, a new group is founded from the image, the datanodes move over.
  await Promise.all(cluster.namenodes.map((node) => node.stop()));
  await Promise.all(cluster.datanodes.map((node) => node.stop()));
  const ports = [await freePort(), await freePort(), await freePort()];
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  const restored = ports.map((port, i) => {
    const node = new NodeProcess(`rnn${i + 1}`, 'namenode', join(work, `rnn${i + 1}`), () => [
      '--peers', urls.join(','), '--bootstrap', '--restore', image,
      '--block-size', String(BLOCK_SIZE), '--replication', '2', '--heartbeat-interval', '0.5',
      '--orphan-block-grace', String(ORPHAN_GRACE_SECONDS),
    ]);
    node.port = port;
    return node;
  });
  const datanodes = cluster.datanodes.map((old, i) => new NodeProcess(`dn${i + 1}`, 'datanode', old.dataDir, () => ['--namenodes', urls.join(','), '--heartbeat-interval', '0.5']));
  t.teardown(() => Promise.all([...datanodes, ...restored].map((node) => node.stop('SIGKILL'))));
  const restoreStartedAt = Date.now();
  await Promise.all(restored.map((node) => node.start()));
  await Promise.all(datanodes.map((node) => node.start()));
  const restoredClient = new DfsClient({ namenodes: urls, user: userInfo().username });
  t.teardown(() => restoredClient.close());
  await waitFor('the restored namespace to answer', () => restoredClient.exists('/data/pre/f0'), 30_000);
  const lateOnDisk = () => datanodes.reduce((n, dn) => n + lateBlocks.filter((id) => replicaIds(dn.dataDir).has(id)).length, 0);
  const lateReplicas = lateOnDisk();
  t.equal(lateReplicas, 2 * lateBlocks.length, `the late file's replicas are on the datanodes (${lateReplicas})`);

  await t.test('replicas unknown to the image are reported, and kept during the grace period', async (t) => {
    const fsck = await waitFor(
      'fsck to report the orphans',
      async () => {
        const run = await runCli(['fsck', '/'], urls);
        return /Orphan blocks .*:\s+(\d+)/.exec(run.stdout.toString()) ? run : null;
      },
      10_000,
    );
    const orphanLine = /Orphan blocks \(unknown to a restored namespace, kept 20 s\):\s+(\d+)/.exec(fsck.stdout.toString());
    // The late file's blocks, and those of load files acknowledged after the image's index.
    t.ok(Number(orphanLine?.[1]) >= lateBlocks.length, `fsck reports the orphans: ${orphanLine?.[0]}`);
    t.equal(fsck.code, 0, 'orphans do not make the file system unhealthy');
    const elapsedMs = Date.now() - restoreStartedAt;
    t.equal(lateOnDisk(), lateReplicas, `no orphan replica deleted ${elapsedMs} ms after the restore began (grace ${ORPHAN_GRACE_SECONDS} s)`);
  });

  await t.test('every file acknowledged before the image reads back identical', async (t) => {
    let identical = 0;
    for (const [path, bytes] of expected) {
      const read = await restoredClient.readFile(path);
      if (read.equals(bytes)) identical++;
      else t.fail(`${path} differs after the restore`);
    }
    t.equal(identical, expected.size, `${identical} files identical`);
    t.notOk(await restoredClient.exists(latePath), 'the file written after the image is not in the restored namespace');
    await restoredClient.writeFile('/data/after-restore', 'new\n', { overwrite: false });
    t.equal(await restoredClient.readFile('/data/after-restore', 'utf8'), 'new\n', 'the restored cluster takes writes');
  });

  await t.test('the restored group keeps the cluster id and starts a new log', async (t) => {
    const again = await runCli(['dfsadmin', '-fetchImage', join(work, 'restored.img')], urls);
    t.equal(again.code, 0, again.stderr);
    t.match(again.stdout.toString(), /Cluster id: dfs-local/);
    t.ok(Number(/Index: (\d+)/.exec(again.stdout.toString())?.[1]) < index, 'a fresh Raft log');
  });

  await t.test('orphan replicas are deleted once the grace period is over', async (t) => {
    await waitFor('orphan replicas deleted after the grace period', () => lateOnDisk() === 0, 45_000, 200);
    const elapsedMs = Date.now() - restoreStartedAt;
    t.ok(elapsedMs >= ORPHAN_GRACE_SECONDS * 1000, `deleted after ${elapsedMs} ms (grace ${ORPHAN_GRACE_SECONDS} s)`);
    for (const path of ['/data/pre/f0', '/data/pre/f1']) t.ok((await restoredClient.readFile(path)).equals(expected.get(path)!), `${path} still reads back`);
  });
});
