// Datanode and client block I/O: frame codec, block store, and three in-process datanodes with a
// fake namenode (pipeline writes, verified and ranged reads with failover, corrupt replicas, bad
// uploads, a full disk, restarts, delete and replicate commands).

import t from 'tap';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import fc from 'fast-check';
import { CHECKSUM_CHUNK_BYTES } from '../shared/constants.js';
import { crc32cOf } from '../shared/checksum.js';
import { DfsError, isDfsError } from '../shared/errors.js';
import { silentLogger } from '../shared/logger.js';
import type { DatanodeCommand, DatanodeInfo, ExtendedBlock, LocatedBlock } from '../shared/protocol.js';
import { decodeFrames, encodeFrameHeader, END_FRAME, FrameEncoder, FrameError, blockTransferUrl } from '../shared/block-transfer.js';
import { BlockStore } from '../datanode/storage/block-store.js';
import { dirSyncStats, fsyncDir } from '../datanode/storage/replica-writer.js';
import { blockDir, metaFileName, tmpDir, META_HEADER_BYTES } from '../datanode/storage/layout.js';
import { parseRange } from '../datanode/routes/block-transfer.js';
import { startDatanode, type DatanodeOptions, type RunningDatanode } from '../datanode/main.js';
import { BlockPipelineWriter } from '../client/blocks/block-writer.js';
import { readBlockRange } from '../client/blocks/block-reader.js';

const CHUNK = CHECKSUM_CHUNK_BYTES;
const tempDirs: string[] = [];
async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `dfs-dn-${name}-`));
  tempDirs.push(dir);
  return dir;
}
t.teardown(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

void t.test('directory fsyncs are shared by concurrent callers, never skipped for a later one', async (t) => {
  const dir = await tempDir('dirsync');
  const before = dirSyncStats.fsyncs;
  await Promise.all(Array.from({ length: 50 }, () => fsyncDir(dir)));
  const shared = dirSyncStats.fsyncs - before;
  t.ok(shared >= 1 && shared <= 2, `50 concurrent callers cost ${shared} fsyncs (the first alone, the rest together)`);

  // A caller arriving while an fsync runs gets the next one: the running one may predate its rename.
  const start = dirSyncStats.fsyncs;
  const first = fsyncDir(dir);
  const second = fsyncDir(dir);
  await Promise.all([first, second]);
  t.equal(dirSyncStats.fsyncs - start, 2, 'the second caller waited for an fsync that started after its call');

  const missing = join(dir, 'no-such-folder');
  const failures = await Promise.allSettled([fsyncDir(missing), fsyncDir(missing)]);
  t.same(failures.map((f) => f.status), ['rejected', 'rejected'], 'a failed fsync fails every caller it served');
  await fsyncDir(dir);
  t.pass('the folder syncs again after a failure elsewhere');
});

async function* piecesOf(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]);
    yield data.subarray(offset, offset + n);
    offset += n;
  }
}

function framed(data: Buffer): Buffer {
  const encoder = new FrameEncoder();
  return Buffer.concat([...encoder.push(data), ...encoder.finish()]);
}

async function decodeAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const frame of decodeFrames(source)) parts.push(frame.data);
  return Buffer.concat(parts);
}

async function arrayFrom<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function collect(iterable: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of iterable) parts.push(part);
  return Buffer.concat(parts);
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

void t.test('frame codec', async (t) => {
  void t.test('round-trips any data cut into any pieces', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 * CHUNK + 100 }),
        fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 5 }),
        async (length, sizes) => {
          const data = randomBytes(length);
          const encoder = new FrameEncoder();
          const frames: Buffer[] = [];
          for await (const piece of piecesOf(data, sizes)) frames.push(...encoder.push(piece));
          frames.push(...encoder.finish());
          const wire = Buffer.concat(frames);
          t.equal(wire.length, length + Math.ceil(length / CHUNK) * 8 + 8);
          const decoded = await decodeAll(piecesOf(wire, sizes.slice().reverse()));
          return decoded.equals(data);
        },
      ),
      { numRuns: 30 },
    );
  });

  void t.test('every frame but the last holds a full chunk', async (t) => {
    const wire = framed(randomBytes(2 * CHUNK + 5));
    t.equal(wire.readUInt32BE(0), CHUNK);
    t.equal(wire.readUInt32BE(8 + CHUNK), CHUNK);
    t.equal(wire.readUInt32BE(2 * (8 + CHUNK)), 5);
    t.same(wire.subarray(wire.length - 8), END_FRAME);
  });

  void t.test('rejects a bad CRC with a 400 Checksum error', async (t) => {
    const wire = framed(randomBytes(CHUNK + 10));
    wire[8 + 100] ^= 0x01;
    const error = await decodeAll(piecesOf(wire, [1000])).catch((e: unknown) => e);
    t.ok(error instanceof FrameError && error.kind === 'Checksum' && error.status === 400, String(error));
  });

  void t.test('rejects a body without its end frame as truncated', async (t) => {
    const wire = framed(randomBytes(CHUNK * 2));
    for (const cut of [wire.length - 8, wire.length - 9, 3, 0]) {
      const error = await decodeAll(piecesOf(wire.subarray(0, cut), [4096])).catch((e: unknown) => e);
      t.ok(error instanceof FrameError && error.details.reason === 'truncated', `cut at ${cut}: ${String(error)}`);
    }
  });

  void t.test('rejects malformed frames', async (t) => {
    const short = randomBytes(10);
    const afterShort = Buffer.concat([encodeFrameHeader(10, crc32cOf(short)), short, encodeFrameHeader(10, crc32cOf(short)), short, END_FRAME]);
    const oversized = Buffer.alloc(8);
    oversized.writeUInt32BE(CHUNK + 1, 0);
    const trailing = Buffer.concat([framed(short), Buffer.from('x')]);
    for (const [name, wire] of Object.entries({ afterShort, oversized, trailing })) {
      const error = await decodeAll(piecesOf(wire, [7])).catch((e: unknown) => e);
      t.ok(error instanceof FrameError && error.status === 400, `${name}: ${String(error)}`);
    }
  });

  void t.test('parses single byte ranges', async (t) => {
    t.same(parseRange('bytes=0-9', 100), { start: 0, end: 10 });
    t.same(parseRange('bytes=90-', 100), { start: 90, end: 100 });
    t.same(parseRange('bytes=-10', 100), { start: 90, end: 100 });
    t.same(parseRange('bytes=50-1000', 100), { start: 50, end: 100 });
    t.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    t.equal(parseRange('bytes=9-3', 100), 'unsatisfiable');
    t.equal(parseRange('bytes=0-1,5-6', 100), undefined);
    t.equal(parseRange(undefined, 100), undefined);
  });
});

async function writeReplica(store: BlockStore, block: { blockId: number; genStamp: number }, data: Buffer): Promise<void> {
  const writer = await store.createWriter(block);
  for (let offset = 0; offset < data.length; offset += CHUNK) {
    const chunk = data.subarray(offset, offset + CHUNK);
    await writer.append(chunk, crc32cOf(chunk));
  }
  await writer.sync();
  await store.commit(writer);
}

void t.test('block store', async (t) => {
  const volumes = [await tempDir('store-a'), await tempDir('store-b')];
  const logger = silentLogger();
  let store = await BlockStore.open(volumes, { reservedBytes: 0 }, logger);
  const data = randomBytes(3 * CHUNK + 777);
  await writeReplica(store, { blockId: 0x1_02_03, genStamp: 1 }, data);
  await writeReplica(store, { blockId: 42, genStamp: 7 }, Buffer.alloc(0));

  void t.test('lays replicas out like HDFS, spread over volumes', async (t) => {
    const replica = store.get({ blockId: 0x1_02_03, genStamp: 1 });
    t.equal(replica.blockPath, join(volumes[0], 'current', 'finalized', 'subdir1', 'subdir2', 'blk_66051'));
    t.equal(replica.metaPath, join(blockDir(volumes[0], 66051), metaFileName(66051, 1)));
    t.equal((await stat(replica.metaPath)).size, META_HEADER_BYTES + 4 * 4);
    t.equal(store.get({ blockId: 42, genStamp: 7 }).volume.dir, volumes[1], 'round-robin');
    t.same(await readdir(tmpDir(volumes[0])), [], 'tmp/ empty after commit');
  });

  void t.test('reads verified ranges, mid-chunk included', async (t) => {
    const replica = store.get({ blockId: 66051, genStamp: 1 });
    for (const [start, end] of [[0, data.length], [CHUNK - 3, CHUNK + 3], [100, 200], [3 * CHUNK + 1, data.length], [5, 5]]) {
      const out = Buffer.concat((await arrayFrom(store.read(replica, start, end))).map((c) => c.slice));
      t.ok(out.equals(data.subarray(start, end)), `range ${start}-${end}`);
    }
  });

  void t.test('serves newer, refuses older generation stamps, refuses duplicates', async (t) => {
    t.throws(() => store.get({ blockId: 66051, genStamp: 2 }), { name: 'DfsError', kind: 'ReplicaNotFound' });
    t.equal(store.get({ blockId: 66051, genStamp: 1 }).genStamp, 1);
    await t.rejects(store.createWriter({ blockId: 66051, genStamp: 1 }), { name: 'DfsError', kind: 'IllegalArgument' });
  });

  void t.test('a newer generation replaces the old replica', async (t) => {
    const newer = randomBytes(CHUNK + 1);
    await writeReplica(store, { blockId: 42, genStamp: 9 }, newer);
    const replica = store.get({ blockId: 42, genStamp: 9 });
    t.equal(replica.numBytes, newer.length);
    const names = (await listFiles(volumes[1])).map((p) => p.slice(p.lastIndexOf('/') + 1));
    t.notOk(names.includes(metaFileName(42, 7)), 'old meta removed');
  });

  void t.test('reopening loads replicas and cleans leftovers', async (t) => {
    await writeFile(join(tmpDir(volumes[0]), 'blk_5.abcd'), 'partial');
    const orphanMeta = join(blockDir(volumes[0], 5), metaFileName(5, 1));
    await mkdir(blockDir(volumes[0], 5), { recursive: true });
    await writeFile(orphanMeta, 'meta without a block');
    store = await BlockStore.open(volumes, { reservedBytes: 0 }, logger);
    t.same(store.blockReport().sort((a, b) => a.blockId - b.blockId), [
      { blockId: 42, genStamp: 9, numBytes: CHUNK + 1 },
      { blockId: 66051, genStamp: 1, numBytes: data.length },
    ]);
    t.same(await readdir(tmpDir(volumes[0])), []);
    await t.rejects(stat(orphanMeta), { code: 'ENOENT' });
    const used = store.volumeReports().reduce((sum, v) => sum + v.used, 0);
    t.equal(used, data.length + CHUNK + 1 + 2 * META_HEADER_BYTES + 4 * 4 + 2 * 4);
  });

  void t.test('detects corruption', async (t) => {
    const replica = store.get({ blockId: 66051, genStamp: 1 });
    const file = await open(replica.blockPath, 'r+');
    await file.write(Buffer.from([~data[CHUNK + 10] & 0xff]), 0, 1, CHUNK + 10);
    await file.close();
    const read = async (s: number, e: number): Promise<number> => (await arrayFrom(store.read(replica, s, e))).length;
    t.equal(await read(0, CHUNK), 1, 'first chunk fine');
    await t.rejects(read(CHUNK + 50, CHUNK + 60), { name: 'DfsError', kind: 'Checksum' });
  });

  void t.test('deletes', async (t) => {
    const replica = store.get({ blockId: 42, genStamp: 9 });
    t.equal(await store.delete({ blockId: 42, genStamp: 8 }), undefined, 'an older delete leaves a newer replica');
    t.ok(await store.delete({ blockId: 42, genStamp: 9 }));
    await t.rejects(stat(replica.blockPath), { code: 'ENOENT' });
    t.equal(store.find(42), undefined);
  });
});

// ---------------------------------------------------------------------------------------------
// In-process cluster: a fake namenode and three datanodes.

interface FakeNamenode {
  app: FastifyInstance;
  url: string;
  calls: { method: string; body: Record<string, unknown> }[];
  commands: Map<string, DatanodeCommand[]>;
  received(uuid: string): ExtendedBlock[];
  deleted(uuid: string): ExtendedBlock[];
  badBlocks(uuid: string): ExtendedBlock[];
  reports(uuid: string): ExtendedBlock[][];
}

async function startFakeNamenode(): Promise<FakeNamenode> {
  const app = Fastify();
  const calls: FakeNamenode['calls'] = [];
  const commands = new Map<string, DatanodeCommand[]>();
  app.post('/rpc/v1/datanode/:method', async (req) => {
    const { method } = req.params as { method: string };
    const body = req.body as Record<string, unknown>;
    calls.push({ method, body });
    switch (method) {
      case 'register':
        return { namenodeId: 'nn1', clusterId: 'cluster-test', heartbeatIntervalMs: 100 };
      case 'heartbeat': {
        const uuid = body.uuid as string;
        const pending = commands.get(uuid) ?? [];
        commands.delete(uuid);
        return { commands: pending };
      }
      case 'blockReport':
        return { commands: [] };
      default:
        return {};
    }
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  const of = (method: string, uuid: string) => calls.filter((c) => c.method === method && c.body.uuid === uuid).map((c) => c.body);
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    calls,
    commands,
    received: (uuid) => of('blockReceivedAndDeleted', uuid).flatMap((b) => b.received as ExtendedBlock[]),
    deleted: (uuid) => of('blockReceivedAndDeleted', uuid).flatMap((b) => b.deleted as ExtendedBlock[]),
    badBlocks: (uuid) => of('reportBadBlocks', uuid).flatMap((b) => b.blocks as ExtendedBlock[]),
    reports: (uuid) => of('blockReport', uuid).map((b) => b.blocks as ExtendedBlock[]),
  };
}

void t.test('datanodes with a fake namenode', async (t) => {
  const namenode = await startFakeNamenode();
  t.teardown(() => namenode.app.close());
  const dirs = [await tempDir('dn0'), await tempDir('dn1'), await tempDir('dn2')];
  const logger = silentLogger();
  const baseOptions = (dir: string): DatanodeOptions => ({
    port: 0,
    dataDirs: [join(dir, 'vol0'), join(dir, 'vol1')],
    namenodes: [namenode.url],
    heartbeatIntervalMs: 100,
    logger,
  });
  const nodes: RunningDatanode[] = [];
  for (const dir of dirs) nodes.push(await startDatanode(baseOptions(dir)));
  t.teardown(async () => {
    for (const node of nodes) await node.close();
  });
  const info = (node: RunningDatanode): DatanodeInfo => ({ uuid: node.uuid, url: node.url, rack: '/default-rack' });
  const located = (blockId: number, numBytes: number, on: RunningDatanode[], genStamp = 1001): LocatedBlock => ({
    block: { blockId, genStamp, numBytes },
    offset: 0,
    locations: on.map(info),
  });
  const dataFilesOf = async (dir: string) => (await listFiles(dir)).filter((p) => !p.endsWith('VERSION'));

  await waitFor('three registrations', () => namenode.calls.filter((c) => c.method === 'register').length === 3);
  await waitFor('initial block reports', () => nodes.every((n) => namenode.reports(n.uuid).length >= 1));

  const data = randomBytes(5 * CHUNK + 12345);
  const blockId = 1_073_741_825;
  const first = located(blockId, data.length, nodes);

  void t.test('writes a multi-chunk block through a 3-node pipeline', async (t) => {
    const writer = BlockPipelineWriter.open({ ...first, block: { ...first.block, numBytes: 0 } });
    // Odd-sized writes exercise the client's framing.
    for (let offset = 0; offset < data.length; offset += 50_000) await writer.write(data.subarray(offset, offset + 50_000));
    t.equal(writer.bytesWritten, data.length);
    const ack = await writer.finish();
    t.same(ack.block, { blockId, genStamp: 1001, numBytes: data.length });
    t.same(ack.replicas, nodes.map((n) => n.url));
    for (const dir of dirs) {
      const files = await dataFilesOf(dir);
      const blockFile = files.find((p) => p.endsWith(`/blk_${blockId}`));
      const metaFile = files.find((p) => p.endsWith(`/blk_${blockId}_1001.meta`));
      t.ok(blockFile && metaFile, `${dir} holds block and meta`);
      t.ok((await readFile(blockFile!)).equals(data), 'block file holds the data');
      const meta = await readFile(metaFile!);
      t.equal(meta.length, META_HEADER_BYTES + 6 * 4);
      t.equal(meta.readUInt32BE(META_HEADER_BYTES + 5 * 4), crc32cOf(data.subarray(5 * CHUNK)), 'last chunk CRC');
      t.notOk(files.some((p) => p.includes('/current/tmp/')), 'nothing left in tmp/');
    }
    await waitFor('blockReceived from each node', () =>
      nodes.every((n) => namenode.received(n.uuid).some((b) => b.blockId === blockId && b.numBytes === data.length)),
    );
    const status = (await (await request(`${nodes[0].url}/dfs/v1/status`)).body.json()) as { uuid: string; volumes: { blocks: number }[] };
    t.equal(status.uuid, nodes[0].uuid);
    t.equal(status.volumes.reduce((s, v) => s + v.blocks, 0), 1);
  });

  void t.test('reads full and ranged', async (t) => {
    t.ok((await collect(readBlockRange(first, 0, data.length))).equals(data), 'full block');
    for (const [s, e] of [[CHUNK - 7, 2 * CHUNK + 9], [1, 2], [3 * CHUNK + 100, data.length], [0, 0]]) {
      t.ok((await collect(readBlockRange(first, s, e))).equals(data.subarray(s, e)), `range ${s}-${e}`);
    }
    const response = await request(blockTransferUrl(nodes[1].url, first.block), { headers: { range: `bytes=${CHUNK + 1}-${CHUNK + 10}` } });
    t.equal(response.statusCode, 206);
    t.equal(response.headers['x-dfs-block-length'], String(data.length));
    t.equal(response.headers['content-range'], `bytes ${CHUNK + 1}-${CHUNK + 10}/${data.length}`);
    t.ok(Buffer.from(await response.body.arrayBuffer()).equals(data.subarray(CHUNK + 1, CHUNK + 11)));
    const stale = await request(blockTransferUrl(nodes[1].url, { blockId, genStamp: 1002 }));
    t.equal(stale.statusCode, 404, 'a replica older than the asked generation stamp is not served');
    t.match(await stale.body.json(), { RemoteException: { exception: 'ReplicaNotFoundException' } });
    const error = await collect(readBlockRange(located(blockId + 1, 10, nodes), 0, 10)).catch((e: unknown) => e);
    t.ok(isDfsError(error, 'BlockMissing'), 'no replica anywhere -> BlockMissing');
    // A reader that stops early releases the datanode's transfer.
    for await (const piece of readBlockRange(first, 0, data.length)) {
      t.ok(piece.length > 0);
      break;
    }
    const transfers = async () =>
      ((await (await request(`${nodes[0].url}/dfs/v1/status`)).body.json()) as { transfers: { reads: number; writes: number } }).transfers;
    await waitFor('no transfer in progress', async () => {
      const now = await transfers();
      return now.reads === 0 && now.writes === 0;
    });
  });

  void t.test('a corrupt replica is skipped and reported', async (t) => {
    const victim = nodes[0];
    const blockFile = (await dataFilesOf(dirs[0])).find((p) => p.endsWith(`/blk_${blockId}`))!;
    const file = await open(blockFile, 'r+');
    const at = 3 * CHUNK + 5;
    await file.write(Buffer.from([data[at] ^ 0xff]), 0, 1, at);
    await file.close();
    // Corruption mid-range: node 0 sends the verified chunks 0..2, then cuts the body (its status
    // line is already out); the read resumes from that byte on node 1.
    const bad: string[] = [];
    const full = await collect(readBlockRange(first, 10, data.length, { onBadReplica: (n) => bad.push(n.url) }));
    t.ok(full.equals(data.subarray(10)), 'right bytes from another replica');
    t.same(bad, [], 'a body cut short does not say why, so the client cannot blame the replica');
    // Corruption at the start of the range: node 0 answers an error before any byte.
    const ranged = await collect(readBlockRange(first, at, at + 10, { onBadReplica: (n) => bad.push(n.url) }));
    t.ok(ranged.equals(data.subarray(at, at + 10)));
    t.same(bad, [victim.url], 'the client is told which replica served corrupt data');
    await waitFor('reportBadBlocks', () => namenode.badBlocks(victim.uuid).some((b) => b.blockId === blockId));
    // Restore the replica for later tests.
    const repair = await open(blockFile, 'r+');
    await repair.write(Buffer.from([data[at]]), 0, 1, at);
    await repair.close();
  });

  const putRaw = async (node: RunningDatanode, block: { blockId: number; genStamp: number }, body: Buffer, targets: string[] = []) => {
    const response = await request(blockTransferUrl(node.url, block, targets), {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    return { status: response.statusCode, body: (await response.body.json()) as { RemoteException: { dfsKind: string; details?: Record<string, unknown> } } };
  };
  const noReplicaAnywhere = async (id: number) => {
    for (const dir of dirs) {
      const files = await dataFilesOf(dir);
      if (files.some((p) => p.includes(`blk_${id}`))) return false;
    }
    return true;
  };

  void t.test('a truncated upload or a wrong CRC is refused and leaves nothing', async (t) => {
    const payload = framed(randomBytes(3 * CHUNK));
    const truncated = await putRaw(nodes[0], { blockId: 7001, genStamp: 1 }, payload.subarray(0, payload.length - 8), [nodes[1].url]);
    t.equal(truncated.status, 400);
    t.equal(truncated.body.RemoteException.details?.reason, 'truncated');
    const corrupt = Buffer.from(payload);
    corrupt[8 + CHUNK + 8 + 3] ^= 1;
    const badCrc = await putRaw(nodes[0], { blockId: 7002, genStamp: 1 }, corrupt, [nodes[1].url, nodes[2].url]);
    t.equal(badCrc.status, 400);
    t.equal(badCrc.body.RemoteException.dfsKind, 'Checksum');
    await waitFor('downstream cleanup', async () => (await noReplicaAnywhere(7001)) && (await noReplicaAnywhere(7002)));
    const statusOk = await request(blockTransferUrl(nodes[1].url, { blockId: 7001, genStamp: 1 }));
    t.equal(statusOk.statusCode, 404);
    await statusOk.body.dump();
  });

  void t.test('a client that aborts mid-block leaves nothing', async (t) => {
    const writer = BlockPipelineWriter.open(located(7003, 0, nodes));
    await writer.write(randomBytes(2 * CHUNK + 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writer.abort(new Error('client gave up'));
    await waitFor('pipeline cleanup', () => noReplicaAnywhere(7003));
    t.pass('no partial replica on any node');
  });

  void t.test('a downstream failure names the failed node', async (t) => {
    const dead = 'http://127.0.0.1:1';
    const writer = BlockPipelineWriter.open({ ...located(7004, 0, nodes.slice(0, 2)), locations: [...nodes.slice(0, 2).map(info), { uuid: 'dead', url: dead, rack: '/r' }] });
    const error = await (async () => {
      await writer.write(randomBytes(CHUNK * 2));
      return writer.finish();
    })().catch((e: unknown) => e);
    t.ok(error instanceof DfsError, String(error));
    t.equal((error as DfsError).details.failedNode, dead);
    await waitFor('pipeline cleanup', () => noReplicaAnywhere(7004));
  });

  void t.test('a full datanode refuses cleanly', async (t) => {
    const dir = await tempDir('full');
    const tiny = await startDatanode({ ...baseOptions(dir), dataDirs: [dir], capacityBytes: CHUNK + 100 });
    t.teardown(() => tiny.close());
    const writer = BlockPipelineWriter.open(located(7005, 0, [tiny]));
    const error = await (async () => {
      await writer.write(randomBytes(3 * CHUNK));
      return writer.finish();
    })().catch((e: unknown) => e);
    t.ok(isDfsError(error, 'DiskFull'), String(error));
    t.equal((error as DfsError).details.failedNode, tiny.url);
    t.same((await dataFilesOf(dir)).filter((p) => p.includes('blk_')), [], 'no partial block');
    const full = await startDatanode({ ...baseOptions(await tempDir('full2')), capacityBytes: 10, blockReportIntervalMs: 100 });
    t.teardown(() => full.close());
    const refused = await putRaw(full, { blockId: 7006, genStamp: 1 }, framed(randomBytes(10)));
    t.equal(refused.status, 507);
    t.equal(refused.body.RemoteException.dfsKind, 'DiskFull');
    await waitFor('full node reported as full', () =>
      namenode.calls.some((c) => c.method === 'heartbeat' && c.body.uuid === full.uuid && (c.body.storage as { full: boolean }).full),
    );
    await waitFor('periodic full block reports', () => namenode.reports(full.uuid).length >= 3);
  });

  void t.test('a restarted datanode keeps its identity and blocks', async (t) => {
    const before = nodes[2];
    const reportsBefore = namenode.reports(before.uuid).length;
    await before.close();
    const after = await startDatanode(baseOptions(dirs[2]));
    nodes[2] = after;
    t.equal(after.uuid, before.uuid);
    await waitFor('full block report after restart', () => namenode.reports(after.uuid).length > reportsBefore);
    t.same(namenode.reports(after.uuid).at(-1), [{ blockId, genStamp: 1001, numBytes: data.length }]);
    const fromRestarted = await collect(readBlockRange(located(blockId, data.length, [after]), CHUNK, 2 * CHUNK));
    t.ok(fromRestarted.equals(data.subarray(CHUNK, 2 * CHUNK)));
  });

  void t.test('replicate and delete commands', async (t) => {
    const dir = await tempDir('dn3');
    const fourth = await startDatanode(baseOptions(dir));
    nodes.push(fourth);
    namenode.commands.set(nodes[1].uuid, [{ type: 'replicate', block: first.block, targets: [info(fourth)] }]);
    await waitFor('replica on the new node', () => namenode.received(fourth.uuid).some((b) => b.blockId === blockId));
    t.ok((await collect(readBlockRange(located(blockId, data.length, [fourth]), 0, data.length))).equals(data), 'replicated bytes');

    namenode.commands.set(nodes[0].uuid, [{ type: 'delete', blocks: [first.block] }]);
    await waitFor('deletion reported', () => namenode.deleted(nodes[0].uuid).some((b) => b.blockId === blockId));
    t.notOk((await dataFilesOf(dirs[0])).some((p) => p.includes(`blk_${blockId}`)), 'files removed');
    const gone = await request(blockTransferUrl(nodes[0].url, first.block));
    t.equal(gone.statusCode, 404);
    await gone.body.dump();
  });

  void t.test('reregister triggers a new registration and full report', async (t) => {
    const node = nodes[1];
    const registrations = () => namenode.calls.filter((c) => c.method === 'register' && (c.body.node as DatanodeInfo).uuid === node.uuid).length;
    const before = registrations();
    const reports = namenode.reports(node.uuid).length;
    namenode.commands.set(node.uuid, [{ type: 'reregister' }]);
    await waitFor('re-registration', () => registrations() > before && namenode.reports(node.uuid).length > reports);
    t.pass();
  });
});
