// HTTP surface for block data: PUT streams a block in as frames (and on down the pipeline), GET
// streams a verified byte range out. Frame format and pipeline client live in shared/block-transfer.ts.

import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { BLOCKS_PATH } from '../../shared/block-transfer.js';
import { DfsError, isDfsError } from '../../shared/errors.js';
import { parseInput } from '../../shared/http.js';
import type { DatanodeContext } from '../context.js';
import { receiveBlock } from '../block-receiver.js';
import { authorizeBlockAccess } from '../block-access.js';
import { metricsOf } from '../metrics.js';
import type { Replica, VerifiedChunk } from '../storage/block-store.js';

const BlockParams = z.object({ blockId: z.coerce.number().int().positive() });
const BlockQuery = z.object({
  genStamp: z.coerce.number().int().positive(),
  targets: z
    .string()
    .optional()
    .transform((value) => (value ?? '').split(',').filter((url) => url.length > 0))
    .pipe(z.array(z.string().url()).max(64)),
  blocktoken: z.string().optional(),
});
const ReadQuery = z.object({ genStamp: z.coerce.number().int().positive(), blocktoken: z.string().optional() });

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
}

/**
 * Parses an RFC 7233 `Range` header for a resource of `length` bytes. Returns undefined when the
 * header is absent or not a single byte range (then the whole resource is served, as the RFC allows),
 * or 'unsatisfiable'.
 */
export function parseRange(header: string | undefined, length: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || length === 0) return 'unsatisfiable';
    return { start: Math.max(0, length - suffix), end: length };
  }
  const start = Number(match[1]);
  const last = match[2] === '' ? length - 1 : Math.min(Number(match[2]), length - 1);
  if (start >= length || (match[2] !== '' && Number(match[2]) < start)) return 'unsatisfiable';
  return { start, end: last + 1 };
}

export function blockTransferRoutes(ctx: DatanodeContext): FastifyPluginAsync {
  return async (app) => {
    // The block body is a stream of frames: hand the raw request to the handler, never buffer it.
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

    app.put(`${BLOCKS_PATH}/:blockId`, async (request) => {
      const { blockId } = parseInput(BlockParams, request.params, 'block id');
      const { genStamp, targets, blocktoken } = parseInput(BlockQuery, request.query, 'block write parameters');
      authorizeBlockAccess(ctx, request, { blockId }, 'write', blocktoken);
      const body = request.body as Readable | undefined;
      // Without destroyOnReturn an early error answer still reaches the sender; Node drains the rest.
      const source: AsyncIterable<Uint8Array> = body ? body.iterator({ destroyOnReturn: false }) : emptySource();
      return receiveBlock(ctx, { blockId, genStamp, targets, blockToken: blocktoken }, source);
    });

    // No implicit HEAD: it would run the handler and read (and verify) the whole range for nothing.
    app.get(`${BLOCKS_PATH}/:blockId`, { exposeHeadRoute: false }, async (request, reply) => {
      const { blockId } = parseInput(BlockParams, request.params, 'block id');
      const { genStamp, blocktoken } = parseInput(ReadQuery, request.query, 'block read parameters');
      authorizeBlockAccess(ctx, request, { blockId }, 'read', blocktoken);
      const replica = ctx.store.get({ blockId, genStamp });
      const range = parseRange(request.headers.range, replica.numBytes);
      if (range === 'unsatisfiable') {
        void reply.header('content-range', `bytes */${replica.numBytes}`);
        return reply
          .code(416)
          .type('application/json')
          .send(new DfsError('IllegalArgument', `Range ${request.headers.range} not satisfiable for ${replica.numBytes} bytes`, { blockId }).toRemoteException());
      }
      const { start, end } = range ?? { start: 0, end: replica.numBytes };
      const chunks = ctx.store.read(replica, start, end);
      const ended = ctx.transfers.begin('read', { blockId: replica.blockId, genStamp: replica.genStamp });
      let first: IteratorResult<VerifiedChunk>;
      try {
        // Verify the first chunk before committing to a status line: a corrupt start is a clean error.
        first = await chunks.next();
      } catch (error) {
        ended();
        onReadFailure(ctx, replica, error);
        throw error;
      }
      void reply
        .code(range ? 206 : 200)
        .type('application/octet-stream')
        .header('content-length', String(end - start))
        .header('accept-ranges', 'bytes')
        .header('x-dfs-block-length', String(replica.numBytes));
      if (range) void reply.header('content-range', `bytes ${start}-${end - 1}/${replica.numBytes}`);
      const body = Readable.from(streamChunks(ctx, replica, first, chunks), { objectMode: false });
      // On 'close', not in the generator's finally: a stream destroyed before its first read never runs that.
      body.once('close', () => {
        ended();
        // Counted once per answer, and only when it was served to the end of its range.
        if (body.readableEnded) metricsOf(ctx)?.blockRead(end - start);
        chunks.return(undefined).catch(() => undefined);
      });
      return reply.send(body);
    });
  };
}

async function* emptySource(): AsyncGenerator<Uint8Array> {}

/** Streams the verified slices; a bad chunk mid-way ends the response abruptly (the reader sees a short body). */
async function* streamChunks(
  ctx: DatanodeContext,
  replica: Replica,
  first: IteratorResult<VerifiedChunk>,
  rest: AsyncGenerator<VerifiedChunk>,
): AsyncGenerator<Buffer> {
  // Adjacent verified slices of one disk read go out as one buffer: a socket write per 64 KiB
  // chunk cost more CPU than the read itself. A run is at most READ_RUN_CHUNKS chunks (1 MiB).
  let pending: Buffer | null = null;
  try {
    if (first.done) return;
    pending = first.value.slice;
    for await (const chunk of rest) {
      const slice = chunk.slice;
      if (slice.buffer === pending.buffer && slice.byteOffset === pending.byteOffset + pending.length) {
        pending = Buffer.from(pending.buffer, pending.byteOffset, pending.length + slice.length);
        continue;
      }
      const ready = pending;
      pending = slice;
      yield ready;
    }
    const last = pending;
    pending = null;
    yield last;
  } catch (error) {
    // Send what was verified before the bad chunk: the reader resumes from that byte elsewhere.
    if (pending !== null) yield pending;
    onReadFailure(ctx, replica, error);
    throw error;
  }
}

function onReadFailure(ctx: DatanodeContext, replica: Replica, error: unknown): void {
  if (!isDfsError(error, 'Checksum')) {
    ctx.logger.error({ err: error, blockId: replica.blockId, path: replica.blockPath }, 'block read failed');
    return;
  }
  ctx.logger.error({ err: error, blockId: replica.blockId, genStamp: replica.genStamp, path: replica.blockPath }, 'corrupt replica found while serving a read; reporting it');
  metricsOf(ctx)?.checksumFailure('read');
  ctx.links?.reportBadBlocks([{ blockId: replica.blockId, genStamp: replica.genStamp, numBytes: replica.numBytes }]);
}
