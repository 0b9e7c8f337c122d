// The namespace's SQLite schema. Inodes form a tree through (parent, name); a file's blocks are an
// ordered list. `state` holds the applied log position and the id high-water marks, written in the
// same transaction as every change so a restart never applies an entry twice or skips one.

import type { Database } from 'better-sqlite3';
import { migrateSnapshots } from './snapshot-schema.js';
import { TOKENS_DDL } from './tokens.js';

export const SCHEMA_VERSION = 1;

export const ROOT_INODE_ID = 1;
/** Inode type codes stored in `inodes.type`. */
export const INODE_DIRECTORY = 1;
export const INODE_FILE = 2;

const DDL = `
CREATE TABLE IF NOT EXISTS inodes (
  id          INTEGER PRIMARY KEY,
  parent      INTEGER NOT NULL,
  name        TEXT    NOT NULL,
  type        INTEGER NOT NULL CHECK (type IN (1, 2)),
  owner       TEXT    NOT NULL,
  grp         TEXT    NOT NULL,
  perm        INTEGER NOT NULL,
  mtime       INTEGER NOT NULL,
  atime       INTEGER NOT NULL,
  replication INTEGER NOT NULL DEFAULT 0,
  block_size  INTEGER NOT NULL DEFAULT 0,
  length      INTEGER NOT NULL DEFAULT 0,
  -- Lease holder (HDFS clientName) while the file is under construction; NULL once complete.
  lease_holder TEXT
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS inodes_by_parent_name ON inodes (parent, name);
CREATE INDEX IF NOT EXISTS inodes_under_construction ON inodes (lease_holder) WHERE lease_holder IS NOT NULL;

CREATE TABLE IF NOT EXISTS blocks (
  id        INTEGER PRIMARY KEY,
  inode     INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  num_bytes INTEGER NOT NULL,
  gen_stamp INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS blocks_by_file ON blocks (inode, seq);

CREATE TABLE IF NOT EXISTS state (
  key   TEXT PRIMARY KEY,
  value ANY
) STRICT;

-- Results of client requests already applied, so a retried request is answered, not applied twice.
CREATE TABLE IF NOT EXISTS client_requests (
  client_id TEXT    NOT NULL,
  call_id   INTEGER NOT NULL,
  log_index INTEGER NOT NULL,
  result    TEXT    NOT NULL,
  PRIMARY KEY (client_id, call_id)
) STRICT;
CREATE INDEX IF NOT EXISTS client_requests_by_index ON client_requests (log_index);
`;

export function migrate(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`namespace database has schema version ${version}, newer than this dfs (${SCHEMA_VERSION}); upgrade dfs`);
  }
  db.exec(DDL);
  migrateSnapshots(db);
  db.exec(TOKENS_DDL);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
