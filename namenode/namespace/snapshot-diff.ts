// snapshotDiff (HDFS's SnapshotDiffReport): what changed under a snapshottable directory between
// two snapshots, or a snapshot and the current state. Inodes are matched by id, so a move inside
// the directory is a rename (R), not a delete and a create; only the top of a created or deleted
// subtree is listed, as HDFS does; a directory whose entries or attributes changed is modified (M).

import type { InodeRow } from './store.js';
import type { SnapshotRow } from './snapshots.js';
import type { SnapshotView } from './snapshot-view.js';
import { INODE_DIRECTORY } from './schema.js';
import type { DiffEntry, DiffType } from '../../shared/protocol.js';


const TYPE_ORDER: Record<DiffType, number> = { MODIFY: 0, CREATE: 1, DELETE: 2, RENAME: 3 };

/** `./a/b` (or `.`) to HDFS's relative form `a/b` (or ''). */
const relative = (path: string): string => (path === '.' ? '' : path.slice(2));

function attributesOf(row: InodeRow): string {
  return JSON.stringify([row.owner, row.grp, row.perm, row.mtime, row.type === INODE_DIRECTORY ? 0 : row.replication]);
}

/** Each directory's entry names, joined in order, to compare a directory's entries at two points. */
function childNamesByParent(tree: Map<number, { row: InodeRow }>, rootId: number): Map<number, string> {
  const names = new Map<number, string[]>();
  for (const { row } of tree.values()) {
    if (row.id === rootId) continue;
    const list = names.get(row.parent);
    if (list) list.push(row.name);
    else names.set(row.parent, [row.name]);
  }
  return new Map([...names].map(([parent, list]) => [parent, list.sort().join('/')]));
}

export function snapshotDiff(view: SnapshotView, rootId: number, from: SnapshotRow | undefined, to: SnapshotRow | undefined): DiffEntry[] {
  const before = view.tree(rootId, from);
  const after = view.tree(rootId, to);
  const entries: DiffEntry[] = [];
  const namesBefore = childNamesByParent(before, rootId);
  const namesAfter = childNamesByParent(after, rootId);
  for (const [id, old] of before) {
    const now = after.get(id);
    if (!now) {
      // Only the top of a deleted subtree is listed.
      if (!before.has(old.row.parent) || after.has(old.row.parent) || id === rootId) entries.push({ type: 'DELETE', sourcePath: relative(old.path) });
      continue;
    }
    if (id !== rootId && (old.row.parent !== now.row.parent || old.row.name !== now.row.name)) {
      entries.push({ type: 'RENAME', sourcePath: relative(old.path), targetPath: relative(now.path) });
    }
    const changed =
      attributesOf(old.row) !== attributesOf(now.row) ||
      (old.row.type === INODE_DIRECTORY ? namesBefore.get(id) !== namesAfter.get(id) : view.contentKey(old.row, from) !== view.contentKey(now.row, to));
    if (changed) entries.push({ type: 'MODIFY', sourcePath: relative(now.path) });
  }
  for (const [id, now] of after) {
    if (before.has(id)) continue;
    if (!after.has(now.row.parent) || before.has(now.row.parent)) entries.push({ type: 'CREATE', sourcePath: relative(now.path) });
  }
  return entries.sort((a, b) => (a.sourcePath < b.sourcePath ? -1 : a.sourcePath > b.sourcePath ? 1 : TYPE_ORDER[a.type] - TYPE_ORDER[b.type]));
}
