// WebHDFS on the namenode (Hadoop's NamenodeWebHdfsMethods): /webhdfs/v1/<path>?op=... Metadata ops
// are answered from the namesystem (writes on a follower are relayed to the leader); CREATE, APPEND,
// OPEN and GETFILECHECKSUM redirect to a datanode (307, or 200 {"Location"} with noredirect=true),
// or, in proxy mode, are streamed by this namenode itself the way Hadoop's HttpFS gateway does.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { request as httpRequest } from 'undici';
import { DfsError, isDfsError } from '../../shared/errors.js';
import { homeDirectoryOf, normalizePath } from '../../shared/paths.js';
import { assertWritablePath } from '../../shared/snapshot-paths.js';
import { LISTING_PAGE_ENTRIES_DEFAULT, PERMISSION_DIR_DEFAULT } from '../../shared/constants.js';
import type { DatanodeInfo, FileStatus } from '../../shared/protocol.js';
import {
  WEBHDFS_PREFIX,
  blockLocationsJson,
  encodePath,
  fileStatusJson,
  invalidParam,
  locatedBlocksJson,
  parseWebHdfsRequest,
  prepareWebHdfsScope,
  queryString,
  snapshotDiffReportJson,
  snapshottableDirectoryListJson,
  redirectAccessMode,
  type WebHdfsOp,
  type WebHdfsParams,
} from '../../shared/webhdfs.js';
import { ClientPool, appendFile, createFile, fileChecksum, openFile } from '../../datanode/webhdfs/data-ops.js';
import type { Namesystem } from '../namesystem.js';
import { FORWARDED_FOR_HEADER, callerIp, webhdfsAuditTarget, type AuditLog } from '../audit-log.js';
import { REQUEST_ID_PARAM } from '../../shared/request-id.js';
import { BLOCK_TOKEN_PARAM } from '../../shared/block-token.js';
import type { NamenodeAuth } from '../security/auth.js';

export interface WebHdfsNamenodeOptions {
  namesystem: Namesystem;
  /** This namenode's advertised URL (datanodes are sent back to it as `namenoderpcaddress`). */
  selfUrl: string;
  /** Serve CREATE/APPEND/OPEN/GETFILECHECKSUM data here instead of redirecting to datanodes. */
  proxy?: boolean;
  /** Audits the ops this namenode answers itself. */
  audit?: AuditLog;
  auth: NamenodeAuth;
}

/** Ops that change the namespace: a follower relays them to the leader. */
const LEADER_OPS: ReadonlySet<WebHdfsOp> = new Set([
  'MKDIRS',
  'RENAME',
  'SETREPLICATION',
  'SETPERMISSION',
  'SETOWNER',
  'SETTIMES',
  'CONCAT',
  'TRUNCATE',
  'DELETE',
  'ALLOWSNAPSHOT',
  'DISALLOWSNAPSHOT',
  'CREATESNAPSHOT',
  'RENAMESNAPSHOT',
  'DELETESNAPSHOT',
]);
const FORWARDED_HEADER = 'x-dfs-forwarded-by';
/** Ops whose data a datanode (or this namenode in proxy mode) streams after a redirect. */
const DATA_OPS: ReadonlySet<WebHdfsOp> = new Set(['CREATE', 'APPEND', 'OPEN', 'GETFILECHECKSUM']);
/** Rename failures HDFS's (boolean) rename answers with false rather than an exception. */
const RENAME_FALSE_KINDS = new Set(['FileNotFound', 'FileAlreadyExists', 'ParentNotDirectory', 'Io']);

interface Call {
  op: WebHdfsOp;
  path: string;
  params: WebHdfsParams;
  user: string;
  request: FastifyRequest;
  reply: FastifyReply;
}

export async function webhdfsNamenodeRoutes(app: FastifyInstance, options: WebHdfsNamenodeOptions): Promise<void> {
  const { namesystem, selfUrl } = options;
  const selfAddress = new URL(selfUrl).host;
  const clients = new ClientPool(options.auth.secret);
  app.addHook('onClose', () => clients.close());
  // A redirected op ignores its body (as Hadoop's namenode does); proxy mode streams it.
  prepareWebHdfsScope(app);

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const { op, params, path } = parseWebHdfsRequest(request);
    if (request.headers[FORWARDED_HEADER] && !options.auth.isPeer(request)) throw new DfsError('Unauthorized', 'Forwarded request refused: missing or wrong cluster secret');
    // Proxy mode's second step comes back here with the grant this namenode signed in its redirect;
    // a grant stands for its user only for the data ops it was made for, never for other ops.
    const user = params.blocktoken !== undefined && options.proxy && DATA_OPS.has(op)
      ? options.auth.blockTokens.verify(params.blocktoken, { path }, redirectAccessMode(op))
      : options.auth.identify(request, params['user.name'], params.delegation);
    const call: Call = { op, path, params, user: user ?? namesystem.config.defaultUser, request, reply };
    if (LEADER_OPS.has(op) && !namesystem.log.isLeader) return relayToLeader(call);
    if (!options.audit) return dispatch(call);
    const who = { user: call.user, ip: callerIp(request, FORWARDED_HEADER), proto: 'webhdfs' as const };
    return options.audit.around(webhdfsAuditTarget(op, path, params), who, () => dispatch(call));
  };
  app.route({ method: ['GET', 'PUT', 'POST', 'DELETE'], url: WEBHDFS_PREFIX, handler: handle });
  app.route({ method: ['GET', 'PUT', 'POST', 'DELETE'], url: `${WEBHDFS_PREFIX}/*`, handler: handle });

  async function dispatch(call: Call): Promise<unknown> {
    const { op, path, params, user, reply } = call;
    switch (op) {
      case 'GETFILESTATUS': {
        const { status } = await namesystem.getFileInfo({ path, user });
        if (!status) throw new DfsError('FileNotFound', `File does not exist: ${path}`, { path });
        return { FileStatus: fileStatusJson(status, '') };
      }
      case 'LISTSTATUS': {
        const statuses = [];
        let startAfter: string | undefined;
        for (;;) {
          const page = await namesystem.listStatus({ path, user, startAfter });
          statuses.push(...page.entries.map((entry) => listingEntry(entry, path)));
          if (page.remaining === 0 || page.entries.length === 0) break;
          startAfter = nameOf(page.entries[page.entries.length - 1]);
        }
        return { FileStatuses: { FileStatus: statuses } };
      }
      case 'LISTSTATUS_BATCH': {
        const page = await namesystem.listStatus({ path, user, startAfter: params.startafter, limit: LISTING_PAGE_ENTRIES_DEFAULT });
        return {
          DirectoryListing: {
            partialListing: { FileStatuses: { FileStatus: page.entries.map((entry) => listingEntry(entry, path)) } },
            remainingEntries: page.remaining,
          },
        };
      }
      case 'GETCONTENTSUMMARY': {
        const summary = await namesystem.getContentSummary({ path, user });
        return {
          ContentSummary: {
            directoryCount: summary.directoryCount,
            fileCount: summary.fileCount,
            length: summary.length,
            quota: summary.quota,
            spaceConsumed: summary.spaceConsumed,
            spaceQuota: summary.spaceQuota,
          },
        };
      }
      case 'GETHOMEDIRECTORY':
        return { Path: homeDirectoryOf(user) };
      case 'GETTRASHROOT':
        return { Path: `${homeDirectoryOf(user)}/.Trash` };
      case 'GETFILEBLOCKLOCATIONS': {
        const { located } = await namesystem.getBlockLocations({ path, user, offset: params.offset ?? 0, length: params.length ?? Number.MAX_SAFE_INTEGER });
        return blockLocationsJson(located);
      }
      case 'GET_BLOCK_LOCATIONS': {
        const { located } = await namesystem.getBlockLocations({ path, user, offset: params.offset ?? 0, length: params.length ?? Number.MAX_SAFE_INTEGER });
        return locatedBlocksJson(located, namesystem.clusterId);
      }
      case 'MKDIRS':
        await namesystem.mkdirs({ path, user, permission: params.permission ?? PERMISSION_DIR_DEFAULT, createParent: true });
        return { boolean: true };
      case 'RENAME': {
        if (!params.destination) throw invalidParam('destination', 'null');
        try {
          const { renamed } = await namesystem.rename({ src: path, dst: normalizePath(params.destination), user });
          return { boolean: renamed };
        } catch (error) {
          if (isDfsError(error) && RENAME_FALSE_KINDS.has(error.kind)) return { boolean: false };
          throw error;
        }
      }
      case 'DELETE': {
        const { deleted } = await namesystem.delete({ path, user, recursive: params.recursive ?? false });
        return { boolean: deleted };
      }
      case 'SETREPLICATION': {
        const { changed } = await namesystem.setReplication({ path, user, replication: params.replication ?? namesystem.config.defaultReplication });
        return { boolean: changed };
      }
      case 'SETPERMISSION':
        await namesystem.setPermission({ path, user, permission: params.permission ?? PERMISSION_DIR_DEFAULT });
        return empty(reply);
      case 'SETOWNER':
        if (params.owner === undefined && params.group === undefined) throw new DfsError('IllegalArgument', 'Both owner and group are empty.');
        await namesystem.setOwner({ path, user, owner: params.owner, group: params.group });
        return empty(reply);
      case 'SETTIMES':
        await namesystem.setTimes({ path, user, modificationTime: params.modificationtime ?? -1, accessTime: params.accesstime ?? -1 });
        return empty(reply);
      case 'CONCAT': {
        const sources = (params.sources ?? '').split(',').filter((s) => s.length > 0);
        if (sources.length === 0) throw invalidParam('sources', 'no source paths given');
        await namesystem.concat({ target: path, sources, user });
        return empty(reply);
      }
      case 'TRUNCATE': {
        if (params.newlength === undefined) throw invalidParam('newlength', 'null');
        const { done } = await namesystem.truncate({ path, user, newLength: params.newlength });
        return { boolean: done };
      }
      case 'ALLOWSNAPSHOT':
        await namesystem.snapshots.allowSnapshot({ path, user });
        return empty(reply);
      case 'DISALLOWSNAPSHOT':
        await namesystem.snapshots.disallowSnapshot({ path, user });
        return empty(reply);
      case 'CREATESNAPSHOT': {
        const created = await namesystem.snapshots.createSnapshot({ path, user, name: params.snapshotname });
        return { Path: created.path };
      }
      case 'RENAMESNAPSHOT':
        if (!params.oldsnapshotname) throw invalidParam('oldsnapshotname', 'null');
        if (!params.snapshotname) throw invalidParam('snapshotname', 'null');
        await namesystem.snapshots.renameSnapshot({ path, user, oldName: params.oldsnapshotname, newName: params.snapshotname });
        return empty(reply);
      case 'DELETESNAPSHOT':
        if (!params.snapshotname) throw invalidParam('snapshotname', 'null');
        await namesystem.snapshots.deleteSnapshot({ path, user, name: params.snapshotname });
        return empty(reply);
      case 'GETSNAPSHOTDIFF': {
        const { report } = await namesystem.snapshots.getSnapshotDiff({ path, user, fromSnapshot: params.oldsnapshotname ?? '', toSnapshot: params.snapshotname ?? '' });
        return snapshotDiffReportJson(report);
      }
      case 'GETSNAPSHOTTABLEDIRECTORYLIST': {
        const { directories } = await namesystem.snapshots.getSnapshottableDirectoryList({ user });
        return snapshottableDirectoryListJson(directories);
      }
      case 'CREATE':
      case 'APPEND':
        assertWritablePath(path); // refused here rather than by the datanode the client is sent to
        return options.proxy ? serveData(call) : redirect(call, await chooseDatanode(call));
      case 'OPEN':
      case 'GETFILECHECKSUM':
        return options.proxy ? serveData(call) : redirect(call, await chooseDatanode(call));
      default: {
        const unreachable: never = op;
        throw new DfsError('UnsupportedOperation', `${String(unreachable)} is not supported`);
      }
    }
  }

  /** Hadoop's chooseDatanode: a replica of the byte read first, or any datanode that can take a block. */
  async function chooseDatanode({ op, path, params, user }: Call): Promise<DatanodeInfo> {
    let candidates: DatanodeInfo[] = [];
    if (op === 'OPEN' || op === 'GETFILECHECKSUM') {
      const { located } = await namesystem.getBlockLocations({ path, user, offset: op === 'OPEN' ? params.offset ?? 0 : 0, length: 1 });
      candidates = located.blocks[0]?.locations ?? [];
    } else if (op === 'APPEND') {
      const { status } = await namesystem.getFileInfo({ path, user });
      if (!status) throw new DfsError('FileNotFound', `File ${path} not found.`, { path });
      if (status.length > 0) {
        const { located } = await namesystem.getBlockLocations({ path, user, offset: status.length - 1, length: 1 });
        candidates = located.blocks[0]?.locations ?? [];
      }
    }
    if (candidates.length > 0) return candidates[0];
    const writable = namesystem.datanodes.writable();
    if (writable.length === 0) throw new DfsError('Io', 'Failed to find datanode, suggest to check cluster health. excludeDatanodes=null', { path });
    return writable[Math.floor(Math.random() * writable.length)].info;
  }

  /** 307 to the datanode (the client re-sends the request there), or 200 {"Location"} with noredirect. */
  function redirect(call: Call, target: { url: string }, extra: Record<string, string> = {}): unknown {
    const { op, path, request, reply, params, user } = call;
    const forwarded: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.query as Record<string, string | string[]>)) {
      const lower = name.toLowerCase();
      // A bearer token stays here: the datanode gets a grant for this one path and op instead.
      if (['op', 'noredirect', 'user.name', 'namenoderpcaddress', 'delegation', BLOCK_TOKEN_PARAM].includes(lower)) continue;
      forwarded[lower] = Array.isArray(value) ? value[value.length - 1] : value;
    }
    // The request id rides along as a parameter: a client following a redirect does not resend headers.
    const grant = options.auth.blockTokens.sign({ path, mode: redirectAccessMode(op), user });
    const query = queryString({ op, 'user.name': user, namenoderpcaddress: selfAddress, ...forwarded, [REQUEST_ID_PARAM]: request.id, [BLOCK_TOKEN_PARAM]: grant, ...extra });
    const location = `${target.url}${WEBHDFS_PREFIX}${encodePath(path)}?${query}`;
    if (params.noredirect) return reply.code(200).type('application/json').send({ Location: location });
    return reply.code(307).header('location', location).header('content-length', '0').send();
  }

  /** Proxy mode (HttpFS): the first CREATE/APPEND call is sent back here with data=true, which then streams. */
  async function serveData(call: Call): Promise<unknown> {
    const { op, path, params, user, request, reply } = call;
    const client = clients.get(selfUrl, user);
    switch (op) {
      case 'CREATE':
        if (!params.data) return redirect(call, { url: selfUrl }, { data: 'true' });
        await createFile(client, path, params, request.raw);
        return reply.code(201).header('location', `webhdfs://${selfAddress}${encodePath(path)}`).header('content-length', '0').send();
      case 'APPEND':
        if (!params.data) return redirect(call, { url: selfUrl }, { data: 'true' });
        await appendFile(client, path, request.raw);
        return reply.code(200).header('content-length', '0').send();
      case 'OPEN': {
        const { length, stream } = await openFile(client, path, params);
        return reply.code(200).type('application/octet-stream').header('content-length', String(length)).send(stream);
      }
      default:
        return fileChecksum(client, path);
    }
  }

  /** A follower hands a namespace change to the leader and answers with the leader's answer. */
  async function relayToLeader({ request, reply, user }: Call): Promise<unknown> {
    const leader = namesystem.log.leaderUrl;
    if (!leader || request.headers[FORWARDED_HEADER]) {
      throw new DfsError('Unavailable', leader ? 'Leadership is changing; retry' : 'No namenode leader is elected yet; retry', { leader });
    }
    let answer;
    try {
      answer = await httpRequest(`${leader}${request.url}`, { method: request.method as 'PUT', headers: { [FORWARDED_HEADER]: '1', [FORWARDED_FOR_HEADER]: request.ip, 'x-request-id': request.id, ...options.auth.peerHeaders(user) } });
    } catch (error) {
      throw new DfsError('Unavailable', `Cannot reach the leader ${leader}: ${(error as Error).message}`, { leader });
    }
    const body = await answer.body.text();
    const type = answer.headers['content-type'];
    if (typeof type === 'string') void reply.type(type);
    return reply.code(answer.statusCode).send(body);
  }
}

function empty(reply: FastifyReply): FastifyReply {
  return reply.code(200).header('content-length', '0').send();
}

const nameOf = (status: FileStatus): string => status.path.slice(status.path.lastIndexOf('/') + 1);

/** A listing names children by their last component; a file listed by itself has an empty suffix. */
function listingEntry(status: FileStatus, listedPath: string) {
  return fileStatusJson(status, status.path === listedPath ? '' : nameOf(status));
}
