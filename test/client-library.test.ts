// The client library as an application uses it, against real clusters: the fs/promises-shaped API
// (results and Node-style errors), the storage adapters (unstorage driver, HTTP file serving with
// ranges in express, a multer storage engine) and streams that survive a datanode dying and a
// namenode leader being killed in the middle.

import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import multer from 'multer';
import { createStorage } from 'unstorage';
import dfsDriver from '../client/unstorage.js';
import { DfsClient } from '../client/dfs-client.js';
import { serveFile } from '../client/http-serve.js';
import { dfsStorage } from '../client/multer-storage.js';
import { TestCluster, waitFor } from './helpers/processes.js';
import { RaftTestCluster } from './helpers/raft-cluster.js';

const BLOCK_SIZE = 64 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A Readable of `data` in `pieceBytes` pieces, calling `onPiece(i)` before each (to inject faults). */
function slowSource(data: Buffer, pieceBytes: number, onPiece: (index: number) => Promise<void>): Readable {
  return Readable.from(
    (async function* () {
      for (let i = 0, at = 0; at < data.length; i++, at += pieceBytes) {
        await onPiece(i);
        yield data.subarray(at, at + pieceBytes);
      }
    })(),
  );
}

t.test('fs/promises-shaped API, adapters and a datanode dying mid-stream', async (t) => {
  const cluster = await TestCluster.start({ datanodes: 4, blockSize: BLOCK_SIZE, replication: 3, heartbeatIntervalSeconds: 0.3, deadAfterSeconds: 3 });
  t.teardown(() => cluster.stop());
  const dfs = new DfsClient({ namenodes: [cluster.namenode.url], user: 'alice' });
  t.teardown(() => dfs.close());
  const root = new DfsClient({ namenodes: [cluster.namenode.url] });
  t.teardown(() => root.close());
  await root.mkdir('/user/alice', { recursive: true });
  await root.chown('/user/alice', 'alice');

  await t.test('files: writeFile, readFile, appendFile-free basics, stat as fs.Stats', async (t) => {
    await dfs.writeFile('notes.txt', 'hello\n');
    t.equal(await dfs.readFile('notes.txt', 'utf8'), 'hello\n', 'relative paths are under /user/alice');
    t.same(await dfs.readFile('/user/alice/notes.txt'), Buffer.from('hello\n'));
    await dfs.writeFile('notes.txt', 'replaced\n');
    t.equal(await dfs.readFile('notes.txt', { encoding: 'utf8' }), 'replaced\n', "flag 'w' replaces");
    await t.rejects(dfs.writeFile('notes.txt', 'x', { flag: 'wx' }), { code: 'EEXIST', syscall: 'open', path: '/user/alice/notes.txt' });
    await dfs.appendFile('notes.txt', 'more\n');
    t.equal(await dfs.readFile('notes.txt', 'utf8'), 'replaced\nmore\n', 'appendFile appends');
    await dfs.appendFile('fresh.txt', 'new\n');
    t.equal(await dfs.readFile('fresh.txt', 'utf8'), 'new\n', 'appendFile creates a missing file');
    await dfs.truncate('notes.txt', 9);
    t.equal(await dfs.readFile('notes.txt', 'utf8'), 'replaced\n', 'truncate');
    await t.rejects(dfs.appendFile('/user', 'x'), { code: 'EISDIR' });
    const stats = await dfs.stat('notes.txt');
    t.ok(stats.isFile());
    t.notOk(stats.isDirectory());
    t.equal(stats.size, 9);
    t.equal(stats.mode, fsConstants.S_IFREG | 0o644);
    t.ok(stats.mtime instanceof Date && Math.abs(stats.mtimeMs - Date.now()) < 60_000);
    t.equal(stats.owner, 'alice');
    t.equal(stats.replication, 3, 'HDFS fields ride along');
    t.ok((await dfs.stat('/user')).isDirectory());
    await t.rejects(dfs.stat('/missing'), { code: 'ENOENT', syscall: 'stat', path: '/missing', errno: -2 });
    await t.rejects(dfs.readFile('/missing'), { code: 'ENOENT' });
  });

  await t.test('writeFile of known bytes gets its first block with the create: two namenode calls for a small file', async (t) => {
    const calls = async (op: string): Promise<number> => {
      const text = await (await fetch(`${cluster.namenode.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('dfs_namenode_requests_total{') && l.includes(`op="${op}"`) && l.includes('status="200"'));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = { create: await calls('create'), addBlock: await calls('addBlock'), complete: await calls('complete') };
    await dfs.writeFile('small.bin', Buffer.from('small file body'));
    t.equal(await dfs.readFile('small.bin', 'utf8'), 'small file body');
    t.same(
      { create: (await calls('create')) - before.create, addBlock: (await calls('addBlock')) - before.addBlock, complete: (await calls('complete')) - before.complete },
      { create: 1, addBlock: 0, complete: 1 },
      'create (with the block) and complete, no addBlock',
    );
    const big = randomBytes(2 * BLOCK_SIZE + 5);
    await dfs.writeFile('three-blocks.bin', big);
    t.equal(sha256(await dfs.readFile('three-blocks.bin')), sha256(big), 'later blocks are added as usual');
    t.equal((await calls('addBlock')) - before.addBlock, 2, 'two more blocks, two addBlock calls');
  });

  await t.test('directories: mkdir, readdir, opendir over several pages, rmdir, rm', async (t) => {
    t.equal(await dfs.mkdir('a/b/c', { recursive: true }), '/user/alice/a', 'recursive mkdir answers the first directory made');
    t.equal(await dfs.mkdir('a/b/c', { recursive: true }), undefined, 'and nothing when all exist');
    await t.rejects(dfs.mkdir('a'), { code: 'EEXIST', syscall: 'mkdir' });
    await t.rejects(dfs.mkdir('x/y'), { code: 'ENOENT' });
    await dfs.writeFile('a/f.txt', 'f');
    t.same(await dfs.readdir('a'), ['b', 'f.txt']);
    const dirents = await dfs.readdir('a', { withFileTypes: true });
    t.same(dirents.map((d) => [d.name, d.isDirectory(), d.isFile(), d.parentPath]), [['b', true, false, '/user/alice/a'], ['f.txt', false, true, '/user/alice/a']]);
    await t.rejects(dfs.readdir('a/f.txt'), { code: 'ENOTDIR', syscall: 'scandir' });
    await t.rejects(dfs.readdir('nope'), { code: 'ENOENT', syscall: 'scandir' });
    // More entries than one listing page (1000): the iterator fetches page after page.
    await dfs.mkdir('many');
    const names = Array.from({ length: 1010 }, (_, i) => `d${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 100) await Promise.all(names.slice(i, i + 100).map((name) => dfs.mkdir(`many/${name}`)));
    const seen: string[] = [];
    for await (const entry of dfs.opendir('many')) seen.push(entry.name);
    t.same(seen, names, 'every entry once, in order');
    await t.rejects(dfs.rmdir('a'), { code: 'ENOTEMPTY', syscall: 'rmdir' });
    await t.rejects(dfs.rmdir('a/f.txt'), { code: 'ENOTDIR' });
    await t.rejects(dfs.rm('a'), { code: 'EISDIR', syscall: 'rm' });
    await t.rejects(dfs.unlink('a'), { code: 'EISDIR', syscall: 'unlink' });
    await t.rejects(dfs.rm('nope'), { code: 'ENOENT' });
    await dfs.rm('nope', { force: true });
    await dfs.rm('a', { recursive: true });
    await dfs.rm('many', { recursive: true });
    t.notOk(await dfs.exists('a'));
  });

  await t.test('rename, copyFile, access, utimes, chmod, chown', async (t) => {
    await dfs.writeFile('src.bin', randomBytes(3 * BLOCK_SIZE + 7));
    await dfs.copyFile('src.bin', 'copy.bin');
    t.equal(sha256(await dfs.readFile('copy.bin')), sha256(await dfs.readFile('src.bin')));
    await t.rejects(dfs.copyFile('src.bin', 'copy.bin', fsConstants.COPYFILE_EXCL), { code: 'EEXIST', syscall: 'copyfile' });
    await dfs.rename('copy.bin', 'moved.bin');
    t.notOk(await dfs.exists('copy.bin'));
    await t.rejects(dfs.rename('copy.bin', 'x.bin'), { code: 'ENOENT', syscall: 'rename', path: '/user/alice/copy.bin', dest: '/user/alice/x.bin' });
    await dfs.access('moved.bin');
    await dfs.access('moved.bin', fsConstants.R_OK | fsConstants.W_OK);
    await t.rejects(dfs.access('gone.bin'), { code: 'ENOENT', syscall: 'access' });
    await dfs.utimes('moved.bin', 1_600_000_000, new Date(1_600_000_123_456));
    const stats = await dfs.stat('moved.bin');
    t.equal(stats.atimeMs, 1_600_000_000_000, 'numbers are seconds');
    t.equal(stats.mtimeMs, 1_600_000_123_456, 'Dates are exact');
    await dfs.chmod('moved.bin', 0o600);
    await dfs.chmod('src.bin', '640');
    t.equal((await dfs.stat('moved.bin')).mode & 0o777, 0o600);
    t.equal((await dfs.stat('src.bin')).mode & 0o777, 0o640);
    const bob = new DfsClient({ namenodes: [cluster.namenode.url], user: 'bob' });
    t.teardown(() => bob.close());
    await t.rejects(bob.access('/user/alice/moved.bin', fsConstants.R_OK), { code: 'EACCES', syscall: 'access' });
    await t.rejects(bob.chmod('/user/alice/moved.bin', 0o777), { code: 'EACCES', syscall: 'chmod', path: '/user/alice/moved.bin' });
    await t.rejects(dfs.chown('moved.bin', 'bob'), { code: 'EACCES', syscall: 'chown' }, 'only the superuser gives files away');
    await dfs.chown('moved.bin', undefined, 'staff');
    t.equal((await dfs.stat('moved.bin')).group, 'staff', 'the owner may change the group');
  });

  await t.test('streams: ranges, write options, AbortSignal', async (t) => {
    const data = randomBytes(2 * BLOCK_SIZE + 100);
    await pipeline(Readable.from([data]), dfs.createWriteStream('stream.bin', { replication: 2, blockSize: BLOCK_SIZE * 2 }));
    const stats = await dfs.stat('stream.bin');
    t.equal(stats.replication, 2);
    t.equal(stats.blksize, BLOCK_SIZE * 2);
    const range = async (start: number, end: number) => {
      const chunks: Buffer[] = [];
      for await (const chunk of dfs.createReadStream('stream.bin', { start, end })) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    t.same(await range(BLOCK_SIZE * 2 - 10, BLOCK_SIZE * 2 + 9), data.subarray(BLOCK_SIZE * 2 - 10, BLOCK_SIZE * 2 + 10), 'a range across a block boundary; end inclusive');
    t.same(await range(5, 5), data.subarray(5, 6));
    await t.rejects(pipeline(Readable.from([data]), dfs.createWriteStream('stream.bin')), { code: 'EEXIST' }, 'createWriteStream does not replace unless told');
    await pipeline(Readable.from([Buffer.from('new')]), dfs.createWriteStream('stream.bin', { overwrite: true }));
    t.equal(await dfs.readFile('stream.bin', 'utf8'), 'new');
    await t.rejects(dfs.readFile('src.bin', { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await t.rejects(dfs.stat('src.bin', { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await t.rejects(dfs.writeFile('aborted.bin', 'x', { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });

  await t.test('the unstorage driver meets the expectations of unstorage\'s driver tests', async (t) => {
    const storage = createStorage();
    storage.mount('/files', dfsDriver({ base: '/user/alice/kv', namenodes: [cluster.namenode.url], user: 'alice' }));
    t.teardown(() => storage.dispose());
    t.equal(await storage.hasItem('files:s1:a'), false, 'init');
    t.equal(await storage.getItem('files:s1:a'), null);
    await storage.setItem('files:s1:a', 'test_data');
    await storage.setItem('files:s2:a', 'test_data');
    await storage.setItem('files:s3:a?q=1', 'test_data');
    t.equal(await storage.hasItem('files:s1:a'), true);
    t.equal(await storage.getItem('files:s1:a'), 'test_data');
    t.equal(await storage.getItem('files:s3:a?q=2'), 'test_data', 'query strings are not part of keys');
    t.same((await storage.getKeys('files')).sort(), ['files:s1:a', 'files:s2:a', 'files:s3:a'], 'getKeys');
    t.same((await storage.getKeys('files:s1')).sort(), ['files:s1:a'], 'getKeys with a base');
    await storage.setItem('files:deep:x:y:z', 'v');
    t.same((await storage.getKeys('files', { maxDepth: 2 })).sort(), ['files:s1:a', 'files:s2:a', 'files:s3:a'], 'maxDepth (counted over the whole key) drops deeper keys');
    t.same((await storage.getKeys('files', { maxDepth: 0 })).sort(), [], 'maxDepth 0: no nested keys');
    await storage.setItem('files:obj', { foo: 'bar', n: [1, 2] });
    t.same(await storage.getItem('files:obj'), { foo: 'bar', n: [1, 2] }, 'objects are serialized');
    await storage.setItem('files:num', 12_345);
    t.equal(await storage.getItem('files:num'), 12_345, 'primitives are serialized');
    await storage.setItem('files:true', true);
    t.equal(await storage.getItem('files:true'), true);
    const raw = new Uint8Array([1, 2, 3, 0, 255]);
    await storage.setItemRaw('files:raw.bin', raw);
    t.same(new Uint8Array((await storage.getItemRaw('files:raw.bin')) as Uint8Array), raw, 'raw bytes round trip');
    for (const [key, value] of [['zero', 0], ['false', false], ['empty', '']] as const) {
      await storage.setItem(`files:falsy:${key}`, value);
      t.equal(await storage.getItem(`files:falsy:${key}`), value, `falsy value ${JSON.stringify(value)}`);
    }
    const meta = await storage.getMeta('files:s1:a');
    t.equal(meta.size, 9);
    t.ok(meta.mtime instanceof Date);
    await storage.removeItem('files:s1:a');
    t.equal(await storage.hasItem('files:s1:a'), false, 'removeItem');
    t.equal(await storage.getItem('files:s1:a'), null);
    await storage.clear('files');
    await storage.clear('files');
    t.same(await storage.getKeys('files'), [], 'clear, twice');
  });

  await t.test('serveFile answers ranges in a real express server; multer stores uploads in dfs', async (t) => {
    const content = randomBytes(BLOCK_SIZE + 500);
    await dfs.writeFile('/user/alice/site/data.bin', content);
    const app = express();
    app.get('/files/*path', (req, res, next) => {
      const path = '/user/alice/site/' + (req.params as { path: string[] }).path.join('/');
      serveFile(dfs, path, req, res).catch(next);
    });
    const upload = multer({ storage: dfsStorage({ client: dfs, destination: '/user/alice/uploads', filename: (_req, file) => file.originalname }) });
    app.post('/upload', upload.single('doc'), (req, res) => {
      res.json(req.file);
    });
    const server = app.listen(0);
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const full = await fetch(`${base}/files/data.bin`);
    t.equal(full.status, 200);
    t.equal(full.headers.get('accept-ranges'), 'bytes');
    t.equal(full.headers.get('content-length'), String(content.length));
    t.equal(sha256(Buffer.from(await full.arrayBuffer())), sha256(content));
    const etag = full.headers.get('etag')!;

    const part = await fetch(`${base}/files/data.bin`, { headers: { range: `bytes=${BLOCK_SIZE - 10}-${BLOCK_SIZE + 9}` } });
    t.equal(part.status, 206);
    t.equal(part.headers.get('content-range'), `bytes ${BLOCK_SIZE - 10}-${BLOCK_SIZE + 9}/${content.length}`);
    t.same(Buffer.from(await part.arrayBuffer()), content.subarray(BLOCK_SIZE - 10, BLOCK_SIZE + 10));
    const suffix = await fetch(`${base}/files/data.bin`, { headers: { range: 'bytes=-100' } });
    t.same(Buffer.from(await suffix.arrayBuffer()), content.subarray(content.length - 100));
    const open = await fetch(`${base}/files/data.bin`, { headers: { range: `bytes=${content.length - 3}-` } });
    t.same(Buffer.from(await open.arrayBuffer()), content.subarray(content.length - 3));
    const beyond = await fetch(`${base}/files/data.bin`, { headers: { range: `bytes=${content.length}-` } });
    t.equal(beyond.status, 416);
    t.equal(beyond.headers.get('content-range'), `bytes */${content.length}`);
    const head = await fetch(`${base}/files/data.bin`, { method: 'HEAD' });
    t.equal(head.status, 200);
    t.equal(head.headers.get('content-length'), String(content.length));
    t.equal((await fetch(`${base}/files/data.bin`, { headers: { 'if-none-match': etag } })).status, 304);
    t.equal((await fetch(`${base}/files/missing.bin`)).status, 404);

    const form = new FormData();
    form.append('doc', new Blob([Buffer.from('uploaded bytes')]), 'report.txt');
    const uploaded = await fetch(`${base}/upload`, { method: 'POST', body: form });
    t.equal(uploaded.status, 200);
    t.match(await uploaded.json(), { path: '/user/alice/uploads/report.txt', size: 14, originalname: 'report.txt' });
    t.equal(await dfs.readFile('/user/alice/uploads/report.txt', 'utf8'), 'uploaded bytes');
  });

  await t.test('a datanode killed in the middle of a write and of a read', async (t) => {
    const data = randomBytes(8 * BLOCK_SIZE + 1234);
    let killed = '';
    const stream = dfs.createWriteStream('survivor.bin');
    await pipeline(
      slowSource(data, 16 * 1024, async (i) => {
        // Mid-block (two pieces into the fourth block, every earlier byte written), kill a
        // datanode of the pipeline being written.
        if (i === 3 * 4 + 2) {
          await waitFor('the earlier pieces written', () => stream.bytesWritten >= i * 16 * 1024 && stream.currentBlock !== null);
          const victim = cluster.datanodes.find((d) => d.url === stream.currentBlock!.locations[1].url)!;
          killed = victim.url;
          await victim.stop('SIGKILL');
        }
      }),
      stream,
    );
    t.ok(killed, 'a pipeline datanode was killed mid-write');
    t.equal(sha256(await dfs.readFile('survivor.bin')), sha256(data), 'every byte arrived');
    await cluster.datanodes.find((d) => d.url === killed)!.start();
    await cluster.waitForLiveDatanodes(4);

    // Reading: after the first piece, kill the node serving the current block.
    const chunks: Buffer[] = [];
    let readVictim = false;
    for await (const chunk of dfs.createReadStream('survivor.bin', { start: 0 })) {
      chunks.push(chunk as Buffer);
      if (!readVictim) {
        readVictim = true;
        const { located } = await dfs.rpc.call('getBlockLocations', { path: '/user/alice/survivor.bin', offset: 0, length: 1 });
        for (const location of located.blocks[0].locations.slice(0, 1)) await cluster.datanodes.find((d) => d.url === location.url)?.stop('SIGKILL');
      }
    }
    t.equal(sha256(Buffer.concat(chunks)), sha256(data), 'the read failed over to another replica');
  });
});

t.test('a stream carries on across a namenode leader change (kill -9)', async (t) => {
  const cluster = await RaftTestCluster.start({ namenodes: 3, datanodes: 3, blockSize: BLOCK_SIZE, replication: 2 });
  t.teardown(() => cluster.stop());
  const dfs = cluster.client('root');
  t.teardown(() => dfs.close());
  const data = randomBytes(10 * BLOCK_SIZE + 77);
  const before = await cluster.leader();
  await pipeline(
    slowSource(data, 32 * 1024, async (i) => {
      // After four blocks, kill the leader; the next addBlock must reach the new one.
      if (i === 8) await before.stop('SIGKILL');
    }),
    dfs.createWriteStream('/failover.bin'),
  );
  const after = await cluster.leader();
  t.not(after.url, before.url, 'a new leader was elected');
  t.equal(sha256(await dfs.readFile('/failover.bin')), sha256(data), 'the file is complete and intact');
  const stats = await dfs.stat('/failover.bin');
  t.equal(stats.size, data.length);
  t.notOk(stats.underConstruction, 'closed');
  // A read that starts before and ends after another leader change.
  const chunks: Buffer[] = [];
  let first = true;
  for await (const chunk of dfs.createReadStream('/failover.bin')) {
    chunks.push(chunk as Buffer);
    if (first) {
      first = false;
      await before.start();
      await waitFor('the old leader back as a member', async () => (await cluster.status(before).catch(() => null))?.role === 'follower', 20_000);
    }
  }
  t.equal(sha256(Buffer.concat(chunks)), sha256(data));
  await dfs.writeFile('/after.txt', 'written after the change');
  t.equal(await dfs.readFile('/after.txt', 'utf8'), 'written after the change');
});

t.test('with no datanode, a writeFile fails whole: no file is left behind', async (t) => {
  const cluster = await TestCluster.start({ datanodes: 0 });
  t.teardown(() => cluster.stop());
  const dfs = new DfsClient({ namenodes: [cluster.namenode.url] });
  t.teardown(() => dfs.close());
  await t.rejects(dfs.writeFile('/nowhere.txt', 'bytes with no place to go'), /could only be written to 0 of the 1 minReplication nodes/);
  await t.rejects(dfs.stat('/nowhere.txt'), { code: 'ENOENT' }, 'the create that could not get a block created nothing');
  await dfs.writeFile('/empty.txt', '');
  t.equal((await dfs.stat('/empty.txt')).size, 0, 'an empty file needs no datanode');
});
