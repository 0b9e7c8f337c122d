// HDFS permission checks (FSPermissionChecker): POSIX-style rwx bits for owner, group and others on
// every inode, the superuser (the user running the namenode) exempt. Both the apply function
// (writes, so every replica reaches the same verdict) and the namesystem's read path use these.
//
// Group membership: dfs has no group mapping service, so a user belongs only to the group that
// carries its own name (HDFS with simple authentication asks the namenode host's OS instead).

import { DfsError } from '../../shared/errors.js';
import { parentPath } from '../../shared/paths.js';
import { INODE_DIRECTORY } from './schema.js';
import type { InodeRow, NamespaceStore } from './store.js';

export const READ = 4;
export const WRITE = 2;
export const EXECUTE = 1;
const STICKY_BIT = 0o1000;

const ACTION_NAMES: Record<number, string> = {
  [READ]: 'READ',
  [WRITE]: 'WRITE',
  [EXECUTE]: 'EXECUTE',
  [READ | EXECUTE]: 'READ_EXECUTE',
  [WRITE | EXECUTE]: 'WRITE_EXECUTE',
  [READ | WRITE]: 'READ_WRITE',
  [READ | WRITE | EXECUTE]: 'ALL',
};

/** `drwxr-xr-t` as HDFS prints an inode's mode in its messages. */
export function modeString(row: Pick<InodeRow, 'type' | 'perm'>): string {
  const bits = 'rwxrwxrwx';
  let out = row.type === INODE_DIRECTORY ? 'd' : '-';
  for (let i = 0; i < 9; i++) out += row.perm & (1 << (8 - i)) ? bits[i] : '-';
  if (row.perm & STICKY_BIT) out = out.slice(0, 9) + (row.perm & EXECUTE ? 't' : 'T');
  return out;
}

export interface AccessRequest {
  /** Needed on the deepest existing ancestor of the path (create, mkdirs: WRITE). */
  ancestor?: number;
  /** Needed on the parent directory (delete, rename: WRITE, with the sticky-bit rule). */
  parent?: number;
  /** Needed on the inode itself (open: READ, listing: READ_EXECUTE, setTimes: WRITE). */
  self?: number;
  /**
   * Needed on every non-empty directory of the subtree, the inode included (recursive delete:
   * rwx, HDFS's subAccess), so nobody removes what lies in directories they cannot change.
   */
  subtree?: number;
}

/** Directories of a subtree checked at most; a larger tree is checked by the superuser's delete. */
const SUBTREE_DIRECTORIES_MAX = 1_000_000;

export class PermissionChecker {
  constructor(
    private readonly store: NamespaceStore,
    readonly user: string,
  ) {}

  get isSuperuser(): boolean {
    return this.user === this.store.getState('superuser');
  }

  /** HDFS checkPermission: EXECUTE on every directory crossed, then what `access` asks for. */
  check(path: string, access: AccessRequest = {}): void {
    if (this.isSuperuser) return;
    const { components, inodes } = this.store.walk(path);
    const exists = inodes.length === components.length + 1;
    // Traverse: every existing ancestor directory (not the inode itself).
    const ancestors = exists ? inodes.slice(0, -1) : inodes;
    for (let i = 0; i < ancestors.length; i++) {
      if (ancestors[i].type === INODE_DIRECTORY) this.require(ancestors[i], EXECUTE, '/' + components.slice(0, i).join('/'));
    }
    if (access.ancestor !== undefined) {
      const deepest = exists ? inodes[inodes.length - 2] ?? inodes[0] : inodes[inodes.length - 1];
      const depth = exists ? inodes.length - 2 : inodes.length - 1;
      this.require(deepest, access.ancestor, '/' + components.slice(0, Math.max(depth, 0)).join('/'));
    }
    if (access.parent !== undefined && exists && inodes.length >= 2) {
      const parent = inodes[inodes.length - 2];
      this.require(parent, access.parent, parentPath(path));
      const self = inodes[inodes.length - 1];
      if (parent.perm & STICKY_BIT && this.user !== parent.owner && this.user !== self.owner) {
        throw new DfsError('AccessControl', `Permission denied by sticky bit: user=${this.user}, path="${path}":${self.owner}:${self.grp}:${modeString(self)}, parent="${parentPath(path)}":${parent.owner}:${parent.grp}:${modeString(parent)}`, { path, user: this.user });
      }
    }
    if (access.self !== undefined && exists) this.require(inodes[inodes.length - 1], access.self, path);
    if (access.subtree !== undefined && exists) this.requireSubtree(inodes[inodes.length - 1], path, access.subtree);
  }

  private requireSubtree(root: InodeRow, path: string, action: number): void {
    if (root.type !== INODE_DIRECTORY) return;
    const children = this.store.db.prepare('SELECT * FROM inodes WHERE parent = ? AND type = ?');
    const hasChildren = this.store.db.prepare('SELECT 1 FROM inodes WHERE parent = ? LIMIT 1');
    const pending: Array<{ row: InodeRow; path: string }> = [{ row: root, path }];
    let visited = 0;
    while (pending.length > 0) {
      const { row, path: dirPath } = pending.pop()!;
      if (++visited > SUBTREE_DIRECTORIES_MAX) {
        throw new DfsError('AccessControl', `Permission denied: ${path} holds more than ${SUBTREE_DIRECTORIES_MAX} directories to check; only the superuser may delete it`, { path });
      }
      if (hasChildren.get(row.id) === undefined) continue; // HDFS ignores empty directories here
      this.require(row, action, dirPath);
      for (const child of children.all(row.id, INODE_DIRECTORY) as InodeRow[]) pending.push({ row: child, path: `${dirPath === '/' ? '' : dirPath}/${child.name}` });
    }
  }

  /**
   * The same rules on inodes resolved elsewhere (a path read as of a snapshot): EXECUTE on every
   * directory of `chain` but the last, then `self` on the last.
   */
  checkChain(chain: Array<{ row: InodeRow; path: string }>, self?: number): void {
    if (this.isSuperuser) return;
    for (const { row, path } of chain.slice(0, -1)) if (row.type === INODE_DIRECTORY) this.require(row, EXECUTE, path);
    const last = chain[chain.length - 1];
    if (self !== undefined && last) this.require(last.row, self, last.path);
  }

  /** Only the owner or the superuser may change an inode's mode or times. */
  requireOwner(row: InodeRow, path: string): void {
    if (this.isSuperuser || this.user === row.owner) return;
    throw new DfsError('AccessControl', `Permission denied. user=${this.user} is not the owner of inode=${path}`, { path, user: this.user });
  }

  private require(row: InodeRow, action: number, path: string): void {
    const granted = this.user === row.owner ? (row.perm >> 6) & 7 : this.user === row.grp ? (row.perm >> 3) & 7 : row.perm & 7;
    if ((granted & action) === action) return;
    throw new DfsError(
      'AccessControl',
      `Permission denied: user=${this.user}, access=${ACTION_NAMES[action]}, inode="${path || '/'}":${row.owner}:${row.grp}:${modeString(row)}`,
      { path: path || '/', user: this.user },
    );
  }
}
