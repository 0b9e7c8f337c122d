// GET /rpc/v1/admin/image: streams a consistent copy of the namespace at a committed index, in the
// image format of namespace/image-format.ts (`dfs dfsadmin -fetchImage` saves it). Any namenode
// answers: after a linearizable read barrier its namespace holds every write acknowledged before
// the request, and `VACUUM INTO` copies it in one transaction while writes go on. Superuser only.

import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DfsError } from '../../shared/errors.js';
import { parseInput } from '../../shared/http.js';
import { UserName } from '../../shared/protocol.js';
import type { Namesystem } from '../namesystem.js';
import { SCHEMA_VERSION } from '../namespace/schema.js';
import { IMAGE_FORMAT, IMAGE_FORMAT_VERSION, encodeImageHeader, sha256OfFile, type ImageHeader } from '../namespace/image-format.js';

const ImageQuery = z.object({ user: UserName.optional() });

export async function imageRoutes(app: FastifyInstance, options: { namesystem: Namesystem }): Promise<void> {
  const { namesystem } = options;

  app.get('/rpc/v1/admin/image', async (request, reply) => {
    const { user } = parseInput(ImageQuery, request.query, 'image request');
    if ((user ?? '') !== namesystem.config.superuser) {
      throw new DfsError('AccessControl', `Access denied for user ${user ?? 'dr.who'}. Superuser privilege is required`);
    }
    await namesystem.log.readBarrier();
    const store = namesystem.store;
    const staged = `${store.file}.image-${randomBytes(6).toString('hex')}`;
    const startedMs = Date.now();
    // Synchronous from the copy to reading the position: no entry is applied in between.
    store.copyTo(staged);
    const position = { index: store.getNumber('applied_index'), term: store.getNumber('applied_term') };
    let header: ImageHeader;
    try {
      header = {
        format: IMAGE_FORMAT,
        formatVersion: IMAGE_FORMAT_VERSION,
        ...position,
        clusterId: namesystem.clusterId,
        schemaVersion: SCHEMA_VERSION,
        sizeBytes: statSync(staged).size,
        sha256: await sha256OfFile(staged),
        createdAtMs: startedMs,
      };
    } catch (error) {
      rmSync(staged, { force: true });
      throw error;
    }
    request.log.info({ index: header.index, term: header.term, sizeBytes: header.sizeBytes, copyMs: Date.now() - startedMs }, 'serving a namespace image');
    const body = Readable.from(
      (async function* () {
        try {
          yield encodeImageHeader(header);
          for await (const chunk of createReadStream(staged)) yield chunk as Buffer;
        } finally {
          rmSync(staged, { force: true });
        }
      })(),
    );
    reply.raw.on('close', () => body.destroy());
    return reply
      .header('content-type', 'application/octet-stream')
      .header('x-dfs-image-index', String(header.index))
      .header('x-dfs-image-term', String(header.term))
      .header('x-dfs-image-cluster-id', header.clusterId)
      .header('x-dfs-image-sha256', header.sha256)
      .send(body);
  });
}
