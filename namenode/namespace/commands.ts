// Namespace mutations as deterministic commands. The leader fills in everything that could differ
// between replicas (ids, generation stamps, timestamps, the caller's identity) before the command
// enters the log, so every namenode that applies it reaches the same state.

import { z } from 'zod';
import { CreateTokenCommand, RevokeTokenCommand } from './tokens.js';
import { ClientName, ExtendedBlock, Permission, Replication, BlockSize, UserName, RequestId } from '../../shared/protocol.js';

const Common = {
  /** Leader's clock when it accepted the request, in ms since the epoch. */
  now: z.number().int().min(0),
  request: RequestId.optional(),
};
/** The caller becomes the owner; the group is inherited from the parent directory, as in HDFS. */
const Caller = { user: UserName };
/**
 * The identity HDFS permission checks run for (the superuser passes all); absent when the namenode
 * runs with permissions off, or for commands logged before checks existed.
 */
const Checked = { checkAs: UserName.optional() };

export const NamespaceCommand = z.discriminatedUnion('op', [
  z.object({ op: z.literal('format'), ...Common, clusterId: z.string().min(1), superuser: UserName, supergroup: z.string().min(1) }),
  z.object({
    op: z.literal('mkdirs'),
    ...Common,
    ...Caller,
    ...Checked,
    path: z.string(),
    permission: Permission,
    createParent: z.boolean(),
    /** First of `depth` inode ids reserved by the leader for the directories this may create. */
    firstInodeId: z.number().int().positive(),
  }),
  z.object({
    op: z.literal('create'),
    ...Common,
    ...Caller,
    ...Checked,
    path: z.string(),
    clientName: ClientName,
    overwrite: z.boolean(),
    createParent: z.boolean(),
    permission: Permission,
    replication: Replication,
    blockSize: BlockSize,
    /** First of `depth` reserved inode ids: missing parents take the first ones, the file the next. */
    firstInodeId: z.number().int().positive(),
    /** The file is created closed (empty, no lease holder); absent in entries written before it existed. */
    closed: z.boolean().optional(),
    /** The file's first block, allocated with it (ids chosen by the leader); absent in older entries. */
    firstBlock: z.object({ blockId: z.number().int().positive(), genStamp: z.number().int().positive() }).optional(),
  }),
  z.object({
    op: z.literal('addBlock'),
    ...Common,
    path: z.string(),
    clientName: ClientName,
    previous: ExtendedBlock.optional(),
    blockId: z.number().int().positive(),
    genStamp: z.number().int().positive(),
  }),
  z.object({ op: z.literal('complete'), ...Common, path: z.string(), clientName: ClientName, last: ExtendedBlock.optional() }),
  /**
   * Closes a file whose writer went silent (lease recovery). `lastBlock` is the last block as its
   * finalized replicas report it; null drops a last block no datanode finalized.
   */
  z.object({ op: z.literal('recoverLease'), ...Common, path: z.string(), holder: ClientName, lastBlock: ExtendedBlock.nullable().optional() }),
  /** Pipeline recovery: the file's last block restarts with a new generation stamp (replicas of the old one are stale). */
  z.object({
    op: z.literal('updatePipeline'),
    ...Common,
    path: z.string(),
    clientName: ClientName,
    blockId: z.number().int().positive(),
    oldGenStamp: z.number().int().positive(),
    newGenStamp: z.number().int().positive(),
  }),
  z.object({ op: z.literal('delete'), ...Common, ...Checked, path: z.string(), recursive: z.boolean() }),
  z.object({ op: z.literal('rename'), ...Common, ...Checked, src: z.string(), dst: z.string() }),
  z.object({ op: z.literal('setReplication'), ...Common, ...Checked, path: z.string(), replication: Replication }),
  z.object({ op: z.literal('setPermission'), ...Common, path: z.string(), permission: Permission, user: UserName.optional() }),
  z.object({ op: z.literal('setOwner'), ...Common, path: z.string(), owner: z.string().optional(), group: z.string().optional(), user: UserName.optional() }),
  z.object({ op: z.literal('setTimes'), ...Common, ...Checked, path: z.string(), modificationTime: z.number().int(), accessTime: z.number().int() }),
  /**
   * HDFS append: the closed file at `path` is reopened under `clientName`'s lease. `newGenStamp` is
   * reserved for the continuation of a last block that is not full (the writer rewrites that block
   * under it); the block row keeps its stamp and length until the writer commits the new replica.
   */
  z.object({ op: z.literal('append'), ...Common, ...Checked, path: z.string(), clientName: ClientName, newGenStamp: z.number().int().positive() }),
  /** HDFS concat: the sources' blocks, in order, join the end of `target`; the sources are deleted. */
  z.object({ op: z.literal('concat'), ...Common, ...Checked, target: z.string(), sources: z.array(z.string()).min(1) }),
  /**
   * HDFS truncate to `newLength`. Blocks past it are dropped. When it falls inside a block, the
   * leader first wrote the kept prefix of that block as a new replica (same block id, generation
   * stamp `cutBlock.genStamp`); `cutBlock` then replaces the block, which must still carry
   * `expectedGenStamp` (nobody appended meanwhile).
   */
  z.object({
    op: z.literal('truncate'),
    ...Common,
    ...Checked,
    path: z.string(),
    newLength: z.number().int().min(0),
    cutBlock: ExtendedBlock.optional(),
    expectedGenStamp: z.number().int().positive().optional(),
  }),
  // ---- snapshots (namenode/namespace/snapshots.ts). `user` is checked there: the superuser
  // allows and disallows, the directory's owner (or the superuser) takes, renames and deletes.
  z.object({ op: z.literal('allowSnapshot'), ...Common, path: z.string(), user: UserName.optional() }),
  z.object({ op: z.literal('disallowSnapshot'), ...Common, path: z.string(), user: UserName.optional() }),
  /** `name` is chosen by the leader (HDFS's default is derived from `now`); `now` is the snapshot's time. */
  z.object({ op: z.literal('createSnapshot'), ...Common, path: z.string(), name: z.string(), user: UserName.optional() }),
  z.object({ op: z.literal('deleteSnapshot'), ...Common, path: z.string(), name: z.string(), user: UserName.optional() }),
  z.object({ op: z.literal('renameSnapshot'), ...Common, path: z.string(), oldName: z.string(), newName: z.string(), user: UserName.optional() }),
  CreateTokenCommand,
  RevokeTokenCommand,
]);
export type NamespaceCommand = z.infer<typeof NamespaceCommand>;
export type CommandOf<Op extends NamespaceCommand['op']> = Extract<NamespaceCommand, { op: Op }>;

/** The deterministic answer of applying a command: the same on every replica. */
export type ApplyOutcome = { ok: true; value: unknown } | { ok: false; error: { kind: string; message: string; details?: Record<string, unknown> } };
