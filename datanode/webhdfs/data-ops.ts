// The data half of WebHDFS (what Hadoop's datanodes serve after a redirect): CREATE and APPEND
// stream the request body through the block pipeline, OPEN streams a byte range from the replicas,
// GETFILECHECKSUM computes HDFS's MD5-of-MD5-of-CRC32C. All of it goes through the client
// library (DfsClient and its block writer/reader) pointed at the namenode that redirected here.
// Also used in-process by a namenode running in proxy mode.

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DfsClient } from '../../client/dfs-client.js';
import { readBlockRange } from '../../client/blocks/block-reader.js';
import { DfsError } from '../../shared/errors.js';
import { crc32cOf } from '../../shared/checksum.js';
import { CHECKSUM_BYTES, CHECKSUM_CHUNK_BYTES } from '../../shared/constants.js';
import type { WebHdfsParams } from '../../shared/webhdfs.js';
import { AppendStream } from '../../client/append-stream.js';
import { peerHeaders } from '../../shared/peer-auth.js';

/** Clients kept per (namenode, user): each holds a connection pool, so they are reused. */
const CLIENTS_MAX = 64;
/** An evicted client may still serve a request in flight: close it only after this long. */
const EVICTED_CLIENT_CLOSE_DELAY_MS = 120_000;

export class ClientPool {
  private readonly clients = new Map<string, DfsClient>();

  /** With the cluster secret, each client vouches for its user to the namenode (it authenticated that user itself). */
  constructor(private readonly secret?: string) {}

  get(namenodeUrl: string, user: string): DfsClient {
    const key = `${namenodeUrl} ${user}`;
    let client = this.clients.get(key);
    if (client) {
      this.clients.delete(key);
    } else {
      client = new DfsClient({ namenodes: [namenodeUrl], user, headers: peerHeaders(this.secret, user) });
      if (this.clients.size >= CLIENTS_MAX) {
        const [oldestKey, oldest] = this.clients.entries().next().value as [string, DfsClient];
        this.clients.delete(oldestKey);
        setTimeout(() => void oldest.close().catch(() => undefined), EVICTED_CLIENT_CLOSE_DELAY_MS).unref();
      }
    }
    this.clients.set(key, client);
    return client;
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((client) => client.close().catch(() => undefined)));
  }
}

/**
 * CREATE, step 2: the body becomes the file, block after block, with backpressure end to end. A
 * body that fails (the client went away, stalled, or sent less than it announced) leaves no file:
 * the partial one is deleted rather than left under construction for lease recovery to close.
 */
export async function createFile(client: DfsClient, path: string, params: WebHdfsParams, body: Readable): Promise<void> {
  const stream = client.createWriteStream(path, {
    overwrite: params.overwrite ?? false,
    blockSize: params.blocksize,
    replication: params.replication,
    permission: params.permission,
  });
  try {
    await pipeline(body, stream);
  } catch (error) {
    // A body that fails while `create` is still in flight: the stream closes only once it returned.
    if (!stream.closed) await once(stream, 'close').catch(() => undefined);
    await deletePartialFile(client, path, stream.fileId).catch(() => undefined);
    throw error;
  }
}

/** Deletes the file a failed CREATE made, only while it is still that file and still being written. */
async function deletePartialFile(client: DfsClient, path: string, fileId: number | undefined): Promise<void> {
  if (fileId === undefined) return;
  const { status } = await client.rpc.call('getFileInfo', { path });
  if (status?.fileId === fileId && status.underConstruction) await client.rpc.call('delete', { path, recursive: false });
}

/** APPEND, step 2. */
export async function appendFile(client: DfsClient, path: string, body: Readable): Promise<void> {
  await pipeline(body, new AppendStream(client.rpc, path));
}

/** OPEN, step 2: the range [offset, offset + length) as a stream, and its exact length. */
export async function openFile(client: DfsClient, path: string, params: WebHdfsParams): Promise<{ length: number; stream: Readable }> {
  const { status } = await client.rpc.call('getFileInfo', { path });
  if (!status) throw new DfsError('FileNotFound', `File does not exist: ${path}`, { path });
  if (status.type === 'DIRECTORY') throw new DfsError('FileNotFound', `Path is not a file: ${path}`, { path });
  const offset = params.offset ?? 0;
  if (offset > status.length) {
    throw new DfsError('Io', `Offset=${offset} out of the range [0, ${status.length}); OPEN, path=${path}`, { path });
  }
  const length = Math.min(params.length ?? Number.MAX_SAFE_INTEGER, status.length - offset);
  if (length === 0) {
    // Still check the caller may read the file (getBlockLocations checks READ).
    await client.rpc.call('getBlockLocations', { path, offset: 0, length: 0 });
  }
  const stream = client.createReadStream(path, { start: offset, end: offset + length - 1 });
  return { length, stream };
}

/**
 * HDFS's MD5MD5CRC32FileChecksum over dfs's 64 KiB CRC32C chunks: per block the MD5 of its chunk
 * CRCs (big-endian), then the MD5 of those. The CRCs are recomputed from the replicas' bytes, which
 * every read verifies against the stored ones.
 */
export async function fileChecksum(client: DfsClient, path: string) {
  const { located } = await client.rpc.call('getBlockLocations', { path });
  const { status } = await client.rpc.call('getFileInfo', { path });
  const blockMd5s: Buffer[] = [];
  for (const block of located.blocks) {
    if (block.block.numBytes > 0 && block.locations.length === 0) {
      throw new DfsError('BlockMissing', `Could not obtain block ${block.block.blockId} of ${path}: no live replica`, { path, blockId: block.block.blockId });
    }
    const crcs = new ChunkCrcs();
    for await (const piece of readBlockRange(block, 0, block.block.numBytes)) crcs.push(piece);
    blockMd5s.push(createHash('md5').update(crcs.finish()).digest());
  }
  const crcPerBlock = located.blocks.length > 1 && status ? Math.floor(status.blockSize / CHECKSUM_CHUNK_BYTES) : 0;
  const bytes = Buffer.alloc(4 + 8 + 16);
  bytes.writeInt32BE(CHECKSUM_CHUNK_BYTES, 0);
  bytes.writeBigInt64BE(BigInt(crcPerBlock), 4);
  createHash('md5').update(Buffer.concat(blockMd5s)).digest().copy(bytes, 12);
  return {
    FileChecksum: {
      algorithm: `MD5-of-${crcPerBlock}MD5-of-${CHECKSUM_CHUNK_BYTES}CRC32C`,
      bytes: bytes.toString('hex'),
      length: bytes.length,
    },
  };
}

/** CRC32C per checksum chunk over data arriving in pieces of any size. */
class ChunkCrcs {
  private readonly out: Buffer[] = [];
  private crc: number | undefined;
  private filled = 0;

  push(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(CHECKSUM_CHUNK_BYTES - this.filled, data.length - offset);
      this.crc = crc32cOf(data.subarray(offset, offset + take), this.crc);
      this.filled += take;
      offset += take;
      if (this.filled === CHECKSUM_CHUNK_BYTES) this.flush();
    }
  }

  finish(): Buffer {
    if (this.filled > 0) this.flush();
    return Buffer.concat(this.out);
  }

  private flush(): void {
    const crc = Buffer.allocUnsafe(CHECKSUM_BYTES);
    crc.writeUInt32BE(this.crc! >>> 0, 0);
    this.out.push(crc);
    this.crc = undefined;
    this.filled = 0;
  }
}
