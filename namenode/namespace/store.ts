// Opens the namespace database and owns its prepared statements and row shapes. Both the apply
// function (writes) and the read path use these; nothing else touches SQL.

import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { closeSync, copyFileSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { migrate, ROOT_INODE_ID, INODE_DIRECTORY } from './schema.js';
import { pathComponents } from '../../shared/paths.js';
import { DfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import type { ExtendedBlock, FileStatus } from '../../shared/protocol.js';

export interface InodeRow {
  id: number;
  parent: number;
  name: string;
  type: number;
  owner: string;
  grp: string;
  perm: number;
  mtime: number;
  atime: number;
  replication: number;
  block_size: number;
  length: number;
  lease_holder: string | null;
}

export interface BlockRow {
  id: number;
  inode: number;
  seq: number;
  num_bytes: number;
  gen_stamp: number;
}

/** Directories the walk cache holds before it starts over (a few MiB at most). */
const DIRECTORY_CACHE_ENTRIES_MAX = 10_000;

/** Pages (4 KiB) the snapshot backup copies per event-loop turn: about a millisecond each. */
const BACKUP_PAGES_PER_STEP = 256;

export type StateKey = 'applied_index' | 'applied_term' | 'inode_id_high' | 'block_id_high' | 'gen_stamp_high' | 'cluster_id' | 'superuser' | 'supergroup' | 'snapshot_id_high';

export class NamespaceStore {
  private database: Db;
  private statements: SqlStatements;
  /**
   * The state rows as last read or written on this connection: the apply function reads the id
   * high-water marks and the applied index for every command. Dropped when a transaction rolls back.
   */
  private readonly stateCache = new Map<StateKey, number | string | undefined>();
  /**
   * Directory rows by parent id and name, for walks between changes: reads (stat, list, open) walk
   * the same ancestors over and over, a SQLite lookup each. Emptied before and after every change
   * to the namespace (an apply batch, a snapshot install), and bypassed while one runs, so a row
   * here is always the row the database holds. Rows are frozen: a reader cannot alter them.
   */
  private readonly directoryCache = new Map<number, Map<string, InodeRow>>();
  private directoryCacheSize = 0;
  private cachedRoot: InodeRow | undefined;
  private changing = false;

  constructor(readonly file: string) {
    this.database = openDatabase(file);
    this.statements = prepareStatements(this.database);
  }

  get db(): Db {
    return this.database;
  }

  /**
   * Writes a consistent copy of the namespace (as of the last committed transaction) to `target`:
   * the bytes of a Raft snapshot.
   */
  copyTo(target: string): void {
    rmSync(target, { force: true });
    this.database.prepare('VACUUM INTO ?').run(target);
  }

  /**
   * Copies the namespace to `target` without holding the event loop: SQLite's online backup, a
   * bounded number of pages per turn, so Raft heartbeats and requests go on while a large namespace
   * is copied (VACUUM INTO held it for seconds, long enough to lose the leadership). Changes applied
   * meanwhile through this connection are carried into the copy, so the copy is the namespace as of
   * the end of the backup: its log position is read from the copy's own state table.
   */
  async backupTo(target: string): Promise<{ index: number; term: number }> {
    rmSync(target, { force: true });
    await this.database.backup(target, { progress: () => BACKUP_PAGES_PER_STEP });
    const copy = new Database(target);
    try {
      // A self-contained file (the source is in WAL mode), whatever opens it next.
      copy.pragma('journal_mode = DELETE');
      const read = (key: StateKey): number => {
        const row = copy.prepare('SELECT value FROM state WHERE key = ?').get(key) as { value: unknown } | undefined;
        return typeof row?.value === 'number' ? row.value : 0;
      };
      return { index: read('applied_index'), term: read('applied_term') };
    } finally {
      copy.close();
    }
  }

  /**
   * Replaces the whole namespace with a snapshot's copy (a follower installing the leader's
   * snapshot). The copy is staged beside the database and renamed over it, so a crash leaves
   * either the old or the new namespace, never a mix; the Raft log replays the rest.
   */
  replaceWith(snapshotFile: string, position: { index: number; term: number }): void {
    const staged = `${this.file}.installing`;
    copyFileSync(snapshotFile, staged);
    const fd = openSync(staged, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    this.database.close();
    rmSync(`${this.file}-wal`, { force: true });
    rmSync(`${this.file}-shm`, { force: true });
    renameSync(staged, this.file);
    this.database = openDatabase(this.file);
    this.statements = prepareStatements(this.database);
    this.stateCache.clear();
    this.forgetDirectories();
    this.setState('applied_index', position.index);
    this.setState('applied_term', position.term);
  }

  get sql(): SqlStatements {
    return this.statements;
  }

  close(): void {
    this.database.close();
  }

  getState(key: StateKey): number | string | undefined {
    if (this.stateCache.has(key)) return this.stateCache.get(key);
    const row = this.statements.getState.get(key) as { value: number | string } | undefined;
    this.stateCache.set(key, row?.value);
    return row?.value;
  }

  getNumber(key: StateKey): number {
    const value = this.getState(key);
    return typeof value === 'number' ? value : 0;
  }

  setState(key: StateKey, value: number | string): void {
    this.statements.setState.run(key, value);
    this.stateCache.set(key, value);
  }

  /** After a rollback: the cache may hold values the database no longer has. */
  forgetCachedState(): void {
    this.stateCache.clear();
  }

  /** Runs `change`, which may write inodes: walks inside it read the database, and the walk cache starts over. */
  changeNamespace<T>(change: () => T): T {
    assert(!this.changing, 'namespace changes do not nest');
    this.forgetDirectories();
    this.changing = true;
    try {
      return change();
    } finally {
      this.changing = false;
      this.forgetDirectories();
    }
  }

  private forgetDirectories(): void {
    this.directoryCache.clear();
    this.directoryCacheSize = 0;
    this.cachedRoot = undefined;
  }

  /** child(), through the walk cache for directories when no change is running. */
  private walkChild(parent: number, name: string): InodeRow | undefined {
    if (this.changing) return this.child(parent, name);
    const cached = this.directoryCache.get(parent)?.get(name);
    if (cached) return cached;
    const row = this.child(parent, name);
    if (row?.type === INODE_DIRECTORY) {
      if (this.directoryCacheSize >= DIRECTORY_CACHE_ENTRIES_MAX) this.forgetDirectories();
      let names = this.directoryCache.get(parent);
      if (!names) this.directoryCache.set(parent, (names = new Map()));
      names.set(name, Object.freeze(row));
      this.directoryCacheSize++;
    }
    return row;
  }

  private walkRoot(): InodeRow | undefined {
    if (this.changing) return this.inode(ROOT_INODE_ID);
    if (!this.cachedRoot) {
      const root = this.inode(ROOT_INODE_ID);
      this.cachedRoot = root && Object.freeze(root);
    }
    return this.cachedRoot;
  }

  get isFormatted(): boolean {
    return this.statements.inodeById.get(ROOT_INODE_ID) !== undefined;
  }

  inode(id: number): InodeRow | undefined {
    const values = this.statements.inodeById.get(id) as unknown[] | undefined;
    return values && toInodeRow(values);
  }

  /** An inode the caller knows exists (its absence is a bug). */
  existingInode(id: number): InodeRow {
    const row = this.inode(id);
    assert(row !== undefined, `inode ${id} does not exist`);
    return row;
  }

  child(parent: number, name: string): InodeRow | undefined {
    const values = this.statements.inodeByName.get(parent, name) as unknown[] | undefined;
    return values && toInodeRow(values);
  }

  /** Up to `limit` children of `parent` named after `after`, in name order. */
  children(parent: number, after: string, limit: number): InodeRow[] {
    return (this.statements.childrenAfter.all(parent, after, limit) as unknown[][]).map(toInodeRow);
  }

  /** Walks a path from the root; returns the inodes along it (root first) until the first missing one, and the inode at the path if found. */
  walk(path: string): { components: string[]; inodes: InodeRow[]; target: InodeRow | undefined } {
    const components = pathComponents(path);
    const root = this.walkRoot();
    if (!root) throw new DfsError('Unavailable', 'The namespace is not formatted yet');
    const inodes = [root];
    let current = root;
    for (const name of components) {
      if (current.type !== INODE_DIRECTORY) break;
      const next = this.walkChild(current.id, name);
      if (!next) break;
      inodes.push(next);
      current = next;
    }
    // The inode at `path` itself, when every component was found.
    return { components, inodes, target: inodes.length === components.length + 1 ? current : undefined };
  }

  /** The inode at `path`, or undefined when any component is missing or a non-directory is crossed. */
  resolve(path: string): InodeRow | undefined {
    return this.walk(path).target;
  }

  /** The absolute path of an inode, walking up its parents. */
  pathOf(inodeId: number): string {
    const names: string[] = [];
    let row = this.inode(inodeId);
    while (row && row.id !== ROOT_INODE_ID) {
      names.push(row.name);
      row = this.inode(row.parent);
    }
    return '/' + names.reverse().join('/');
  }

  blocksOf(inode: number): BlockRow[] {
    return this.statements.blocksOf.all(inode) as BlockRow[];
  }

  childCount(inode: number): number {
    return (this.statements.childCount.get(inode) as { n: number }).n;
  }

  toFileStatus(row: InodeRow, path: string): FileStatus {
    const isDirectory = row.type === INODE_DIRECTORY;
    return {
      path,
      fileId: row.id,
      type: isDirectory ? 'DIRECTORY' : 'FILE',
      length: isDirectory ? 0 : row.length,
      owner: row.owner,
      group: row.grp,
      permission: row.perm,
      modificationTime: row.mtime,
      accessTime: row.atime,
      replication: isDirectory ? 0 : row.replication,
      blockSize: isDirectory ? 0 : row.block_size,
      childrenNum: isDirectory ? this.childCount(row.id) : 0,
      underConstruction: row.lease_holder !== null,
    };
  }
}

export const toExtendedBlock = (row: BlockRow): ExtendedBlock => ({ blockId: row.id, genStamp: row.gen_stamp, numBytes: row.num_bytes });

function openDatabase(file: string): Db {
  const db = new Database(file);
  // WAL with synchronous=NORMAL: a crash keeps the database consistent but may lose the last
  // transactions on power loss. That is safe here: the Raft log already made every entry durable
  // and the applied index lives in the same transactions, so a restart re-applies what was lost
  // (or restores the latest snapshot if the log no longer reaches back that far).
  // One connection, one process owns the file: hold the lock for the connection's life instead of
  // taking and releasing fcntl locks (and mapping the -shm index) around every read statement;
  // path walks issue one statement per component, so that was ~5 system calls per lookup. Set
  // before WAL is entered, so the WAL index lives in heap memory rather than a shared -shm file.
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = OFF');
  migrate(db);
  return db;
}

/** The columns of InodeRow, in the order toInodeRow reads them. */
const INODE_COLUMNS = 'id, parent, name, type, owner, grp, perm, mtime, atime, replication, block_size, length, lease_holder';

/**
 * An inode row from a raw (array) result. Path walks and listings read rows all the time, and
 * better-sqlite3 builds an object row one property at a time (about 40% of a row's cost); an
 * object literal of a fixed shape is built at once. Raw statements are read only through the
 * store's methods, which convert.
 */
function toInodeRow(values: unknown[]): InodeRow {
  return {
    id: values[0] as number,
    parent: values[1] as number,
    name: values[2] as string,
    type: values[3] as number,
    owner: values[4] as string,
    grp: values[5] as string,
    perm: values[6] as number,
    mtime: values[7] as number,
    atime: values[8] as number,
    replication: values[9] as number,
    block_size: values[10] as number,
    length: values[11] as number,
    lease_holder: values[12] as string | null,
  };
}

/** Statements whose rows come back as arrays (see toInodeRow). */
const RAW_ROW_STATEMENTS: ReadonlySet<string> = new Set(['inodeById', 'inodeByName', 'childrenAfter']);

const STATEMENT_SQL = {
  getState: 'SELECT value FROM state WHERE key = ?',
  setState: 'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  inodeById: `SELECT ${INODE_COLUMNS} FROM inodes WHERE id = ?`,
  inodeByName: `SELECT ${INODE_COLUMNS} FROM inodes WHERE parent = ? AND name = ?`,
  childCount: 'SELECT count(*) AS n FROM inodes WHERE parent = ?',
  childrenAfter: `SELECT ${INODE_COLUMNS} FROM inodes WHERE parent = ? AND name > ? ORDER BY name LIMIT ?`,
  countChildrenAfter: 'SELECT count(*) AS n FROM inodes WHERE parent = ? AND name > ?',
  childIds: 'SELECT id, type FROM inodes WHERE parent = ?',
  insertInode: `INSERT INTO inodes (id, parent, name, type, owner, grp, perm, mtime, atime, replication, block_size, length, lease_holder)
      VALUES (@id, @parent, @name, @type, @owner, @grp, @perm, @mtime, @atime, @replication, @block_size, @length, @lease_holder)`,
  deleteInode: 'DELETE FROM inodes WHERE id = ?',
  moveInode: 'UPDATE inodes SET parent = ?, name = ? WHERE id = ?',
  touchDirectory: 'UPDATE inodes SET mtime = ? WHERE id = ?',
  setLength: 'UPDATE inodes SET length = ? WHERE id = ?',
  closeFile: 'UPDATE inodes SET lease_holder = NULL, length = ?, mtime = ? WHERE id = ?',
  setReplication: 'UPDATE inodes SET replication = ? WHERE id = ?',
  setPermission: 'UPDATE inodes SET perm = ? WHERE id = ?',
  setOwner: 'UPDATE inodes SET owner = coalesce(?, owner), grp = coalesce(?, grp) WHERE id = ?',
  setTimes: 'UPDATE inodes SET mtime = CASE WHEN ? >= 0 THEN ? ELSE mtime END, atime = CASE WHEN ? >= 0 THEN ? ELSE atime END WHERE id = ?',
  blocksOf: 'SELECT * FROM blocks WHERE inode = ? ORDER BY seq',
  insertBlock: 'INSERT INTO blocks (id, inode, seq, num_bytes, gen_stamp) VALUES (?, ?, ?, ?, ?)',
  updateBlock: 'UPDATE blocks SET num_bytes = ?, gen_stamp = ? WHERE id = ?',
  deleteBlocksOf: 'DELETE FROM blocks WHERE inode = ?',
  getBlock: 'SELECT * FROM blocks WHERE id = ?',
  deleteBlock: 'DELETE FROM blocks WHERE id = ?',
  /**
   * Every block but the one an open file is writing, with its file's target replication; then the
   * blocks only snapshots still read (snapshot-schema.ts), at the newest stamp a snapshot reads.
   */
  blocksWithReplication: `SELECT b.id, b.gen_stamp, b.num_bytes, i.replication FROM blocks b JOIN inodes i ON i.id = b.inode
    WHERE i.lease_holder IS NULL OR b.seq < (SELECT max(seq) FROM blocks WHERE inode = b.inode)
    UNION ALL
    SELECT v.block_id, max(v.gen_stamp), max(v.num_bytes),
      coalesce((SELECT replication FROM inodes WHERE id = v.inode), (SELECT max(replication) FROM inode_versions WHERE inode = v.inode), 1)
    FROM block_versions v WHERE NOT EXISTS (SELECT 1 FROM blocks WHERE id = v.block_id) GROUP BY v.block_id`,
  moveBlock: 'UPDATE blocks SET inode = ?, seq = ? WHERE id = ?',
  setLeaseHolder: 'UPDATE inodes SET lease_holder = ? WHERE id = ?',
  contentSummary: `WITH RECURSIVE subtree(id, type, length, replication) AS (
      SELECT id, type, length, replication FROM inodes WHERE id = ?
      UNION ALL SELECT i.id, i.type, i.length, i.replication FROM inodes i JOIN subtree s ON i.parent = s.id WHERE s.type = 1)
    SELECT coalesce(sum(CASE WHEN type = 2 THEN length ELSE 0 END), 0) AS length,
           coalesce(sum(type = 2), 0) AS files, coalesce(sum(type = 1), 0) AS directories,
           coalesce(sum(CASE WHEN type = 2 THEN length * replication ELSE 0 END), 0) AS consumed
    FROM subtree`,
  getRequest: 'SELECT result FROM client_requests WHERE client_id = ? AND call_id = ?',
  putRequest: 'INSERT INTO client_requests (client_id, call_id, log_index, result) VALUES (?, ?, ?, ?)',
  pruneRequests: 'DELETE FROM client_requests WHERE log_index < ?',
  allBlockIds: 'SELECT id, gen_stamp, num_bytes, inode FROM blocks',
  underConstruction: 'SELECT * FROM inodes WHERE lease_holder IS NOT NULL',
} as const;

export type SqlStatements = { [K in keyof typeof STATEMENT_SQL]: Statement };

function prepareStatements(db: Db): SqlStatements {
  const prepared = {} as Record<string, Statement>;
  for (const [name, sql] of Object.entries(STATEMENT_SQL)) {
    const statement = db.prepare(sql);
    prepared[name] = RAW_ROW_STATEMENTS.has(name) ? statement.raw(true) : statement;
  }
  return prepared as SqlStatements;
}
