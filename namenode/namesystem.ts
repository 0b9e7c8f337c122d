// The namenode's operations (HDFS's FSNamesystem): turns client requests into deterministic
// namespace commands, answers reads from the local namespace, and joins the namespace with the
// soft state about datanodes (placement, block locations, replica bookkeeping).

import type { Logger } from 'pino';
import { DfsError } from '../shared/errors.js';
import { normalizePath, pathComponents } from '../shared/paths.js';
import {
  BLOCK_SIZE_BYTES_DEFAULT,
  LISTING_PAGE_ENTRIES_DEFAULT,
  PERMISSION_DIR_DEFAULT,
  PERMISSION_FILE_DEFAULT,
  REPLICATION_DEFAULT,
  SUPERGROUP_DEFAULT,
} from '../shared/constants.js';
import type { ClientRequest, ClientResponse, DatanodeInfo, ExtendedBlock, FileStatus, LocatedBlock } from '../shared/protocol.js';
import { outcomeValue, type NamespaceStateMachine } from './namespace/apply.js';
import type { NamespaceCommand } from './namespace/commands.js';
import { INODE_DIRECTORY } from './namespace/schema.js';
import { toExtendedBlock, type InodeRow, type NamespaceStore, type StateKey } from './namespace/store.js';
import { restoreOrphanRange } from './namespace/image-format.js';
import type { NamespaceLog } from './namespace-log.js';
import type { DatanodeManager } from './datanodes/datanode-manager.js';
import { chooseTargets } from './datanodes/placement.js';
import type { DatanodeDescriptor } from './datanodes/datanode-manager.js';
import { LeaseManager, leaseLimitsDefault, type LeaseLimits } from './lease-manager.js';
import { EXECUTE, PermissionChecker, READ, WRITE } from './namespace/permissions.js';
import { readBlockRange } from '../client/blocks/block-reader.js';
import { assertWritablePath, splitSnapshotPath } from '../shared/snapshot-paths.js';
import { snapshotHeldGenStamp, snapshotsRead } from './namespace/snapshots.js';
import { SnapshotOperations } from './snapshot-ops.js';
import { BlockPipelineWriter } from '../client/blocks/block-writer.js';
import { testOnlyBug } from '../shared/test-only-bug.js';
import type { BlockTokenKey } from '../shared/block-token.js';

export interface NamesystemConfig {
  clusterId: string;
  superuser: string;
  defaultUser: string;
  defaultReplication: number;
  defaultBlockSize: number;
  /** How long complete() and addBlock() wait for a written block's first replica report. */
  replicaReportWaitMs: number;
  leaseLimits: LeaseLimits;
  /** HDFS dfs.permissions.enabled: check owners and rwx bits (the superuser passes every check). */
  permissionsEnabled: boolean;
}

export const namesystemDefaults = (superuser: string): NamesystemConfig => ({
  clusterId: 'dfs-local',
  superuser,
  defaultUser: 'dr.who',
  defaultReplication: REPLICATION_DEFAULT,
  defaultBlockSize: BLOCK_SIZE_BYTES_DEFAULT,
  replicaReportWaitMs: 10_000,
  leaseLimits: leaseLimitsDefault(),
  permissionsEnabled: true,
});

/** Next ids the leader hands out; re-read from the namespace whenever this node becomes leader. */
class IdAllocator {
  inode = 0;
  block = 0;
  genStamp = 0;

  resync(store: NamespaceStore): void {
    this.inode = store.getNumber('inode_id_high') + 1;
    // Block ids start high, as in HDFS, so they never look like small counters in logs.
    this.block = Math.max(store.getNumber('block_id_high') + 1, 1_073_741_825);
    this.genStamp = Math.max(store.getNumber('gen_stamp_high') + 1, 1001);
  }

  reserveInodes(count: number): number {
    const first = this.inode;
    this.inode += Math.max(count, 1);
    return first;
  }
}

export class Namesystem {
  private readonly ids = new IdAllocator();
  /** Pipeline targets of blocks being written, until datanodes report them (HDFS's expected locations). */
  private readonly expectedLocations = new Map<number, DatanodeInfo[]>();
  readonly leases: LeaseManager;
  /** Snapshot operations and every read under `<dir>/.snapshot` (snapshot-ops.ts). */
  readonly snapshots: SnapshotOperations;
  /** Signs the block tokens of the blocks the namenode itself copies (truncate); set by the server. */
  blockTokens: BlockTokenKey | undefined;

  constructor(
    readonly store: NamespaceStore,
    readonly stateMachine: NamespaceStateMachine,
    readonly log: NamespaceLog,
    readonly datanodes: DatanodeManager,
    readonly config: NamesystemConfig,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.leases = new LeaseManager(config.leaseLimits, clock);
    this.snapshots = new SnapshotOperations(this, {
      submit: (command) => this.submit(command),
      readBarrier: (request) => this.readBarrier(request),
      checkRead: (request, path, self) => this.checkRead(request, path, self),
      checkAs: (request) => this.checkAs(request),
      locate: (block) => this.locate(block),
      now: () => this.clock(),
    });
  }

  /** Formats an empty namespace and prepares id allocation; call once this node leads. */
  async becomeLeader(): Promise<void> {
    if (!this.store.isFormatted) {
      const command: NamespaceCommand = {
        op: 'format',
        now: this.clock(),
        clusterId: this.config.clusterId,
        superuser: this.config.superuser,
        supergroup: SUPERGROUP_DEFAULT,
      };
      outcomeValue(await this.log.submit(command));
      this.logger.info({ clusterId: this.config.clusterId }, 'formatted a new namespace');
    }
    this.ids.resync(this.store);
    this.leases.restartAll();
  }

  get clusterId(): string {
    const stored = this.store.getState('cluster_id');
    return typeof stored === 'string' ? stored : this.config.clusterId;
  }

  private user(request: { user?: string }): string {
    return request.user ?? this.config.defaultUser;
  }

  /** The identity permission checks run for, or undefined when checks are off. */
  private checkAs(request: { user?: string }): string | undefined {
    return this.config.permissionsEnabled ? this.user(request) : undefined;
  }

  /** Read-side permission check (writes are checked in the apply function). */
  private checkRead(request: { user?: string }, path: string, self?: number): void {
    const user = this.checkAs(request);
    if (user !== undefined) new PermissionChecker(this.store, user).check(path, { self });
  }

  private async submit<T>(command: NamespaceCommand): Promise<T> {
    if (!this.log.isLeader) throw new DfsError('NotLeader', 'This namenode is not the leader', { role: this.log.role });
    return outcomeValue<T>(await this.log.submit(command));
  }

  // ---- reads ----------------------------------------------------------------------------------

  async getFileInfo(request: ClientRequest<'getFileInfo'>): Promise<ClientResponse<'getFileInfo'>> {
    const path = normalizePath(request.path);
    if (splitSnapshotPath(path)) return this.snapshots.getFileInfo({ ...request, path });
    await this.readBarrier(request);
    this.checkRead(request, path);
    const row = this.store.resolve(path);
    return { status: row ? this.store.toFileStatus(row, path) : null };
  }

  async listStatus(request: ClientRequest<'listStatus'>): Promise<ClientResponse<'listStatus'>> {
    const path = normalizePath(request.path);
    if (splitSnapshotPath(path)) return this.snapshots.listStatus({ ...request, path });
    await this.readBarrier(request);
    const row = this.requireExisting(path);
    this.checkRead(request, path, row.type === INODE_DIRECTORY ? READ | EXECUTE : undefined);
    if (row.type !== INODE_DIRECTORY) return { entries: [this.store.toFileStatus(row, path)], remaining: 0 };
    const limit = request.limit ?? LISTING_PAGE_ENTRIES_DEFAULT;
    const after = request.startAfter ?? '';
    const rows = this.store.children(row.id, after, limit);
    const entries = rows.map((child) => this.store.toFileStatus(child, path === '/' ? `/${child.name}` : `${path}/${child.name}`));
    const lastName = rows.length > 0 ? rows[rows.length - 1].name : after;
    const remaining = rows.length < limit ? 0 : (this.store.sql.countChildrenAfter.get(row.id, lastName) as { n: number }).n;
    return { entries, remaining };
  }

  async getBlockLocations(request: ClientRequest<'getBlockLocations'>): Promise<ClientResponse<'getBlockLocations'>> {
    const path = normalizePath(request.path);
    if (splitSnapshotPath(path)) return this.snapshots.getBlockLocations({ ...request, path });
    await this.readBarrier(request);
    const row = this.requireExisting(path);
    if (row.type === INODE_DIRECTORY) throw new DfsError('FileNotFound', `Path is not a file: ${path}`, { path });
    this.checkRead(request, path, READ);
    const offset = request.offset ?? 0;
    const end = offset + (request.length ?? Number.MAX_SAFE_INTEGER);
    const blocks: LocatedBlock[] = [];
    let blockOffset = 0;
    for (const blockRow of this.store.blocksOf(row.id)) {
      const block = toExtendedBlock(blockRow);
      const blockEnd = blockOffset + block.numBytes;
      if (blockEnd > offset && blockOffset < end) blocks.push({ block, offset: blockOffset, locations: this.locate(block) });
      blockOffset = blockEnd;
    }
    return { located: { fileLength: row.length, underConstruction: row.lease_holder !== null, blocks } };
  }

  private locate(block: ExtendedBlock): DatanodeInfo[] {
    const reported = this.datanodes.locations(block).map((node) => node.info);
    if (reported.length > 0) return reported;
    return this.expectedLocations.get(block.blockId) ?? [];
  }

  private async readBarrier(request: { consistency?: 'linearizable' | 'stale' }): Promise<void> {
    // TEST ONLY (shared/test-only-bug.ts): the planted stale-read bug skips the barrier.
    if (request.consistency !== 'stale' && testOnlyBug !== 'stale-read') await this.log.readBarrier();
  }

  private requireExisting(path: string): InodeRow {
    const row = this.store.resolve(path);
    if (!row) throw new DfsError('FileNotFound', `File ${path} does not exist.`, { path });
    return row;
  }

  // ---- writes ---------------------------------------------------------------------------------

  async mkdirs(request: ClientRequest<'mkdirs'>): Promise<ClientResponse<'mkdirs'>> {
    const path = normalizePath(request.path);
    return this.submit({
      op: 'mkdirs',
      now: this.clock(),
      request: request.requestId,
      user: this.user(request),
      checkAs: this.checkAs(request),
      path,
      permission: request.permission ?? PERMISSION_DIR_DEFAULT,
      createParent: request.createParent ?? true,
      firstInodeId: this.ids.reserveInodes(pathComponents(path).length),
    });
  }

  async create(request: ClientRequest<'create'>): Promise<ClientResponse<'create'>> {
    const path = normalizePath(request.path);
    const existing = this.store.resolve(path);
    if (existing?.lease_holder && existing.lease_holder !== request.clientName && !this.leases.softLimitExpired(existing.lease_holder)) {
      throw new DfsError(
        'AlreadyBeingCreated',
        `Failed to CREATE_FILE ${path} for ${request.clientName} because this file lease is currently owned by ${existing.lease_holder}`,
        { path, holder: existing.lease_holder },
      );
    }
    if (!request.closed) this.leases.renew(request.clientName);
    const replication = request.replication ?? this.config.defaultReplication;
    // A writer with data gets its first block with the file: fails whole (no file) when no datanode can take it.
    const targets = request.allocateBlock && !request.closed ? this.blockTargets(path, replication, []) : undefined;
    const result = await this.submit<{ status: FileStatus; removedBlocks: ExtendedBlock[]; block?: ExtendedBlock }>({
      op: 'create',
      now: this.clock(),
      request: request.requestId,
      user: this.user(request),
      checkAs: this.checkAs(request),
      path,
      clientName: request.clientName,
      overwrite: request.overwrite ?? false,
      createParent: request.createParent ?? true,
      permission: request.permission ?? PERMISSION_FILE_DEFAULT,
      replication,
      blockSize: request.blockSize ?? this.config.defaultBlockSize,
      firstInodeId: this.ids.reserveInodes(pathComponents(path).length),
      ...(request.closed ? { closed: true } : {}),
      ...(targets ? { firstBlock: { blockId: this.ids.block++, genStamp: this.ids.genStamp++ } } : {}),
    });
    this.datanodes.invalidate(result.removedBlocks);
    if (!result.block || !targets) return { status: result.status };
    return { status: result.status, located: this.allocated(path, result.block, 0, targets) };
  }

  /** The pipeline for a new block of `path`, or HDFS's error when no datanode can take it. */
  private blockTargets(path: string, replication: number, excludeNodes: string[]): DatanodeDescriptor[] {
    const targets = chooseTargets({ replication, candidates: this.datanodes.writable(), exclude: new Set(excludeNodes), random: this.random });
    if (targets.length === 0) {
      const totals = this.datanodes.totals();
      throw new DfsError(
        'NoDatanodes',
        `File ${path} could only be written to 0 of the 1 minReplication nodes. There are ${totals.live} datanode(s) running and ${excludeNodes.length} node(s) are excluded in this operation.`,
        { path },
      );
    }
    return targets;
  }

  /** Remembers where a committed new block goes until its replicas report, and logs it as HDFS does. */
  private allocated(path: string, block: ExtendedBlock, offset: number, targets: DatanodeDescriptor[]): LocatedBlock {
    const locations = targets.map((node) => node.info);
    this.expectedLocations.set(block.blockId, locations);
    // HDFS's state change log: one line per block allocated and per file closed (with the request id).
    this.logger.info({ path, blockId: block.blockId, genStamp: block.genStamp, targets: locations.map((l) => l.url) }, 'BLOCK* allocate');
    return { block, offset, locations };
  }

  async addBlock(request: ClientRequest<'addBlock'>): Promise<ClientResponse<'addBlock'>> {
    const path = normalizePath(request.path);
    const file = this.requireExisting(path);
    this.leases.renew(request.clientName);
    if (request.previous) await this.awaitReplica(request.previous, path);
    const targets = this.blockTargets(path, file.replication, request.excludeNodes ?? []);
    const result = await this.submit<{ block: ExtendedBlock; offset: number }>({
      op: 'addBlock',
      now: this.clock(),
      request: request.requestId,
      path,
      clientName: request.clientName,
      previous: request.previous,
      blockId: this.ids.block++,
      genStamp: this.ids.genStamp++,
    });
    if (request.previous) this.expectedLocations.delete(request.previous.blockId);
    return { located: this.allocated(path, result.block, result.offset, targets) };
  }

  async complete(request: ClientRequest<'complete'>): Promise<ClientResponse<'complete'>> {
    const path = normalizePath(request.path);
    if (request.last) await this.awaitReplica(request.last, path);
    const result = await this.submit<{ status: FileStatus }>({
      op: 'complete',
      now: this.clock(),
      request: request.requestId,
      path,
      clientName: request.clientName,
      last: request.last,
    });
    if (request.last) this.expectedLocations.delete(request.last.blockId);
    this.logger.info({ path, clientName: request.clientName, length: result.status.length }, 'DIR* completeFile: closed');
    return result;
  }

  /** A block is committed only once a datanode reported a finalized replica (HDFS's minimal replication). */
  private async awaitReplica(block: ExtendedBlock, path: string): Promise<void> {
    if (await this.datanodes.waitForReplica(block, this.config.replicaReportWaitMs)) return;
    throw new DfsError('NotReplicatedYet', `Not replicated yet: block ${block.blockId} of ${path} has no reported replica`, {
      path,
      blockId: block.blockId,
    });
  }

  async delete(request: ClientRequest<'delete'>): Promise<ClientResponse<'delete'>> {
    const path = normalizePath(request.path);
    const result = await this.submit<{ deleted: boolean; removedBlocks: ExtendedBlock[] }>({
      op: 'delete',
      now: this.clock(),
      request: request.requestId,
      checkAs: this.checkAs(request),
      path,
      recursive: request.recursive ?? false,
    });
    this.datanodes.invalidate(result.removedBlocks);
    return { deleted: result.deleted };
  }

  async rename(request: ClientRequest<'rename'>): Promise<ClientResponse<'rename'>> {
    const result = await this.submit<{ renamed: boolean }>({
      op: 'rename',
      now: this.clock(),
      request: request.requestId,
      checkAs: this.checkAs(request),
      src: normalizePath(request.src),
      dst: normalizePath(request.dst),
    });
    return { renamed: result.renamed };
  }

  async renewLease(request: ClientRequest<'renewLease'>): Promise<ClientResponse<'renewLease'>> {
    this.leases.renew(request.clientName);
    return { renewed: true };
  }

  /** Files being written, with their lease holders (for the lease monitor). */
  filesUnderConstruction(): Array<{ path: string; holder: string }> {
    return (this.store.sql.underConstruction.all() as InodeRow[]).map((row) => ({ path: this.store.pathOf(row.id), holder: row.lease_holder! }));
  }

  /**
   * Closes a file whose writer is gone: its last block keeps the length its finalized replicas
   * report (a datanode finalizes only a fully received, fsynced block); a last block no datanode
   * finalized held nothing acknowledged and is dropped.
   */
  async recoverLease(path: string, holder: string): Promise<void> {
    const file = this.requireExisting(path);
    const blocks = this.store.blocksOf(file.id);
    const last = blocks[blocks.length - 1];
    let lastBlock: ExtendedBlock | null | undefined;
    if (last) {
      // Never below what the namespace committed (a reopened block's replay may have been cut
      // short), nor under a stamp older than the namespace's.
      const replicas = this.datanodes
        .locations(toExtendedBlock(last))
        .map((node) => node.replicas.get(last.id))
        .filter((replica) => replica !== undefined)
        .filter((replica) => replica.numBytes >= last.num_bytes && replica.genStamp >= last.gen_stamp);
      lastBlock = replicas.length === 0 ? null : {
        blockId: last.id,
        genStamp: Math.max(...replicas.map((r) => r.genStamp)),
        numBytes: Math.min(...replicas.map((r) => r.numBytes)),
      };
    }
    await this.submit({ op: 'recoverLease', now: this.clock(), path, holder, lastBlock });
    this.leases.forget(holder);
    if (last) this.expectedLocations.delete(last.id);
  }

  /**
   * Pipeline recovery (the client's side is client/blocks/recoverable-writer.ts): the block being
   * written gets a new generation stamp and a fresh pipeline without the failed nodes.
   */
  async updatePipeline(request: ClientRequest<'updatePipeline'>): Promise<ClientResponse<'updatePipeline'>> {
    const path = normalizePath(request.path);
    const file = this.requireExisting(path);
    const excluded = request.excludeNodes ?? [];
    const targets = chooseTargets({
      replication: file.replication,
      candidates: this.datanodes.writable(),
      exclude: new Set(excluded),
      random: this.random,
    });
    if (targets.length === 0) {
      throw new DfsError('NoDatanodes', `No datanode left to recover the pipeline of block ${request.block.blockId} of ${path}; ${excluded.length} node(s) excluded`, {
        path,
        blockId: request.block.blockId,
        excludeNodes: excluded,
      });
    }
    const result = await this.submit<{ block: ExtendedBlock; offset: number }>({
      op: 'updatePipeline',
      now: this.clock(),
      request: request.requestId,
      path,
      clientName: request.clientName,
      blockId: request.block.blockId,
      oldGenStamp: request.block.genStamp,
      newGenStamp: this.ids.genStamp++,
    });
    const locations = targets.map((node) => node.info);
    this.expectedLocations.set(result.block.blockId, locations);
    this.logger.info(
      { path, blockId: result.block.blockId, oldGenStamp: request.block.genStamp, genStamp: result.block.genStamp, excluded, targets: locations.map((l) => l.url) },
      'pipeline recovery: block restarts with a new generation stamp',
    );
    return { located: { block: result.block, offset: result.offset, locations } };
  }

  async setPermission(request: ClientRequest<'setPermission'>): Promise<ClientResponse<'setPermission'>> {
    await this.submit({ op: 'setPermission', now: this.clock(), request: request.requestId, path: normalizePath(request.path), permission: request.permission, user: this.user(request) });
    return {};
  }

  async setOwner(request: ClientRequest<'setOwner'>): Promise<ClientResponse<'setOwner'>> {
    if (request.owner === undefined && request.group === undefined) throw new DfsError('IllegalArgument', 'setOwner needs an owner or a group');
    await this.submit({ op: 'setOwner', now: this.clock(), request: request.requestId, path: normalizePath(request.path), owner: request.owner, group: request.group, user: this.user(request) });
    return {};
  }

  async setTimes(request: ClientRequest<'setTimes'>): Promise<ClientResponse<'setTimes'>> {
    await this.submit({ op: 'setTimes', now: this.clock(), request: request.requestId, checkAs: this.checkAs(request), path: normalizePath(request.path), modificationTime: request.modificationTime, accessTime: request.accessTime });
    return {};
  }

  async getContentSummary(request: ClientRequest<'getContentSummary'>): Promise<ClientResponse<'getContentSummary'>> {
    const path = normalizePath(request.path);
    if (splitSnapshotPath(path)) return this.snapshots.getContentSummary({ ...request, path });
    await this.readBarrier(request);
    const row = this.requireExisting(path);
    // HDFS's subAccess: the totals say something about every directory below, so each must be readable.
    const user = this.checkAs(request);
    if (user !== undefined) new PermissionChecker(this.store, user).check(path, { subtree: READ | EXECUTE });
    const totals = this.store.sql.contentSummary.get(row.id) as { length: number; files: number; directories: number; consumed: number };
    return {
      length: totals.length,
      fileCount: totals.files,
      directoryCount: totals.directories,
      spaceConsumed: totals.consumed,
      quota: -1,
      spaceQuota: -1,
    };
  }

  async setReplication(request: ClientRequest<'setReplication'>): Promise<ClientResponse<'setReplication'>> {
    const result = await this.submit<{ changed: boolean }>({
      op: 'setReplication',
      now: this.clock(),
      request: request.requestId,
      checkAs: this.checkAs(request),
      path: normalizePath(request.path),
      replication: request.replication,
    });
    return { changed: result.changed };
  }

  /**
   * HDFS append: reopens the file under the caller's lease. A last block that is not full comes
   * back twice: where it is stored now (`lastBlock`, to copy from) and as `continuation`, the same
   * block under a new generation stamp with a fresh pipeline that the writer fills with the old
   * bytes and then the new ones (see client/blocks and datanode/webhdfs/append-stream.ts).
   */
  async append(request: ClientRequest<'append'>): Promise<ClientResponse<'append'>> {
    const path = normalizePath(request.path);
    assertWritablePath(path);
    const existing = this.requireExisting(path);
    const targets = chooseTargets({ replication: Math.max(existing.replication, 1), candidates: this.datanodes.writable(), exclude: new Set(), random: this.random });
    if (targets.length === 0) {
      throw new DfsError('NoDatanodes', `Cannot append to ${path}: there are ${this.datanodes.totals().live} datanode(s) running and none can take a block`, { path });
    }
    this.leases.renew(request.clientName);
    const result = await this.submit<{ status: FileStatus; lastBlock: ExtendedBlock | null; offset: number; genStamp: number }>({
      op: 'append',
      now: this.clock(),
      request: request.requestId,
      checkAs: this.checkAs(request),
      path,
      clientName: request.clientName,
      newGenStamp: this.ids.genStamp++,
    });
    const { lastBlock, offset, status } = result;
    if (!lastBlock) return { status, lastBlock: null, continuation: null };
    const located: LocatedBlock = { block: lastBlock, offset, locations: this.locate(lastBlock) };
    if (lastBlock.numBytes >= status.blockSize) return { status, lastBlock: located, continuation: null };
    const locations = targets.map((node) => node.info);
    this.expectedLocations.set(lastBlock.blockId, locations);
    return { status, lastBlock: located, continuation: { block: { blockId: lastBlock.blockId, genStamp: result.genStamp, numBytes: 0 }, offset, locations } };
  }

  async concat(request: ClientRequest<'concat'>): Promise<ClientResponse<'concat'>> {
    if (request.sources.length === 0) throw new DfsError('IllegalArgument', 'concat: no source files given');
    await this.submit({
      op: 'concat',
      now: this.clock(),
      request: request.requestId,
      checkAs: this.checkAs(request),
      target: normalizePath(request.target),
      sources: request.sources.map((source) => normalizePath(source)),
    });
    return {};
  }

  /**
   * HDFS truncate. A cut on a block boundary only drops blocks. A cut inside a block is done by
   * copy, not by HDFS's in-place replica recovery: the leader reads the kept prefix of that block
   * from a replica and writes it through a fresh pipeline as the same block under a new generation
   * stamp (at most one block, streamed), waits for a replica report, then commits the cut. Older
   * replicas, longer than the file now says, are deleted by block-report reconciliation.
   */
  async truncate(request: ClientRequest<'truncate'>): Promise<ClientResponse<'truncate'>> {
    const path = normalizePath(request.path);
    assertWritablePath(path);
    const file = this.requireExisting(path);
    const command = { op: 'truncate' as const, request: request.requestId, checkAs: this.checkAs(request), path, newLength: request.newLength };
    if (file.type === INODE_DIRECTORY || file.lease_holder !== null || request.newLength >= file.length) {
      // Nothing to copy: the apply function answers (errors, or a no-op when the length is already right).
      if (request.newLength === file.length && file.type !== INODE_DIRECTORY && file.lease_holder === null) {
        const user = this.checkAs(request);
        if (user !== undefined) new PermissionChecker(this.store, user).check(path, { self: WRITE });
        return { done: true };
      }
      await this.submit({ ...command, now: this.clock() });
      return { done: true };
    }
    let offset = 0;
    let cut: { block: ExtendedBlock; offset: number } | undefined;
    for (const row of this.store.blocksOf(file.id)) {
      if (offset < request.newLength && offset + row.num_bytes > request.newLength) cut = { block: toExtendedBlock(row), offset };
      offset += row.num_bytes;
    }
    if (!cut) {
      await this.submit({ ...command, now: this.clock() });
      return { done: true };
    }
    const user = this.checkAs(request);
    if (user !== undefined) new PermissionChecker(this.store, user).check(path, { self: WRITE });
    const keepBytes = request.newLength - cut.offset;
    const targets = chooseTargets({ replication: file.replication, candidates: this.datanodes.writable(), exclude: new Set(), random: this.random });
    if (targets.length === 0) throw new DfsError('NoDatanodes', `Cannot truncate ${path}: no datanode can take the cut block`, { path });
    // Copy-on-truncate: a block a snapshot reads keeps its bytes; the kept prefix becomes a new block.
    const copyOnTruncate = snapshotsRead(this.store, cut.block.blockId);
    const newBlock = { blockId: copyOnTruncate ? this.ids.block++ : cut.block.blockId, genStamp: this.ids.genStamp++, numBytes: 0 };
    const writer = BlockPipelineWriter.open({ block: newBlock, offset: cut.offset, locations: targets.map((node) => node.info), blockToken: this.blockTokens?.sign({ blockId: newBlock.blockId, mode: 'write', user: this.config.superuser }) });
    // A new block's replicas are reported before the truncate commits it: not orphans meanwhile.
    if (copyOnTruncate) this.expectedLocations.set(newBlock.blockId, targets.map((node) => node.info));
    try {
      const source: LocatedBlock = { block: cut.block, offset: cut.offset, locations: this.locate(cut.block), blockToken: this.blockTokens?.sign({ blockId: cut.block.blockId, mode: 'read', user: this.config.superuser }) };
      for await (const piece of readBlockRange(source, 0, keepBytes)) await writer.write(piece);
      const { block } = await writer.finish();
      await this.awaitReplica(block, path);
      await this.submit({ ...command, now: this.clock(), cutBlock: block, expectedGenStamp: cut.block.genStamp });
    } catch (error) {
      await writer.abort(error as Error);
      throw error;
    } finally {
      if (copyOnTruncate) this.expectedLocations.delete(newBlock.blockId);
    }
    this.logger.info({ path, newLength: request.newLength, blockId: newBlock.blockId, cutBlockId: cut.block.blockId, copyOnTruncate, keptBytes: keepBytes }, 'truncated inside a block by copying its kept prefix');
    return { done: true };
  }

  /**
   * Incremental report: records what a datanode received or removed. A received replica of no file,
   * or with an older generation stamp than the namespace's (a pipeline that was recovered), is deleted.
   */
  processIncrementalReport(uuid: string, received: ExtendedBlock[], deleted: ExtendedBlock[]): void {
    let obsolete: ExtendedBlock[] = [];
    for (const block of received) {
      this.datanodes.replicaReceived(uuid, block);
      const expected = this.expectedGenStamp(block.blockId);
      if (expected === undefined ? !this.expectedLocations.has(block.blockId) : expected > block.genStamp) obsolete.push(block);
    }
    for (const block of deleted) {
      this.datanodes.replicaRemoved(uuid, block.blockId);
      this.datanodes.orphans.removed(uuid, block.blockId);
    }
    obsolete = this.holdRestoreOrphans(uuid, obsolete);
    if (obsolete.length > 0 && this.log.isLeader) {
      this.logger.info({ datanode: uuid, blocks: obsolete.map((b) => `blk_${b.blockId}_${b.genStamp}`) }, 'deleting stale or orphan replicas');
      this.datanodes.queueDeletes(uuid, obsolete);
    }
  }

  // ---- datanode reports -----------------------------------------------------------------------

  /**
   * The generation stamp a replica of `blockId` needs to be kept: the live file's (never older than
   * a stamp a snapshot kept), else the newest one a snapshot reads; undefined for an orphan.
   */
  private expectedGenStamp(blockId: number): number | undefined {
    const row = this.store.sql.getBlock.get(blockId) as { gen_stamp: number } | undefined;
    return row ? row.gen_stamp : snapshotHeldGenStamp(this.store, blockId);
  }

  /**
   * After a restore from an image, replicas of blocks the old cluster allocated after the image are
   * not deleted with the other obsolete ones: they are tracked as orphans, reported, and deleted by
   * the replication monitor after the grace period (namenode/datanodes/orphan-blocks.ts).
   */
  private holdRestoreOrphans(uuid: string, obsolete: ExtendedBlock[]): ExtendedBlock[] {
    const range = restoreOrphanRange((key) => this.store.getState(key as StateKey));
    if (!range || obsolete.length === 0) return obsolete;
    const rest: ExtendedBlock[] = [];
    const held: string[] = [];
    for (const block of obsolete) {
      const orphan = block.blockId > range.floor && block.blockId <= range.ceiling && this.expectedGenStamp(block.blockId) === undefined;
      if (!orphan) rest.push(block);
      else if (this.datanodes.orphans.add(uuid, block)) held.push(`blk_${block.blockId}_${block.genStamp}`);
    }
    if (held.length > 0) {
      this.logger.warn({ datanode: uuid, count: held.length, blocks: held.slice(0, 20), graceMs: this.datanodes.orphans.graceMs }, 'replicas unknown to the restored namespace: kept for the orphan grace period');
    }
    return rest;
  }

  /** Reconciles a full block report: replicas of no file, or of an older generation, are deleted. */
  processBlockReport(uuid: string, blocks: ExtendedBlock[]): boolean {
    if (!this.datanodes.fullReport(uuid, blocks)) return false;
    let obsolete: ExtendedBlock[] = [];
    for (const block of blocks) {
      const expected = this.expectedGenStamp(block.blockId);
      if (expected === undefined ? !this.expectedLocations.has(block.blockId) : expected > block.genStamp) obsolete.push(block);
    }
    obsolete = this.holdRestoreOrphans(uuid, obsolete);
    if (obsolete.length > 0 && this.log.isLeader) {
      this.logger.info({ datanode: uuid, count: obsolete.length }, 'deleting replicas that belong to no file');
      this.datanodes.queueDeletes(uuid, obsolete);
    }
    return true;
  }
}
