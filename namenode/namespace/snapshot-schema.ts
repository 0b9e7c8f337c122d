// The snapshot tables and the copy-on-write triggers that fill them (HDFS's DirectoryDiff and
// FileDiff, kept in SQLite).
//
// A snapshot is one row: taking it copies nothing. It records the inode and block id high-water
// marks at that point (ids only grow, so anything with a larger id did not exist in it). When an
// inode or a block row that existed in the latest snapshot is changed, moved or deleted for the
// first time after that snapshot, a trigger keeps its previous state in `inode_versions` /
// `block_versions` under the latest snapshot's id. The state of a row as of snapshot S is its
// first version with snapshot id >= S, or the current row when there is none (see
// snapshot-view.ts). Triggers, rather than calls from each mutation, so that no write path can
// forget to keep what a snapshot needs. Versions are kept under the globally latest snapshot, so
// a subtree moved out of a snapshottable directory keeps its history too.

import type { Database } from 'better-sqlite3';

const INODE_COLUMNS = 'parent, name, type, owner, grp, perm, mtime, atime, replication, block_size, length';
const oldInodeColumns = INODE_COLUMNS.split(', ').map((column) => `OLD.${column}`).join(', ');

const LATEST_SNAPSHOT = '(SELECT id, inode_high, block_high FROM snapshots ORDER BY id DESC LIMIT 1) s';

const keepInode = `INSERT OR IGNORE INTO inode_versions (inode, snapshot_id, ${INODE_COLUMNS})
    SELECT OLD.id, s.id, ${oldInodeColumns} FROM ${LATEST_SNAPSHOT} WHERE OLD.id <= s.inode_high;`;
const keepBlock = `INSERT OR IGNORE INTO block_versions (block_id, snapshot_id, inode, seq, num_bytes, gen_stamp)
    SELECT OLD.id, s.id, OLD.inode, OLD.seq, OLD.num_bytes, OLD.gen_stamp FROM ${LATEST_SNAPSHOT} WHERE OLD.id <= s.block_high;`;

const SNAPSHOT_DDL = `
CREATE TABLE IF NOT EXISTS snapshottable_dirs (
  inode          INTEGER PRIMARY KEY,
  snapshot_quota INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS snapshots (
  id         INTEGER PRIMARY KEY,
  dir        INTEGER NOT NULL,
  name       TEXT    NOT NULL,
  ctime      INTEGER NOT NULL,
  -- Inode and block id high-water marks when the snapshot was taken.
  inode_high INTEGER NOT NULL,
  block_high INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS snapshots_by_dir_name ON snapshots (dir, name);

CREATE TABLE IF NOT EXISTS inode_versions (
  inode       INTEGER NOT NULL,
  snapshot_id INTEGER NOT NULL,
  parent      INTEGER NOT NULL,
  name        TEXT    NOT NULL,
  type        INTEGER NOT NULL,
  owner       TEXT    NOT NULL,
  grp         TEXT    NOT NULL,
  perm        INTEGER NOT NULL,
  mtime       INTEGER NOT NULL,
  atime       INTEGER NOT NULL,
  replication INTEGER NOT NULL,
  block_size  INTEGER NOT NULL,
  length      INTEGER NOT NULL,
  PRIMARY KEY (inode, snapshot_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS inode_versions_by_parent ON inode_versions (parent, name);
CREATE INDEX IF NOT EXISTS inode_versions_by_snapshot ON inode_versions (snapshot_id);

CREATE TABLE IF NOT EXISTS block_versions (
  block_id    INTEGER NOT NULL,
  snapshot_id INTEGER NOT NULL,
  inode       INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  num_bytes   INTEGER NOT NULL,
  gen_stamp   INTEGER NOT NULL,
  PRIMARY KEY (block_id, snapshot_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS block_versions_by_inode ON block_versions (inode);
CREATE INDEX IF NOT EXISTS block_versions_by_snapshot ON block_versions (snapshot_id);

CREATE TRIGGER IF NOT EXISTS inodes_keep_before_update BEFORE UPDATE ON inodes BEGIN ${keepInode} END;
CREATE TRIGGER IF NOT EXISTS inodes_keep_before_delete BEFORE DELETE ON inodes BEGIN ${keepInode} END;
CREATE TRIGGER IF NOT EXISTS blocks_keep_before_update BEFORE UPDATE ON blocks BEGIN ${keepBlock} END;
CREATE TRIGGER IF NOT EXISTS blocks_keep_before_delete BEFORE DELETE ON blocks BEGIN ${keepBlock} END;
`;

/** Creates the snapshot tables and triggers (idempotent, as the rest of the schema). */
export function migrateSnapshots(db: Database): void {
  db.exec(SNAPSHOT_DDL);
}
