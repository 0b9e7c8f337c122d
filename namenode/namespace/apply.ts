// The one function that changes the namespace: apply committed log entries, each in its own
// savepoint, all of a batch in one SQLite transaction that also records the applied index.
// Every check that decides a command's outcome happens here, against the state at its log
// position, so all replicas reach the same answer.

import { DfsError, isDfsError, type ErrorKind } from '../../shared/errors.js';
import { baseName, isAncestorOrSelf, joinPath, parentPath } from '../../shared/paths.js';
import type { ExtendedBlock } from '../../shared/protocol.js';
import { assert, unreachable } from '../../shared/assert.js';
import { INODE_DIRECTORY, INODE_FILE, ROOT_INODE_ID } from './schema.js';
import type { Database, Transaction } from 'better-sqlite3';
import { NamespaceStore, toExtendedBlock, type InodeRow } from './store.js';
import type { ApplyOutcome, CommandOf, NamespaceCommand } from './commands.js';
import { EXECUTE, PermissionChecker, READ, WRITE, type AccessRequest } from './permissions.js';
import { SnapshotManager, refuseSnapshotChanges } from './snapshots.js';
import { applyCreateToken, applyRevokeToken } from './tokens.js';

/** Entries whose client results are kept for de-duplicating retries (a retry older than this is rare). */
const CLIENT_REQUEST_WINDOW_ENTRIES = 200_000;
const CLIENT_REQUEST_PRUNE_EVERY_ENTRIES = 4096;

export interface LogPosition {
  index: number;
  term: number;
}

export interface CommittedCommand extends LogPosition {
  /** null for entries that carry no command (a new leader's no-op). */
  command: NamespaceCommand | null;
}

/** The transaction functions of one database connection: a batch of entries, one command's savepoint. */
interface ApplyTransactions {
  db: Database;
  batch: Transaction<(batch: CommittedCommand[]) => ApplyOutcome[]>;
  savepoint: Transaction<(command: NamespaceCommand) => unknown>;
}

export class NamespaceStateMachine {
  private readonly snapshots: SnapshotManager;
  private cachedTransactions: ApplyTransactions | null = null;

  constructor(readonly store: NamespaceStore) {
    this.snapshots = new SnapshotManager(store);
  }

  get appliedIndex(): number {
    return this.store.getNumber('applied_index');
  }

  get appliedTerm(): number {
    return this.store.getNumber('applied_term');
  }

  /**
   * Applies a batch of committed entries in one transaction. Entries at or below the applied index
   * are skipped (a replay after restart); a gap is a bug and stops the node.
   */
  applyBatch(entries: CommittedCommand[]): ApplyOutcome[] {
    try {
      return this.store.changeNamespace(() => this.transactions().batch.immediate(entries));
    } catch (error) {
      this.store.forgetCachedState(); // the transaction rolled back
      throw error;
    }
  }

  /**
   * better-sqlite3 builds a transaction function's wrappers on every db.transaction() call (tens of
   * microseconds): build them once per database connection (a snapshot install opens a new one).
   */
  private transactions(): ApplyTransactions {
    const db = this.store.db;
    if (this.cachedTransactions?.db !== db) {
      this.cachedTransactions = {
        db,
        batch: db.transaction((batch: CommittedCommand[]) => this.applyInTransaction(batch)),
        savepoint: db.transaction((command: NamespaceCommand) => this.dispatch(command)),
      };
    }
    return this.cachedTransactions;
  }

  private applyInTransaction(batch: CommittedCommand[]): ApplyOutcome[] {
    const outcomes: ApplyOutcome[] = [];
    let applied = this.appliedIndex;
    for (const entry of batch) {
      if (entry.index <= applied) {
        outcomes.push({ ok: false, error: { kind: 'Internal', message: `entry ${entry.index} already applied` } });
        continue;
      }
      assert(entry.index === applied + 1, `apply gap: applied ${applied}, next entry ${entry.index}`);
      outcomes.push(entry.command ? this.applyOne(entry.index, entry.command) : { ok: true, value: null });
      applied = entry.index;
      if (applied % CLIENT_REQUEST_PRUNE_EVERY_ENTRIES === 0) {
        this.store.sql.pruneRequests.run(applied - CLIENT_REQUEST_WINDOW_ENTRIES);
      }
    }
    const last = batch[batch.length - 1];
    if (last && last.index === applied) {
      this.store.setState('applied_index', last.index);
      this.store.setState('applied_term', last.term);
    }
    return outcomes;
  }

  private applyOne(index: number, command: NamespaceCommand): ApplyOutcome {
    const sql = this.store.sql;
    if (command.request) {
      const previous = sql.getRequest.get(command.request.clientId, command.request.callId) as { result: string } | undefined;
      if (previous) return JSON.parse(previous.result) as ApplyOutcome;
    }
    let outcome: ApplyOutcome;
    try {
      // A nested transaction is a savepoint: a command that fails leaves no trace.
      const value = this.transactions().savepoint(command);
      outcome = { ok: true, value: value ?? null };
    } catch (error) {
      this.store.forgetCachedState(); // the savepoint rolled back
      if (!isDfsError(error)) throw error; // not a deterministic rejection: a bug; stop applying
      outcome = { ok: false, error: { kind: error.kind, message: error.message, details: error.details } };
    }
    if (command.request) sql.putRequest.run(command.request.clientId, command.request.callId, index, JSON.stringify(outcome));
    return outcome;
  }

  private dispatch(command: NamespaceCommand): unknown {
    refuseSnapshotChanges(command);
    switch (command.op) {
      case 'format':
        return this.format(command);
      case 'mkdirs':
        return this.mkdirs(command);
      case 'create':
        return this.create(command);
      case 'addBlock':
        return this.addBlock(command);
      case 'complete':
        return this.complete(command);
      case 'recoverLease':
        return this.recoverLease(command);
      case 'updatePipeline':
        return this.updatePipeline(command);
      case 'delete':
        return this.delete(command);
      case 'rename':
        return this.rename(command);
      case 'append':
        return this.append(command);
      case 'concat':
        return this.concat(command);
      case 'truncate':
        return this.truncate(command);
      case 'setReplication':
        this.checkAccess(command.checkAs, command.path, { self: WRITE });
        return this.updateInode(command.path, (row) => {
          if (row.type !== INODE_FILE) return { changed: false };
          this.store.sql.setReplication.run(command.replication, row.id);
          return { changed: true };
        });
      case 'setPermission':
        return this.updateInode(command.path, (row) => {
          this.requireOwnerOrSuperuser(row, command.user, command.path);
          this.store.sql.setPermission.run(command.permission, row.id);
          return null;
        });
      case 'setOwner':
        return this.updateInode(command.path, (row) => {
          if (command.user !== undefined && command.user !== this.store.getState('superuser')) {
            if (command.owner !== undefined && command.owner !== row.owner) {
              throw new DfsError('AccessControl', `Permission denied. user=${command.user} is not the superuser and cannot change the owner of ${command.path}`, { path: command.path });
            }
            this.requireOwnerOrSuperuser(row, command.user, command.path);
          }
          this.store.sql.setOwner.run(command.owner ?? null, command.group ?? null, row.id);
          return null;
        });
      case 'setTimes':
        this.checkAccess(command.checkAs, command.path, { self: WRITE });
        return this.updateInode(command.path, (row) => {
          const { modificationTime: m, accessTime: a } = command;
          this.store.sql.setTimes.run(m, m, a, a, row.id);
          return null;
        });
      case 'allowSnapshot':
        return this.snapshots.allow(command);
      case 'disallowSnapshot':
        return this.snapshots.disallow(command);
      case 'createSnapshot':
        return this.snapshots.create(command);
      case 'deleteSnapshot':
        return this.snapshots.delete(command);
      case 'renameSnapshot':
        return this.snapshots.rename(command);
      case 'createToken':
        return applyCreateToken(this.store, command);
      case 'revokeToken':
        return applyRevokeToken(this.store, command);
      default:
        return unreachable(command, 'namespace command');
    }
  }

  private format(command: CommandOf<'format'>): unknown {
    if (this.store.isFormatted) throw new DfsError('IllegalArgument', 'The namespace is already formatted');
    this.store.sql.insertInode.run(newInode(ROOT_INODE_ID, 0, '', INODE_DIRECTORY, command.superuser, command.supergroup, 0o755, command.now));
    this.store.setState('cluster_id', command.clusterId);
    this.store.setState('superuser', command.superuser);
    this.store.setState('supergroup', command.supergroup);
    this.store.setState('inode_id_high', ROOT_INODE_ID);
    return null;
  }

  /** Allocates the ids the leader reserved for this command, checking they were never used. */
  private reserveInodeIds(firstInodeId: number, count: number): () => number {
    const high = this.store.getNumber('inode_id_high');
    assert(firstInodeId > high, `inode id ${firstInodeId} reused (high-water mark ${high})`);
    this.store.setState('inode_id_high', firstInodeId + Math.max(count, 1) - 1);
    let next = firstInodeId;
    return () => {
      assert(next < firstInodeId + Math.max(count, 1), 'more inode ids used than reserved');
      return next++;
    };
  }

  /**
   * Resolves the parent directory of `path`, creating missing ones when `createParent` is set.
   * `inodes` is the caller's walk of the same path when nothing changed the tree since.
   */
  private parentDirectory(
    path: string,
    components: string[],
    createParent: boolean,
    owner: { user: string; now: number },
    nextId: () => number,
    inodes: InodeRow[] = this.store.walk(path).inodes,
  ): InodeRow {
    const depthFound = inodes.length - 1;
    const deepest = inodes[inodes.length - 1];
    const parentDepth = components.length - 1;
    if (depthFound < parentDepth && deepest.type !== INODE_DIRECTORY) {
      throw new DfsError('ParentNotDirectory', `Parent path is not a directory: ${'/' + components.slice(0, depthFound).join('/')}`, { path });
    }
    if (depthFound >= parentDepth) {
      const parent = inodes[parentDepth];
      if (parent.type !== INODE_DIRECTORY) {
        throw new DfsError('ParentNotDirectory', `Parent path is not a directory: ${parentPath(path)}`, { path });
      }
      return parent;
    }
    if (!createParent) throw new DfsError('FileNotFound', `Parent directory doesn't exist: ${parentPath(path)}`, { path });
    let parent = deepest;
    for (let depth = depthFound; depth < parentDepth; depth++) {
      const id = nextId();
      this.store.sql.insertInode.run(newInode(id, parent.id, components[depth], INODE_DIRECTORY, owner.user, parent.grp, 0o755, owner.now));
      this.store.sql.touchDirectory.run(owner.now, parent.id);
      parent = this.store.existingInode(id);
    }
    return parent;
  }

  private mkdirs(command: CommandOf<'mkdirs'>): { created: boolean } {
    const walked = this.store.walk(command.path);
    const { components, target: existing } = walked;
    this.checkAccess(command.checkAs, command.path, existing ? {} : { ancestor: WRITE });
    if (existing) {
      if (existing.type === INODE_DIRECTORY) return { created: false };
      throw new DfsError('FileAlreadyExists', `Path is not a directory: ${command.path}`, { path: command.path });
    }
    const nextId = this.reserveInodeIds(command.firstInodeId, components.length);
    // Nothing changed the tree since the walk (ids are reserved in the state table): reuse it.
    const parent = this.parentDirectory(command.path, components, command.createParent, command, nextId, walked.inodes);
    const name = components[components.length - 1];
    this.store.sql.insertInode.run(newInode(nextId(), parent.id, name, INODE_DIRECTORY, command.user, parent.grp, command.permission, command.now));
    this.store.sql.touchDirectory.run(command.now, parent.id);
    return { created: true };
  }

  private create(command: CommandOf<'create'>): { status: unknown; removedBlocks: ExtendedBlock[]; block?: ExtendedBlock } {
    const walked = this.store.walk(command.path);
    const { components, target: existing } = walked;
    if (components.length === 0) throw new DfsError('FileAlreadyExists', '/ already exists as a directory', { path: '/' });
    this.checkAccess(command.checkAs, command.path, existing && command.overwrite ? { ancestor: WRITE, self: WRITE } : { ancestor: WRITE });
    let removedBlocks: ExtendedBlock[] = [];
    if (existing) {
      if (existing.type === INODE_DIRECTORY) {
        throw new DfsError('FileAlreadyExists', `${command.path} already exists as a directory`, { path: command.path });
      }
      if (!command.overwrite) {
        throw new DfsError('FileAlreadyExists', `${command.path} for client ${command.clientName} already exists`, { path: command.path });
      }
      removedBlocks = this.removeSubtree(existing);
    }
    const nextId = this.reserveInodeIds(command.firstInodeId, components.length);
    // The walk still holds unless an overwritten file was removed since.
    const parent = this.parentDirectory(command.path, components, command.createParent, command, nextId, existing ? undefined : walked.inodes);
    const id = nextId();
    this.store.sql.insertInode.run({
      ...newInode(id, parent.id, components[components.length - 1], INODE_FILE, command.user, parent.grp, command.permission, command.now),
      replication: command.replication,
      block_size: command.blockSize,
      lease_holder: command.closed ? null : command.clientName,
    });
    this.store.sql.touchDirectory.run(command.now, parent.id);
    const row = this.store.existingInode(id);
    const status = this.store.toFileStatus(row, command.path);
    if (!command.firstBlock) return { status, removedBlocks };
    if (command.closed) throw new DfsError('IllegalArgument', `${command.path}: a file created closed has no block to write`, { path: command.path });
    return { status, removedBlocks, block: this.insertNewBlock(id, 0, command.firstBlock) };
  }

  /** The file at `path` under construction by `clientName`, or the HDFS lease error. */
  private fileUnderLease(path: string, clientName: string): InodeRow {
    const row = this.store.resolve(path);
    if (!row) throw new DfsError('FileNotFound', `File does not exist: ${path} (inode not found)`, { path });
    if (row.type !== INODE_FILE) throw new DfsError('FileNotFound', `Path is not a file: ${path}`, { path });
    if (row.lease_holder === null) {
      throw new DfsError('LeaseExpired', `No lease on ${path}: file is not open for writing`, { path, clientName });
    }
    if (row.lease_holder !== clientName) {
      throw new DfsError('LeaseExpired', `Lease mismatch on ${path}: owned by ${row.lease_holder} but written by ${clientName}`, {
        path,
        clientName,
        holder: row.lease_holder,
      });
    }
    return row;
  }

  /** Records the final length of the file's last block, which the client names to prove it wrote it. */
  private commitLastBlock(file: InodeRow, path: string, block: ExtendedBlock | undefined): number {
    const blocks = this.store.blocksOf(file.id);
    const last = blocks[blocks.length - 1];
    if (!last) {
      if (block) throw new DfsError('IllegalArgument', `Block ${block.blockId} does not belong to ${path}: it has no blocks`, { path });
      return 0;
    }
    if (!block || block.blockId !== last.id) {
      throw new DfsError('IllegalArgument', `Last block of ${path} is ${last.id}, client named ${block?.blockId ?? 'none'}`, { path });
    }
    if (block.numBytes > file.block_size) {
      throw new DfsError('IllegalArgument', `Block ${block.blockId} length ${block.numBytes} exceeds block size ${file.block_size}`, { path });
    }
    if (block.genStamp < last.gen_stamp) {
      throw new DfsError('IllegalArgument', `Block ${block.blockId} generation stamp ${block.genStamp} is older than ${last.gen_stamp}`, { path });
    }
    this.store.sql.updateBlock.run(block.numBytes, block.genStamp, last.id);
    const length = blocks.slice(0, -1).reduce((sum, b) => sum + b.num_bytes, 0) + block.numBytes;
    this.store.sql.setLength.run(length, file.id);
    return length;
  }

  private addBlock(command: CommandOf<'addBlock'>): { block: ExtendedBlock; offset: number } {
    const file = this.fileUnderLease(command.path, command.clientName);
    const blocks = this.store.blocksOf(file.id);
    const offset = blocks.length === 0 ? 0 : this.commitLastBlock(file, command.path, command.previous);
    if (command.previous && command.previous.numBytes !== file.block_size) {
      throw new DfsError('IllegalArgument', `Block ${command.previous.blockId} is not full (${command.previous.numBytes} of ${file.block_size} bytes); only a file's last block may be shorter`, { path: command.path });
    }
    return { block: this.insertNewBlock(file.id, blocks.length, command), offset };
  }

  /** Appends an empty block to a file under ids the leader chose, which must be new. */
  private insertNewBlock(fileId: number, seq: number, ids: { blockId: number; genStamp: number }): ExtendedBlock {
    const blockHigh = this.store.getNumber('block_id_high');
    const stampHigh = this.store.getNumber('gen_stamp_high');
    assert(ids.blockId > blockHigh, `block id ${ids.blockId} reused (high-water mark ${blockHigh})`);
    assert(ids.genStamp > stampHigh, `generation stamp ${ids.genStamp} reused (high-water mark ${stampHigh})`);
    this.store.setState('block_id_high', ids.blockId);
    this.store.setState('gen_stamp_high', ids.genStamp);
    this.store.sql.insertBlock.run(ids.blockId, fileId, seq, 0, ids.genStamp);
    return { blockId: ids.blockId, genStamp: ids.genStamp, numBytes: 0 };
  }

  /**
   * Restarts the file's last block under a new generation stamp: its length goes back to 0 (the
   * client replays the block's bytes into the new pipeline) and older replicas become stale. A block
   * reopened by append keeps its committed length and stamp until the append commits it.
   */
  private updatePipeline(command: CommandOf<'updatePipeline'>): { block: ExtendedBlock; offset: number } {
    const file = this.fileUnderLease(command.path, command.clientName);
    const blocks = this.store.blocksOf(file.id);
    const last = blocks[blocks.length - 1];
    if (!last || last.id !== command.blockId) {
      throw new DfsError('IllegalArgument', `Block ${command.blockId} is not the block being written to ${command.path} (last is ${last?.id ?? 'none'})`, {
        path: command.path,
        blockId: command.blockId,
      });
    }
    if (last.gen_stamp !== command.oldGenStamp) {
      throw new DfsError('IllegalArgument', `Block ${command.blockId} has generation stamp ${last.gen_stamp}, client named ${command.oldGenStamp}`, {
        path: command.path,
        blockId: command.blockId,
      });
    }
    const stampHigh = this.store.getNumber('gen_stamp_high');
    assert(command.newGenStamp > stampHigh, `generation stamp ${command.newGenStamp} reused (high-water mark ${stampHigh})`);
    this.store.setState('gen_stamp_high', command.newGenStamp);
    // A block reopened by append still holds committed bytes: its replicas keep serving them to
    // readers (and to lease recovery) until the new ones are committed; only a fresh block restarts.
    if (last.num_bytes === 0) this.store.sql.updateBlock.run(0, command.newGenStamp, last.id);
    const offset = blocks.slice(0, -1).reduce((sum, b) => sum + b.num_bytes, 0);
    return { block: { blockId: last.id, genStamp: command.newGenStamp, numBytes: 0 }, offset };
  }

  private complete(command: CommandOf<'complete'>): { status: unknown } {
    const file = this.fileUnderLease(command.path, command.clientName);
    const length = this.commitLastBlock(file, command.path, command.last);
    this.store.sql.closeFile.run(length, command.now, file.id);
    return { status: this.store.toFileStatus(this.store.existingInode(file.id), command.path) };
  }

  private recoverLease(command: CommandOf<'recoverLease'>): { status: unknown } {
    const file = this.fileUnderLease(command.path, command.holder);
    let length: number;
    if (command.lastBlock === null) {
      const blocks = this.store.blocksOf(file.id);
      const last = blocks.pop();
      if (last) this.store.sql.deleteBlock.run(last.id);
      length = blocks.reduce((sum, block) => sum + block.num_bytes, 0);
    } else {
      length = this.commitLastBlock(file, command.path, command.lastBlock);
    }
    this.store.sql.closeFile.run(length, command.now, file.id);
    return { status: this.store.toFileStatus(this.store.existingInode(file.id), command.path) };
  }

  /** Removes an inode and everything below it; returns the blocks that no longer belong to any file. */
  private removeSubtree(root: InodeRow): ExtendedBlock[] {
    const removed: ExtendedBlock[] = [];
    const pending: Array<{ id: number; type: number }> = [{ id: root.id, type: root.type }];
    while (pending.length > 0) {
      const inode = pending.pop()!;
      if (inode.type === INODE_FILE) {
        for (const block of this.store.blocksOf(inode.id)) removed.push(toExtendedBlock(block));
        this.store.sql.deleteBlocksOf.run(inode.id);
      } else {
        pending.push(...(this.store.sql.childIds.all(inode.id) as Array<{ id: number; type: number }>));
      }
      this.store.sql.deleteInode.run(inode.id);
    }
    // Blocks a snapshot still reads stay on the datanodes until that snapshot is deleted.
    return this.snapshots.unheld(removed);
  }

  private delete(command: CommandOf<'delete'>): { deleted: boolean; removedBlocks: ExtendedBlock[] } {
    const row = this.store.resolve(command.path);
    if (!row) return { deleted: false, removedBlocks: [] };
    if (row.id === ROOT_INODE_ID) throw new DfsError('IllegalArgument', 'Cannot delete the root directory /', { path: '/' });
    this.checkAccess(command.checkAs, command.path, { parent: WRITE, subtree: READ | WRITE | EXECUTE });
    if (row.type === INODE_DIRECTORY && !command.recursive && this.store.childCount(row.id) > 0) {
      throw new DfsError('PathIsNotEmptyDirectory', `\`${command.path} is non empty': Directory is not empty`, { path: command.path });
    }
    this.snapshots.checkDeletable(row, command.path);
    const removedBlocks = this.removeSubtree(row);
    this.snapshots.forgetDeletedDirectories();
    this.store.sql.touchDirectory.run(command.now, row.parent);
    return { deleted: true, removedBlocks };
  }

  /**
   * HDFS rename: into a directory when the destination is one; an existing file destination, a
   * missing destination parent, or moving a directory under itself is refused.
   */
  private rename(command: CommandOf<'rename'>): { renamed: boolean; dst: string } {
    const { src } = command;
    const source = this.store.resolve(src);
    this.checkAccess(command.checkAs, src, { parent: WRITE });
    if (!source) throw new DfsError('FileNotFound', `Source ${src} does not exist`, { path: src });
    if (source.id === ROOT_INODE_ID) throw new DfsError('IllegalArgument', 'Cannot rename the root directory', { path: src });
    this.snapshots.checkDeletable(source, src, 'renamed');
    let dst = command.dst;
    const target = this.store.resolve(dst);
    if (target && target.type === INODE_DIRECTORY) dst = joinPath(dst, baseName(src));
    if (dst === src) return { renamed: true, dst };
    const dstParentPath = parentPath(dst);
    const dstParent = this.store.resolve(dstParentPath);
    if (!dstParent) throw new DfsError('FileNotFound', `Destination parent ${dstParentPath} does not exist`, { src, dst });
    if (dstParent.type !== INODE_DIRECTORY) {
      throw new DfsError('ParentNotDirectory', `Destination parent ${dstParentPath} is a file`, { src, dst });
    }
    if (isAncestorOrSelf(src, dst)) {
      throw new DfsError('Io', `Cannot move ${src} to a subdirectory of itself: ${dst}`, { src, dst });
    }
    if (this.store.resolve(dst)) throw new DfsError('FileAlreadyExists', `Destination ${dst} already exists`, { src, dst });
    this.checkAccess(command.checkAs, dst, { ancestor: WRITE });
    this.store.sql.moveInode.run(dstParent.id, baseName(dst), source.id);
    this.store.sql.touchDirectory.run(command.now, source.parent);
    this.store.sql.touchDirectory.run(command.now, dstParent.id);
    return { renamed: true, dst };
  }

  /** HDFS: only the owner or the superuser may change an inode's permission or group. */
  private requireOwnerOrSuperuser(row: InodeRow, user: string | undefined, path: string): void {
    if (user === undefined || user === row.owner || user === this.store.getState('superuser')) return;
    throw new DfsError('AccessControl', `Permission denied. user=${user} is not the owner of inode=${path}`, { path, user });
  }

  /** HDFS permission checks for `user` (no user: the namenode runs with permissions off). */
  private checkAccess(user: string | undefined, path: string, access: AccessRequest): void {
    if (user !== undefined) new PermissionChecker(this.store, user).check(path, access);
  }

  /**
   * HDFS append: reopens a closed file under a lease. The last block is not touched here: a writer
   * continuing a partial last block rewrites it under `newGenStamp` and commits it with addBlock or
   * complete, so until then readers (and lease recovery) still find the old replicas.
   */
  private append(command: CommandOf<'append'>): { status: unknown; lastBlock: ExtendedBlock | null; offset: number; genStamp: number } {
    const { path } = command;
    const file = this.store.resolve(path);
    if (!file) throw new DfsError('FileNotFound', `Failed to append to non-existent file ${path} for client ${command.clientName}`, { path });
    if (file.type !== INODE_FILE) throw new DfsError('FileNotFound', `Failed to append to non-existent file ${path} for client ${command.clientName}: it is a directory`, { path });
    this.checkAccess(command.checkAs, path, { self: WRITE });
    if (file.lease_holder !== null) {
      throw new DfsError('AlreadyBeingCreated', `Failed to APPEND_FILE ${path} for ${command.clientName} because this file lease is currently owned by ${file.lease_holder}`, {
        path,
        holder: file.lease_holder,
      });
    }
    // Stamps are handed out in order by the leader but may commit out of order: keep the maximum.
    this.store.setState('gen_stamp_high', Math.max(this.store.getNumber('gen_stamp_high'), command.newGenStamp));
    this.store.sql.setLeaseHolder.run(command.clientName, file.id);
    const blocks = this.store.blocksOf(file.id);
    const last = blocks[blocks.length - 1];
    const offset = blocks.slice(0, -1).reduce((sum, b) => sum + b.num_bytes, 0);
    const status = this.store.toFileStatus(this.store.existingInode(file.id), path);
    return { status, lastBlock: last ? toExtendedBlock(last) : null, offset, genStamp: command.newGenStamp };
  }

  /**
   * HDFS concat (FSDirConcatOp): sources in the target's directory, distinct, closed files with the
   * target's block size; the target's last block and every source's but the last one's must be full,
   * so only the new file's last block may be short. Empty sources are simply removed.
   */
  private concat(command: CommandOf<'concat'>): { removed: number } {
    const { target } = command;
    const targetRow = this.store.resolve(target);
    if (!targetRow) throw new DfsError('FileNotFound', `File does not exist: ${target}`, { path: target });
    if (targetRow.type !== INODE_FILE) throw new DfsError('IllegalArgument', `concat: target ${target} is not a file`, { path: target });
    this.checkAccess(command.checkAs, target, { self: WRITE, parent: WRITE });
    if (targetRow.lease_holder !== null) throw new DfsError('IllegalArgument', `concat: target file ${target} is under construction`, { path: target });
    const seen = new Set<string>();
    const sources: InodeRow[] = [];
    for (const src of command.sources) {
      if (src === target) throw new DfsError('IllegalArgument', `concat: the src file ${src} is the same with the target file ${target}`, { path: src });
      if (seen.has(src)) throw new DfsError('IllegalArgument', `concat: ${src} is referred twice`, { path: src });
      seen.add(src);
      if (parentPath(src) !== parentPath(target)) {
        throw new DfsError('IllegalArgument', `concat: source file ${src} and target file ${target} are not in the same directory`, { path: src });
      }
      const row = this.store.resolve(src);
      if (!row) throw new DfsError('FileNotFound', `File does not exist: ${src}`, { path: src });
      if (row.type !== INODE_FILE) throw new DfsError('IllegalArgument', `concat: source ${src} is not a file`, { path: src });
      this.checkAccess(command.checkAs, src, { self: READ, parent: WRITE });
      if (row.lease_holder !== null) throw new DfsError('IllegalArgument', `concat: source file ${src} is invalid or empty or underConstruction`, { path: src });
      if (row.block_size !== targetRow.block_size) {
        throw new DfsError('IllegalArgument', `concat: source file ${src} has block size ${row.block_size}, the target file ${target} has ${targetRow.block_size}`, { path: src });
      }
      sources.push(row);
    }
    const isFull = (row: InodeRow) => {
      const blocks = this.store.blocksOf(row.id);
      return blocks.length === 0 || blocks[blocks.length - 1].num_bytes === row.block_size;
    };
    if (!isFull(targetRow)) {
      const blocks = this.store.blocksOf(targetRow.id);
      throw new DfsError('IllegalArgument', `The last block in ${target} is not full; last block size = ${blocks[blocks.length - 1].num_bytes} but file block size = ${targetRow.block_size}`, { path: target });
    }
    const nonEmpty = sources.filter((row) => row.length > 0);
    nonEmpty.slice(0, -1).forEach((row, i) => {
      if (!isFull(row)) throw new DfsError('IllegalArgument', `concat: the last block of source ${command.sources[sources.indexOf(nonEmpty[i])]} is not full; only the last source may end with a partial block`, { path: target });
    });
    let seq = this.store.blocksOf(targetRow.id).length;
    let length = targetRow.length;
    for (const row of sources) {
      for (const block of this.store.blocksOf(row.id)) this.store.sql.moveBlock.run(targetRow.id, seq++, block.id);
      length += row.length;
      this.store.sql.deleteInode.run(row.id);
    }
    this.store.sql.closeFile.run(length, command.now, targetRow.id);
    this.store.sql.touchDirectory.run(command.now, targetRow.parent);
    return { removed: sources.length };
  }

  /**
   * HDFS truncate: blocks past `newLength` are dropped; a cut inside a block takes `cutBlock`, the
   * kept prefix the leader already wrote under a new generation stamp: the same block, or a new
   * one when a snapshot reads the block (HDFS's copy-on-truncate).
   */
  private truncate(command: CommandOf<'truncate'>): { removedBlocks: ExtendedBlock[] } {
    const { path, newLength } = command;
    const file = this.store.resolve(path);
    if (!file) throw new DfsError('FileNotFound', `File does not exist: ${path}`, { path });
    if (file.type !== INODE_FILE) throw new DfsError('FileNotFound', `Path is not a file: ${path}`, { path });
    this.checkAccess(command.checkAs, path, { self: WRITE });
    if (file.lease_holder !== null) {
      throw new DfsError('AlreadyBeingCreated', `Failed to TRUNCATE_FILE ${path} because this file lease is currently owned by ${file.lease_holder}`, { path, holder: file.lease_holder });
    }
    if (newLength > file.length) {
      throw new DfsError('IllegalArgument', `Cannot truncate to a larger file size. Current size: ${file.length}, truncate size: ${newLength}.`, { path });
    }
    const removedBlocks: ExtendedBlock[] = [];
    let offset = 0;
    for (const block of this.store.blocksOf(file.id)) {
      const end = offset + block.num_bytes;
      if (offset >= newLength) {
        removedBlocks.push(toExtendedBlock(block));
        this.store.sql.deleteBlock.run(block.id);
      } else if (end > newLength) {
        const cut = command.cutBlock;
        if (!cut || cut.numBytes !== newLength - offset) {
          throw new DfsError('IllegalArgument', `Truncate of ${path} to ${newLength} cuts block ${block.id}, the command names ${cut ? `block ${cut.blockId} of ${cut.numBytes} bytes` : 'no cut block'}`, { path });
        }
        if (block.gen_stamp !== command.expectedGenStamp) {
          throw new DfsError('Io', `Block ${block.id} of ${path} changed during truncate (generation stamp ${block.gen_stamp}, expected ${command.expectedGenStamp}); retry`, { path });
        }
        assert(cut.genStamp > block.gen_stamp, `truncate of blk_${block.id} names stamp ${cut.genStamp}, not newer than ${block.gen_stamp}`);
        // The leader took the stamp before copying the block: other stamps may have committed since.
        this.store.setState('gen_stamp_high', Math.max(this.store.getNumber('gen_stamp_high'), cut.genStamp));
        if (cut.blockId === block.id) {
          this.snapshots.refuseInPlaceTruncate(block.id, path);
          this.store.sql.updateBlock.run(cut.numBytes, cut.genStamp, block.id);
        } else {
          // Copy-on-truncate: a snapshot reads the whole block, so the kept prefix is a new block.
          this.snapshots.checkCopyOnTruncateBlock(cut.blockId, path);
          this.store.setState('block_id_high', Math.max(this.store.getNumber('block_id_high'), cut.blockId));
          this.store.sql.deleteBlock.run(block.id);
          this.store.sql.insertBlock.run(cut.blockId, file.id, block.seq, cut.numBytes, cut.genStamp);
          removedBlocks.push(toExtendedBlock(block));
        }
      }
      offset = end;
    }
    this.store.sql.closeFile.run(newLength, command.now, file.id);
    return { removedBlocks: this.snapshots.unheld(removedBlocks) };
  }

  private updateInode(path: string, change: (row: InodeRow) => unknown): unknown {
    const row = this.store.resolve(path);
    if (!row) throw new DfsError('FileNotFound', `File does not exist: ${path}`, { path });
    return change(row);
  }
}

function newInode(id: number, parent: number, name: string, type: number, owner: string, grp: string, perm: number, now: number) {
  return { id, parent, name, type, owner, grp, perm, mtime: now, atime: now, replication: 0, block_size: 0, length: 0, lease_holder: null as string | null };
}

/** Turns a rejected outcome back into the error the leader raises to the caller. */
export function outcomeValue<T>(outcome: ApplyOutcome): T {
  if (outcome.ok) return outcome.value as T;
  throw new DfsError(outcome.error.kind as ErrorKind, outcome.error.message, outcome.error.details ?? {});
}
