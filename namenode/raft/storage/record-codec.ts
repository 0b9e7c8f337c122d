// Record framing shared by every Raft storage file: a fixed header (CRC32C, payload length, type)
// followed by the payload. The CRC covers length, type and payload, so a torn or flipped byte
// anywhere in a record is detected; the length lets a reader skip to the next record.
//
//   offset 0  u32 LE  crc32c(bytes 4 .. end of payload)
//   offset 4  u32 LE  payload length in bytes
//   offset 8  u8      record type (RecordType)
//   offset 9  payload

import { crc32c } from '@node-rs/crc32';
import { MiB } from '../../../shared/constants.js';
import { assert } from '../../../shared/assert.js';
import type { Entry, EntryType, HardState } from '../types.js';

export const RECORD_HEADER_BYTES = 9;
/** Largest payload accepted; a longer length field is treated as damage, never allocated. */
export const RECORD_PAYLOAD_BYTES_MAX = 64 * MiB;
/** Largest vote (a NodeId) a hard state record may carry. */
export const NODE_ID_BYTES_MAX = 255;

export const RecordType = {
  /** First record of every log segment: the (index, term) just before its first entry. */
  SegmentHeader: 1,
  Entry: 2,
  /** Closes one save() batch; recovery uses it to tell a torn tail from damage to synced data. */
  BatchEnd: 3,
  HardState: 4,
  SnapshotMeta: 5,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

const RECORD_TYPE_MAX = 5;

export type DecodeResult =
  | { kind: 'ok'; type: RecordType; payload: Buffer; sizeBytes: number }
  /** The bytes end before the record does: a tail cut short, or a damaged length field. */
  | { kind: 'incomplete'; problem: string }
  | { kind: 'bad'; problem: string };

export function encodeRecordInto(target: Buffer, offset: number, type: RecordType, payload: Uint8Array): number {
  assert(payload.length <= RECORD_PAYLOAD_BYTES_MAX, `record payload ${payload.length} B exceeds ${RECORD_PAYLOAD_BYTES_MAX} B`);
  const end = offset + RECORD_HEADER_BYTES + payload.length;
  assert(end <= target.length, 'record does not fit its buffer');
  target.writeUInt32LE(payload.length, offset + 4);
  target.writeUInt8(type, offset + 8);
  target.set(payload, offset + RECORD_HEADER_BYTES);
  target.writeUInt32LE(crc32c(target.subarray(offset + 4, end)), offset);
  return end;
}

export function encodeRecord(type: RecordType, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  encodeRecordInto(out, 0, type, payload);
  return out;
}

/** Decodes the record starting at `offset`; never throws on damaged bytes, the caller decides. */
export function decodeRecordAt(buf: Buffer, offset: number): DecodeResult {
  const available = buf.length - offset;
  if (available < RECORD_HEADER_BYTES) return { kind: 'incomplete', problem: `${available} B left, header needs ${RECORD_HEADER_BYTES} B` };
  const lengthBytes = buf.readUInt32LE(offset + 4);
  const type = buf.readUInt8(offset + 8);
  if (type < 1 || type > RECORD_TYPE_MAX) return { kind: 'bad', problem: `unknown record type ${type}` };
  if (lengthBytes > RECORD_PAYLOAD_BYTES_MAX) return { kind: 'bad', problem: `payload length ${lengthBytes} B exceeds ${RECORD_PAYLOAD_BYTES_MAX} B` };
  const end = offset + RECORD_HEADER_BYTES + lengthBytes;
  if (end > buf.length) return { kind: 'incomplete', problem: `record of ${RECORD_HEADER_BYTES + lengthBytes} B runs past the end (${available} B left)` };
  const expected = buf.readUInt32LE(offset);
  const found = crc32c(buf.subarray(offset + 4, end));
  if (expected !== found) return { kind: 'bad', problem: `checksum mismatch: stored crc32c ${hex(expected)}, computed ${hex(found)}` };
  return { kind: 'ok', type: type as RecordType, payload: buf.subarray(offset + RECORD_HEADER_BYTES, end), sizeBytes: end - offset };
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

// --- u64 as a safe JS integer (indices and terms stay below 2^53) ---

const TWO_POW_32 = 2 ** 32;

export function writeU64(buf: Buffer, offset: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, `u64 out of range: ${value}`);
  buf.writeUInt32LE(value % TWO_POW_32, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_POW_32), offset + 4);
}

export function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 4) * TWO_POW_32 + buf.readUInt32LE(offset);
}

// --- payloads ---

export const ENTRY_PAYLOAD_FIXED_BYTES = 17; // index u64, term u64, type u8

/** Bytes one entry occupies on disk, framing included. */
export const entryRecordBytes = (entry: Entry): number => RECORD_HEADER_BYTES + ENTRY_PAYLOAD_FIXED_BYTES + entry.data.length;

/** Encodes an entry record straight into `target` (no intermediate payload copy: this is the hot path). */
export function encodeEntryRecordInto(target: Buffer, offset: number, entry: Entry): number {
  const payloadBytes = ENTRY_PAYLOAD_FIXED_BYTES + entry.data.length;
  assert(payloadBytes <= RECORD_PAYLOAD_BYTES_MAX, `entry ${entry.index} of ${entry.data.length} B exceeds the record bound`);
  const p = offset + RECORD_HEADER_BYTES;
  target.writeUInt32LE(payloadBytes, offset + 4);
  target.writeUInt8(RecordType.Entry, offset + 8);
  writeU64(target, p, entry.index);
  writeU64(target, p + 8, entry.term);
  target.writeUInt8(entry.type, p + 16);
  target.set(entry.data, p + ENTRY_PAYLOAD_FIXED_BYTES);
  const end = p + payloadBytes;
  target.writeUInt32LE(crc32c(target.subarray(offset + 4, end)), offset);
  return end;
}

export function decodeEntryPayload(payload: Buffer): Entry {
  assert(payload.length >= ENTRY_PAYLOAD_FIXED_BYTES, 'entry payload too short');
  return {
    index: readU64(payload, 0),
    term: readU64(payload, 8),
    type: payload.readUInt8(16) as EntryType,
    // Copy: the payload is a view on a read buffer that may be large.
    data: Uint8Array.prototype.slice.call(payload, ENTRY_PAYLOAD_FIXED_BYTES),
  };
}

export interface IndexTerm {
  index: number;
  term: number;
}

export function encodeIndexTerm(value: IndexTerm): Buffer {
  const out = Buffer.allocUnsafe(16);
  writeU64(out, 0, value.index);
  writeU64(out, 8, value.term);
  return out;
}

export function decodeIndexTerm(payload: Buffer): IndexTerm {
  assert(payload.length === 16, `index/term payload is ${payload.length} B, expected 16`);
  return { index: readU64(payload, 0), term: readU64(payload, 8) };
}

/** Hard state plus a sequence number, so the newer of two valid slots wins. */
export function encodeHardState(seq: number, hs: HardState): Buffer {
  const vote = hs.vote === null ? null : Buffer.from(hs.vote, 'utf8');
  assert(vote === null || vote.length <= NODE_ID_BYTES_MAX, `vote of ${vote?.length} B exceeds ${NODE_ID_BYTES_MAX} B`);
  const out = Buffer.alloc(24 + 1 + 2 + (vote?.length ?? 0));
  writeU64(out, 0, seq);
  writeU64(out, 8, hs.term);
  writeU64(out, 16, hs.commit);
  out.writeUInt8(vote === null ? 0 : 1, 24);
  out.writeUInt16LE(vote?.length ?? 0, 25);
  if (vote) out.set(vote, 27);
  return out;
}

export function decodeHardState(payload: Buffer): { seq: number; hardState: HardState } {
  assert(payload.length >= 27, 'hard state payload too short');
  const hasVote = payload.readUInt8(24) === 1;
  const voteBytes = payload.readUInt16LE(25);
  assert(payload.length === 27 + voteBytes, 'hard state payload length does not match its vote length');
  return {
    seq: readU64(payload, 0),
    hardState: {
      term: readU64(payload, 8),
      commit: readU64(payload, 16),
      vote: hasVote ? payload.toString('utf8', 27, 27 + voteBytes) : null,
    },
  };
}
