// Reads a byte range of a finalized replica, verifying every chunk it touches against the meta
// file: a range starting or ending mid-chunk still reads and checks the whole chunk, then slices.

import { open } from 'node:fs/promises';
import { CHECKSUM_BYTES, CHECKSUM_CHUNK_BYTES } from '../../shared/constants.js';
import { crc32cOf } from '../../shared/checksum.js';
import { DfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import { checkMetaHeader, META_HEADER_BYTES } from './layout.js';
import type { Replica } from './replica-writer.js';

/** CRCs read from the meta file per read call. */
const CRC_READ_BATCH = 256;

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
    let crcs = Buffer.alloc(0);
    let crcsFirstChunk = firstChunk;
    for (let index = firstChunk; index <= lastChunk; index++) {
      if (index - crcsFirstChunk >= crcs.length / CHECKSUM_BYTES) {
        const count = Math.min(CRC_READ_BATCH, lastChunk - index + 1);
        crcs = Buffer.alloc(count * CHECKSUM_BYTES);
        const { bytesRead } = await metaFile.read(crcs, 0, crcs.length, META_HEADER_BYTES + index * CHECKSUM_BYTES);
        if (bytesRead !== crcs.length) throw corrupt('meta file is shorter than the block', { chunkIndex: index, path: replica.metaPath });
        crcsFirstChunk = index;
      }
      const expected = crcs.readUInt32BE((index - crcsFirstChunk) * CHECKSUM_BYTES);
      const chunkStart = index * CHECKSUM_CHUNK_BYTES;
      const chunkLength = Math.min(CHECKSUM_CHUNK_BYTES, replica.numBytes - chunkStart);
      const chunk = Buffer.allocUnsafe(chunkLength);
      const { bytesRead } = await dataFile.read(chunk, 0, chunkLength, chunkStart);
      if (bytesRead !== chunkLength) throw corrupt('block file is shorter than recorded', { chunkIndex: index });
      const actual = crc32cOf(chunk);
      if (actual !== expected) throw corrupt(`checksum mismatch in chunk ${index}`, { chunkIndex: index });
      const slice = chunk.subarray(Math.max(start, chunkStart) - chunkStart, Math.min(end, chunkStart + chunkLength) - chunkStart);
      yield { chunkIndex: index, chunk, crc: expected, slice };
    }
  } finally {
    await Promise.all([dataFile.close(), metaFile.close()]);
  }
}
