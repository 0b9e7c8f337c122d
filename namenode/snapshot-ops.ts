// The namenode's snapshot operations (HDFS's FSNamesystem snapshot methods): the five changes go
// through the Raft log as commands (namespace/snapshots.ts applies them); the reads under
// `<dir>/.snapshot`, lsSnapshottableDir and snapshotDiff are answered from the local namespace
// through namespace/snapshot-view.ts.

import { DfsError, isDfsError } from '../shared/errors.js';
import { normalizePath, parentPath } from '../shared/paths.js';
import { LISTING_PAGE_ENTRIES_DEFAULT } from '../shared/constants.js';
import { defaultSnapshotName, splitSnapshotPath } from '../shared/snapshot-paths.js';
import type { ClientRequest, ClientResponse, DatanodeInfo, ExtendedBlock, FileStatus, LocatedBlock, ReadConsistency } from '../shared/protocol.js';
import type { NamespaceCommand } from './namespace/commands.js';
import { INODE_DIRECTORY, INODE_FILE } from './namespace/schema.js';
import { toExtendedBlock, type NamespaceStore } from './namespace/store.js';
import { snapshotSql } from './namespace/snapshots.js';
import { SnapshotView, type SnapshotTarget } from './namespace/snapshot-view.js';
import { snapshotDiff } from './namespace/snapshot-diff.js';
import { EXECUTE, PermissionChecker, READ } from './namespace/permissions.js';
import type { DatanodeManager } from './datanodes/datanode-manager.js';

type Caller = { user?: string; requestId?: { clientId: string; callId: number }; consistency?: ReadConsistency };

/** What the namesystem lends: its log, its read barrier and permission checks, block locations. */
export interface SnapshotHooks {
  submit<T>(command: NamespaceCommand): Promise<T>;
  readBarrier(request: { consistency?: ReadConsistency }): Promise<void>;
  checkRead(request: { user?: string }, path: string, self?: number): void;
  checkAs(request: { user?: string }): string | undefined;
  locate(block: ExtendedBlock): DatanodeInfo[];
  now(): number;
}

export class SnapshotOperations {
  readonly view: SnapshotView;
  private readonly store: NamespaceStore;
  private readonly datanodes: DatanodeManager;

  constructor(
    owner: { store: NamespaceStore; datanodes: DatanodeManager },
    private readonly hooks: SnapshotHooks,
  ) {
    this.store = owner.store;
    this.datanodes = owner.datanodes;
    this.view = new SnapshotView(owner.store);
  }

  // ---- changes --------------------------------------------------------------------------------

  async allowSnapshot(request: ClientRequest<'allowSnapshot'>): Promise<ClientResponse<'allowSnapshot'>> {
    await this.hooks.submit({ op: 'allowSnapshot', now: this.hooks.now(), request: request.requestId, path: normalizePath(request.path), user: this.hooks.checkAs(request) });
    return {};
  }

  async disallowSnapshot(request: ClientRequest<'disallowSnapshot'>): Promise<ClientResponse<'disallowSnapshot'>> {
    await this.hooks.submit({ op: 'disallowSnapshot', now: this.hooks.now(), request: request.requestId, path: normalizePath(request.path), user: this.hooks.checkAs(request) });
    return {};
  }

  async createSnapshot(request: ClientRequest<'createSnapshot'>): Promise<ClientResponse<'createSnapshot'>> {
    const now = this.hooks.now();
    const name = request.name ?? defaultSnapshotName(now);
    return this.hooks.submit({ op: 'createSnapshot', now, request: request.requestId, path: normalizePath(request.path), name, user: this.hooks.checkAs(request) });
  }

  async renameSnapshot(request: ClientRequest<'renameSnapshot'>): Promise<ClientResponse<'renameSnapshot'>> {
    await this.hooks.submit({
      op: 'renameSnapshot',
      now: this.hooks.now(),
      request: request.requestId,
      path: normalizePath(request.path),
      oldName: request.oldName,
      newName: request.newName,
      user: this.hooks.checkAs(request),
    });
    return {};
  }

  /** Deletes a snapshot; blocks only it read are deleted from the datanodes. */
  async deleteSnapshot(request: ClientRequest<'deleteSnapshot'>): Promise<ClientResponse<'deleteSnapshot'>> {
    const { freedBlocks } = await this.hooks.submit<{ freedBlocks: ExtendedBlock[] }>({
      op: 'deleteSnapshot',
      now: this.hooks.now(),
      request: request.requestId,
      path: normalizePath(request.path),
      name: request.name,
      user: this.hooks.checkAs(request),
    });
    // A replica may be newer than the stamp the snapshot read (appended to before the file went): delete what is stored.
    this.datanodes.invalidate(freedBlocks.map((block) => ({ ...block, genStamp: Math.max(block.genStamp, ...this.reportedGenStamps(block.blockId)) })));
    return {};
  }

  private reportedGenStamps(blockId: number): number[] {
    return this.datanodes
      .locations({ blockId, genStamp: 1, numBytes: 0 })
      .map((node) => node.replicas.get(blockId)?.genStamp ?? 0);
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** HDFS lists only the directories the caller owns, unless it is the superuser. */
  async getSnapshottableDirectoryList(request: ClientRequest<'getSnapshottableDirectoryList'>): Promise<ClientResponse<'getSnapshottableDirectoryList'>> {
    await this.hooks.readBarrier(request);
    const user = this.hooks.checkAs(request);
    const superuser = this.store.getState('superuser');
    const rows = snapshotSql(this.store).snapshottableDirs.all() as Array<{ inode: number; snapshot_quota: number; snapshots: number }>;
    const directories = [];
    for (const row of rows) {
      const inode = this.store.inode(row.inode);
      if (!inode || (user !== undefined && user !== superuser && user !== inode.owner)) continue;
      const path = this.store.pathOf(inode.id);
      directories.push({ status: this.store.toFileStatus(inode, path), parentFullPath: parentPath(path), snapshotNumber: row.snapshots, snapshotQuota: row.snapshot_quota });
    }
    return { directories };
  }

  /** snapshotDiff between two snapshots of `path`, '' or '.' meaning the current state. */
  async getSnapshotDiff(request: ClientRequest<'getSnapshotDiff'>): Promise<ClientResponse<'getSnapshotDiff'>> {
    const path = normalizePath(request.path);
    await this.hooks.readBarrier(request);
    this.hooks.checkRead(request, path, READ | EXECUTE);
    const dir = this.view.snapshottableDirectory(path);
    const current = (name: string) => name === '' || name === '.';
    const at = (name: string) => (current(name) ? undefined : this.view.snapshot(path, name).snapshot);
    const diffList = snapshotDiff(this.view, dir.id, at(request.fromSnapshot), at(request.toSnapshot));
    const shown = (name: string) => (current(name) ? '' : name);
    return { report: { snapshotRoot: path, fromSnapshot: shown(request.fromSnapshot), toSnapshot: shown(request.toSnapshot), diffList } };
  }

  /**
   * Resolves a `.snapshot` path after the read barrier, with HDFS's permission checks: traverse
   * down to the snapshottable directory as it is now, then the inodes below it as of the snapshot
   * (`self` on the last one; listing `.snapshot` itself needs `self` on the directory now).
   */
  private async target(request: Caller & { path: string }, self?: number): Promise<SnapshotTarget | undefined> {
    await this.hooks.readBarrier(request);
    const split = splitSnapshotPath(request.path);
    if (!split) throw new DfsError('Internal', `${request.path} is not a snapshot path`);
    this.hooks.checkRead(request, split.root);
    const target = this.view.resolve(request.path);
    const user = this.hooks.checkAs(request);
    if (target && user !== undefined) {
      const checker = new PermissionChecker(this.store, user);
      checker.checkChain(target.kind === 'snapshots' ? [{ row: target.dir, path: split.root }] : target.chain, self);
    }
    return target;
  }

  private statusOf(target: Extract<SnapshotTarget, { kind: 'inode' }>, path: string): FileStatus {
    const split = splitSnapshotPath(path)!;
    if (split.rest.length === 0) return this.view.snapshotRootStatus(split.root, target.snapshot);
    return this.view.status(target.row, target.snapshot, path);
  }

  /** A `.snapshot` below a directory that is not snapshottable does not exist (so `mkdir` gets the reserved-name error). */
  async getFileInfo(request: ClientRequest<'getFileInfo'> & { path: string }): Promise<ClientResponse<'getFileInfo'>> {
    let target: SnapshotTarget | undefined;
    try {
      target = await this.target(request);
    } catch (error) {
      if (isDfsError(error, 'Snapshot')) return { status: null };
      throw error;
    }
    if (!target) return { status: null };
    if (target.kind === 'snapshots') return { status: this.view.snapshotDirStatus(target.dir, target.dirPath) };
    return { status: this.statusOf(target, request.path) };
  }

  async listStatus(request: ClientRequest<'listStatus'> & { path: string }): Promise<ClientResponse<'listStatus'>> {
    const { path } = request;
    const target = await this.target(request, READ | EXECUTE);
    if (!target) throw new DfsError('FileNotFound', `File ${path} does not exist.`, { path });
    const limit = request.limit ?? LISTING_PAGE_ENTRIES_DEFAULT;
    const after = request.startAfter ?? '';
    let all: FileStatus[];
    if (target.kind === 'snapshots') {
      all = this.view
        .snapshotsOf(target.dir.id)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((snapshot) => this.view.snapshotRootStatus(target.dirPath, snapshot));
    } else if (target.row.type !== INODE_DIRECTORY) {
      return { entries: [this.statusOf(target, path)], remaining: 0 };
    } else {
      all = this.view.childrenAt(target.row.id, target.snapshot).map((child) => this.view.status(child, target.snapshot, `${path}/${child.name}`));
    }
    const nameOf = (status: FileStatus) => status.path.slice(status.path.lastIndexOf('/') + 1);
    const rest = all.filter((status) => nameOf(status) > after);
    return { entries: rest.slice(0, limit), remaining: Math.max(0, rest.length - limit) };
  }

  /** A file's blocks as of the snapshot, cut at its length then (later appends are not part of it). */
  async getBlockLocations(request: ClientRequest<'getBlockLocations'> & { path: string }): Promise<ClientResponse<'getBlockLocations'>> {
    const { path } = request;
    const target = await this.target(request, READ | EXECUTE);
    if (!target) throw new DfsError('FileNotFound', `File ${path} does not exist.`, { path });
    if (target.kind === 'snapshots' || target.row.type !== INODE_FILE) throw new DfsError('FileNotFound', `Path is not a file: ${path}`, { path });
    const { row, snapshot } = target;
    const offset = request.offset ?? 0;
    const end = offset + (request.length ?? Number.MAX_SAFE_INTEGER);
    const blocks: LocatedBlock[] = [];
    let blockOffset = 0;
    for (const blockRow of this.view.blocksAt(row.id, snapshot)) {
      if (blockOffset >= row.length) break;
      const block = { ...toExtendedBlock(blockRow), numBytes: Math.min(blockRow.num_bytes, row.length - blockOffset) };
      const blockEnd = blockOffset + block.numBytes;
      if (blockEnd > offset && blockOffset < end) blocks.push({ block, offset: blockOffset, locations: this.hooks.locate(block) });
      blockOffset = blockEnd;
    }
    return { located: { fileLength: row.length, underConstruction: false, blocks } };
  }

  async getContentSummary(request: ClientRequest<'getContentSummary'> & { path: string }): Promise<ClientResponse<'getContentSummary'>> {
    const { path } = request;
    const target = await this.target(request, READ | EXECUTE);
    if (!target) throw new DfsError('FileNotFound', `File ${path} does not exist.`, { path });
    const totals = { length: 0, fileCount: 0, directoryCount: 0, spaceConsumed: 0 };
    const entries = target.kind === 'snapshots'
      ? this.view.snapshotsOf(target.dir.id).flatMap((snapshot) => [...this.view.tree(snapshot.dir, snapshot).values()])
      : [...this.view.tree(target.row.id, target.snapshot).values()];
    if (target.kind === 'snapshots') totals.directoryCount++;
    for (const { row } of entries) {
      if (row.type === INODE_DIRECTORY) totals.directoryCount++;
      else {
        totals.fileCount++;
        totals.length += row.length;
        totals.spaceConsumed += row.length * row.replication;
      }
    }
    return { ...totals, quota: -1, spaceQuota: -1 };
  }
}
