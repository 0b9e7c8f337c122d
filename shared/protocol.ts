// Wire schemas (zod) for every message between clients, namenodes and datanodes. Each boundary
// parses with these; inside a process the inferred types are trusted.

import { z } from 'zod';
import { BLOCK_SIZE_BYTES_MAX, BLOCK_SIZE_BYTES_MIN, LISTING_PAGE_ENTRIES_MAX, REPLICATION_MAX } from './constants.js';

export const Permission = z.number().int().min(0).max(0o1777);
export const Replication = z.number().int().min(1).max(REPLICATION_MAX);
export const BlockSize = z.number().int().min(BLOCK_SIZE_BYTES_MIN).max(BLOCK_SIZE_BYTES_MAX);
export const NamespacePath = z.string().min(1).max(8192);
export const UserName = z.string().min(1).max(256).regex(/^[^\s:/]+$/, 'user name without spaces, colons or slashes');
/** Identifies one writer process for leases (HDFS's clientName). */
export const ClientName = z.string().min(1).max(256);

export const FileType = z.enum(['FILE', 'DIRECTORY']);

export const FileStatus = z.object({
  path: z.string(),
  fileId: z.number().int(),
  type: FileType,
  length: z.number().int().min(0),
  owner: z.string(),
  group: z.string(),
  permission: Permission,
  modificationTime: z.number().int(),
  accessTime: z.number().int(),
  replication: z.number().int().min(0),
  blockSize: z.number().int().min(0),
  childrenNum: z.number().int().min(0),
  underConstruction: z.boolean(),
});
export type FileStatus = z.infer<typeof FileStatus>;

export const ExtendedBlock = z.object({
  blockId: z.number().int().positive(),
  genStamp: z.number().int().positive(),
  numBytes: z.number().int().min(0),
});
export type ExtendedBlock = z.infer<typeof ExtendedBlock>;

export const DatanodeInfo = z.object({
  uuid: z.string().min(1).max(128),
  /** Base URL clients and peers use to reach the datanode (advertised address). */
  url: z.string().url(),
  rack: z.string().default('/default-rack'),
});
export type DatanodeInfo = z.infer<typeof DatanodeInfo>;

export const LocatedBlock = z.object({
  block: ExtendedBlock,
  /** Offset of the block's first byte within the file. */
  offset: z.number().int().min(0),
  locations: z.array(DatanodeInfo),
  /** The namenode's signed permission to read or write this block (shared/block-token.ts); absent when the cluster runs without a secret. */
  blockToken: z.string().max(4096).optional(),
});
export type LocatedBlock = z.infer<typeof LocatedBlock>;

export const LocatedBlocks = z.object({
  fileLength: z.number().int().min(0),
  underConstruction: z.boolean(),
  blocks: z.array(LocatedBlock),
});
export type LocatedBlocks = z.infer<typeof LocatedBlocks>;

// ---------------------------------------------------------------------------------------------
// Client -> namenode RPC: POST /rpc/v1/client/<method>, JSON in, JSON out; errors as RemoteException.
// `user` is the caller (simple authentication, as HDFS's user.name). Every answer names the
// current leader in LEADER_HINT_HEADER, so clients go straight to it.

export const LEADER_HINT_HEADER = 'x-dfs-leader';

/** Identifies one client call; a retried call with the same id is answered, never applied twice. */
export const RequestId = z.object({ clientId: z.string().min(1).max(128), callId: z.number().int().min(0) });
export type RequestId = z.infer<typeof RequestId>;

/**
 * Read consistency: `linearizable` (default) reflects every write acknowledged before the read
 * began (a ReadIndex round with the leader); `stale` answers from whichever namenode is asked,
 * possibly behind the leader by a few entries, without any round trip.
 */
export const ReadConsistency = z.enum(['linearizable', 'stale']);
export type ReadConsistency = z.infer<typeof ReadConsistency>;

const Caller = { user: UserName.optional(), requestId: RequestId.optional(), consistency: ReadConsistency.optional() };

// ---- snapshots: client RPC (spread into ClientRpc) and the diff report WebHDFS and `dfs snapshotDiff` print.
export const DiffType = z.enum(['CREATE', 'DELETE', 'MODIFY', 'RENAME']);
export type DiffType = z.infer<typeof DiffType>;

export const DiffEntry = z.object({
  type: DiffType,
  /** Path relative to the snapshot root, '' for the root itself (HDFS's byte path). */
  sourcePath: z.string(),
  targetPath: z.string().optional(),
});
export type DiffEntry = z.infer<typeof DiffEntry>;

export const SnapshotDiffReport = z.object({
  snapshotRoot: z.string(),
  /** A snapshot name, or '' for the current state (HDFS's "." on the command line). */
  fromSnapshot: z.string(),
  toSnapshot: z.string(),
  diffList: z.array(DiffEntry),
});
export type SnapshotDiffReport = z.infer<typeof SnapshotDiffReport>;

export const SnapshottableDirectory = z.object({
  status: FileStatus,
  parentFullPath: z.string(),
  snapshotNumber: z.number().int().min(0),
  snapshotQuota: z.number().int().min(0),
});
export type SnapshottableDirectory = z.infer<typeof SnapshottableDirectory>;

const SnapshotName = z.string().min(1).max(255);

export const SnapshotRpc = {
  allowSnapshot: { request: z.object({ ...Caller, path: NamespacePath }), response: z.object({}) },
  disallowSnapshot: { request: z.object({ ...Caller, path: NamespacePath }), response: z.object({}) },
  /** Without a name the leader names it HDFS's way, s<yyyyMMdd-HHmmss.SSS> of its clock (UTC). */
  createSnapshot: { request: z.object({ ...Caller, path: NamespacePath, name: SnapshotName.optional() }), response: z.object({ path: z.string() }) },
  deleteSnapshot: { request: z.object({ ...Caller, path: NamespacePath, name: SnapshotName }), response: z.object({}) },
  renameSnapshot: { request: z.object({ ...Caller, path: NamespacePath, oldName: SnapshotName, newName: SnapshotName }), response: z.object({}) },
  getSnapshottableDirectoryList: { request: z.object({ ...Caller }), response: z.object({ directories: z.array(SnapshottableDirectory) }) },
  /** `fromSnapshot` / `toSnapshot`: a snapshot name, or '' or '.' for the current state. */
  getSnapshotDiff: {
    request: z.object({ ...Caller, path: NamespacePath, fromSnapshot: z.string().max(255), toSnapshot: z.string().max(255) }),
    response: z.object({ report: SnapshotDiffReport }),
  },
} as const;

/** Snapshot methods that only read (any namenode answers them). */
export const SNAPSHOT_READ_METHODS = ['getSnapshottableDirectoryList', 'getSnapshotDiff'] as const;

export const ClientRpc = {
  ...SnapshotRpc,
  mkdirs: {
    request: z.object({ ...Caller, path: NamespacePath, permission: Permission.optional(), createParent: z.boolean().default(true) }),
    response: z.object({ created: z.boolean() }),
  },
  create: {
    request: z.object({
      ...Caller,
      path: NamespacePath,
      clientName: ClientName,
      overwrite: z.boolean().default(false),
      createParent: z.boolean().default(true),
      replication: Replication.optional(),
      blockSize: BlockSize.optional(),
      permission: Permission.optional(),
      /** Create the file already closed, empty and with no lease: an empty file in one call and one commit. */
      closed: z.boolean().optional(),
      /**
       * Allocate the file's first block with it (a writer that knows it has data): the answer names
       * the block and its pipeline, and a small file costs one call and one commit fewer.
       */
      allocateBlock: z.boolean().optional(),
    }),
    response: z.object({ status: FileStatus, located: LocatedBlock.optional() }),
  },
  addBlock: {
    request: z.object({
      ...Caller,
      path: NamespacePath,
      clientName: ClientName,
      /** The block just written, with its final length; committed before a new one is allocated. */
      previous: ExtendedBlock.optional(),
      excludeNodes: z.array(z.string()).max(REPLICATION_MAX).default([]),
    }),
    response: z.object({ located: LocatedBlock }),
  },
  complete: {
    request: z.object({ ...Caller, path: NamespacePath, clientName: ClientName, last: ExtendedBlock.optional() }),
    response: z.object({ status: FileStatus }),
  },
  getFileInfo: {
    request: z.object({ ...Caller, path: NamespacePath }),
    response: z.object({ status: FileStatus.nullable() }),
  },
  listStatus: {
    request: z.object({
      ...Caller,
      path: NamespacePath,
      startAfter: z.string().max(1024).optional(),
      limit: z.number().int().min(1).max(LISTING_PAGE_ENTRIES_MAX).optional(),
    }),
    response: z.object({ entries: z.array(FileStatus), remaining: z.number().int().min(0) }),
  },
  delete: {
    request: z.object({ ...Caller, path: NamespacePath, recursive: z.boolean().default(false) }),
    response: z.object({ deleted: z.boolean() }),
  },
  rename: {
    request: z.object({ ...Caller, src: NamespacePath, dst: NamespacePath }),
    response: z.object({ renamed: z.boolean() }),
  },
  getBlockLocations: {
    request: z.object({
      ...Caller,
      path: NamespacePath,
      offset: z.number().int().min(0).default(0),
      length: z.number().int().min(0).default(Number.MAX_SAFE_INTEGER),
    }),
    response: z.object({ located: LocatedBlocks }),
  },
  renewLease: {
    request: z.object({ ...Caller, clientName: ClientName }),
    response: z.object({ renewed: z.boolean() }),
  },
  /**
   * Pipeline recovery: a datanode of the pipeline writing `block` (the file's last block) failed.
   * The namenode gives the block a new generation stamp and a fresh pipeline avoiding
   * `excludeNodes`; the client replays the block into it. Replicas left with the old stamp are stale.
   */
  updatePipeline: {
    request: z.object({
      ...Caller,
      path: NamespacePath,
      clientName: ClientName,
      block: ExtendedBlock,
      excludeNodes: z.array(z.string()).max(REPLICATION_MAX).default([]),
    }),
    response: z.object({ located: LocatedBlock }),
  },
  setPermission: {
    request: z.object({ ...Caller, path: NamespacePath, permission: Permission }),
    response: z.object({}),
  },
  /** Changing the owner needs the superuser; the owner may change the group. */
  setOwner: {
    request: z.object({ ...Caller, path: NamespacePath, owner: UserName.optional(), group: z.string().min(1).max(256).optional() }),
    response: z.object({}),
  },
  /** Times in ms since the epoch; -1 leaves that time unchanged (as in HDFS). */
  setTimes: {
    request: z.object({ ...Caller, path: NamespacePath, modificationTime: z.number().int().min(-1), accessTime: z.number().int().min(-1) }),
    response: z.object({}),
  },
  getContentSummary: {
    request: z.object({ ...Caller, path: NamespacePath }),
    response: z.object({
      length: z.number().int(),
      fileCount: z.number().int(),
      directoryCount: z.number().int(),
      spaceConsumed: z.number().int(),
      quota: z.number().int(),
      spaceQuota: z.number().int(),
    }),
  },
  /** HDFS setReplication: changes a file's target replication; the namenode converges replicas to it. */
  setReplication: {
    request: z.object({ ...Caller, path: NamespacePath, replication: Replication }),
    response: z.object({ changed: z.boolean() }),
  },
  /**
   * HDFS append: reopens a closed file for writing under `clientName`'s lease. When its last block
   * is not full, `lastBlock` is that block where it is stored and `continuation` the same block
   * under a new generation stamp with a fresh pipeline: the writer copies the block's bytes into
   * it, then carries on with the new data (the old replicas stay valid until the new ones commit).
   */
  append: {
    request: z.object({ ...Caller, path: NamespacePath, clientName: ClientName }),
    response: z.object({ status: FileStatus, lastBlock: LocatedBlock.nullable(), continuation: LocatedBlock.nullable() }),
  },
  /** HDFS concat: moves the sources' blocks, in order, to the end of `target` and deletes the sources. */
  concat: {
    request: z.object({ ...Caller, target: NamespacePath, sources: z.array(NamespacePath).max(10_000) }),
    response: z.object({}),
  },
  /**
   * HDFS truncate to `newLength`: true when the file is truncated and closed on return (dfs
   * always finishes before answering; HDFS may answer false while it recovers the last block).
   */
  truncate: {
    request: z.object({ ...Caller, path: NamespacePath, newLength: z.number().int().min(0), clientName: ClientName.optional() }),
    response: z.object({ done: z.boolean() }),
  },
} as const;
export type ClientMethod = keyof typeof ClientRpc;
export type ClientRequest<M extends ClientMethod> = z.input<(typeof ClientRpc)[M]['request']>;
export type ClientResponse<M extends ClientMethod> = z.infer<(typeof ClientRpc)[M]['response']>;

/**
 * Several client calls in one request: POST /rpc/v1/client-batch. A client process gathers the
 * calls its callers make in the same turn of the event loop (see client/rpc-batch.ts), so a
 * namenode parses one HTTP request for many of them and proposes their changes to Raft together.
 * Each call is validated, authorized, audited and answered on its own, exactly as if sent alone.
 */
export const CLIENT_BATCH_PATH = '/rpc/v1/client-batch';
export const CLIENT_BATCH_MAX_CALLS = 64;
export const ClientBatchRequest = z.object({
  calls: z
    .array(z.object({ method: z.string().min(1).max(64), request: z.record(z.string(), z.unknown()), requestId: z.string().max(64).optional() }))
    .min(1)
    .max(CLIENT_BATCH_MAX_CALLS),
});
export type ClientBatchRequest = z.infer<typeof ClientBatchRequest>;
/** One result per call, in the order of the calls: the method's answer, or its error. */
export const ClientBatchResponse = z.object({
  results: z.array(
    z.union([
      z.object({ ok: z.unknown() }),
      z.object({ error: z.object({ RemoteException: z.object({ message: z.string() }).passthrough() }), status: z.number().int() }),
    ]),
  ),
});
export type ClientBatchResponse = z.infer<typeof ClientBatchResponse>;

// ---------------------------------------------------------------------------------------------
// Datanode -> namenode: POST /rpc/v1/datanode/<method>. Soft state (liveness, block locations):
// never replicated through the namespace log, rebuilt from these reports after a restart.

export const DatanodeStorageReport = z.object({
  capacityBytes: z.number().int().min(0),
  usedBytes: z.number().int().min(0),
  remainingBytes: z.number().int().min(0),
  /** Transfers (reads, writes, replications) in progress, for placement and load spreading. */
  xceiverCount: z.number().int().min(0).default(0),
  /** True when free space is under the reserved threshold: give this node no new blocks. */
  full: z.boolean().default(false),
});
export type DatanodeStorageReport = z.infer<typeof DatanodeStorageReport>;

export const DatanodeCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('delete'), blocks: z.array(ExtendedBlock) }),
  z.object({ type: z.literal('replicate'), block: ExtendedBlock, targets: z.array(DatanodeInfo).min(1) }),
  /** The namenode does not know this datanode (it restarted): register and send a full report. */
  z.object({ type: z.literal('reregister') }),
]);
export type DatanodeCommand = z.infer<typeof DatanodeCommand>;

/**
 * Whether the answering namenode leads (HDFS's NNHAStatusHeartbeat): a datanode reports finalized
 * replicas to the active one at once and to a standby in batches. Absent: treated as active.
 */
export const HaState = z.enum(['active', 'standby']);
export type HaState = z.infer<typeof HaState>;

export const DatanodeRpc = {
  register: {
    request: z.object({ node: DatanodeInfo, storage: DatanodeStorageReport }),
    response: z.object({ namenodeId: z.string(), clusterId: z.string(), heartbeatIntervalMs: z.number().int().positive(), haState: HaState.optional() }),
  },
  heartbeat: {
    request: z.object({ uuid: z.string(), storage: DatanodeStorageReport }),
    response: z.object({ commands: z.array(DatanodeCommand), haState: HaState.optional() }),
  },
  blockReport: {
    request: z.object({ uuid: z.string(), blocks: z.array(ExtendedBlock) }),
    response: z.object({ commands: z.array(DatanodeCommand) }),
  },
  /** Incremental report: replicas finalized or removed since the last report. */
  blockReceivedAndDeleted: {
    request: z.object({ uuid: z.string(), received: z.array(ExtendedBlock).default([]), deleted: z.array(ExtendedBlock).default([]) }),
    response: z.object({ haState: HaState.optional() }),
  },
  /** A reader or the block scanner found a replica whose checksums do not match. */
  reportBadBlocks: {
    request: z.object({ uuid: z.string(), blocks: z.array(ExtendedBlock) }),
    response: z.object({}),
  },
} as const;
export type DatanodeMethod = keyof typeof DatanodeRpc;
export type DatanodeRequest<M extends DatanodeMethod> = z.input<(typeof DatanodeRpc)[M]['request']>;
export type DatanodeResponse<M extends DatanodeMethod> = z.infer<(typeof DatanodeRpc)[M]['response']>;
