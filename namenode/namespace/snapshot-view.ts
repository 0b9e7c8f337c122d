// Reads the namespace as a snapshot saw it (HDFS's INodesInPath for `.snapshot` paths). A row's
// state as of snapshot S is its first kept version with snapshot id >= S (snapshot-schema.ts), or
// its current row when it has not changed since; rows with ids above S's high-water marks were
// created after S. Used by the namesystem for every read under `<dir>/.snapshot`, and for
// snapshotDiff and lsSnapshottableDir.

import type { Database as Db, Statement } from 'better-sqlite3';
import { DfsError } from '../../shared/errors.js';
import { SNAPSHOT_DIR_NAME, snapshotRootPath, splitSnapshotPath } from '../../shared/snapshot-paths.js';
import type { FileStatus } from '../../shared/protocol.js';
import { INODE_DIRECTORY, INODE_FILE } from './schema.js';
import type { BlockRow, InodeRow, NamespaceStore } from './store.js';
import { snapshotSql, type SnapshotRow } from './snapshots.js';

const VIEW_SQL = {
  inodeVersion: 'SELECT inode AS id, parent, name, type, owner, grp, perm, mtime, atime, replication, block_size, length FROM inode_versions WHERE inode = ? AND snapshot_id >= ? ORDER BY snapshot_id LIMIT 1',
  versionedChildIds: 'SELECT DISTINCT inode AS id FROM inode_versions WHERE parent = ? AND snapshot_id >= ? AND inode <= ?',
  versionedChildIdsNamed: 'SELECT DISTINCT inode AS id FROM inode_versions WHERE parent = ? AND name = ? AND snapshot_id >= ? AND inode <= ?',
  currentChildIds: 'SELECT id FROM inodes WHERE parent = ? AND id <= ?',
  blockVersion: 'SELECT block_id AS id, inode, seq, num_bytes, gen_stamp FROM block_versions WHERE block_id = ? AND snapshot_id >= ? ORDER BY snapshot_id LIMIT 1',
  versionedBlockIds: 'SELECT DISTINCT block_id AS id FROM block_versions WHERE inode = ? AND snapshot_id >= ? AND block_id <= ?',
  currentBlockIds: 'SELECT id FROM blocks WHERE inode = ? AND id <= ?',
  snapshotsOf: 'SELECT * FROM snapshots WHERE dir = ? ORDER BY id',
  snapshotNamed: 'SELECT * FROM snapshots WHERE dir = ? AND name = ?',
} as const;

/** Statements per database (a follower installing a Raft snapshot reopens it). */
const preparedViews = new WeakMap<Db, Map<string, Statement>>();

/** What a `.snapshot` path names. */
export type SnapshotTarget =
  /** `<dir>/.snapshot`: the list of the directory's snapshots. */
  | { kind: 'snapshots'; dir: InodeRow; dirPath: string }
  /**
   * An inode as of `snapshot` (the snapshot's root is the snapshottable directory's inode); `chain`
   * is every inode from that root down to it, as of the snapshot, for permission checks.
   */
  | { kind: 'inode'; row: InodeRow; snapshot: SnapshotRow; chain: Array<{ row: InodeRow; path: string }> };

export class SnapshotView {
  constructor(private readonly store: NamespaceStore) {}

  private statement(name: keyof typeof VIEW_SQL): Statement {
    const db = this.store.db;
    let statements = preparedViews.get(db);
    if (!statements) {
      statements = new Map();
      preparedViews.set(db, statements);
    }
    let statement = statements.get(name);
    if (!statement) {
      statement = db.prepare(VIEW_SQL[name]);
      statements.set(name, statement);
    }
    return statement;
  }

  /** The inode `id` as of `snapshot`, or undefined when it did not exist then. */
  inodeAt(id: number, snapshot: SnapshotRow): InodeRow | undefined {
    if (id > snapshot.inode_high) return undefined;
    const version = this.statement('inodeVersion').get(id, snapshot.id) as Omit<InodeRow, 'lease_holder'> | undefined;
    if (version) return { ...version, lease_holder: null };
    const current = this.store.inode(id);
    // A file open for writing at the snapshot is shown closed at its committed length, as HDFS shows it.
    return current ? { ...current, lease_holder: null } : undefined;
  }

  /** The children of directory `dirId` as of `snapshot`, sorted by name. */
  childrenAt(dirId: number, snapshot: SnapshotRow): InodeRow[] {
    const ids = new Set<number>();
    for (const { id } of this.statement('versionedChildIds').all(dirId, snapshot.id, snapshot.inode_high) as Array<{ id: number }>) ids.add(id);
    for (const { id } of this.statement('currentChildIds').all(dirId, snapshot.inode_high) as Array<{ id: number }>) ids.add(id);
    const children: InodeRow[] = [];
    for (const id of ids) {
      const row = this.inodeAt(id, snapshot);
      if (row && row.parent === dirId) children.push(row);
    }
    return children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The child `name` of directory `dirId` as of `snapshot`. */
  childAt(dirId: number, name: string, snapshot: SnapshotRow): InodeRow | undefined {
    const ids = new Set<number>();
    for (const { id } of this.statement('versionedChildIdsNamed').all(dirId, name, snapshot.id, snapshot.inode_high) as Array<{ id: number }>) ids.add(id);
    const current = this.store.child(dirId, name);
    if (current && current.id <= snapshot.inode_high) ids.add(current.id);
    for (const id of ids) {
      const row = this.inodeAt(id, snapshot);
      if (row && row.parent === dirId && row.name === name) return row;
    }
    return undefined;
  }

  /** The blocks of file `fileId` as of `snapshot`, in order. */
  blocksAt(fileId: number, snapshot: SnapshotRow): BlockRow[] {
    const ids = new Set<number>();
    for (const { id } of this.statement('versionedBlockIds').all(fileId, snapshot.id, snapshot.block_high) as Array<{ id: number }>) ids.add(id);
    for (const { id } of this.statement('currentBlockIds').all(fileId, snapshot.block_high) as Array<{ id: number }>) ids.add(id);
    const blocks: BlockRow[] = [];
    for (const id of ids) {
      const version = this.statement('blockVersion').get(id, snapshot.id) as BlockRow | undefined;
      const row = version ?? (this.store.sql.getBlock.get(id) as BlockRow | undefined);
      if (row && row.inode === fileId) blocks.push(row);
    }
    return blocks.sort((a, b) => a.seq - b.seq);
  }

  snapshotsOf(dirId: number): SnapshotRow[] {
    return this.statement('snapshotsOf').all(dirId) as SnapshotRow[];
  }

  isSnapshottable(dirId: number): boolean {
    return snapshotSql(this.store).isSnapshottable.get(dirId) !== undefined;
  }

  /** The snapshottable directory at `path` and its snapshot `name` (errors name what is missing). */
  snapshot(path: string, name: string): { dir: InodeRow; snapshot: SnapshotRow } {
    const dir = this.snapshottableDirectory(path);
    const snapshot = this.statement('snapshotNamed').get(dir.id, name) as SnapshotRow | undefined;
    if (!snapshot) throw new DfsError('Snapshot', `Cannot find the snapshot of directory ${path} with name ${name}`, { path, name });
    return { dir, snapshot };
  }

  snapshottableDirectory(path: string): InodeRow {
    const dir = this.store.resolve(path);
    if (!dir) throw new DfsError('FileNotFound', `Directory does not exist: ${path}`, { path });
    if (dir.type !== INODE_DIRECTORY || !this.isSnapshottable(dir.id)) {
      throw new DfsError('Snapshot', `Directory is not a snapshottable directory: ${path}`, { path });
    }
    return dir;
  }

  /** Resolves a path through `.snapshot`; undefined when nothing is there. */
  resolve(path: string): SnapshotTarget | undefined {
    const split = splitSnapshotPath(path);
    if (!split) throw new DfsError('Internal', `${path} is not a snapshot path`);
    const dir = this.store.resolve(split.root);
    if (!dir || dir.type !== INODE_DIRECTORY) return undefined;
    if (!this.isSnapshottable(dir.id)) {
      throw new DfsError('Snapshot', `Directory is not a snapshottable directory: ${split.root}`, { path });
    }
    if (split.snapshot === undefined) return { kind: 'snapshots', dir, dirPath: split.root };
    const snapshot = this.statement('snapshotNamed').get(dir.id, split.snapshot) as SnapshotRow | undefined;
    if (!snapshot) return undefined;
    let row = this.inodeAt(dir.id, snapshot);
    if (!row) return undefined;
    let shownPath = snapshotRootPath(split.root, snapshot.name);
    const chain = [{ row, path: shownPath }];
    for (const name of split.rest) {
      if (row.type !== INODE_DIRECTORY) return undefined;
      row = this.childAt(row.id, name, snapshot);
      if (!row) return undefined;
      shownPath = `${shownPath}/${name}`;
      chain.push({ row, path: shownPath });
    }
    return { kind: 'inode', row, snapshot, chain };
  }

  /** A FileStatus of an inode as of `snapshot`, shown at `path`. */
  status(row: InodeRow, snapshot: SnapshotRow, path: string): FileStatus {
    const status = this.store.toFileStatus(row, path);
    return { ...status, childrenNum: row.type === INODE_DIRECTORY ? this.childrenAt(row.id, snapshot).length : 0 };
  }

  /** The status of `<dir>/.snapshot/<name>`: the directory as of the snapshot, dated when it was taken. */
  snapshotRootStatus(dirPath: string, snapshot: SnapshotRow): FileStatus {
    const row = this.inodeAt(snapshot.dir, snapshot);
    if (!row) throw new DfsError('Internal', `snapshot ${snapshot.id} has no root inode ${snapshot.dir}`);
    return { ...this.status(row, snapshot, snapshotRootPath(dirPath, snapshot.name)), modificationTime: snapshot.ctime };
  }

  /** The status of `<dir>/.snapshot` itself. */
  snapshotDirStatus(dir: InodeRow, dirPath: string): FileStatus {
    const status = this.store.toFileStatus(dir, `${dirPath === '/' ? '' : dirPath}/${SNAPSHOT_DIR_NAME}`);
    return { ...status, childrenNum: this.snapshotsOf(dir.id).length };
  }

  /** Every file below `root` as of `snapshot` (or now), keyed by path relative to the root: for snapshotDiff. */
  tree(rootId: number, snapshot: SnapshotRow | undefined): Map<number, { row: InodeRow; path: string }> {
    const out = new Map<number, { row: InodeRow; path: string }>();
    const root = snapshot ? this.inodeAt(rootId, snapshot) : this.store.inode(rootId);
    if (!root) return out;
    const pending: Array<{ row: InodeRow; path: string }> = [{ row: root, path: '.' }];
    while (pending.length > 0) {
      const entry = pending.pop()!;
      out.set(entry.row.id, entry);
      if (entry.row.type !== INODE_DIRECTORY) continue;
      const children = snapshot ? this.childrenAt(entry.row.id, snapshot) : (this.store.sql.childIds.all(entry.row.id) as Array<{ id: number }>).map((c) => this.store.existingInode(c.id));
      for (const child of children) pending.push({ row: child, path: `${entry.path}/${child.name}` });
    }
    return out;
  }

  /** Block ids and lengths of a file as of `snapshot` (or now): what a diff compares. */
  contentKey(row: InodeRow, snapshot: SnapshotRow | undefined): string {
    if (row.type !== INODE_FILE) return '';
    const blocks = snapshot ? this.blocksAt(row.id, snapshot) : this.store.blocksOf(row.id);
    return `${row.length}:${blocks.map((b) => `${b.id}_${b.num_bytes}`).join(',')}`;
  }
}
