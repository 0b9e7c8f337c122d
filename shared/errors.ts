// One error type per failure kind. Each kind maps to Hadoop's exception class (so WebHDFS clients
// see the RemoteException they expect), to an HTTP status, and to the Node `code` the client library throws.

export const ERROR_KINDS = {
  FileNotFound: { javaClassName: 'java.io.FileNotFoundException', status: 404, nodeCode: 'ENOENT' },
  FileAlreadyExists: { javaClassName: 'org.apache.hadoop.fs.FileAlreadyExistsException', status: 403, nodeCode: 'EEXIST' },
  ParentNotDirectory: { javaClassName: 'org.apache.hadoop.fs.ParentNotDirectoryException', status: 403, nodeCode: 'ENOTDIR' },
  PathIsNotEmptyDirectory: { javaClassName: 'org.apache.hadoop.fs.PathIsNotEmptyDirectoryException', status: 403, nodeCode: 'ENOTEMPTY' },
  PathIsDirectory: { javaClassName: 'org.apache.hadoop.fs.PathIsDirectoryException', status: 403, nodeCode: 'EISDIR' },
  PathIsNotDirectory: { javaClassName: 'org.apache.hadoop.fs.PathIsNotDirectoryException', status: 403, nodeCode: 'ENOTDIR' },
  InvalidPath: { javaClassName: 'org.apache.hadoop.fs.InvalidPathException', status: 400, nodeCode: 'EINVAL' },
  IllegalArgument: { javaClassName: 'java.lang.IllegalArgumentException', status: 400, nodeCode: 'EINVAL' },
  UnsupportedOperation: { javaClassName: 'java.lang.UnsupportedOperationException', status: 400, nodeCode: 'ENOTSUP' },
  AccessControl: { javaClassName: 'org.apache.hadoop.security.AccessControlException', status: 403, nodeCode: 'EACCES' },
  /** A change under a read-only `<dir>/.snapshot/<name>` path. */
  SnapshotAccessControl: { javaClassName: 'org.apache.hadoop.hdfs.protocol.SnapshotAccessControlException', status: 403, nodeCode: 'EROFS' },
  /** A snapshot operation that cannot be done (not snapshottable, snapshots exist, duplicate name...). */
  Snapshot: { javaClassName: 'org.apache.hadoop.hdfs.protocol.SnapshotException', status: 403, nodeCode: 'EINVAL' },
  Unauthorized: { javaClassName: 'java.lang.SecurityException', status: 401, nodeCode: 'EACCES' },
  SafeMode: { javaClassName: 'org.apache.hadoop.hdfs.server.namenode.SafeModeException', status: 403, nodeCode: 'EAGAIN' },
  LeaseExpired: { javaClassName: 'org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException', status: 403, nodeCode: 'EBADF' },
  AlreadyBeingCreated: { javaClassName: 'org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException', status: 403, nodeCode: 'EBUSY' },
  NotReplicatedYet: { javaClassName: 'org.apache.hadoop.hdfs.server.namenode.NotReplicatedYetException', status: 403, nodeCode: 'EAGAIN' },
  Checksum: { javaClassName: 'org.apache.hadoop.fs.ChecksumException', status: 403, nodeCode: 'EIO' },
  BlockMissing: { javaClassName: 'org.apache.hadoop.hdfs.BlockMissingException', status: 403, nodeCode: 'EIO' },
  ReplicaNotFound: { javaClassName: 'org.apache.hadoop.hdfs.server.datanode.ReplicaNotFoundException', status: 404, nodeCode: 'ENOENT' },
  DiskFull: { javaClassName: 'org.apache.hadoop.util.DiskChecker$DiskOutOfSpaceException', status: 507, nodeCode: 'ENOSPC' },
  NoDatanodes: { javaClassName: 'org.apache.hadoop.ipc.RemoteException', status: 403, nodeCode: 'EAGAIN' },
  NotLeader: { javaClassName: 'org.apache.hadoop.ipc.StandbyException', status: 403, nodeCode: 'EAGAIN' },
  Unavailable: { javaClassName: 'org.apache.hadoop.ipc.RetriableException', status: 503, nodeCode: 'EAGAIN' },
  Io: { javaClassName: 'java.io.IOException', status: 403, nodeCode: 'EIO' },
  Internal: { javaClassName: 'java.lang.RuntimeException', status: 500, nodeCode: 'EIO' },
} as const;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** The JSON body Hadoop's WebHDFS sends for every failed request. */
export interface RemoteExceptionBody {
  RemoteException: { exception: string; javaClassName: string; message: string; dfsKind?: string; details?: Record<string, unknown> };
}

export class DfsError extends Error {
  override name = 'DfsError';
  readonly kind: ErrorKind;
  /** Facts an operator needs to act on the error (path, block id, node...); carried over the wire. */
  readonly details: Record<string, unknown>;

  constructor(kind: ErrorKind, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.kind = kind;
    this.details = details;
  }

  /** Node's error code for the same condition (ENOENT, EEXIST...), so fs-style callers can branch on it. */
  get code(): string {
    return ERROR_KINDS[this.kind].nodeCode;
  }

  get status(): number {
    return ERROR_KINDS[this.kind].status;
  }

  get javaClassName(): string {
    return ERROR_KINDS[this.kind].javaClassName;
  }

  /** Short exception name as WebHDFS prints it (`FileNotFoundException`). */
  get exceptionName(): string {
    const full = this.javaClassName;
    return full.slice(full.lastIndexOf('.') + 1).replace(/^.*\$/, '');
  }

  toRemoteException(): RemoteExceptionBody {
    return {
      RemoteException: {
        exception: this.exceptionName,
        javaClassName: this.javaClassName,
        message: this.message,
        dfsKind: this.kind,
        ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
      },
    };
  }

  static fromRemoteException(body: unknown, status: number): DfsError {
    const remote = (body as Partial<RemoteExceptionBody> | null)?.RemoteException;
    if (remote && typeof remote.message === 'string') {
      const kind = isErrorKind(remote.dfsKind) ? remote.dfsKind : kindFromJavaClass(remote.javaClassName, status);
      return new DfsError(kind, remote.message, remote.details ?? {});
    }
    return new DfsError(status >= 500 ? 'Internal' : 'Io', `HTTP ${status}: ${JSON.stringify(body).slice(0, 500)}`);
  }
}

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && Object.hasOwn(ERROR_KINDS, value);
}

function kindFromJavaClass(javaClassName: string | undefined, status: number): ErrorKind {
  for (const [kind, info] of Object.entries(ERROR_KINDS)) {
    if (info.javaClassName === javaClassName) return kind as ErrorKind;
  }
  if (status === 404) return 'FileNotFound';
  if (status === 400) return 'IllegalArgument';
  return status >= 500 ? 'Internal' : 'Io';
}

export const isDfsError = (error: unknown, kind?: ErrorKind): error is DfsError =>
  error instanceof DfsError && (kind === undefined || error.kind === kind);
