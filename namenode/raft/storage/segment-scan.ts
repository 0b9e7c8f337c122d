// Recovery of one log segment file: find the longest valid prefix of records and decide whether
// what follows is a torn tail (truncate) or damage to data that was already synced (stop).
//
// Every save() batch is one write ending with a BatchEnd record that names the byte offset where
// the write began, and is fsynced before the next batch is written. After a crash only the last
// batch can be partial, and within it the disk may have persisted any subset of pages (writeback
// does not keep order). So a bad record followed by valid records of the SAME batch is a torn
// tail. But a batch that began after the bad record (a valid BatchEnd naming a start past it, or
// any valid record after a valid BatchEnd) was written only after the bad record's batch was
// fsynced: the bad record was acknowledged, and the segment is corrupt.
//
// Limitation: damage inside the last batch itself, when nothing was written after it, looks
// exactly like a torn write and is truncated (logged at warn). Framing alone cannot tell them
// apart without a second fsync per batch.

import { decodeRecordAt, readU64, RecordType, type DecodeResult } from './record-codec.js';

export interface ScannedRecord {
  type: RecordType;
  payload: Buffer;
  offsetBytes: number;
  sizeBytes: number;
}

export type ScanOutcome =
  | { kind: 'clean'; records: ScannedRecord[] }
  /** Valid records end at `validEndBytes`; the bytes after it are a torn tail to truncate. */
  | { kind: 'torn'; records: ScannedRecord[]; validEndBytes: number; problem: string }
  /** A bad record at `offsetBytes` with a later batch after it. */
  | { kind: 'corrupt'; records: ScannedRecord[]; offsetBytes: number; problem: string; laterBatchAtBytes: number };

export function scanSegment(bytes: Buffer): ScanOutcome {
  const records: ScannedRecord[] = [];
  let offset = 0;
  let failure: Exclude<DecodeResult, { kind: 'ok' }> | null = null;
  while (offset < bytes.length) {
    const rec = decodeRecordAt(bytes, offset);
    if (rec.kind !== 'ok') {
      failure = rec;
      break;
    }
    records.push({ type: rec.type, payload: rec.payload, offsetBytes: offset, sizeBytes: rec.sizeBytes });
    offset += rec.sizeBytes;
  }
  if (failure === null) return { kind: 'clean', records };
  const laterBatchAtBytes = findLaterBatch(bytes, offset);
  if (laterBatchAtBytes >= 0) return { kind: 'corrupt', records, offsetBytes: offset, problem: failure.problem, laterBatchAtBytes };
  return { kind: 'torn', records, validEndBytes: offset, problem: failure.problem };
}

/**
 * Offset of valid evidence of a batch that began after `badOffsetBytes`, searching chains of
 * valid records that start at any later byte offset; -1 if there is none. Garbage is rejected by
 * the type and length checks before any CRC is computed, so the byte-by-byte search stays cheap.
 */
function findLaterBatch(bytes: Buffer, badOffsetBytes: number): number {
  let start = badOffsetBytes + 1;
  while (start < bytes.length) {
    let offset = start;
    let sawBatchEnd = false;
    while (offset < bytes.length) {
      const rec = decodeRecordAt(bytes, offset);
      if (rec.kind !== 'ok') break;
      if (sawBatchEnd) return offset;
      if (rec.type === RecordType.BatchEnd) {
        if (rec.payload.length === 8 && readU64(rec.payload, 0) > badOffsetBytes) return offset;
        sawBatchEnd = true;
      }
      offset += rec.sizeBytes;
    }
    start = offset > start ? offset : start + 1;
  }
  return -1;
}
