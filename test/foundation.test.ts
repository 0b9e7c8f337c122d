// End to end on real processes: one namenode, three datanodes, the dfs CLI. A file of 5.5 blocks
// goes in and comes back byte-identical, every block on three datanodes; the namespace survives a
// namenode restart; a restarted datanode serves its blocks again; bad input changes nothing.

import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster, temporaryDirectory, waitFor } from './helpers/processes.js';

const BLOCK_SIZE = 64 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

t.test('a 1-namenode, 3-datanode cluster stores and serves files', async (t) => {
  const cluster = await TestCluster.start({ datanodes: 3, blockSize: BLOCK_SIZE });
  t.teardown(() => cluster.stop());
  const local = temporaryDirectory('local');
  t.teardown(() => import('node:fs').then((fs) => fs.rmSync(local, { recursive: true, force: true })));

  const content = randomBytes(Math.round(BLOCK_SIZE * 5.5));
  const source = join(local, 'data.bin');
  writeFileSync(source, content);

  t.equal((await cluster.dfs(['-mkdir', '-p', '/user/test/in'])).code, 0, 'mkdir -p');
  const put = await cluster.dfs(['-put', source, '/user/test/in/data.bin']);
  t.equal(put.code, 0, `put succeeds: ${put.stderr}`);

  await t.test('the file reads back byte-identical through -get and -cat', async (t) => {
    const target = join(local, 'back.bin');
    const get = await cluster.dfs(['-get', '/user/test/in/data.bin', target]);
    t.equal(get.code, 0, get.stderr);
    t.equal(sha256(readFileSync(target)), sha256(content));
    const cat = await cluster.dfs(['-cat', '/user/test/in/data.bin']);
    t.equal(sha256(cat.stdout), sha256(content));
  });

  await t.test('every block has 3 replicas on 3 distinct datanodes', async (t) => {
    const response = await fetch(`${cluster.namenode.url}/rpc/v1/client/getBlockLocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/user/test/in/data.bin' }),
    });
    const { located } = (await response.json()) as { located: { fileLength: number; blocks: Array<{ block: { numBytes: number }; locations: Array<{ uuid: string }> }> } };
    t.equal(located.fileLength, content.length);
    t.equal(located.blocks.length, 6, '5.5 blocks need 6 blocks');
    t.same(located.blocks.map((b) => b.block.numBytes), [...Array(5).fill(BLOCK_SIZE), BLOCK_SIZE / 2]);
    for (const block of located.blocks) t.equal(new Set(block.locations.map((l) => l.uuid)).size, 3);
    const report = await cluster.report();
    t.same(report.datanodes.map((d) => d.blocks), [6, 6, 6], 'each datanode reports all 6 blocks');
  });

  await t.test('ls and stat show the file as hdfs dfs does', async (t) => {
    const ls = await cluster.dfs(['-ls', '/user/test/in']);
    const lines = ls.stdout.toString().trim().split('\n');
    t.equal(lines[0], 'Found 1 items');
    t.match(lines[1], /^-rw-r--r-- {3}3 \S+ supergroup +360448 \d{4}-\d\d-\d\d \d\d:\d\d \/user\/test\/in\/data\.bin$/);
    const stat = await cluster.dfs(['-stat', '%n %b %r %o %F', '/user/test/in/data.bin']);
    t.equal(stat.stdout.toString(), `data.bin ${content.length} 3 ${BLOCK_SIZE} regular file\n`);
    const lsR = await cluster.dfs(['-ls', '-R', '/user']);
    t.match(lsR.stdout.toString(), /\/user\/test\n.*\/user\/test\/in\n.*\/user\/test\/in\/data\.bin\n$/s);
  });

  await t.test('rename moves the file; the old name is gone', async (t) => {
    t.equal((await cluster.dfs(['-mv', '/user/test/in/data.bin', '/user/test/moved.bin'])).code, 0);
    t.equal((await cluster.dfs(['-test', '-e', '/user/test/in/data.bin'])).code, 1);
    t.equal(sha256((await cluster.dfs(['-cat', '/user/test/moved.bin'])).stdout), sha256(content));
  });

  await t.test('the namespace survives a namenode restart', async (t) => {
    await cluster.namenode.restart();
    await cluster.waitForLiveDatanodes(3);
    const stat = await cluster.dfs(['-stat', '%b', '/user/test/moved.bin']);
    t.equal(stat.stdout.toString(), `${content.length}\n`);
    // Block locations are soft state: they come back from the datanodes' reports.
    await waitFor('block reports after restart', async () => (await cluster.report()).datanodes.every((d) => d.blocks === 6));
    t.equal(sha256((await cluster.dfs(['-cat', '/user/test/moved.bin'])).stdout), sha256(content));
  });

  await t.test('a restarted datanode serves its blocks again', async (t) => {
    const [dn1, dn2, dn3] = cluster.datanodes;
    await dn1.restart();
    // With the other two down, every byte must come from the restarted node.
    await dn2.stop('SIGKILL');
    await dn3.stop('SIGKILL');
    await waitFor('dn1 reports its blocks', async () => (await cluster.report()).datanodes.some((d) => d.url === dn1.url && d.blocks === 6));
    const cat = await cluster.dfs(['-cat', '/user/test/moved.bin']);
    t.equal(cat.code, 0, cat.stderr);
    t.equal(sha256(cat.stdout), sha256(content));
    await Promise.all([dn2.start(), dn3.start()]);
  });

  await t.test('delete removes the file and, soon after, its replicas', async (t) => {
    const rm = await cluster.dfs(['-rm', '/user/test/moved.bin']);
    t.equal(rm.code, 0);
    t.equal(rm.stdout.toString(), 'Deleted /user/test/moved.bin\n');
    await waitFor('replicas deleted', async () => (await cluster.report()).datanodes.every((d) => d.blocks === 0));
  });
});

t.test('bad input gets hdfs-style errors, a non-zero exit code, and changes nothing', async (t) => {
  const cluster = await TestCluster.start({ datanodes: 1, replication: 1 });
  t.teardown(() => cluster.stop());
  const local = temporaryDirectory('local');
  const source = join(local, 'small.txt');
  writeFileSync(source, 'hello\n');
  await cluster.dfs(['-mkdir', '-p', '/d/sub']);
  await cluster.dfs(['-put', source, '/d/file.txt']);
  const before = (await cluster.dfs(['-ls', '-R', '/'])).stdout.toString();

  const cases: Array<{ args: string[]; stderr: string }> = [
    { args: ['-mkdir', 'relative/dir'], stderr: "mkdir: `relative/dir': No such file or directory\n" },
    { args: ['-mkdir', '/d/../etc'], stderr: 'mkdir: Invalid path name Invalid file name: /d/../etc\n' },
    { args: ['-mkdir', '/missing/child'], stderr: "mkdir: `/missing/child': No such file or directory\n" },
    { args: ['-mkdir', '/d'], stderr: "mkdir: `/d': File exists\n" },
    { args: ['-put', source, '/d/file.txt'], stderr: "put: `/d/file.txt': File exists\n" },
    { args: ['-put', source, '/missing/file.txt'], stderr: "put: `/missing/file.txt': No such file or directory\n" },
    { args: ['-put', join(local, 'nope'), '/d/x'], stderr: `put: \`${join(local, 'nope')}': No such file or directory\n` },
    { args: ['-rm', '/d'], stderr: "rm: `/d': Is a directory\n" },
    { args: ['-rm', '/nothing'], stderr: "rm: `/nothing': No such file or directory\n" },
    { args: ['-ls', '/nothing'], stderr: "ls: `/nothing': No such file or directory\n" },
    { args: ['-cat', '/d'], stderr: "cat: `/d': Is a directory\n" },
    { args: ['-mv', '/d/file.txt', '/d/file.txt/x'], stderr: "mv: `/d/file.txt/x': Is not a directory\n" },
    { args: ['-mv', '/d', '/d/sub'], stderr: 'mv: Cannot move /d to a subdirectory of itself: /d/sub/d\n' },
    { args: ['-mv', '/nothing', '/d'], stderr: "mv: `/nothing': No such file or directory\n" },
    { args: ['-frobnicate', '/d'], stderr: '-frobnicate: Unknown command\n' },
  ];
  for (const { args, stderr } of cases) {
    const run = await cluster.dfs(args);
    t.equal(run.code, 1, `exit code of dfs ${args.join(' ')}`);
    t.equal(run.stderr.split('\n')[0] + '\n', stderr, `message of dfs ${args.join(' ')}`);
  }
  t.equal((await cluster.dfs(['-ls', '-R', '/'])).stdout.toString(), before, 'the namespace is unchanged');
  t.equal((await cluster.dfs(['-cat', '/d/file.txt'])).stdout.toString(), 'hello\n', 'the file is unchanged');
  t.equal((await cluster.dfs(['-test', '-e', '/d/file.txt._COPYING_'])).code, 1, 'no temporary file is left behind');
});
