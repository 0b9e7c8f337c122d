// Directory snapshots on real processes (a 3-namenode Raft group, 3 datanodes): a deleted tree
// reads back byte-identical from `.snapshot` and is copied back with -cp; appends and truncates
// after a snapshot leave the snapshot's bytes alone; blocks only a snapshot holds stay on the
// datanodes until the snapshot is deleted; snapshotDiff; every WebHDFS snapshot op's JSON; writes
// under `.snapshot` refused; snapshots survive a leader failover and a restart of every namenode.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { RaftTestCluster } from './helpers/raft-cluster.js';
import { replicaIds, temporaryDirectory, waitFor } from './helpers/processes.js';

const BLOCK_SIZE = 64 * 1024;
const contentOf = (path: string, size: number) => {
  const line = Buffer.from(`${path} `);
  return Buffer.concat(Array.from({ length: Math.ceil(size / line.length) }, () => line)).subarray(0, size);
};

/** Block ids with a replica on any datanode of the cluster. */
const storedBlockIds = (cluster: RaftTestCluster): Set<number> => new Set(cluster.datanodes.flatMap((node) => [...replicaIds(node.dataDir)]));

t.test('directory snapshots end to end', async (t) => {
  const cluster = await RaftTestCluster.start({ namenodes: 3, datanodes: 3, replication: 2, blockSize: BLOCK_SIZE });
  t.teardown(() => cluster.stop());
  const client = cluster.client();
  t.teardown(() => client.close());
  const blockIdsOf = async (path: string) => (await client.rpc.call('getBlockLocations', { path })).located.blocks.map((b) => b.block.blockId);

  const tree = new Map<string, Buffer>([
    ['/data/tree/a.bin', contentOf('a', 3 * BLOCK_SIZE + 17)],
    ['/data/tree/sub/b.txt', contentOf('b', 1_000)],
    ['/data/tree/sub/deep/c.bin', contentOf('c', BLOCK_SIZE)],
  ]);
  for (const [path, bytes] of tree) await client.writeFile(path, bytes);
  const logBytes = contentOf('log', 2 * BLOCK_SIZE + 500);
  await client.writeFile('/data/f.log', logBytes);
  await client.writeFile('/data/x.txt', Buffer.from('rename me'));
  const treeBlocks = (await Promise.all([...tree.keys()].map(blockIdsOf))).flat();
  const logBlocks = await blockIdsOf('/data/f.log');

  // Allow, take, and refuse what HDFS refuses.
  const allowed = await cluster.dfs(['dfsadmin', '-allowSnapshot', '/data']);
  t.equal(allowed.code, 0, allowed.stderr);
  t.equal(allowed.stdout.toString(), 'Allowing snapshot on /data succeeded\n');
  const created = await cluster.dfs(['-createSnapshot', '/data', 's1']);
  t.equal(created.stdout.toString(), 'Created snapshot /data/.snapshot/s1\n', created.stderr);
  const unnamed = await cluster.dfs(['-createSnapshot', '/data']);
  const defaultName = /Created snapshot \/data\/\.snapshot\/(s\d{8}-\d{6}\.\d{3})\n/.exec(unnamed.stdout.toString())?.[1];
  t.ok(defaultName, `a snapshot without a name is named s<yyyyMMdd-HHmmss.SSS>: ${unnamed.stdout.toString()}${unnamed.stderr}`);
  t.equal((await cluster.dfs(['-deleteSnapshot', '/data', defaultName ?? 'none'])).code, 0);
  const notSnapshottable = await cluster.dfs(['-createSnapshot', '/data/tree', 'x']);
  t.equal(notSnapshottable.code, 1);
  t.match(notSnapshottable.stderr, /createSnapshot: Directory is not a snapshottable directory: \/data\/tree/);
  const disallow = await cluster.dfs(['dfsadmin', '-disallowSnapshot', '/data']);
  t.equal(disallow.code, 1, 'disallowSnapshot is refused while snapshots exist');
  t.match(disallow.stderr, /has snapshot\(s\)/);
  const lsDirs = await cluster.dfs(['lsSnapshottableDir']);
  t.match(lsDirs.stdout.toString(), /^drwxr-xr-x\s+0\s+\S+\s+\S+\s+0\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+1\s+65536\s+\/data$/m, lsDirs.stderr);

  // Delete the tree: it reads back byte-identical from the snapshot, through the library and the CLI.
  t.equal((await cluster.dfs(['-rm', '-r', '-skipTrash', '/data/tree'])).code, 0);
  t.notOk(await client.exists('/data/tree'));
  for (const [path, bytes] of tree) {
    const inSnapshot = path.replace('/data/', '/data/.snapshot/s1/');
    t.ok((await client.readFile(inSnapshot)).equals(bytes), `${inSnapshot} reads back byte-identical`);
  }
  const listing = await cluster.dfs(['-ls', '-R', '/data/.snapshot/s1/tree']);
  t.match(listing.stdout.toString(), /\/data\/\.snapshot\/s1\/tree\/sub\/deep\/c\.bin/, listing.stderr);
  const catB = await cluster.dfs(['-cat', '/data/.snapshot/s1/tree/sub/b.txt']);
  t.ok(catB.stdout.equals(tree.get('/data/tree/sub/b.txt')!), '-cat reads the snapshot copy');
  t.equal((await cluster.dfs(['-stat', '%b %F', '/data/.snapshot/s1/tree/a.bin'])).stdout.toString(), `${3 * BLOCK_SIZE + 17} regular file\n`);
  const local = temporaryDirectory('snap-get');
  t.equal((await cluster.dfs(['-get', '/data/.snapshot/s1/tree/a.bin', join(local, 'a.bin')])).code, 0);
  t.ok(readFileSync(join(local, 'a.bin')).equals(tree.get('/data/tree/a.bin')!), '-get copies the snapshot file out');
  const snapshots = await cluster.dfs(['-ls', '/data/.snapshot']);
  t.match(snapshots.stdout.toString(), /Found 1 items\ndr\S+ .* \/data\/\.snapshot\/s1\n/, 'listing .snapshot shows the snapshots as directories');

  // Blocks only the snapshot holds stay on the datanodes; a deleted file no snapshot holds goes.
  await client.writeFile('/scratch.bin', contentOf('scratch', 1000));
  const scratchBlocks = await blockIdsOf('/scratch.bin');
  await waitFor('scratch replicas stored', () => scratchBlocks.every((id) => storedBlockIds(cluster).has(id)), 30_000);
  await client.delete('/scratch.bin');
  await waitFor('replicas of a deleted file removed', () => scratchBlocks.every((id) => !storedBlockIds(cluster).has(id)), 60_000);
  const stored = storedBlockIds(cluster);
  t.ok(treeBlocks.every((id) => stored.has(id)), 'replicas of the deleted tree are kept while the snapshot holds them');

  // Copy the tree back from the snapshot.
  const copied = await cluster.dfs(['-cp', '/data/.snapshot/s1/tree', '/data/tree']);
  t.equal(copied.code, 0, copied.stderr);
  for (const [path, bytes] of tree) t.ok((await client.readFile(path)).equals(bytes), `${path} copied back from the snapshot`);

  // Append, then truncate inside a block the snapshot holds (copy-on-truncate).
  const appended = Buffer.concat([logBytes, contentOf('more', 1_000)]);
  await client.appendFile('/data/f.log', contentOf('more', 1_000));
  t.ok((await client.readFile('/data/f.log')).equals(appended), 'the file has the appended bytes');
  t.ok((await client.readFile('/data/.snapshot/s1/f.log')).equals(logBytes), 'the snapshot keeps the length and bytes before the append');
  await client.truncate('/data/f.log', BLOCK_SIZE + 100);
  t.ok((await client.readFile('/data/f.log')).equals(appended.subarray(0, BLOCK_SIZE + 100)), 'the file is truncated');
  t.ok((await client.readFile('/data/.snapshot/s1/f.log')).equals(logBytes), 'the snapshot keeps its bytes after the truncate');
  const liveLogBlocks = await blockIdsOf('/data/f.log');
  t.equal(liveLogBlocks[0], logBlocks[0], 'the untouched first block is shared with the snapshot');
  t.not(liveLogBlocks[1], logBlocks[1], 'the cut block is a new block: the snapshot keeps the old one');

  // snapshotDiff, from the CLI.
  t.equal((await cluster.dfs(['-mv', '/data/x.txt', '/data/y.txt'])).code, 0);
  const diff = await cluster.dfs(['snapshotDiff', '/data', 's1', '.']);
  t.equal(diff.code, 0, diff.stderr);
  t.equal(
    diff.stdout.toString(),
    ['Difference between snapshot s1 and current directory under directory /data:', 'M\t.', 'M\t./f.log', '+\t./tree', '-\t./tree', 'R\t./x.txt -> ./y.txt', ''].join('\n'),
  );
  t.match((await cluster.dfs(['snapshotDiff', '/data', '.', 's1'])).stdout.toString(), /^Difference between current directory and snapshot s1 under directory \/data:\n/);

  // Nothing under .snapshot can change; .snapshot is a reserved name.
  const put = await cluster.dfs(['-put', '-', '/data/.snapshot/s1/new.txt'], Buffer.from('x'));
  t.equal(put.code, 1);
  t.match(put.stderr, /Modification on a read-only snapshot is disallowed/);
  const rm = await cluster.dfs(['-rm', '-skipTrash', '/data/.snapshot/s1/f.log']);
  t.equal(rm.code, 1);
  t.match(rm.stderr, /read-only snapshot/);
  const mkdirReserved = await cluster.dfs(['-mkdir', '/data/tree/.snapshot']);
  t.equal(mkdirReserved.code, 1);
  t.match(mkdirReserved.stderr, /reserved name/);
  await t.rejects(client.appendFile('/data/.snapshot/s1/f.log', 'x'), { code: 'EROFS' }, 'the library refuses an append into a snapshot');

  // The snapshot survives a leader failover and a restart of every namenode.
  const leader = await cluster.leader();
  await leader.stop('SIGKILL');
  await cluster.leader(60_000);
  t.ok((await client.readFile('/data/.snapshot/s1/tree/a.bin')).equals(tree.get('/data/tree/a.bin')!), 'reads the snapshot after a failover');
  await leader.start();
  await Promise.all(cluster.namenodes.map((node) => node.stop('SIGKILL')));
  await Promise.all(cluster.namenodes.map((node) => node.start()));
  await cluster.waitForReady();
  t.ok((await client.readFile('/data/.snapshot/s1/f.log')).equals(logBytes), 'reads the snapshot after every namenode restarted');
  t.same((await client.readdir('/data/.snapshot')) as string[], ['s1']);

  // Deleting the snapshot frees what only it held.
  const heldOnly = [...treeBlocks, logBlocks[1], logBlocks[2]];
  t.ok(heldOnly.every((id) => storedBlockIds(cluster).has(id)), 'snapshot-only replicas are still stored before the snapshot is deleted');
  t.equal((await cluster.dfs(['-deleteSnapshot', '/data', 's1'])).code, 0);
  await waitFor('replicas only the snapshot held are deleted', () => heldOnly.every((id) => !storedBlockIds(cluster).has(id)), 60_000);
  t.ok(storedBlockIds(cluster).has(liveLogBlocks[0]), 'a block the live file still reads is kept');
  t.ok((await client.readFile('/data/f.log')).equals(appended.subarray(0, BLOCK_SIZE + 100)), 'the live file still reads after the snapshot is gone');
  const disallowed = await cluster.dfs(['dfsadmin', '-disallowSnapshot', '/data']);
  t.equal(disallowed.stdout.toString(), 'Disallowing snapshot on /data succeeded\n', disallowed.stderr);
});

t.test('WebHDFS snapshot operations answer with Hadoop\'s JSON', async (t) => {
  const cluster = await RaftTestCluster.start({ namenodes: 1, datanodes: 1, replication: 1, blockSize: BLOCK_SIZE });
  t.teardown(() => cluster.stop());
  const client = cluster.client();
  t.teardown(() => client.close());
  const base = `${cluster.urls[0]}/webhdfs/v1`;
  const superuser = userInfo().username;
  /** As the superuser (the user running the namenode) unless told: allow/disallow need it. */
  const call = async (method: string, path: string, query: string, user = superuser) => {
    const response = await fetch(`${base}${path}?user.name=${user}&${query}`, { method });
    const text = await response.text();
    return { status: response.status, json: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
  };
  await client.writeFile('/web/a.txt', Buffer.from('version one'));
  await client.writeFile('/web/private/p.txt', Buffer.from('secret'));
  await client.chmod('/web/private', 0o700);

  t.same(await call('PUT', '/web', 'op=ALLOWSNAPSHOT'), { status: 200, json: null });
  t.same(await call('PUT', '/web', 'op=CREATESNAPSHOT&snapshotname=w1'), { status: 200, json: { Path: '/web/.snapshot/w1' } });
  t.same(await call('PUT', '/web', 'op=RENAMESNAPSHOT&oldsnapshotname=w1&snapshotname=w2'), { status: 200, json: null });
  await client.writeFile('/web/a.txt', Buffer.from('version two'), { overwrite: true });
  await client.writeFile('/web/n.txt', Buffer.from('new'));
  await client.chmod('/web/private', 0o755);

  t.same(await call('GET', '/web', 'op=GETSNAPSHOTDIFF&oldsnapshotname=w2&snapshotname='), {
    status: 200,
    json: {
      SnapshotDiffReport: {
        diffList: [
          { sourcePath: '', type: 'MODIFY' },
          { sourcePath: 'a.txt', type: 'CREATE' },
          { sourcePath: 'a.txt', type: 'DELETE' },
          { sourcePath: 'n.txt', type: 'CREATE' },
          { sourcePath: 'private', type: 'MODIFY' },
        ],
        fromSnapshot: 'w2',
        snapshotRoot: '/web',
        toSnapshot: '',
      },
    },
  });
  const list = await call('GET', '/', 'op=GETSNAPSHOTTABLEDIRECTORYLIST');
  t.equal(list.status, 200);
  const entries = (list.json as { SnapshottableDirectoryList: Array<Record<string, unknown>> }).SnapshottableDirectoryList;
  t.equal(entries.length, 1);
  t.same(Object.keys(entries[0]), ['dirStatus', 'parentFullPath', 'snapshotNumber', 'snapshotQuota']);
  t.match(entries[0], { dirStatus: { pathSuffix: 'web', type: 'DIRECTORY', permission: '755', replication: 0 }, parentFullPath: '/', snapshotNumber: 1, snapshotQuota: 65536 });

  // Reads of the snapshot through WebHDFS.
  const listing = await call('GET', '/web/.snapshot', 'op=LISTSTATUS');
  t.match(listing.json, { FileStatuses: { FileStatus: [{ pathSuffix: 'w2', type: 'DIRECTORY' }] } });
  const inside = await call('GET', '/web/.snapshot/w2', 'op=LISTSTATUS');
  t.same((inside.json as { FileStatuses: { FileStatus: Array<{ pathSuffix: string }> } }).FileStatuses.FileStatus.map((s) => s.pathSuffix), ['a.txt', 'private'], 'the snapshot lists what the directory held');
  t.match(await call('GET', '/web/.snapshot/w2/a.txt', 'op=GETFILESTATUS'), { status: 200, json: { FileStatus: { length: 11, type: 'FILE' } } });
  const opened = await fetch(`${base}/web/.snapshot/w2/a.txt?user.name=${superuser}&op=OPEN`);
  t.equal(await opened.text(), 'version one', 'OPEN reads the snapshot copy (through the datanode redirect)');

  // Permissions are checked as of the snapshot: the directory was 700 then, 755 now.
  t.equal((await call('GET', '/web/private', 'op=LISTSTATUS', 'bob')).status, 200, 'bob lists the directory as it is now');
  t.match(await call('GET', '/web/.snapshot/w2/private', 'op=LISTSTATUS', 'bob'), { status: 403, json: { RemoteException: { exception: 'AccessControlException' } } }, 'but not as it was in the snapshot');
  t.equal((await call('GET', '/web/.snapshot/w2/private/p.txt', 'op=GETFILESTATUS', 'bob')).status, 403, 'nor cross it');

  // Refusals, with Hadoop's exceptions and statuses.
  const mkdir = await call('PUT', '/web/.snapshot/w2/d', 'op=MKDIRS');
  t.match(mkdir, { status: 403, json: { RemoteException: { exception: 'SnapshotAccessControlException' } } });
  const create = await call('PUT', '/web/.snapshot/w2/z', 'op=CREATE');
  t.match(create, { status: 403, json: { RemoteException: { exception: 'SnapshotAccessControlException' } } });
  const disallow = await call('PUT', '/web', 'op=DISALLOWSNAPSHOT');
  t.match(disallow, { status: 403, json: { RemoteException: { exception: 'SnapshotException', javaClassName: 'org.apache.hadoop.hdfs.protocol.SnapshotException' } } });
  t.match(await call('DELETE', '/web', 'op=DELETESNAPSHOT&snapshotname=nope'), { status: 403, json: { RemoteException: { exception: 'SnapshotException' } } });
  t.match(await call('DELETE', '/web', 'op=DELETESNAPSHOT'), { status: 400, json: { RemoteException: { exception: 'IllegalArgumentException' } } });

  t.same(await call('DELETE', '/web', 'op=DELETESNAPSHOT&snapshotname=w2'), { status: 200, json: null });
  t.same(await call('PUT', '/web', 'op=DISALLOWSNAPSHOT'), { status: 200, json: null });
  t.same(await call('GET', '/', 'op=GETSNAPSHOTTABLEDIRECTORYLIST'), { status: 200, json: { SnapshottableDirectoryList: [] } });
});
