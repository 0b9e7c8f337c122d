// A read whose block no replica can serve asks the namenode again and waits, as HDFS's
// DFSInputStream does (dfs.client.max.block.acquire.failures), instead of failing at once: a file
// read while its only datanode restarts is read in full once the datanode is back.

import t from 'tap';
import { randomBytes } from 'node:crypto';
import { DfsClient } from '../client/dfs-client.js';
import { isDfsError } from '../shared/errors.js';
import { TestCluster } from './helpers/processes.js';

void t.test('block acquire retries', async (t) => {
  // One datanode, declared dead only long after the test: its replica stays located while it is down.
  const cluster = await TestCluster.start({ datanodes: 1, replication: 1, blockSize: 64 * 1024, deadAfterSeconds: 600 });
  t.teardown(() => cluster.stop());
  const data = randomBytes(3 * 64 * 1024 + 17);
  const writer = new DfsClient({ namenodes: [cluster.namenode.url] });
  await writer.writeFile('/f', data);
  await writer.close();
  const [datanode] = cluster.datanodes;
  await datanode.stop('SIGKILL');

  await t.test('without retries, a block no replica serves fails the read with BlockMissing', async (t) => {
    const client = new DfsClient({ namenodes: [cluster.namenode.url], blockAcquireRetries: 0 });
    t.teardown(() => client.close());
    const error = await client.readFile('/f').catch((e: unknown) => e);
    t.ok(isDfsError(error, 'BlockMissing'), String(error));
    t.equal((error as { code?: string }).code, 'EIO');
  });

  await t.test('with retries, a read begun while the datanode is down completes once it is back', async (t) => {
    const client = new DfsClient({ namenodes: [cluster.namenode.url], blockAcquireRetries: 40, blockAcquireWaitMs: 100 });
    t.teardown(() => client.close());
    const reading = client.readFile('/f');
    await datanode.start();
    const read = await reading;
    t.ok(Buffer.compare(read as Buffer, data) === 0, 'every byte, in order, once');
  });
});
