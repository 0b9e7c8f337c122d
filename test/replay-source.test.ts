// Pipeline recovery replays a block from the caller's own bytes when it has them (a local file being
// uploaded, a buffer given to writeFile) instead of a spill file: a datanode killed mid-block still
// leaves a byte-identical file, and nothing lands in the spill folder. The sources themselves are
// checked first, without a cluster: the right bytes at a block's offset, a changed file refused.

import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DfsClient } from '../client/dfs-client.js';
import { BufferReplaySource, FileRangeReplaySource, LocalSourceFile, type BlockReplaySource } from '../client/blocks/replay-source.js';
import { TestCluster, temporaryDirectory, waitFor } from './helpers/processes.js';

const KiB = 1024;
const BLOCK_SIZE = 256 * KiB;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function replayed(source: BlockReplaySource, length: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of source.replay(length)) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

t.test('replay sources give back a block from its first byte', async (t) => {
  const data = randomBytes(3 * 1024 * KiB + 17);
  const blockStart = 1024 * KiB + 5;
  const length = 2 * 1024 * KiB;
  const expected = data.subarray(blockStart, blockStart + length);

  t.ok((await replayed(new BufferReplaySource(data, blockStart), length)).equals(expected), 'a buffer replays its slice');

  const path = join(temporaryDirectory('dfs-replay-'), 'source.bin');
  writeFileSync(path, data);
  const file = await LocalSourceFile.open(path);
  t.teardown(() => file.close());
  t.ok((await replayed(new FileRangeReplaySource(file, blockStart), length)).equals(expected), 'a file replays the range at the block offset');

  appendFileSync(path, 'more');
  await t.rejects(replayed(new FileRangeReplaySource(file, blockStart), length), /changed during the upload/, 'a file that changed is not replayed');
});

t.test('a datanode killed mid-block: the write replays from the caller, nothing is spilled', async (t) => {
  const cluster = await TestCluster.start({ datanodes: 4, replication: 3, blockSize: BLOCK_SIZE });
  t.teardown(() => cluster.stop());
  const client = new DfsClient({ namenodes: [cluster.namenode.url] });
  t.teardown(() => client.close());
  const spillDir = temporaryDirectory('dfs-spill-');

  /** Writes `data` to `stream` in pieces, killing a datanode of the pipeline in the middle of the second block. */
  async function writeWithKill(stream: Writable & { currentBlock: { locations: Array<{ url: string }> } | null; bytesWritten: number }, data: Buffer): Promise<string> {
    const pieceBytes = 32 * KiB;
    const killAtBytes = BLOCK_SIZE + BLOCK_SIZE / 2;
    let killed = '';
    for (let offset = 0; offset < data.length; offset += pieceBytes) {
      if (offset === killAtBytes) {
        await waitFor('the earlier pieces taken', () => stream.bytesWritten >= offset && stream.currentBlock !== null);
        const victim = cluster.datanodes.find((d) => d.url === stream.currentBlock!.locations[1].url)!;
        killed = victim.url;
        await victim.stop('SIGKILL');
      }
      await new Promise<void>((resolve, reject) => stream.write(data.subarray(offset, offset + pieceBytes), (error) => (error ? reject(error) : resolve())));
    }
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(() => resolve());
    });
    await cluster.datanodes.find((d) => d.url === killed)!.start();
    await cluster.waitForLiveDatanodes(4);
    return killed;
  }

  await t.test('from a local file (what dfs -put does)', async (t) => {
    const data = randomBytes(Math.round(BLOCK_SIZE * 2.5));
    const path = join(temporaryDirectory('dfs-replay-'), 'upload.bin');
    writeFileSync(path, data);
    const stream = client.createWriteStream('/data/from-file.bin', { spillDir, replayFrom: { kind: 'file', path } });
    t.ok(await writeWithKill(stream, data), 'a pipeline datanode was killed mid-block');
    t.ok(cluster.namenode.recentLog.some((line) => line.includes('pipeline recovery')), 'the pipeline was recovered');
    t.equal(sha256(await client.readFile('/data/from-file.bin')), sha256(data), 'read back byte-identical');
    t.same(readdirSync(spillDir), [], 'the spill folder stayed empty');
  });

  await t.test('from a buffer the caller holds', async (t) => {
    const data = randomBytes(Math.round(BLOCK_SIZE * 2.5));
    const stream = client.createWriteStream('/data/from-buffer.bin', { spillDir, replayFrom: { kind: 'buffer', data } });
    t.ok(await writeWithKill(stream, data), 'a pipeline datanode was killed mid-block');
    t.equal(sha256(await client.readFile('/data/from-buffer.bin')), sha256(data), 'read back byte-identical');
    t.same(readdirSync(spillDir), [], 'the spill folder stayed empty');
  });
});
