// Reads a byte range of a finalized replica, verifying every chunk it touches against the meta
// file: a range starting or ending mid-chunk still reads and checks the whole chunk, then slices.

import { open } from 'node:fs/promises';
import { CHECKSUM_BYTES, CHECKSUM_CHUNK_BYTES } from '../../shared/constants.js';
import { crc32cOf } from '../../shared/checksum.js';
import { DfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import { checkMetaHeader, META_HEADER_BYTES } from './layout.js';
import type { Replica } from './replica-writer.js';

/** Chunks read from the block file per pread (1 MiB). */
const READ_RUN_CHUNKS = 16;

export interface VerifiedChunk {
  chunkIndex: number;
  /** The whole chunk as stored, and its CRC (replication forwards both unchanged). */
  chunk: Buffer;
  crc: number;
  /** The part of the chunk inside the requested range. */
  slice: Buffer;
}

/** Yields the chunks covering [start, end) in order; throws DfsError('Checksum') on the first bad chunk. */
export async function* readVerifiedChunks(replica: Replica, start: number, end: number): AsyncGenerator<VerifiedChunk> {
  assert(start >= 0 && start <= end && end <= replica.numBytes, `range [${start}, ${end}) outside replica of ${replica.numBytes} bytes`);
  if (start === end) return;
  const context = { blockId: replica.blockId, genStamp: replica.genStamp, path: replica.blockPath };
  const corrupt = (message: string, extra: Record<string, unknown> = {}): DfsError =>
    new DfsError('Checksum', `Corrupt replica blk_${replica.blockId}_${replica.genStamp}: ${message}`, { ...context, ...extra });

  const gone = (error: unknown): unknown =>
    (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? new DfsError('ReplicaNotFound', `Replica blk_${replica.blockId}_${replica.genStamp} was removed`, context)
      : error;
  const dataFile = await open(replica.blockPath, 'r').catch((error: unknown) => {
    throw gone(error);
  });
  const metaFile = await open(replica.metaPath, 'r').catch(async (error: unknown) => {
    await dataFile.close();
    throw gone(error);
  });
  try {
    const header = Buffer.alloc(META_HEADER_BYTES);
    await metaFile.read(header, 0, META_HEADER_BYTES, 0);
    const headerProblem = checkMetaHeader(header);
    if (headerProblem !== undefined) throw corrupt(headerProblem, { path: replica.metaPath });

    const firstChunk = Math.floor(start / CHECKSUM_CHUNK_BYTES);
    const lastChunk = Math.floor((end - 1) / CHECKSUM_CHUNK_BYTES);
    // All CRCs of the range in one read: at most 4 bytes per 64 KiB, 256 KiB for a 4 GiB block.
    const crcs = Buffer.alloc((lastChunk - firstChunk + 1) * CHECKSUM_BYTES);
    const { bytesRead: crcBytes } = await metaFile.read(crcs, 0, crcs.length, META_HEADER_BYTES + firstChunk * CHECKSUM_BYTES);
    if (crcBytes !== crcs.length) throw corrupt('meta file is shorter than the block', { path: replica.metaPath });

    // Data in runs of READ_RUN_CHUNKS chunks per pread, the next run read while this one is
    // verified and sent: one 64 KiB read at a time left the disk idle between requests.
    const readRun = async (runFirst: number, runChunks: number): Promise<Buffer> => {
      const runStart = runFirst * CHECKSUM_CHUNK_BYTES;
      const runLength = Math.min(runChunks * CHECKSUM_CHUNK_BYTES, replica.numBytes - runStart);
      const buffer = Buffer.allocUnsafe(runLength);
      const { bytesRead } = await dataFile.read(buffer, 0, runLength, runStart);
      if (bytesRead !== runLength) throw corrupt('block file is shorter than recorded', { chunkIndex: runFirst });
      return buffer;
    };
    const runChunksAt = (runFirst: number) => Math.min(READ_RUN_CHUNKS, lastChunk - runFirst + 1);
    let ahead: Promise<Buffer> | null = readRun(firstChunk, runChunksAt(firstChunk));
    try {
      for (let runFirst = firstChunk; runFirst <= lastChunk; runFirst += READ_RUN_CHUNKS) {
        const run = await ahead!;
        const nextFirst = runFirst + READ_RUN_CHUNKS;
        ahead = nextFirst <= lastChunk ? readRun(nextFirst, runChunksAt(nextFirst)) : null;
        for (let offset = 0; offset < run.length; offset += CHECKSUM_CHUNK_BYTES) {
          const index = runFirst + offset / CHECKSUM_CHUNK_BYTES;
          const chunk = run.subarray(offset, Math.min(offset + CHECKSUM_CHUNK_BYTES, run.length));
          const expected = crcs.readUInt32BE((index - firstChunk) * CHECKSUM_BYTES);
          if (crc32cOf(chunk) !== expected) throw corrupt(`checksum mismatch in chunk ${index}`, { chunkIndex: index });
          const chunkStart = index * CHECKSUM_CHUNK_BYTES;
          const slice = chunk.subarray(Math.max(start, chunkStart) - chunkStart, Math.min(end, chunkStart + chunk.length) - chunkStart);
          yield { chunkIndex: index, chunk, crc: expected, slice };
        }
      }
    } finally {
      // A consumer that stops early must not leave a read running on a file about to be closed.
      await ahead?.catch(() => undefined);
    }
  } finally {
    await Promise.all([dataFile.close(), metaFile.close()]);
  }
}
