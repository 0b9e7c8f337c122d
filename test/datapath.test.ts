// The data path under failures, on real processes: a datanode killed (kill -9) in the middle of a
// write and of a read, a datanode gone for good, a flipped byte on disk (found by a read and by the
// block scanner), decommissioning, replication changes, and a datanode whose disk fills up. Each
// scenario asserts what a user relies on: the bytes come back identical and the cluster heals.

import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DfsClient } from '../client/dfs-client.js';
import { TestCluster, temporaryDirectory, waitFor, type NodeProcess } from './helpers/processes.js';
import { flipByte } from './helpers/block-files.js';

const KiB = 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface FsckBlock {
  blockId: number;
  genStamp: number;
  numBytes: number;
  expected: number;
  live: number;
  decommissioning: number;
  corrupt: number;
  health: string;
  locations: Array<{ url: string; replica: string }>;
}
interface FsckReport {
  status: string;
  summary: { totalBlocks: number; underReplicated: number; overReplicated: number; missingBlocks: number; corruptBlocks: number };
  files: Array<{ path: string; blocks: FsckBlock[] }>;
}

async function fsckJson(cluster: TestCluster, path = '/'): Promise<FsckReport> {
  const response = await fetch(`${cluster.namenode.url}/rpc/v1/admin/fsck?path=${encodeURIComponent(path)}&details=1`);
  return (await response.json()) as FsckReport;
}

const allBlocks = (report: FsckReport): FsckBlock[] => report.files.flatMap((f) => f.blocks);
const exactlyReplicated = (report: FsckReport, n: number) =>
  report.status === 'HEALTHY' && allBlocks(report).every((b) => b.live === n && b.corrupt === 0 && b.decommissioning === 0);

function nodeByUrl(cluster: TestCluster, url: string): NodeProcess {
  const node = cluster.datanodes.find((d) => d.url === url);
  if (!node) throw new Error(`no datanode at ${url}`);
  return node;
}

/** Path of a block file under a datanode's data folder(s), if it holds one. */
function findBlockFile(dataDir: string, blockId: number): string | undefined {
  const walk = (dir: string): string | undefined => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        const found = walk(path);
        if (found) return found;
      } else if (entry.name === `blk_${blockId}`) return path;
    }
    return undefined;
  };
  return walk(dataDir);
}

async function write(stream: Writable, data: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => stream.write(data, (error) => (error ? reject(error) : resolve())));
}

async function end(stream: Writable): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

t.test('the data path survives datanode failures and heals itself', async (t) => {
  const cluster = await TestCluster.start({
    datanodes: 4,
    replication: 3,
    blockSize: 64 * KiB,
    heartbeatIntervalSeconds: 0.3,
    deadAfterSeconds: 2.5,
    // A short scan period so the block scanner's pass over a flipped byte is part of the test.
    datanodeArgs: () => ['--scan-period', '2', '--scan-rate', '32m'],
  });
  t.teardown(() => cluster.stop());
  const client = new DfsClient({ namenodes: [cluster.namenode.url] });
  t.teardown(() => client.close());
  const before = randomBytes(6 * 64 * KiB + 1000);
  await client.writeFile('/data/before.bin', before);

  let deadNode: NodeProcess | undefined;

  await t.test('kill -9 of a pipeline datanode mid-block: the write completes, byte-identical', async (t) => {
    const blockSize = 256 * KiB;
    const content = randomBytes(Math.round(blockSize * 3.5));
    const stream = client.createWriteStream('/data/killed-write.bin', { blockSize });
    await write(stream, content.subarray(0, blockSize + blockSize / 2));
    const pipeline = stream.currentBlock!.locations;
    t.equal(pipeline.length, 3, 'the block being written has a 3-node pipeline');
    deadNode = nodeByUrl(cluster, pipeline[1].url);
    await deadNode.stop('SIGKILL');
    await write(stream, content.subarray(blockSize + blockSize / 2));
    await end(stream);
    t.equal(sha256(await client.readFile('/data/killed-write.bin')), sha256(content), 'read back byte-identical');
    t.ok(cluster.namenode.recentLog.some((line) => line.includes('pipeline recovery')), 'the namenode recovered the pipeline');
    const report = await fsckJson(cluster, '/data/killed-write.bin');
    const afterKill = allBlocks(report).slice(1);
    t.ok(afterKill.every((b) => b.genStamp > allBlocks(report)[0].genStamp && b.locations.every((l) => l.url !== deadNode!.url)), 'the recovered block and later ones avoid the killed node');
  });

  await t.test('a datanode that stays down: its blocks return to full replication', async (t) => {
    const startedMs = Date.now();
    const held = (await cluster.report()).datanodes.find((d) => d.url === deadNode!.url)!.blocks;
    t.ok(held > 0, `the killed node held ${held} blocks`);
    await waitFor('the killed node declared dead', async () => (await cluster.report()).datanodes.some((d) => d.url === deadNode!.url && d.state === 'dead'), 10_000);
    const deadMs = Date.now() - startedMs;
    await waitFor('every block back to 3 live replicas', async () => exactlyReplicated(await fsckJson(cluster), 3), 20_000);
    t.comment(`dead after ${deadMs} ms; ${held} blocks re-replicated ${Date.now() - startedMs - deadMs} ms later`);
    const fsck = await cluster.dfs(['fsck', '/']);
    t.equal(fsck.code, 0, fsck.stderr);
    t.match(fsck.stdout.toString(), /Status: HEALTHY/);
    t.match(fsck.stdout.toString(), /Under-replicated blocks:\t0 /);
    t.match(fsck.stdout.toString(), /The filesystem under path '\/' is HEALTHY/);

    // Back from the dead with its old replicas: the extra copies are trimmed to the replication.
    await deadNode!.start();
    await cluster.waitForLiveDatanodes(4);
    await waitFor('over-replicated blocks trimmed', async () => {
      const report = await fsckJson(cluster);
      return exactlyReplicated(report, 3) && report.summary.overReplicated === 0;
    });
    t.equal(sha256(await client.readFile('/data/before.bin')), sha256(before), 'data intact');
  });

  await t.test('kill -9 of the datanode serving a read mid-stream: the read completes, byte-identical', async (t) => {
    // Blocks far larger than the socket buffers, so the kill cuts a response in the middle.
    const blockSize = 8192 * KiB;
    const content = randomBytes(2 * blockSize);
    await client.writeFile('/data/big-read.bin', content, { blockSize });
    const { located } = await client.rpc.call('getBlockLocations', { path: '/data/big-read.bin' });
    // A reader tries the listed replicas in order: the first one serves the first block.
    const serving = nodeByUrl(cluster, located.blocks[0].locations[0].url);
    const chunks: Buffer[] = [];
    const reader = client.createReadStream('/data/big-read.bin');
    const iterator = reader[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await iterator.next();
    chunks.push(first.value as Buffer);
    t.ok(first.value.length < blockSize, 'the first block is still streaming');
    await serving.stop('SIGKILL');
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) chunks.push(next.value as Buffer);
    const received = Buffer.concat(chunks);
    t.equal(received.length, content.length, 'every byte arrived');
    t.equal(sha256(received), sha256(content), 'byte-identical');
    await serving.start();
    await cluster.waitForLiveDatanodes(4);
  });

  await t.test('a flipped byte: the read is right, the bad replica is reported, removed and replaced', async (t) => {
    const content = randomBytes(3 * 64 * KiB);
    await client.writeFile('/data/flipped.bin', content);
    const report = await fsckJson(cluster, '/data/flipped.bin');
    const target = report.files[0].blocks[1];
    // The replica listed first is the one a reader tries first.
    const { located } = await client.rpc.call('getBlockLocations', { path: '/data/flipped.bin' });
    const victim = nodeByUrl(cluster, located.blocks[1].locations[0].url);
    const blockFile = findBlockFile(victim.dataDir, target.blockId)!;
    t.ok(blockFile, 'the replica file exists');
    flipByte(blockFile, 5000);
    t.equal(sha256(await client.readFile('/data/flipped.bin')), sha256(content), 'the read returns the right bytes');
    await waitFor('corrupt replica reported', () => cluster.namenode.recentLog.some((l) => l.includes('corrupt replica reported') && l.includes(String(target.blockId))));
    await waitFor('the corrupt replica deleted and the block back to 3 good replicas', async () => {
      const block = (await fsckJson(cluster, '/data/flipped.bin')).files[0].blocks[1];
      const onVictim = findBlockFile(victim.dataDir, target.blockId);
      const victimGood = !onVictim || readFileSync(onVictim).equals(content.subarray(64 * KiB, 128 * KiB));
      return block.live === 3 && block.corrupt === 0 && victimGood;
    });
    t.ok(cluster.namenode.recentLog.some((l) => l.includes('deleting corrupt replica') && l.includes(String(target.blockId))), 'deleted once a good copy existed');
  });

  await t.test('the block scanner finds a flipped byte nobody reads', async (t) => {
    const content = randomBytes(64 * KiB);
    await client.writeFile('/data/scanned.bin', content);
    const block = await waitFor('3 replicas reported', async () => {
      const found = (await fsckJson(cluster, '/data/scanned.bin')).files[0].blocks[0];
      return found.live === 3 ? found : undefined;
    });
    const victim = nodeByUrl(cluster, block.locations[2].url);
    flipByte(findBlockFile(victim.dataDir, block.blockId)!, 100);
    await waitFor('the scanner reports it, and the block heals', async () => {
      const onVictim = findBlockFile(victim.dataDir, block.blockId);
      const healed = (await fsckJson(cluster, '/data/scanned.bin')).files[0].blocks[0];
      return cluster.namenode.recentLog.some((l) => l.includes('corrupt replica reported') && l.includes(String(block.blockId))) &&
        healed.live === 3 && (!onVictim || readFileSync(onVictim).equals(content));
    }, 15_000);
    const status = (await (await fetch(`${victim.url}/dfs/v1/status`)).json()) as { scanner: { corruptFound: number } };
    t.ok(status.scanner.corruptFound >= 1, 'the scanner counted it');
    t.equal(sha256(await client.readFile('/data/scanned.bin')), sha256(content));
  });

  await t.test('decommissioning drains a datanode with no block ever under-replicated', async (t) => {
    const report = await cluster.report();
    const victim = report.datanodes.filter((d) => d.state === 'live').sort((a, b) => b.blocks - a.blocks)[0];
    t.ok(victim.blocks > 0, `decommissioning a node with ${victim.blocks} blocks`);
    const run = await cluster.dfs(['dfsadmin', '-decommission', victim.url]);
    t.equal(run.code, 0, run.stderr);
    let polls = 0;
    const adminState = async () =>
      ((await cluster.report()).datanodes as unknown as Array<{ url: string; adminState?: string }>).find((d) => d.url === victim.url)!.adminState;
    while ((await adminState()) !== 'decommissioned') {
      const fsck = await fsckJson(cluster);
      const short = allBlocks(fsck).filter((b) => b.live + b.decommissioning < b.expected);
      if (short.length > 0) t.fail(`under-replicated during decommissioning: ${JSON.stringify(short[0])}`);
      polls++;
      if (polls > 400) throw new Error('decommissioning did not finish');
      await new Promise((r) => setTimeout(r, 50));
    }
    const drained = await fsckJson(cluster);
    t.ok(allBlocks(drained).every((b) => b.live === 3), 'every block has 3 live replicas without the node');
    t.ok((await cluster.dfs(['dfsadmin', '-report'])).stdout.toString().includes('Decommission Status : Decommissioned'), '-report shows it');
    t.comment(`drained ${victim.blocks} blocks in ${polls} polls`);

    t.equal((await cluster.dfs(['dfsadmin', '-recommission', victim.url])).code, 0);
    await waitFor('back in service, extra replicas trimmed', async () => exactlyReplicated(await fsckJson(cluster), 3));
  });

  await t.test('-setrep changes converge: up and down', async (t) => {
    const set = await cluster.dfs(['-setrep', '-w', '4', '/data/before.bin']);
    t.equal(set.code, 0, set.stderr);
    t.match(set.stdout.toString(), /Replication 4 set: \/data\/before\.bin/);
    t.ok(allBlocks(await fsckJson(cluster, '/data/before.bin')).every((b) => b.live === 4), 'every block on 4 nodes');
    t.equal((await cluster.dfs(['-setrep', '-w', '2', '/data/before.bin'])).code, 0);
    await waitFor('trimmed to 2', async () => exactlyReplicated(await fsckJson(cluster, '/data/before.bin'), 2));
  });
});

t.test('a full datanode refuses cleanly; writes continue on the others; nothing partial is left', async (t) => {
  const extraVolume = temporaryDirectory('volume2');
  const cluster = await TestCluster.start({
    datanodes: 3,
    replication: 2,
    // Blocks larger than the small node's whole capacity: every block placed there fails mid-way.
    blockSize: 256 * KiB,
    heartbeatIntervalSeconds: 0.3,
    deadAfterSeconds: 3,
    datanodeArgs: (i) => (i === 3 ? ['--capacity', '100k'] : []),
  });
  t.teardown(() => cluster.stop());
  // dn1 gets a second data folder: blocks spread over both.
  const dn1 = cluster.datanodes[0];
  await dn1.stop();
  const dn1Args = ['--data', `${dn1.dataDir},${extraVolume}`];
  const multi = await cluster.addDatanode(dn1Args);
  cluster.datanodes.splice(0, 1);
  await cluster.waitForLiveDatanodes(3);
  const local = temporaryDirectory('local');

  t.equal((await cluster.dfs(['-mkdir', '-p', '/full'])).code, 0);
  const files: Buffer[] = [];
  for (let i = 0; i < 6; i++) {
    const content = randomBytes(640 * KiB + 100 * i);
    files.push(content);
    writeFileSync(join(local, `f${i}`), content);
    const put = await cluster.dfs(['-put', join(local, `f${i}`), `/full/f${i}`]);
    t.equal(put.code, 0, `put ${i} succeeds: ${put.stderr}`);
  }
  for (let i = 0; i < files.length; i++) {
    t.equal(sha256((await cluster.dfs(['-cat', `/full/f${i}`])).stdout), sha256(files[i]), `file ${i} reads back identical`);
  }
  const small = cluster.datanodes.find((d) => d.dataDir.endsWith('dn3'))!;
  const smallReport = async () =>
    ((await cluster.report()).datanodes as unknown as Array<{ url: string; full: boolean; usedBytes: number; blocks: number }>).find((d) => d.url === small.url)!;
  t.ok(small.recentLog.some((l) => l.includes('is full')), 'the small datanode refused blocks for lack of space');
  t.equal((await smallReport()).blocks, 0, 'it holds no replica: every refused write was removed');
  t.same(readdirSync(join(small.dataDir, 'current', 'tmp')), [], 'no partial replica left in tmp/');

  // A small file with replication 3 must land on the small node too; then it is full and says so.
  const client = new DfsClient({ namenodes: [cluster.namenode.url] });
  t.teardown(() => client.close());
  const tiny = randomBytes(90 * KiB);
  await client.writeFile('/full/tiny', tiny, { replication: 3 });
  await waitFor('the small node reports itself full', async () => (await smallReport()).full);
  t.ok((await smallReport()).usedBytes <= 100 * KiB, 'it never went over its capacity');
  const more = randomBytes(10 * KiB);
  await client.writeFile('/full/after-full', more, { replication: 3 });
  const placed = (await fsckJson(cluster, '/full/after-full')).files[0].blocks[0];
  t.ok(placed.locations.every((l) => l.url !== small.url), 'a full node gets no new blocks');
  t.equal(sha256(await client.readFile('/full/tiny')), sha256(tiny));
  const listing = (await cluster.dfs(['-ls', '-R', '/full'])).stdout.toString();
  t.notMatch(listing, /_COPYING_/, 'no partial file left');
  await waitFor('fsck healthy', async () => {
    const fsck = await fsckJson(cluster, '/full');
    return fsck.status === 'HEALTHY' && fsck.files.filter((f) => f.path !== '/full/after-full').every((f) => f.blocks.every((b) => b.health === 'OK'));
  });
  const status = (await (await fetch(`${multi.url}/dfs/v1/status`)).json()) as { volumes: Array<{ dir: string; blocks: number }> };
  t.equal(status.volumes.length, 2, 'the datanode has two data folders');
  t.ok(status.volumes.every((v) => v.blocks > 0), `blocks are spread over both (${status.volumes.map((v) => v.blocks).join(' and ')})`);
});
