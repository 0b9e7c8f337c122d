// The HTTP baseline's server, run as its own process (as a datanode is): a fastify app on a free
// loopback port with no disk behind it. PUT /sink reads and drops the body; GET /source/<bytes>
// streams that many bytes from one buffer in memory. Prints {"port": N} on stdout once listening.

import { Readable } from 'node:stream';
import Fastify from 'fastify';

/** Size of each piece the GET answer is written in (the datanode sends 64 KiB frames). */
export const SOURCE_CHUNK_BYTES = 1024 * 1024;

function* repeatChunk(chunk: Buffer, totalBytes: number): Generator<Buffer> {
  for (let sentBytes = 0; sentBytes < totalBytes; sentBytes += chunk.length) {
    yield totalBytes - sentBytes >= chunk.length ? chunk : chunk.subarray(0, totalBytes - sentBytes);
  }
}

async function main(): Promise<void> {
  const app = Fastify({ logger: false, bodyLimit: Number.MAX_SAFE_INTEGER });
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  const chunk = Buffer.alloc(SOURCE_CHUNK_BYTES, 0x5a);

  app.put('/sink', async (request) => {
    let receivedBytes = 0;
    for await (const piece of request.body as Readable) receivedBytes += (piece as Buffer).length;
    return { receivedBytes };
  });

  app.get<{ Params: { bytes: string } }>('/source/:bytes', async (request, reply) => {
    const totalBytes = Number(request.params.bytes);
    void reply.header('content-length', String(totalBytes)).type('application/octet-stream');
    return reply.send(Readable.from(repeatChunk(chunk, totalBytes), { objectMode: false }));
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  const close = () => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
}

main().catch((error: unknown) => {
  process.stderr.write(`http baseline server failed: ${String(error)}\n`);
  process.exit(1);
});
