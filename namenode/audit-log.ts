// The namenode's audit log (HDFS's FSNamesystem.audit): one JSON line per namespace operation in
// <dataDir>/audit.log, written through its own pino destination so it never mixes with the
// operational log. As in HDFS, a call is audited where it runs (a follower's forwarded write on the
// leader), an allowed call once it succeeded, a refused one (AccessControl) with allowed=false, and
// other failures not at all. Fields follow HDFS's line:
//   {"time":"...","allowed":true,"user":"alice","ip":"127.0.0.1","cmd":"mkdirs","src":"/a","dst":null,"perm":"alice:alice:rwxr-xr-x","proto":"rpc","reqId":"..."}

import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { isDfsError } from '../shared/errors.js';
import { currentRequestId } from '../shared/request-id.js';
import type { NamespaceStore } from './namespace/store.js';
import { modeString } from './namespace/permissions.js';
import { INODE_DIRECTORY, INODE_FILE } from './namespace/schema.js';
import type { FileStatus } from '../shared/protocol.js';

export const AUDIT_LOG_FILE = 'audit.log';
/** The header a follower names its caller's address in when it forwards a call to the leader. */
export const FORWARDED_FOR_HEADER = 'x-forwarded-for';

export interface AuditEvent {
  allowed: boolean;
  user: string;
  ip: string;
  /** HDFS's command name: mkdirs, create, delete, rename, open, listStatus, getfileinfo, ... */
  cmd: string;
  src: string;
  dst?: string | null;
  proto: 'rpc' | 'webhdfs';
}

/** What is audited of a call: its command and paths (undefined: the call is not audited). */
export interface AuditTarget {
  cmd: string;
  src: string;
  dst?: string;
  /** The command creates or changes the inode at dst (or src): log its owner, group and mode. */
  logPerm?: boolean;
}

export class AuditLog {
  /** Buffered, asynchronous appends (sonic-boom): an audited call never waits for the disk. */
  private readonly destination: ReturnType<typeof pino.destination>;

  constructor(
    dataDir: string,
    private readonly store: NamespaceStore,
    private readonly onEvent: (allowed: boolean) => void = () => undefined,
  ) {
    // Opened here, not by sonic-boom in the background: a destination still opening when the
    // process exits (a namenode whose start failed) throws from pino's exit-time flush.
    mkdirSync(dataDir, { recursive: true });
    this.destination = pino.destination({ dest: openSync(join(dataDir, AUDIT_LOG_FILE), 'a'), sync: false });
  }

  write(event: AuditEvent, perm: string | null = null): void {
    this.onEvent(event.allowed);
    const line = { time: new Date().toISOString(), allowed: event.allowed, user: event.user, ip: event.ip, cmd: event.cmd, src: event.src, dst: event.dst ?? null, perm, proto: event.proto, reqId: currentRequestId() ?? null };
    this.destination.write(JSON.stringify(line) + '\n');
  }

  /** Runs `call` and audits it: allowed when it succeeds, allowed=false when permission is denied. */
  async around<T>(target: AuditTarget | undefined, who: { user: string; ip: string; proto: 'rpc' | 'webhdfs' }, call: () => Promise<T>): Promise<T> {
    if (!target) return call();
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (isDfsError(error, 'AccessControl')) this.write({ ...who, ...target, allowed: false });
      throw error;
    }
    this.write({ ...who, ...target, allowed: true }, target.logPerm ? (permOfAnswer(result) ?? this.permOf(target.dst ?? target.src)) : null);
    return result;
  }

  /** `owner:group:rwxr-xr-x` of the inode at `path`, as HDFS logs a created or changed inode. */
  private permOf(path: string): string | null {
    const row = this.store.resolve(path);
    return row ? `${row.owner}:${row.grp}:${modeString(row)}` : null;
  }

  close(): void {
    try {
      this.destination.flushSync();
    } catch {
      // already closed
    }
    this.destination.end();
  }
}

/**
 * The perm field from an answer that carries the inode's status (a create's): the same
 * inode, read as the call's own change left it, without walking the path again.
 */
function permOfAnswer(answer: unknown): string | null {
  const status = (answer as { status?: Partial<FileStatus> | null } | null)?.status;
  if (!status || typeof status.owner !== 'string' || typeof status.group !== 'string' || typeof status.permission !== 'number') return null;
  const type = status.type === 'DIRECTORY' ? INODE_DIRECTORY : INODE_FILE;
  return `${status.owner}:${status.group}:${modeString({ type, perm: status.permission })}`;
}

/** Client RPC methods HDFS audits, with their HDFS command names (addBlock, complete, leases are not audited). */
const RPC_COMMANDS: Record<string, { cmd: string; logPerm?: boolean }> = {
  mkdirs: { cmd: 'mkdirs', logPerm: true },
  create: { cmd: 'create', logPerm: true },
  delete: { cmd: 'delete' },
  rename: { cmd: 'rename', logPerm: true },
  getFileInfo: { cmd: 'getfileinfo' },
  listStatus: { cmd: 'listStatus' },
  getBlockLocations: { cmd: 'open' },
  getContentSummary: { cmd: 'contentSummary' },
  setReplication: { cmd: 'setReplication' },
  setPermission: { cmd: 'setPermission', logPerm: true },
  setOwner: { cmd: 'setOwner', logPerm: true },
  setTimes: { cmd: 'setTimes', logPerm: true },
  append: { cmd: 'append' },
  concat: { cmd: 'concat', logPerm: true },
  truncate: { cmd: 'truncate' },
  // HDFS's audit names for snapshot operations.
  allowSnapshot: { cmd: 'allowSnapshot' },
  disallowSnapshot: { cmd: 'disallowSnapshot' },
  createSnapshot: { cmd: 'createSnapshot' },
  deleteSnapshot: { cmd: 'deleteSnapshot' },
  renameSnapshot: { cmd: 'renameSnapshot' },
  getSnapshotDiff: { cmd: 'computeSnapshotDiff' },
};

export function rpcAuditTarget(method: string, input: { path?: string; src?: string; dst?: string; target?: string; sources?: string[] }): AuditTarget | undefined {
  const command = Object.hasOwn(RPC_COMMANDS, method) ? RPC_COMMANDS[method] : undefined;
  if (!command) return undefined;
  if (method === 'rename') return { ...command, src: input.src ?? '', dst: input.dst };
  if (method === 'concat') return { ...command, src: (input.sources ?? []).join(','), dst: input.target };
  return { ...command, src: input.path ?? '' };
}

/**
 * WebHDFS ops the namenode answers itself, with HDFS's command names. CREATE, APPEND, OPEN and
 * GETFILECHECKSUM are audited by the client RPCs the datanode (or proxy) makes for them.
 */
const WEBHDFS_COMMANDS: Record<string, { cmd: string; logPerm?: boolean }> = {
  GETFILESTATUS: { cmd: 'getfileinfo' },
  LISTSTATUS: { cmd: 'listStatus' },
  LISTSTATUS_BATCH: { cmd: 'listStatus' },
  GETCONTENTSUMMARY: { cmd: 'contentSummary' },
  GETFILEBLOCKLOCATIONS: { cmd: 'open' },
  GET_BLOCK_LOCATIONS: { cmd: 'open' },
  MKDIRS: { cmd: 'mkdirs', logPerm: true },
  RENAME: { cmd: 'rename', logPerm: true },
  DELETE: { cmd: 'delete' },
  SETREPLICATION: { cmd: 'setReplication' },
  SETPERMISSION: { cmd: 'setPermission', logPerm: true },
  SETOWNER: { cmd: 'setOwner', logPerm: true },
  SETTIMES: { cmd: 'setTimes', logPerm: true },
  CONCAT: { cmd: 'concat', logPerm: true },
  TRUNCATE: { cmd: 'truncate' },
  ALLOWSNAPSHOT: { cmd: 'allowSnapshot' },
  DISALLOWSNAPSHOT: { cmd: 'disallowSnapshot' },
  CREATESNAPSHOT: { cmd: 'createSnapshot' },
  DELETESNAPSHOT: { cmd: 'deleteSnapshot' },
  RENAMESNAPSHOT: { cmd: 'renameSnapshot' },
  GETSNAPSHOTDIFF: { cmd: 'computeSnapshotDiff' },
};

export function webhdfsAuditTarget(op: string, path: string, params: { destination?: string; sources?: string }): AuditTarget | undefined {
  const command = Object.hasOwn(WEBHDFS_COMMANDS, op) ? WEBHDFS_COMMANDS[op] : undefined;
  if (!command) return undefined;
  if (op === 'RENAME') return { ...command, src: path, dst: params.destination };
  if (op === 'CONCAT') return { ...command, src: params.sources ?? '', dst: path };
  return { ...command, src: path };
}

/** The caller's address: the original client's when a follower forwarded the call. */
export function callerIp(request: { ip: string; headers: Record<string, string | string[] | undefined> }, forwardedHeader: string): string {
  const forwarded = request.headers[FORWARDED_FOR_HEADER];
  if (request.headers[forwardedHeader] && typeof forwarded === 'string' && forwarded.length > 0) return forwarded.split(',')[0].trim();
  return request.ip;
}
