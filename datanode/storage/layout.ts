// Where a volume keeps its files, and the checksum (meta) file header. Mirrors HDFS so an operator
// finds blocks where they expect them:
//   <volume>/current/finalized/subdir{(id>>16)&0x1f}/subdir{(id>>8)&0x1f}/blk_<id>
//   <volume>/current/finalized/.../blk_<id>_<genStamp>.meta   (header, then one BE CRC32C per chunk)
//   <volume>/current/tmp/                                       (replicas being written; wiped at start)

import { join } from 'node:path';
import { CHECKSUM_BYTES, CHECKSUM_CHUNK_BYTES } from '../../shared/constants.js';
import { chunkCount } from '../../shared/checksum.js';

export const META_VERSION = 1;
/** Hadoop's DataChecksum type id for CRC32C. */
export const META_CHECKSUM_TYPE_CRC32C = 2;
/** [u16 BE version][u8 checksum type][u32 BE bytes per checksum], as HDFS's BlockMetadataHeader. */
export const META_HEADER_BYTES = 7;

export const BLOCK_FILE_PATTERN = /^blk_(\d+)$/;
export const META_FILE_PATTERN = /^blk_(\d+)_(\d+)\.meta$/;

export const currentDir = (volumeDir: string): string => join(volumeDir, 'current');
export const finalizedDir = (volumeDir: string): string => join(currentDir(volumeDir), 'finalized');
export const tmpDir = (volumeDir: string): string => join(currentDir(volumeDir), 'tmp');

/** Two levels of 32 sub-folders keep any folder small even with millions of blocks. */
export function blockDir(volumeDir: string, blockId: number): string {
  const high = Math.floor(blockId / 65536) & 0x1f;
  const low = Math.floor(blockId / 256) & 0x1f;
  return join(finalizedDir(volumeDir), `subdir${high}`, `subdir${low}`);
}

export const blockFileName = (blockId: number): string => `blk_${blockId}`;
export const metaFileName = (blockId: number, genStamp: number): string => `blk_${blockId}_${genStamp}.meta`;

export function encodeMetaHeader(): Buffer {
  const header = Buffer.alloc(META_HEADER_BYTES);
  header.writeUInt16BE(META_VERSION, 0);
  header.writeUInt8(META_CHECKSUM_TYPE_CRC32C, 2);
  header.writeUInt32BE(CHECKSUM_CHUNK_BYTES, 3);
  return header;
}

/** Returns why a meta header is unusable, or undefined when it matches what this code writes. */
export function checkMetaHeader(header: Buffer): string | undefined {
  if (header.length < META_HEADER_BYTES) return 'meta file shorter than its header';
  if (header.readUInt16BE(0) !== META_VERSION) return `meta version ${header.readUInt16BE(0)} unsupported`;
  if (header.readUInt8(2) !== META_CHECKSUM_TYPE_CRC32C) return `checksum type ${header.readUInt8(2)} unsupported`;
  if (header.readUInt32BE(3) !== CHECKSUM_CHUNK_BYTES) return `bytes per checksum ${header.readUInt32BE(3)} unsupported`;
  return undefined;
}

export const metaFileBytes = (blockBytes: number): number => META_HEADER_BYTES + chunkCount(blockBytes) * CHECKSUM_BYTES;
