// Apache Hadoop's WebHDFS v1 wire format, shared by the namenode and datanode endpoints: the ops per
// HTTP method, query parameters (names case-insensitive, values checked with zod and rejected with
// Hadoop's message), the JSON shapes, and Hadoop's exception-to-status mapping.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DfsError, isDfsError, type ErrorKind } from './errors.js';
import { toDfsError } from './http.js';
import { normalizePath } from './paths.js';
import type { BlockAccessMode } from './block-token.js';
import type { DatanodeInfo, FileStatus, LocatedBlock, LocatedBlocks, SnapshotDiffReport, SnapshottableDirectory } from './protocol.js';

export const WEBHDFS_PREFIX = '/webhdfs/v1';

export const WEBHDFS_OPS = {
  GET: ['OPEN', 'GETFILESTATUS', 'LISTSTATUS', 'LISTSTATUS_BATCH', 'GETCONTENTSUMMARY', 'GETFILECHECKSUM', 'GETHOMEDIRECTORY', 'GETFILEBLOCKLOCATIONS', 'GET_BLOCK_LOCATIONS', 'GETTRASHROOT', 'GETSNAPSHOTDIFF', 'GETSNAPSHOTTABLEDIRECTORYLIST'],
  PUT: ['CREATE', 'MKDIRS', 'RENAME', 'SETREPLICATION', 'SETPERMISSION', 'SETOWNER', 'SETTIMES', 'ALLOWSNAPSHOT', 'DISALLOWSNAPSHOT', 'CREATESNAPSHOT', 'RENAMESNAPSHOT'],
  POST: ['APPEND', 'CONCAT', 'TRUNCATE'],
  DELETE: ['DELETE', 'DELETESNAPSHOT'],
} as const;
export type WebHdfsMethod = keyof typeof WEBHDFS_OPS;
export type WebHdfsOp = (typeof WEBHDFS_OPS)[WebHdfsMethod][number];

/** Hadoop's enum per HTTP method: an unknown op reads "No enum constant <class>.<OP>". */
const OP_ENUM_CLASS: Record<WebHdfsMethod, string> = {
  GET: 'org.apache.hadoop.hdfs.web.resources.GetOpParam.Op',
  PUT: 'org.apache.hadoop.hdfs.web.resources.PutOpParam.Op',
  POST: 'org.apache.hadoop.hdfs.web.resources.PostOpParam.Op',
  DELETE: 'org.apache.hadoop.hdfs.web.resources.DeleteOpParam.Op',
};

export const invalidParam = (name: string, reason: string): DfsError =>
  new DfsError('IllegalArgument', `Invalid value for webhdfs parameter "${name}": ${reason}`, { parameter: name });

/** The op of a request, matched case-insensitively (clients such as the `webhdfs` npm package send lower case). */
export function parseOp(method: string, raw: string | undefined): WebHdfsOp {
  const httpMethod = method.toUpperCase() as WebHdfsMethod;
  const ops = WEBHDFS_OPS[httpMethod] as readonly string[] | undefined;
  if (!ops) throw new DfsError('UnsupportedOperation', `HTTP method ${method} is not supported by WebHDFS`);
  if (raw === undefined || raw === '') throw invalidParam('op', 'op is null');
  const op = raw.toUpperCase();
  if (!ops.includes(op)) throw invalidParam('op', `No enum constant ${OP_ENUM_CLASS[httpMethod]}.${op}`);
  return op as WebHdfsOp;
}

/** The raw `op` value; parameter names are case-insensitive. */
export function rawOp(query: unknown): string | undefined {
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, string | string[] | undefined>)) {
    if (name.toLowerCase() === 'op') return Array.isArray(value) ? value[value.length - 1] : value;
  }
  return undefined;
}

// ---- query parameters -----------------------------------------------------------------------

const boolean = z.string().regex(/^(true|false)$/i, 'Failed to parse as a boolean: expected true or false').transform((v) => v.toLowerCase() === 'true');
const long = (min: number) =>
  z
    .string()
    .regex(/^[+-]?\d+$/, 'Failed to parse as a long integer')
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n), 'out of range')
    .refine((n) => n >= min, `Invalid value, it should be >= ${min}`);
/** HDFS user names (UserParam's domain). */
const userName = z.string().regex(/^[A-Za-z_][A-Za-z0-9._-]*[$]?$/, 'Invalid value: does not belong to the domain ^[A-Za-z_][A-Za-z0-9._-]*[$]?$');
const permission = z
  .string()
  .regex(/^[0-7]{1,4}$/, 'Failed to parse as a radix-8 integer')
  .transform((v) => parseInt(v, 8))
  .refine((n) => n <= 0o1777, 'Invalid value, it should be <= 1777');

/** Every parameter any supported op reads, by Hadoop's (lower-cased) name. Others are tolerated and ignored. */
const PARAMS = {
  'user.name': userName,
  doas: userName,
  overwrite: boolean,
  noredirect: boolean,
  recursive: boolean,
  createparent: boolean,
  data: boolean,
  blocksize: long(1),
  replication: long(1).refine((n) => n <= 32767, 'Invalid value, it should be <= 32767'),
  permission,
  buffersize: long(1),
  offset: long(0),
  length: long(0),
  newlength: long(0),
  modificationtime: long(-1),
  accesstime: long(-1),
  destination: z.string().startsWith('/', 'must be an absolute path'),
  sources: z.string(),
  owner: z.string().min(1),
  group: z.string().min(1),
  startafter: z.string(),
  snapshotname: z.string().max(255),
  oldsnapshotname: z.string().max(255),
  // A host name, IPv4 or [IPv6] address and an optional port: the datanode builds a URL from it.
  namenoderpcaddress: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/, 'host:port expected')
    .refine((v) => URL.canParse(`http://${v}`), 'host:port expected'),
  /** A bearer token (Hadoop's delegation token parameter). */
  delegation: z.string().max(256),
  /** The namenode's signed grant carried by a redirect to a datanode (shared/block-token.ts). */
  blocktoken: z.string().max(4096),
} as const;
type Params = typeof PARAMS;
export type WebHdfsParams = { [K in keyof Params]?: z.output<Params[K]> };

/**
 * Parses a request's query: names lower-cased (as Hadoop's ParamFilter does), known values
 * validated, empty values treated as absent (Hadoop's default), unknown names ignored.
 */
export function parseParams(query: unknown): WebHdfsParams {
  const out: Record<string, unknown> = {};
  for (const [rawName, rawValue] of Object.entries((query ?? {}) as Record<string, string | string[] | undefined>)) {
    const name = rawName.toLowerCase();
    if (!Object.hasOwn(PARAMS, name)) continue;
    const value = Array.isArray(rawValue) ? rawValue[rawValue.length - 1] : rawValue;
    if (value === undefined || value === '') continue;
    const result = PARAMS[name as keyof Params].safeParse(value);
    if (!result.success) throw invalidParam(name, `${result.error.issues[0]?.message ?? 'invalid'}: "${value}"`);
    out[name] = result.data;
  }
  return out as WebHdfsParams;
}

/** The namespace path of a /webhdfs/v1/<path> URL (percent-decoded; '' is the root). */
export function pathOfUrl(url: string): string {
  const pathname = url.split('?')[0];
  const rest = pathname.slice(WEBHDFS_PREFIX.length);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new DfsError('IllegalArgument', `Invalid path encoding: ${rest.slice(0, 200)}`);
  }
  return decoded === '' ? '/' : decoded;
}

/** Percent-encodes each path component for a URL. */
export const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

/** Query string with Hadoop's parameter names; undefined values are left out. */
export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, String(value));
  return search.toString();
}

/** The access a data op's redirect grants. */
export function redirectAccessMode(op: WebHdfsOp): BlockAccessMode {
  return op === 'CREATE' || op === 'APPEND' ? 'write' : 'read';
}

// ---- JSON bodies ------------------------------------------------------------------------------

/** Hadoop's FileStatus JSON (JsonUtil.toJsonMap): keys in Hadoop's (sorted) order, permission in octal. */
export function fileStatusJson(status: FileStatus, pathSuffix: string) {
  return {
    accessTime: status.accessTime,
    blockSize: status.blockSize,
    childrenNum: status.childrenNum,
    fileId: status.fileId,
    group: status.group,
    length: status.length,
    modificationTime: status.modificationTime,
    owner: status.owner,
    pathSuffix,
    permission: status.permission.toString(8),
    replication: status.replication,
    storagePolicy: 0,
    type: status.type,
  };
}

const hostPort = (node: DatanodeInfo): { host: string; port: number; name: string } => {
  const url = new URL(node.url);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { host, port, name: `${host}:${port}` };
};

/** FileSystem.getFileBlockLocations as WebHDFS's BlockLocations JSON. */
export function blockLocationsJson(located: LocatedBlocks) {
  return {
    BlockLocations: {
      BlockLocation: located.blocks.map((b: LocatedBlock) => {
        const nodes = b.locations.map((node) => ({ ...hostPort(node), rack: node.rack }));
        return {
          cachedHosts: [] as string[],
          corrupt: false,
          hosts: nodes.map((n) => n.host),
          length: b.block.numBytes,
          names: nodes.map((n) => n.name),
          offset: b.offset,
          storageTypes: nodes.map(() => 'DISK'),
          topologyPaths: nodes.map((n) => `${n.rack}/${n.name}`),
        };
      }),
    },
  };
}

function datanodeInfoJson(node: DatanodeInfo) {
  const { host, port, name } = hostPort(node);
  return {
    adminState: 'NORMAL',
    hostName: host,
    infoPort: port,
    infoSecurePort: 0,
    ipAddr: host,
    ipcPort: port,
    name,
    networkLocation: node.rack,
    storageID: node.uuid,
    xferPort: port,
  };
}

/** ClientProtocol.getBlockLocations as Hadoop's LocatedBlocks JSON (JsonUtil.toJsonString(LocatedBlocks)). */
export function locatedBlocksJson(located: LocatedBlocks, blockPoolId: string) {
  const blockJson = (b: LocatedBlock) => ({
    block: { blockId: b.block.blockId, blockPoolId, generationStamp: b.block.genStamp, numBytes: b.block.numBytes },
    blockToken: { urlString: '' },
    cachedLocations: [] as unknown[],
    isCorrupt: false,
    locations: b.locations.map(datanodeInfoJson),
    startOffset: b.offset,
    storageTypes: b.locations.map(() => 'DISK'),
  });
  const last = located.blocks[located.blocks.length - 1];
  return {
    LocatedBlocks: {
      fileLength: located.fileLength,
      isLastBlockComplete: !located.underConstruction,
      isUnderConstruction: located.underConstruction,
      lastLocatedBlock: last ? blockJson(last) : null,
      locatedBlocks: located.blocks.map(blockJson),
    },
  };
}

// ---- errors -----------------------------------------------------------------------------------

/**
 * Hadoop's WebHDFS ExceptionHandler: FileNotFoundException 404, SecurityException 401,
 * IllegalArgumentException and UnsupportedOperationException 400, any other IOException 403,
 * RuntimeException 500. (dfs's own statuses, such as 503 for "retry", would confuse WebHDFS clients.)
 */
export function webhdfsStatus(kind: ErrorKind): number {
  switch (kind) {
    case 'FileNotFound':
      return 404;
    case 'Unauthorized':
      return 401;
    case 'IllegalArgument':
    case 'InvalidPath':
    case 'UnsupportedOperation':
      return 400;
    case 'Internal':
      return 500;
    default:
      return 403;
  }
}

/** Answers an error exactly as Hadoop's WebHDFS does: status and the three RemoteException fields. */
export function sendWebHdfsError(reply: FastifyReply, error: unknown): FastifyReply {
  const dfsError = isDfsError(error) ? error : toDfsError(error);
  const { exception, javaClassName, message } = dfsError.toRemoteException().RemoteException;
  return reply.code(webhdfsStatus(dfsError.kind)).type('application/json').send({ RemoteException: { exception, javaClassName, message } });
}

/**
 * Readies a fastify scope to serve WebHDFS: request bodies are left unparsed, whatever their
 * content type (curl -T sends none), for the handlers to stream or ignore; every failure is
 * answered as Hadoop's RemoteException.
 */
export function prepareWebHdfsScope(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  app.setErrorHandler((error, _request, reply) => sendWebHdfsError(reply, error));
}

/** The op, parameters and namespace path of a WebHDFS request, validated. */
export function parseWebHdfsRequest(request: FastifyRequest): { op: WebHdfsOp; params: WebHdfsParams; path: string } {
  return { op: parseOp(request.method, rawOp(request.query)), params: parseParams(request.query), path: normalizePath(pathOfUrl(request.url)) };
}

/** Hadoop's SnapshotDiffReport JSON (JsonUtil.toJsonString(SnapshotDiffReport)): keys sorted, targetPath only for renames. */
export function snapshotDiffReportJson(report: SnapshotDiffReport) {
  return {
    SnapshotDiffReport: {
      diffList: report.diffList.map((entry) => ({
        sourcePath: entry.sourcePath,
        ...(entry.targetPath !== undefined ? { targetPath: entry.targetPath } : {}),
        type: entry.type,
      })),
      fromSnapshot: report.fromSnapshot,
      snapshotRoot: report.snapshotRoot,
      toSnapshot: report.toSnapshot,
    },
  };
}

/** Hadoop's SnapshottableDirectoryList JSON: dirStatus is the directory's FileStatus named by its last component. */
export function snapshottableDirectoryListJson(directories: SnapshottableDirectory[]) {
  return {
    SnapshottableDirectoryList: directories.map((directory) => ({
      dirStatus: fileStatusJson(directory.status, directory.status.path.slice(directory.status.path.lastIndexOf('/') + 1)),
      parentFullPath: directory.parentFullPath,
      snapshotNumber: directory.snapshotNumber,
      snapshotQuota: directory.snapshotQuota,
    })),
  };
}
