// Snapshots in the namespace state machine: copy-on-write versions, reads as of a snapshot, the
// diff, blocks held by snapshots, deleting snapshots, the rules (superuser, owner, reserved
// `.snapshot`, no delete of a directory with snapshots), copy-on-truncate, and determinism.

import t from 'tap';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { NamespaceStore } from '../namenode/namespace/store.js';
import { NamespaceStateMachine, outcomeValue } from '../namenode/namespace/apply.js';
import type { NamespaceCommand } from '../namenode/namespace/commands.js';
import { SnapshotView } from '../namenode/namespace/snapshot-view.js';
import { snapshotDiff } from '../namenode/namespace/snapshot-diff.js';
import { snapshotsRead } from '../namenode/namespace/snapshots.js';
import { defaultSnapshotName, splitSnapshotPath } from '../shared/snapshot-paths.js';
import type { ExtendedBlock } from '../shared/protocol.js';
import { temporaryDirectory } from './helpers/processes.js';

const BLOCK = 1024;

function harness(dir: string, name: string) {
  const store = new NamespaceStore(join(dir, name));
  const sm = new NamespaceStateMachine(store);
  let index = 0;
  let nextInode = 100;
  let nextBlock = 1000;
  let nextStamp = 1;
  const apply = (command: NamespaceCommand) => sm.applyBatch([{ index: ++index, term: 1, command }])[0];
  const value = <T>(command: NamespaceCommand) => outcomeValue<T>(apply(command));
  const kind = (command: NamespaceCommand) => {
    const outcome = apply(command);
    return outcome.ok ? 'ok' : outcome.error.kind;
  };
  value({ op: 'format', now: 1, clusterId: 'c1', superuser: 'hdfs', supergroup: 'supergroup' });
  const mkdir = (path: string, user = 'alice') => value({ op: 'mkdirs', now: 2, user, path, permission: 0o755, createParent: true, firstInodeId: (nextInode += 10) });
  /** A closed file of `sizes` bytes per block; returns its blocks. */
  const file = (path: string, sizes: number[]): ExtendedBlock[] => {
    value({ op: 'create', now: 3, user: 'alice', path, clientName: 'c', overwrite: false, createParent: true, permission: 0o644, replication: 3, blockSize: BLOCK, firstInodeId: (nextInode += 10) });
    const blocks: ExtendedBlock[] = [];
    let previous: ExtendedBlock | undefined;
    for (const size of sizes) {
      const { block } = value<{ block: ExtendedBlock }>({ op: 'addBlock', now: 4, path, clientName: 'c', previous, blockId: ++nextBlock, genStamp: nextStamp++ });
      previous = { ...block, numBytes: size };
      blocks.push(previous);
    }
    value({ op: 'complete', now: 5, path, clientName: 'c', last: previous });
    return blocks;
  };
  const view = new SnapshotView(store);
  const snapshot = (path: string, name: string) => view.snapshot(path, name).snapshot;
  const dump = () =>
    JSON.stringify(['inodes', 'blocks', 'state', 'snapshots', 'snapshottable_dirs', 'inode_versions', 'block_versions'].map((table) => store.db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all()));
  return { store, apply, value, kind, mkdir, file, view, snapshot, dump, newBlockId: () => ++nextBlock, newStamp: () => nextStamp++ };
}

/** Paths and sizes below `path` as of a snapshot, read through the view. */
function listing(h: ReturnType<typeof harness>, path: string): string[] {
  const target = h.view.resolve(path);
  if (!target || target.kind !== 'inode') return [];
  const out: string[] = [];
  for (const [, entry] of h.view.tree(target.row.id, target.snapshot)) {
    const blocks = entry.row.type === 2 ? h.view.blocksAt(entry.row.id, target.snapshot).map((b) => `${b.id}:${b.num_bytes}`).join(',') : 'dir';
    out.push(`${entry.path} ${entry.row.length} ${blocks}`);
  }
  return out.sort();
}

t.test('a snapshot keeps the past state of a directory tree, copy-on-write', async (t) => {
  const dir = temporaryDirectory('snap-apply');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const h = harness(dir, 'a.sqlite');
  t.teardown(() => h.store.close());

  h.mkdir('/d/sub');
  const fBlocks = h.file('/d/f', [BLOCK, 10]);
  const gBlocks = h.file('/d/sub/g', [7]);
  t.equal(h.kind({ op: 'createSnapshot', now: 10, path: '/d', name: 's1', user: 'alice' }), 'Snapshot', 'no snapshot of a directory that is not snapshottable');
  t.equal(h.kind({ op: 'allowSnapshot', now: 10, path: '/d', user: 'alice' }), 'AccessControl', 'only the superuser allows snapshots');
  h.value({ op: 'allowSnapshot', now: 10, path: '/d', user: 'hdfs' });
  t.equal(h.kind({ op: 'createSnapshot', now: 11, path: '/d', name: 's1', user: 'bob' }), 'AccessControl', 'only the owner or the superuser takes snapshots');
  const versionsBefore = (h.store.db.prepare('SELECT count(*) AS n FROM inode_versions').get() as { n: number }).n;
  t.same(h.value({ op: 'createSnapshot', now: 11, path: '/d', name: 's1', user: 'alice' }), { path: '/d/.snapshot/s1' });
  t.equal((h.store.db.prepare('SELECT count(*) AS n FROM inode_versions').get() as { n: number }).n, versionsBefore, 'taking a snapshot copies nothing');
  t.equal(h.kind({ op: 'createSnapshot', now: 12, path: '/d', name: 's1', user: 'alice' }), 'Snapshot', 'snapshot names are unique per directory');

  const before = listing(h, '/d/.snapshot/s1');
  // Change everything: delete a subtree, rename, create, chmod.
  const deleted = h.value<{ removedBlocks: ExtendedBlock[] }>({ op: 'delete', now: 20, path: '/d/sub', recursive: true });
  t.same(deleted.removedBlocks, [], 'blocks the snapshot reads are not freed by a delete');
  h.value({ op: 'rename', now: 21, src: '/d/f', dst: '/d/f2' });
  h.file('/d/new', [3]);
  h.value({ op: 'setPermission', now: 22, path: '/d/f2', permission: 0o600 });
  t.same(listing(h, '/d/.snapshot/s1'), before, 'the snapshot reads as before the changes');
  t.same(before, ['. 0 dir', './f 1034 ' + fBlocks.map((b) => `${b.blockId}:${b.numBytes}`).join(','), './sub 0 dir', `./sub/g 7 ${gBlocks[0].blockId}:7`]);
  t.equal(h.view.resolve('/d/.snapshot/s1/new'), undefined, 'a file created after the snapshot is not in it');
  t.equal(h.view.resolve('/d/.snapshot/s1/f')?.kind, 'inode');
  t.equal(h.view.resolve('/d/.snapshot/s1/f2'), undefined, 'the snapshot keeps the old name');
  t.ok(snapshotsRead(h.store, gBlocks[0].blockId), 'the deleted file\'s block is held by the snapshot');

  const s1 = h.snapshot('/d', 's1');
  const root = h.store.resolve('/d')!.id;
  t.same(snapshotDiff(h.view, root, s1, undefined), [
    { type: 'MODIFY', sourcePath: '' },
    { type: 'RENAME', sourcePath: 'f', targetPath: 'f2' },
    { type: 'MODIFY', sourcePath: 'f2' },
    { type: 'CREATE', sourcePath: 'new' },
    { type: 'DELETE', sourcePath: 'sub' },
  ]);
  t.same(snapshotDiff(h.view, root, undefined, s1).map((e) => e.type).sort(), ['CREATE', 'DELETE', 'MODIFY', 'MODIFY', 'RENAME'], 'the reverse diff');

  // Writes under .snapshot and a .snapshot name are refused; the directory cannot go while it has snapshots.
  t.equal(h.kind({ op: 'mkdirs', now: 30, user: 'alice', path: '/d/.snapshot/s1/x', permission: 0o755, createParent: true, firstInodeId: 5000 }), 'SnapshotAccessControl');
  t.equal(h.kind({ op: 'delete', now: 30, path: '/d/.snapshot/s1/f', recursive: false }), 'SnapshotAccessControl');
  t.equal(h.kind({ op: 'rename', now: 30, src: '/d/f2', dst: '/d/.snapshot/s1/f3' }), 'SnapshotAccessControl');
  t.equal(h.kind({ op: 'mkdirs', now: 30, user: 'alice', path: '/e/.snapshot', permission: 0o755, createParent: true, firstInodeId: 5100 }), 'InvalidPath', '.snapshot is a reserved name');
  t.equal(h.kind({ op: 'delete', now: 30, path: '/d', recursive: true }), 'Snapshot', 'a directory with snapshots is not deleted');
  t.equal(h.kind({ op: 'rename', now: 30, src: '/d', dst: '/d-moved' }), 'Snapshot', 'nor renamed');
  t.equal(h.kind({ op: 'disallowSnapshot', now: 30, path: '/d', user: 'hdfs' }), 'Snapshot', 'disallow is refused while snapshots exist');

  // A second snapshot, then more changes; deleting s1 keeps what s2 reads and frees what only s1 read.
  h.value({ op: 'createSnapshot', now: 40, path: '/d', name: 's2', user: 'alice' });
  const s2Before = listing(h, '/d/.snapshot/s2');
  h.value({ op: 'delete', now: 41, path: '/d/f2', recursive: false });
  h.value({ op: 'renameSnapshot', now: 42, path: '/d', oldName: 's2', newName: 's2b', user: 'alice' });
  t.same(listing(h, '/d/.snapshot/s2b'), s2Before, 'a renamed snapshot reads the same');
  const freed = h.value<{ freedBlocks: ExtendedBlock[] }>({ op: 'deleteSnapshot', now: 43, path: '/d', name: 's1', user: 'alice' });
  t.same(freed.freedBlocks.map((b) => b.blockId), [gBlocks[0].blockId], 'only the block no other snapshot or file reads is freed');
  t.same(listing(h, '/d/.snapshot/s2b'), s2Before, 'the later snapshot is intact after the earlier one is deleted');
  const freed2 = h.value<{ freedBlocks: ExtendedBlock[] }>({ op: 'deleteSnapshot', now: 44, path: '/d', name: 's2b', user: 'alice' });
  t.same(freed2.freedBlocks.map((b) => b.blockId).sort(), fBlocks.map((b) => b.blockId).sort(), 'the deleted file\'s blocks go with the last snapshot');
  t.same(h.store.db.prepare('SELECT count(*) AS n FROM inode_versions UNION ALL SELECT count(*) FROM block_versions').all(), [{ n: 0 }, { n: 0 }], 'no versions are left');
  h.value({ op: 'disallowSnapshot', now: 45, path: '/d', user: 'hdfs' });
  t.equal(h.kind({ op: 'delete', now: 46, path: '/d', recursive: true }), 'ok', 'without snapshots the directory can be deleted');
});

t.test('append and copy-on-truncate after a snapshot', async (t) => {
  const dir = temporaryDirectory('snap-apply');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const h = harness(dir, 'b.sqlite');
  t.teardown(() => h.store.close());
  h.mkdir('/d');
  const [b1, b2] = h.file('/d/f', [BLOCK, 100]);
  h.value({ op: 'allowSnapshot', now: 10, path: '/d' });
  h.value({ op: 'createSnapshot', now: 11, path: '/d', name: 's' });

  // Append continues the last block under a new stamp; the snapshot keeps its length and stamp.
  const stamp = h.newStamp();
  h.value({ op: 'append', now: 12, path: '/d/f', clientName: 'w', newGenStamp: stamp });
  h.value({ op: 'complete', now: 13, path: '/d/f', clientName: 'w', last: { blockId: b2.blockId, genStamp: stamp, numBytes: 300 } });
  t.equal(h.store.resolve('/d/f')!.length, BLOCK + 300);
  const target = h.view.resolve('/d/.snapshot/s/f');
  if (target?.kind !== 'inode') throw new Error('no snapshot file');
  t.equal(target.row.length, BLOCK + 100, 'the snapshot keeps the length before the append');
  t.same(h.view.blocksAt(target.row.id, target.snapshot).map((b) => [b.id, b.num_bytes, b.gen_stamp]), [[b1.blockId, BLOCK, b1.genStamp], [b2.blockId, 100, b2.genStamp]]);

  // A truncate into a block the snapshot reads must take a new block (in place is refused).
  const cutStamp = h.newStamp();
  t.equal(
    h.kind({ op: 'truncate', now: 14, path: '/d/f', newLength: 500, cutBlock: { blockId: b1.blockId, genStamp: cutStamp, numBytes: 500 }, expectedGenStamp: b1.genStamp }),
    'Io',
    'truncating a snapshot\'s block in place is refused',
  );
  // A snapshot taken while the leader copied the prefix (after a later block id committed) would
  // count the new block as its own: that truncate is refused and retried.
  const raced = h.newBlockId();
  h.file('/d/other', [5]);
  h.value({ op: 'createSnapshot', now: 14, path: '/d', name: 'during' });
  t.equal(
    h.kind({ op: 'truncate', now: 14, path: '/d/f', newLength: 500, cutBlock: { blockId: raced, genStamp: h.newStamp(), numBytes: 500 }, expectedGenStamp: b1.genStamp }),
    'Io',
    'a copy-on-truncate block older than the latest snapshot is refused',
  );
  h.value({ op: 'deleteSnapshot', now: 14, path: '/d', name: 'during' });
  const newBlock = h.newBlockId();
  const result = h.value<{ removedBlocks: ExtendedBlock[] }>({
    op: 'truncate',
    now: 15,
    path: '/d/f',
    newLength: 500,
    cutBlock: { blockId: newBlock, genStamp: h.newStamp(), numBytes: 500 },
    expectedGenStamp: b1.genStamp,
  });
  t.same(result.removedBlocks, [], 'the snapshot still holds the cut block and the dropped one');
  t.same(h.store.blocksOf(h.store.resolve('/d/f')!.id).map((b) => [b.id, b.num_bytes]), [[newBlock, 500]], 'the file now reads the copied prefix');
  t.same(h.view.blocksAt(target.row.id, target.snapshot).map((b) => [b.id, b.num_bytes]), [[b1.blockId, BLOCK], [b2.blockId, 100]], 'the snapshot reads its old blocks');
  const held = h.store.db.prepare('SELECT max(gen_stamp) AS g FROM block_versions WHERE block_id = ?').get(b2.blockId) as { g: number };
  t.equal(held.g, b2.genStamp, 'the snapshot reads the appended block at its old stamp (a newer replica serves it)');
});

t.test('snapshot commands are deterministic across replicas, and helpers', async (t) => {
  const dir = temporaryDirectory('snap-apply');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const replicas = [harness(dir, 'r1.sqlite'), harness(dir, 'r2.sqlite')];
  t.teardown(() => replicas.forEach((h) => h.store.close()));
  for (const h of replicas) {
    h.mkdir('/d/x');
    h.file('/d/x/f', [BLOCK, 1]);
    h.value({ op: 'allowSnapshot', now: 10, path: '/d' });
    h.value({ op: 'createSnapshot', now: 11, path: '/d', name: 'a' });
    h.value({ op: 'rename', now: 12, src: '/d/x', dst: '/y' });
    h.value({ op: 'createSnapshot', now: 13, path: '/d', name: 'b' });
    h.value({ op: 'delete', now: 14, path: '/y', recursive: true });
    h.value({ op: 'deleteSnapshot', now: 15, path: '/d', name: 'a' });
  }
  t.equal(replicas[0].dump(), replicas[1].dump(), 'both replicas hold the same namespace, snapshots and versions');
  // A Raft snapshot (and a namespace image) is a copy of the database: snapshots and versions go with it.
  const before = listing(replicas[0], '/d/.snapshot/b');
  t.same(before, ['. 0 dir'], 'snapshot b: /d after its subdirectory was moved out');
  const copy = join(dir, 'copy.sqlite');
  replicas[0].store.copyTo(copy);
  // Both replicas applied the same entries: the copy's position is the receiver's too.
  replicas[1].store.replaceWith(copy, { index: replicas[0].store.getNumber('applied_index'), term: 1 });
  const readers = replicas[1];
  t.same(listing(readers, '/d/.snapshot/b'), before, 'snapshots read the same after a Raft snapshot is installed');
  t.equal(readers.kind({ op: 'createSnapshot', now: 20, path: '/d', name: 'c' }), 'ok', 'snapshot commands apply after the install');
  t.equal(defaultSnapshotName(Date.UTC(2026, 10, 23, 19, 2, 42, 123)), 's20261123-190242.123', 'HDFS default snapshot name');
  t.same(splitSnapshotPath('/d/.snapshot/s/a/b'), { root: '/d', snapshot: 's', rest: ['a', 'b'] });
  t.same(splitSnapshotPath('/.snapshot'), { root: '/', snapshot: undefined, rest: [] });
  t.equal(splitSnapshotPath('/d/e'), undefined);
});
