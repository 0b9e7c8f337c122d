// An append whose pipeline fails must not hide or lose the file's committed bytes: readers keep
// seeing at least the acknowledged length while the append recovers its pipeline, and if the
// appender then disappears, lease recovery keeps those bytes. (Found by the chaos suite: pipeline
// recovery used to restart the reopened last block at length 0 in the namespace.)

import t from 'tap';
import { RaftTestCluster } from './helpers/raft-cluster.js';
import { waitFor } from './helpers/processes.js';
import type { AppendStream } from '../client/append-stream.js';

const BLOCK = 64 * 1024;
const write = (stream: AppendStream, data: Buffer) => new Promise<void>((resolve, reject) => stream.write(data, (error) => (error ? reject(error) : resolve())));

t.test('append with pipeline recovery', async (t) => {
  const cluster = await RaftTestCluster.start({ datanodes: 4, blockSize: BLOCK, replication: 3, namenodeArgs: ['--lease-soft-limit', '1', '--lease-hard-limit', '2'] });
  t.teardown(() => cluster.stop());
  const client = cluster.client();
  t.teardown(() => client.close());
  // A partial last block: 1.5 blocks.
  const base = Buffer.alloc(BLOCK + BLOCK / 2, 7);

  await t.test('readers never see less than the acknowledged length while the pipeline recovers', async (t) => {
    await client.writeFile('/f', base);
    const reader = cluster.client();
    let polling = true;
    const lengths = new Set<number>();
    const poller = (async () => {
      while (polling) lengths.add((await reader.readFile('/f').catch(() => null))?.length ?? -1);
    })();
    const stream = client.createAppendStream('/f');
    const more: Buffer[] = [Buffer.alloc(1000, 1)];
    await write(stream, more[0]);
    // Two of four datanodes die: at least one was in the three-node pipeline.
    for (const datanode of cluster.datanodes.slice(0, 2)) {
      await datanode.stop('SIGKILL');
      more.push(Buffer.alloc(12_000, more.length + 1));
      await write(stream, more[more.length - 1]);
    }
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
    polling = false;
    await poller;
    await reader.close();
    const shorter = [...lengths].filter((n) => n >= 0 && n < base.length);
    t.same(shorter, [], `every read returned at least ${base.length} bytes (saw ${[...lengths].sort((a, b) => a - b).join(', ')})`);
    t.same(await client.readFile('/f'), Buffer.concat([base, ...more]), 'the file holds the old bytes and every appended one');
    await Promise.all(cluster.datanodes.slice(0, 2).map((datanode) => datanode.start()));
    await cluster.waitForReady();
  });

  await t.test('lease recovery of an abandoned append keeps the committed bytes', async (t) => {
    await client.writeFile('/g', base);
    const stream = client.createAppendStream('/g');
    stream.on('error', () => undefined);
    await write(stream, Buffer.alloc(1000, 1));
    for (const datanode of cluster.datanodes.slice(2, 4)) {
      await datanode.stop('SIGKILL');
      await write(stream, Buffer.alloc(12_000, 2)).catch(() => undefined);
    }
    // The writer goes away without completing; the leader must close the file itself.
    stream.destroy();
    await waitFor('lease recovery to close /g', async () => !(await client.stat('/g')).underConstruction, 60_000, 200);
    const data = await client.readFile('/g');
    t.ok(data.length >= base.length, `${data.length} bytes after recovery, at least the ${base.length} acknowledged`);
    t.same(data.subarray(0, base.length), base, 'the acknowledged bytes are intact');
  });
});
