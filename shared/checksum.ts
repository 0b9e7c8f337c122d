// Per-chunk CRC32C (Castagnoli) with a native implementation. A block's checksums are one 4-byte
// big-endian CRC per CHECKSUM_CHUNK_BYTES of data; only the last chunk may be shorter.

import { crc32c } from '@node-rs/crc32';
import { CHECKSUM_BYTES, CHECKSUM_CHUNK_BYTES } from './constants.js';

export function crc32cOf(data: Uint8Array, previous?: number): number {
  return crc32c(data, previous);
}

export const chunkCount = (lengthBytes: number): number => Math.ceil(lengthBytes / CHECKSUM_CHUNK_BYTES);

/** Checksums of a whole buffer as a packed array of big-endian CRCs. */
export function chunkChecksums(data: Uint8Array): Buffer {
  const count = chunkCount(data.length);
  const out = Buffer.allocUnsafe(count * CHECKSUM_BYTES);
  for (let i = 0; i < count; i++) {
    const start = i * CHECKSUM_CHUNK_BYTES;
    out.writeUInt32BE(crc32c(data.subarray(start, Math.min(start + CHECKSUM_CHUNK_BYTES, data.length))), i * CHECKSUM_BYTES);
  }
  return out;
}
