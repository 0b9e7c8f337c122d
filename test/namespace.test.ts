// The namespace state machine: HDFS semantics of each command, determinism across replicas,
// exactly-once application across restarts and client retries; and the path rules.

import t from 'tap';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { NamespaceStore } from '../namenode/namespace/store.js';
import { NamespaceStateMachine, outcomeValue } from '../namenode/namespace/apply.js';
import type { NamespaceCommand } from '../namenode/namespace/commands.js';
import { LocalNamespaceLog } from './helpers/local-namespace-log.js';
import { normalizePath, pathComponents, resolveUserPath } from '../shared/paths.js';
import { isDfsError } from '../shared/errors.js';
import { temporaryDirectory } from './helpers/processes.js';

const BLOCK = 64 * 1024;

function open(dir: string, name = 'ns.sqlite') {
  const store = new NamespaceStore(join(dir, name));
  return { store, sm: new NamespaceStateMachine(store) };
}

/** Applies commands one entry each, returning outcomes; ids are handed out like a leader would. */
function makeApplier(sm: NamespaceStateMachine) {
  let index = sm.appliedIndex;
  let nextId = 100;
  let nextBlock = 1000;
  const apply = (command: NamespaceCommand) => sm.applyBatch([{ index: ++index, term: 1, command }])[0];
  return {
    apply,
    value: <T>(command: NamespaceCommand) => outcomeValue<T>(apply(command)),
    ids: () => ((nextId += 10), nextId),
    blockId: () => ++nextBlock,
  };
}

const format: NamespaceCommand = { op: 'format', now: 1, clusterId: 'c1', superuser: 'hdfs', supergroup: 'supergroup' };

function dump(store: NamespaceStore): string {
  const inodes = store.db.prepare('SELECT * FROM inodes ORDER BY id').all();
  const blocks = store.db.prepare('SELECT * FROM blocks ORDER BY id').all();
  const state = store.db.prepare('SELECT * FROM state ORDER BY key').all();
  return JSON.stringify({ inodes, blocks, state });
}

/** A formatted namespace in a temporary folder, removed after the test. */
function formattedNamespace(t: { teardown(fn: () => void): void }, name: string) {
  const dir = temporaryDirectory(name);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { store, sm } = open(dir);
  t.teardown(() => store.close());
  const a = makeApplier(sm);
  a.value(format);
  const errorKind = (outcome: ReturnType<typeof a.apply>) => (outcome.ok ? 'ok' : outcome.error.kind);
  return { store, a, errorKind };
}

t.test('a file created with its first block: one command, all or nothing', async (t) => {
  const { store, a, errorKind } = formattedNamespace(t, 'ns-first-block');
  // A file created with its first block, in one command: under construction, one empty block.
  const withBlock = (path: string, blockId: number, extra: Partial<NamespaceCommand & { op: 'create' }> = {}) =>
    a.apply({ op: 'create', now: 3, user: 'alice', path, clientName: 'w', overwrite: false, createParent: true, permission: 0o644, replication: 3, blockSize: BLOCK, firstInodeId: a.ids(), firstBlock: { blockId, genStamp: blockId }, ...extra });
  const first = a.blockId();
  const created = outcomeValue<{ block: { blockId: number; numBytes: number } }>(withBlock('/d/small', first));
  t.same(created.block, { blockId: first, genStamp: first, numBytes: 0 }, 'the answer names the new block');
  t.same(store.blocksOf(store.resolve('/d/small')!.id).map((b) => b.id), [first], 'the file holds the block');
  t.equal(store.resolve('/d/small')?.lease_holder, 'w', 'and is under construction by its writer');
  a.value({ op: 'complete', now: 4, path: '/d/small', clientName: 'w', last: { blockId: first, genStamp: first, numBytes: 7 } });
  t.equal(store.resolve('/d/small')?.length, 7, 'it completes like any file');
  const second = a.blockId();
  t.equal(errorKind(withBlock('/d/small', second)), 'FileAlreadyExists', 'an existing file refuses it');
  t.same(store.blocksOf(store.resolve('/d/small')!.id).map((b) => b.id), [first], 'and the refused create added no block');
  t.equal(errorKind(withBlock('/d/closed-with-block', second, { closed: true })), 'IllegalArgument', 'a file created closed takes no block');
  t.equal(store.resolve('/d/closed-with-block'), undefined, 'nothing of the refused command remains');
});

t.test('a command that fails after reserving ids leaves the id high-water mark as the database has it', async (t) => {
  const { store, a, errorKind } = formattedNamespace(t, 'ns-state-rollback');
  const stored = (key: string) => (store.db.prepare('SELECT value FROM state WHERE key = ?').get(key) as { value: number }).value;
  a.value({ op: 'create', now: 2, user: 'alice', path: '/f', clientName: 'w', overwrite: false, createParent: true, permission: 0o644, replication: 3, blockSize: BLOCK, closed: true, firstInodeId: a.ids() });
  const before = store.getNumber('inode_id_high');
  t.equal(before, stored('inode_id_high'));
  // mkdirs reserves ids, then finds a file where a parent should be: its savepoint rolls back.
  const failing = a.ids();
  t.equal(errorKind(a.apply({ op: 'mkdirs', now: 3, user: 'alice', path: '/f/a/b', permission: 0o755, createParent: true, firstInodeId: failing })), 'ParentNotDirectory');
  t.equal(stored('inode_id_high'), before, 'the rollback undid the reservation in the database');
  t.equal(store.getNumber('inode_id_high'), before, 'and the store reads the same value');
  // The same ids are free for the next command, as on every replica.
  t.ok(a.apply({ op: 'mkdirs', now: 4, user: 'alice', path: '/g', permission: 0o755, createParent: true, firstInodeId: failing }).ok);
  t.equal(store.getNumber('inode_id_high'), stored('inode_id_high'));
});

t.test('namespace commands follow HDFS semantics', async (t) => {
  const { store, a, errorKind } = formattedNamespace(t, 'ns');
  const mk = (path: string, createParent = true) =>
    a.apply({ op: 'mkdirs', now: 2, user: 'alice', path, permission: 0o755, createParent, firstInodeId: a.ids() });
  const create = (path: string, overwrite = false, createParent = true) =>
    a.apply({ op: 'create', now: 3, user: 'alice', path, clientName: 'c', overwrite, createParent, permission: 0o644, replication: 3, blockSize: BLOCK, firstInodeId: a.ids() });

  t.same(outcomeValue(mk('/a/b/c')), { created: true }, 'mkdirs creates parents');
  t.same(outcomeValue(mk('/a/b/c')), { created: false }, 'mkdirs of an existing directory creates nothing');
  t.equal(errorKind(mk('/x/y', false)), 'FileNotFound', 'no parent without createParent');
  t.equal(store.resolve('/a/b')?.grp, 'supergroup', 'group is inherited from the parent');
  t.equal(store.resolve('/a/b')?.owner, 'alice');

  t.equal(errorKind(create('/a/f')), 'ok');
  t.equal(errorKind(create('/a/f')), 'FileAlreadyExists', 'create without overwrite refuses an existing file');
  t.equal(errorKind(create('/a')), 'FileAlreadyExists', 'create refuses a directory');
  t.equal(errorKind(create('/a/f/g')), 'ParentNotDirectory', 'a file cannot be a parent');
  t.equal(errorKind(mk('/a/f')), 'FileAlreadyExists', 'mkdirs over a file');
  t.equal(errorKind(create('/n/f', false, false)), 'FileNotFound');

  // An empty file created closed, in one command: complete, no lease, no block.
  const closedFile = (path: string, overwrite = false) =>
    a.apply({ op: 'create', now: 3, user: 'alice', path, clientName: 'e', overwrite, createParent: true, permission: 0o644, replication: 3, blockSize: BLOCK, firstInodeId: a.ids(), closed: true });
  t.equal(errorKind(closedFile('/a/empty')), 'ok');
  t.equal(store.resolve('/a/empty')?.lease_holder, null, 'a file created closed has no lease holder');
  t.equal(store.resolve('/a/empty')?.length, 0);
  t.equal(errorKind(a.apply({ op: 'addBlock', now: 4, path: '/a/empty', clientName: 'e', blockId: a.blockId(), genStamp: 1 })), 'LeaseExpired', 'no block is added to a closed file');
  t.equal(errorKind(closedFile('/a/empty')), 'FileAlreadyExists', 'created closed, it still refuses an existing file');
  t.equal(errorKind(closedFile('/a/empty', true)), 'ok', 'and overwrites one when asked');

  // Write two blocks: the first full, the last short.
  const b1 = a.blockId();
  const b2 = a.blockId();
  t.equal(errorKind(a.apply({ op: 'addBlock', now: 4, path: '/a/f', clientName: 'other', blockId: b1, genStamp: 1 })), 'LeaseExpired', 'only the lease holder adds blocks');
  a.value({ op: 'addBlock', now: 4, path: '/a/f', clientName: 'c', blockId: b1, genStamp: 1 });
  t.equal(
    errorKind(a.apply({ op: 'addBlock', now: 4, path: '/a/f', clientName: 'c', previous: { blockId: b1, genStamp: 1, numBytes: 10 }, blockId: b2, genStamp: 2 })),
    'IllegalArgument',
    'a block followed by another must be full',
  );
  a.value({ op: 'addBlock', now: 4, path: '/a/f', clientName: 'c', previous: { blockId: b1, genStamp: 1, numBytes: BLOCK }, blockId: b2, genStamp: 2 });
  const done = a.value<{ status: { length: number; underConstruction: boolean } }>({ op: 'complete', now: 5, path: '/a/f', clientName: 'c', last: { blockId: b2, genStamp: 2, numBytes: 5 } });
  t.equal(done.status.length, BLOCK + 5);
  t.equal(done.status.underConstruction, false);
  t.equal(errorKind(a.apply({ op: 'addBlock', now: 6, path: '/a/f', clientName: 'c', blockId: a.blockId(), genStamp: 3 })), 'LeaseExpired', 'a closed file takes no blocks');

  // Rename rules.
  const mv = (src: string, dst: string) => a.apply({ op: 'rename', now: 7, src, dst });
  t.equal(errorKind(mv('/nope', '/z')), 'FileNotFound');
  t.equal(errorKind(mv('/a', '/a/b/inside')), 'Io', 'a directory cannot move under itself');
  t.equal(errorKind(mv('/a/f', '/missing/f')), 'FileNotFound', 'destination parent must exist');
  t.same(outcomeValue(mv('/a/f', '/a/b')), { renamed: true, dst: '/a/b/f' }, 'into an existing directory');
  create('/a/g');
  t.equal(errorKind(mv('/a/g', '/a/b/f')), 'FileAlreadyExists', 'never over an existing file');

  // Delete rules, and the blocks a delete frees.
  t.equal(errorKind(a.apply({ op: 'delete', now: 8, path: '/a', recursive: false })), 'PathIsNotEmptyDirectory');
  t.equal(errorKind(a.apply({ op: 'delete', now: 8, path: '/', recursive: true })), 'IllegalArgument', 'the root stays');
  t.same(outcomeValue(a.apply({ op: 'delete', now: 8, path: '/nope', recursive: false })), { deleted: false, removedBlocks: [] });
  const removed = outcomeValue<{ removedBlocks: Array<{ blockId: number }> }>(a.apply({ op: 'delete', now: 8, path: '/a', recursive: true }));
  t.same(removed.removedBlocks.map((b) => b.blockId).sort(), [b1, b2]);
  t.equal(store.resolve('/a'), undefined);
  t.equal((store.db.prepare('SELECT count(*) AS n FROM inodes').get() as { n: number }).n, 1, 'only / remains');
});

t.test('replicas applying the same log reach identical state; a restart applies nothing twice', async (t) => {
  const dir = temporaryDirectory('ns');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const commands: NamespaceCommand[] = [format];
  for (let i = 0; i < 50; i++) {
    commands.push({ op: 'mkdirs', now: 10 + i, user: 'u', path: `/d${i % 7}/e${i}`, permission: 0o750, createParent: true, firstInodeId: 1000 + i * 3 });
    if (i % 5 === 0) commands.push({ op: 'rename', now: 100 + i, src: `/d${i % 7}/e${i}`, dst: `/moved${i}` });
    if (i % 9 === 0) commands.push({ op: 'delete', now: 200 + i, path: `/d${i % 7}`, recursive: true });
  }
  const entries = commands.map((command, i) => ({ index: i + 1, term: 1, command }));
  const one = open(dir, 'one.sqlite');
  const two = open(dir, 'two.sqlite');
  one.sm.applyBatch(entries);
  for (const entry of entries) two.sm.applyBatch([entry]);
  t.equal(dump(one.store), dump(two.store), 'batch and one-by-one application agree');
  t.equal(one.sm.appliedIndex, entries.length);

  two.store.close();
  const reopened = open(dir, 'two.sqlite');
  t.equal(reopened.sm.appliedIndex, entries.length, 'applied index survives a restart');
  const before = dump(reopened.store);
  const replay = reopened.sm.applyBatch(entries.slice(-3));
  t.ok(replay.every((o) => !o.ok), 'already applied entries are skipped');
  t.equal(dump(reopened.store), before, 'replaying the log tail changes nothing');
  t.throws(() => reopened.sm.applyBatch([{ index: entries.length + 2, term: 1, command: null }]), /apply gap/, 'a gap in the log stops the node');
  one.store.close();
  reopened.store.close();
});

t.test('a retried client request is answered from its first result, not applied twice', async (t) => {
  const dir = temporaryDirectory('ns');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { store, sm } = open(dir);
  t.teardown(() => store.close());
  const log = new LocalNamespaceLog(sm);
  await log.submit(format);
  const request = { clientId: 'client-1', callId: 7 };
  const first = await log.submit({ op: 'mkdirs', now: 2, user: 'u', path: '/once', permission: 0o755, createParent: true, firstInodeId: 50, request });
  await log.submit({ op: 'delete', now: 3, path: '/once', recursive: false });
  const retry = await log.submit({ op: 'mkdirs', now: 4, user: 'u', path: '/once', permission: 0o755, createParent: true, firstInodeId: 60, request });
  t.same(retry, first, 'the retry gets the first answer');
  t.equal(store.resolve('/once'), undefined, 'and the directory deleted in between is not recreated');
});

t.test('concurrent submissions share one transaction (group commit)', async (t) => {
  const dir = temporaryDirectory('ns');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { store, sm } = open(dir);
  t.teardown(() => store.close());
  const log = new LocalNamespaceLog(sm);
  await log.submit(format);
  let transactions = 0;
  const original = sm.applyBatch.bind(sm);
  sm.applyBatch = (entries) => {
    transactions += 1;
    return original(entries);
  };
  const outcomes = await Promise.all(
    Array.from({ length: 100 }, (_, i) => log.submit({ op: 'mkdirs', now: 5, user: 'u', path: `/g${i}`, permission: 0o755, createParent: true, firstInodeId: 10 + i })),
  );
  t.ok(outcomes.every((o) => o.ok));
  t.equal(transactions, 1, '100 concurrent mkdirs cost one transaction');
});

t.test('walks between changes see every applied change (the directory cache never serves a stale row)', async (t) => {
  const { store, a, errorKind } = formattedNamespace(t, 'ns-walk-cache');
  a.value({ op: 'mkdirs', now: 2, user: 'alice', path: '/w/x/y', permission: 0o755, createParent: true, firstInodeId: a.ids() });
  const first = store.resolve('/w/x');
  t.equal(store.resolve('/w/x'), first, 'a second walk between changes is served from the cache');
  t.throws(() => {
    (first as { perm: number }).perm = 0o777;
  }, TypeError, 'a cached row cannot be altered by a reader');
  t.equal(store.resolve('/w/x')?.perm, 0o755);

  a.value({ op: 'setPermission', now: 3, path: '/w/x', permission: 0o700 });
  t.equal(store.resolve('/w/x')?.perm, 0o700, 'a permission change is seen by the next walk');
  a.value({ op: 'rename', now: 4, src: '/w/x', dst: '/w/z' });
  t.equal(store.resolve('/w/x/y'), undefined, 'the old path of a renamed directory is gone');
  t.equal(store.resolve('/w/z/y')?.type, store.resolve('/w')?.type, 'and its subtree is under the new name');
  t.equal(errorKind(a.apply({ op: 'mkdirs', now: 5, user: 'alice', path: '/w/z/y/f/g', permission: 0o755, createParent: false, firstInodeId: a.ids() })), 'FileNotFound');
  t.not(store.resolve('/w/z/y'), undefined, 'a failed (rolled back) command leaves the walk correct');
  a.value({ op: 'delete', now: 6, path: '/w/z', recursive: true });
  t.equal(store.resolve('/w/z'), undefined, 'a deleted directory is not found');
  t.equal(store.resolve('/w/z/y'), undefined);
  t.equal(store.walk('/w/z/y').inodes.length, 2, 'the walk stops at the deepest directory that exists');
});

t.test('paths follow HDFS rules', async (t) => {
  t.same(pathComponents('/'), []);
  t.same(pathComponents('/a/b/'), ['a', 'b']);
  t.equal(normalizePath('/a/b/'), '/a/b');
  for (const bad of ['a/b', '', '/a//b', '/a/./b', '/a/../b', '/a:b', '/a\u0000b', '/' + 'x'.repeat(256)]) {
    let error: unknown;
    try {
      pathComponents(bad);
    } catch (caught) {
      error = caught;
    }
    t.ok(isDfsError(error, 'InvalidPath'), `rejects ${JSON.stringify(bad.slice(0, 20))}`);
  }
  t.equal(resolveUserPath('x/y', '/user/me'), '/user/me/x/y', 'relative paths are under the home directory');
  t.equal(resolveUserPath('/a//b/', '/user/me'), '/a/b', 'repeated and trailing slashes fold');
});
