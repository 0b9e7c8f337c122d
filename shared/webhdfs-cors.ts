// Cross-origin WebHDFS for browsers, on the datanodes: the namenode's file browser uploads in
// Hadoop's two steps, and the second one (PUT to the datanode the namenode named) leaves the page's
// origin. The datanode answers the CORS preflight and marks every WebHDFS answer, errors included,
// readable by any origin. This grants nothing a non-browser client does not already have: WebHDFS
// names its caller in the URL (user.name), there are no cookies, and a browser sends no credentials
// on these requests.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { WEBHDFS_PREFIX } from './webhdfs.js';

/** Browsers cache a preflight answer this long. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export function allowCrossOriginWebHdfs(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('access-control-allow-origin', '*');
    return payload;
  });
  const preflight = async (_request: unknown, reply: FastifyReply) =>
    reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'GET, PUT, POST, OPTIONS')
      .header('access-control-allow-headers', 'content-type, x-request-id')
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS))
      .send();
  app.options(WEBHDFS_PREFIX, preflight);
  app.options(`${WEBHDFS_PREFIX}/*`, preflight);
}
