// Snapshot commands as the apply function runs them (HDFS's FSDirSnapshotOp and SnapshotManager):
// allow/disallow, create, rename and delete snapshots; and the rules other commands follow because
// of snapshots (nothing under `.snapshot` changes, a directory with snapshots is not deleted,
// blocks a snapshot still reads are not freed). The copy-on-write itself is done by the triggers
// of snapshot-schema.ts; the read side is snapshot-view.ts.

import type { Database as Db, Statement } from 'better-sqlite3';
import { DfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import { SNAPSHOTS_PER_DIRECTORY_MAX, assertWritablePath, checkSnapshotName, snapshotRootPath } from '../../shared/snapshot-paths.js';
import type { ExtendedBlock } from '../../shared/protocol.js';
import { INODE_DIRECTORY, ROOT_INODE_ID } from './schema.js';
import type { InodeRow, NamespaceStore } from './store.js';
import type { CommandOf, NamespaceCommand } from './commands.js';

export interface SnapshotRow {
  id: number;
  dir: number;
  name: string;
  ctime: number;
  inode_high: number;
  block_high: number;
}

const SNAPSHOT_SQL = {
  isSnapshottable: 'SELECT snapshot_quota FROM snapshottable_dirs WHERE inode = ?',
  allow: 'INSERT OR IGNORE INTO snapshottable_dirs (inode, snapshot_quota) VALUES (?, ?)',
  disallow: 'DELETE FROM snapshottable_dirs WHERE inode = ?',
  snapshottableDirs: 'SELECT d.inode, d.snapshot_quota, (SELECT count(*) FROM snapshots s WHERE s.dir = d.inode) AS snapshots FROM snapshottable_dirs d ORDER BY d.inode',
  dirsWithSnapshots: 'SELECT DISTINCT dir FROM snapshots',
  forgetDeletedDirs: 'DELETE FROM snapshottable_dirs WHERE NOT EXISTS (SELECT 1 FROM inodes WHERE id = snapshottable_dirs.inode)',
  count: 'SELECT count(*) AS n FROM snapshots WHERE dir = ?',
  byName: 'SELECT * FROM snapshots WHERE dir = ? AND name = ?',
  ofDir: 'SELECT * FROM snapshots WHERE dir = ? ORDER BY id',
  insert: 'INSERT INTO snapshots (id, dir, name, ctime, inode_high, block_high) VALUES (@id, @dir, @name, @ctime, @inode_high, @block_high)',
  rename: 'UPDATE snapshots SET name = ? WHERE id = ?',
  delete: 'DELETE FROM snapshots WHERE id = ?',
  previous: 'SELECT * FROM snapshots WHERE id < ? ORDER BY id DESC LIMIT 1',
  latest: 'SELECT * FROM snapshots ORDER BY id DESC LIMIT 1',
  /** Versions kept for snapshot `s` that the previous snapshot `p` also reads (none kept in [p, s)) move to `p`. */
  inheritInodeVersions: `UPDATE inode_versions SET snapshot_id = @p WHERE snapshot_id = @s AND inode <= @inode_high
      AND NOT EXISTS (SELECT 1 FROM inode_versions o WHERE o.inode = inode_versions.inode AND o.snapshot_id >= @p AND o.snapshot_id < @s)`,
  dropInodeVersions: 'DELETE FROM inode_versions WHERE snapshot_id = ?',
  inheritBlockVersions: `UPDATE block_versions SET snapshot_id = @p WHERE snapshot_id = @s AND block_id <= @block_high
      AND NOT EXISTS (SELECT 1 FROM block_versions o WHERE o.block_id = block_versions.block_id AND o.snapshot_id >= @p AND o.snapshot_id < @s)`,
  blockVersionsOf: 'SELECT block_id, num_bytes, gen_stamp FROM block_versions WHERE snapshot_id = ?',
  dropBlockVersions: 'DELETE FROM block_versions WHERE snapshot_id = ?',
  blockHeld: 'SELECT 1 FROM block_versions WHERE block_id = ? LIMIT 1',
  blockLive: 'SELECT 1 FROM blocks WHERE id = ?',
  /** The newest generation stamp any snapshot reads a block at (null when no snapshot holds it). */
  heldGenStamp: 'SELECT max(gen_stamp) AS gen_stamp FROM block_versions WHERE block_id = ?',
} as const;

export type SnapshotStatements = { [K in keyof typeof SNAPSHOT_SQL]: Statement };

const prepared = new WeakMap<Db, SnapshotStatements>();

/** The snapshot statements for the store's current database (a follower installing a snapshot reopens it). */
export function snapshotSql(store: NamespaceStore): SnapshotStatements {
  const db = store.db;
  let statements = prepared.get(db);
  if (!statements) {
    const out = {} as Record<string, Statement>;
    for (const [name, sql] of Object.entries(SNAPSHOT_SQL)) out[name] = db.prepare(sql);
    statements = out as SnapshotStatements;
    prepared.set(db, statements);
  }
  return statements;
}

/** Every namespace path a command changes. */
function pathsChangedBy(command: NamespaceCommand): string[] {
  switch (command.op) {
    case 'format':
    case 'createToken':
    case 'revokeToken':
      return [];
    case 'rename':
      return [command.src, command.dst];
    case 'concat':
      return [command.target, ...command.sources];
    default:
      return [command.path];
  }
}

/** A command that would change something under `.snapshot` (or create a `.snapshot`) is refused. */
export function refuseSnapshotChanges(command: NamespaceCommand): void {
  for (const path of pathsChangedBy(command)) assertWritablePath(path);
}

export class SnapshotManager {
  constructor(private readonly store: NamespaceStore) {}

  private get sql(): SnapshotStatements {
    return snapshotSql(this.store);
  }

  private isSuperuser(user: string | undefined): boolean {
    return user === undefined || user === this.store.getState('superuser');
  }

  private directory(path: string): InodeRow {
    const row = this.store.resolve(path);
    if (!row) throw new DfsError('FileNotFound', `Directory does not exist: ${path}`, { path });
    if (row.type !== INODE_DIRECTORY) throw new DfsError('Snapshot', `${path} is not a directory`, { path });
    return row;
  }

  /** A snapshottable directory the caller owns (or the caller is the superuser): HDFS's checkOwner. */
  private ownedSnapshottable(path: string, user: string | undefined): InodeRow {
    const row = this.directory(path);
    if (!this.isSuperuser(user) && row.owner !== user) {
      throw new DfsError('AccessControl', `Permission denied. user=${user} is not the owner of inode=${path}`, { path, user });
    }
    if (!this.sql.isSnapshottable.get(row.id)) throw new DfsError('Snapshot', `Directory is not a snapshottable directory: ${path}`, { path });
    return row;
  }

  private requireSuperuser(user: string | undefined, what: string): void {
    if (!this.isSuperuser(user)) throw new DfsError('AccessControl', `Access denied for user ${user}. Superuser privilege is required to ${what}`, { user });
  }

  allow(command: CommandOf<'allowSnapshot'>): null {
    this.requireSuperuser(command.user, 'allow snapshots');
    const row = this.directory(command.path);
    this.sql.allow.run(row.id, SNAPSHOTS_PER_DIRECTORY_MAX);
    return null;
  }

  disallow(command: CommandOf<'disallowSnapshot'>): null {
    this.requireSuperuser(command.user, 'disallow snapshots');
    const row = this.directory(command.path);
    const { n } = this.sql.count.get(row.id) as { n: number };
    if (n > 0) {
      throw new DfsError('Snapshot', `The directory ${command.path} has snapshot(s). Please redo the operation after removing all the snapshots.`, { path: command.path, snapshots: n });
    }
    this.sql.disallow.run(row.id);
    return null;
  }

  create(command: CommandOf<'createSnapshot'>): { path: string } {
    const row = this.ownedSnapshottable(command.path, command.user);
    checkSnapshotName(command.name);
    if (this.sql.byName.get(row.id, command.name)) {
      throw new DfsError('Snapshot', `Failed to add snapshot: there is already a snapshot with the same name "${command.name}".`, { path: command.path, name: command.name });
    }
    const { n } = this.sql.count.get(row.id) as { n: number };
    const quota = (this.sql.isSnapshottable.get(row.id) as { snapshot_quota: number }).snapshot_quota;
    if (n >= quota) {
      throw new DfsError('Snapshot', `Failed to add snapshot: there are already ${n} snapshot(s) and the snapshot quota is ${quota}`, { path: command.path });
    }
    const id = this.store.getNumber('snapshot_id_high') + 1;
    this.store.setState('snapshot_id_high', id);
    this.sql.insert.run({
      id,
      dir: row.id,
      name: command.name,
      ctime: command.now,
      inode_high: this.store.getNumber('inode_id_high'),
      block_high: this.store.getNumber('block_id_high'),
    });
    return { path: snapshotRootPath(command.path, command.name) };
  }

  rename(command: CommandOf<'renameSnapshot'>): null {
    const row = this.ownedSnapshottable(command.path, command.user);
    const snapshot = this.snapshotNamed(row, command.path, command.oldName);
    if (command.oldName === command.newName) return null;
    checkSnapshotName(command.newName);
    if (this.sql.byName.get(row.id, command.newName)) {
      throw new DfsError('Snapshot', `The snapshot ${command.newName} already exists for directory ${command.path}`, { path: command.path, name: command.newName });
    }
    this.sql.rename.run(command.newName, snapshot.id);
    return null;
  }

  /**
   * Deletes a snapshot. The versions kept for it that the previous snapshot also reads move to
   * that one (HDFS combines the diffs); the rest go, and with them blocks nothing reads any more.
   */
  delete(command: CommandOf<'deleteSnapshot'>): { freedBlocks: ExtendedBlock[] } {
    const row = this.ownedSnapshottable(command.path, command.user);
    const snapshot = this.snapshotNamed(row, command.path, command.name);
    this.sql.delete.run(snapshot.id);
    const previous = this.sql.previous.get(snapshot.id) as SnapshotRow | undefined;
    if (previous) {
      this.sql.inheritInodeVersions.run({ p: previous.id, s: snapshot.id, inode_high: previous.inode_high });
      this.sql.inheritBlockVersions.run({ p: previous.id, s: snapshot.id, block_high: previous.block_high });
    }
    const dropped = this.sql.blockVersionsOf.all(snapshot.id) as Array<{ block_id: number; num_bytes: number; gen_stamp: number }>;
    this.sql.dropInodeVersions.run(snapshot.id);
    this.sql.dropBlockVersions.run(snapshot.id);
    const freedBlocks = dropped
      .filter((block) => !this.sql.blockLive.get(block.block_id) && !this.sql.blockHeld.get(block.block_id))
      .map((block) => ({ blockId: block.block_id, genStamp: block.gen_stamp, numBytes: block.num_bytes }));
    return { freedBlocks };
  }

  private snapshotNamed(dir: InodeRow, path: string, name: string): SnapshotRow {
    const snapshot = this.sql.byName.get(dir.id, name) as SnapshotRow | undefined;
    if (!snapshot) throw new DfsError('Snapshot', `Cannot find the snapshot of directory ${path} with name ${name}`, { path, name });
    return snapshot;
  }

  /** HDFS refuses to delete or rename a snapshottable directory with snapshots, or any directory above one. */
  checkDeletable(row: InodeRow, path: string, action: 'deleted' | 'renamed' = 'deleted'): void {
    if (row.type !== INODE_DIRECTORY) return;
    for (const { dir } of this.sql.dirsWithSnapshots.all() as Array<{ dir: number }>) {
      let id = dir;
      for (let depth = 0; id !== ROOT_INODE_ID; depth++) {
        assert(depth < 100_000, 'inode parent chain does not reach the root');
        if (id === row.id) {
          throw new DfsError('Snapshot', `The directory ${path} cannot be ${action} since ${this.store.pathOf(dir)} is snapshottable and already has snapshots`, { path });
        }
        const inode = this.store.inode(id);
        if (!inode) break;
        id = inode.parent;
      }
    }
  }

  /** After a delete: a snapshottable directory that no longer exists is forgotten. */
  forgetDeletedDirectories(): void {
    this.sql.forgetDeletedDirs.run();
  }

  /** A truncate may not shorten in place a block a snapshot reads (one was taken while the leader copied). */
  refuseInPlaceTruncate(blockId: number, path: string): void {
    if (snapshotsRead(this.store, blockId)) {
      throw new DfsError('Io', `A snapshot of ${path} was taken while it was being truncated; retry`, { path, blockId });
    }
  }

  /**
   * The new block of a copy-on-truncate: never used, and allocated after the latest snapshot (a
   * snapshot taken while the leader copied would count it as its own: the truncate is retried).
   */
  checkCopyOnTruncateBlock(blockId: number, path: string): void {
    assert(!this.store.sql.getBlock.get(blockId), `copy-on-truncate block ${blockId} already exists`);
    const latest = this.sql.latest.get() as SnapshotRow | undefined;
    if (latest && latest.block_high >= blockId) {
      throw new DfsError('Io', `A snapshot of ${path} was taken while it was being truncated; retry`, { path, blockId });
    }
  }

  /** Blocks a delete or overwrite removed from the live namespace that no snapshot still reads. */
  unheld(blocks: ExtendedBlock[]): ExtendedBlock[] {
    return blocks.filter((block) => !this.sql.blockHeld.get(block.blockId));
  }
}

/** The newest generation stamp a snapshot reads `blockId` at, or undefined when no snapshot holds it. */
export function snapshotHeldGenStamp(store: NamespaceStore, blockId: number): number | undefined {
  const row = snapshotSql(store).heldGenStamp.get(blockId) as { gen_stamp: number | null };
  return row.gen_stamp ?? undefined;
}

/**
 * True when some snapshot reads `blockId`: it keeps a version of it, or the block existed when the
 * latest snapshot was taken (its first change will be kept).
 */
export function snapshotsRead(store: NamespaceStore, blockId: number): boolean {
  const sql = snapshotSql(store);
  if (sql.blockHeld.get(blockId)) return true;
  const latest = sql.latest.get() as SnapshotRow | undefined;
  return latest !== undefined && blockId <= latest.block_high;
}
