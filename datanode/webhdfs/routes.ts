// WebHDFS on the datanode (Hadoop's DatanodeWebHdfsMethods): the second step of CREATE, APPEND and
// OPEN, where a namenode redirected the client with `namenoderpcaddress` naming itself, and
// GETFILECHECKSUM. Other ops are the namenode's, answered as Hadoop's datanode does.

import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DfsError } from '../../shared/errors.js';
import { WEBHDFS_PREFIX, encodePath, parseWebHdfsRequest, prepareWebHdfsScope, redirectAccessMode, type WebHdfsParams } from '../../shared/webhdfs.js';
import { allowCrossOriginWebHdfs } from '../../shared/webhdfs-cors.js';
import { authorizeBlockAccess } from '../block-access.js';
import type { DatanodeContext } from '../context.js';
import { ClientPool, appendFile, createFile, fileChecksum, openFile } from './data-ops.js';

/** The user a request without `user.name` runs as (Hadoop's hadoop.http.staticuser.user). */
export const WEBHDFS_DEFAULT_USER = 'dr.who';
/** The ops a datanode serves; the others are the namenode's. */
const DATA_OPS: ReadonlySet<string> = new Set(['CREATE', 'APPEND', 'OPEN', 'GETFILECHECKSUM']);

export function webhdfsDatanodeRoutes(ctx: DatanodeContext, options: { defaultUser?: string } = {}): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const clients = new ClientPool(ctx.secret);
    app.addHook('onClose', () => clients.close());
    prepareWebHdfsScope(app);
    // The namenode's file browser uploads here from another origin.
    allowCrossOriginWebHdfs(app);

    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const { op, params, path } = parseWebHdfsRequest(request);
      const namenode = namenodeUrl(params, ctx.namenodeUrls);
      if (!DATA_OPS.has(op)) throw new DfsError('UnsupportedOperation', `${op} is not supported`);
      // With a cluster secret, only the namenode's signed grant for this path and op lets a request in;
      // its user is the one the namenode authenticated, and only a known namenode hears the secret.
      const granted = authorizeBlockAccess(ctx, request, { path }, redirectAccessMode(op), params.blocktoken);
      if (ctx.secret !== undefined && !ctx.namenodeUrls.includes(namenode)) {
        throw new DfsError('AccessControl', `namenoderpcaddress ${params.namenoderpcaddress} is not a namenode of this datanode`);
      }
      const client = clients.get(namenode, granted ?? params['user.name'] ?? options.defaultUser ?? WEBHDFS_DEFAULT_USER);
      switch (op) {
        case 'CREATE': {
          const ended = ctx.transfers.begin('write', { path });
          try {
            await createFile(client, path, params, request.raw);
          } finally {
            ended();
          }
          // Hadoop: 201 with the file's webhdfs:// URI.
          return reply.code(201).header('location', `webhdfs://${params.namenoderpcaddress}${encodePath(path)}`).header('content-length', '0').send();
        }
        case 'APPEND': {
          const ended = ctx.transfers.begin('write', { path });
          try {
            await appendFile(client, path, request.raw);
          } finally {
            ended();
          }
          return reply.code(200).header('content-length', '0').send();
        }
        case 'OPEN': {
          const { length, stream } = await openFile(client, path, params);
          stream.once('close', ctx.transfers.begin('read', { path }));
          return reply.code(200).type('application/octet-stream').header('content-length', String(length)).send(stream);
        }
        case 'GETFILECHECKSUM':
          return reply.code(200).type('application/json').send(await fileChecksum(client, path));
        default:
          throw new DfsError('UnsupportedOperation', `${op} is not supported`);
      }
    };
    app.route({ method: ['GET', 'PUT', 'POST', 'DELETE'], url: `${WEBHDFS_PREFIX}`, handler: handle });
    app.route({ method: ['GET', 'PUT', 'POST', 'DELETE'], url: `${WEBHDFS_PREFIX}/*`, handler: handle });
  };
}

/**
 * Hadoop's datanode reaches the namenode named by the redirect (`namenoderpcaddress`, host:port):
 * as this datanode's own namenode URL with that address (so its scheme, http or https), else over
 * the scheme of its namenodes.
 */
function namenodeUrl(params: WebHdfsParams, known: readonly string[]): string {
  const address = params.namenoderpcaddress;
  if (!address) throw new DfsError('IllegalArgument', 'namenoderpcaddress is not specified.');
  const match = known.find((url) => URL.canParse(url) && new URL(url).host === address);
  if (match) return match;
  const scheme = known[0] && URL.canParse(known[0]) ? new URL(known[0]).protocol : 'http:';
  return `${scheme}//${address}`;
}
