// Recovery of one log segment file: find the longest valid prefix of records and decide whether
// what follows is a torn tail (truncate) or damage to data that was already synced (stop).
//
// Every save() batch ends with a BatchEnd record and is fsynced before the next batch is written.
// After a crash only the last batch can be partial, and within it the disk may have persisted any
// subset of pages (writeback does not keep order). So a bad record followed by valid records of
// the SAME batch is a torn tail; but a valid BatchEnd followed by a further valid record proves a
// later batch was written, which happens only after the damaged batch's fsync returned: the bad
// record was acknowledged and the segment is corrupt.
//
// Limitation: damage inside the last synced batch when nothing was written after it looks exactly
// like a torn write and is truncated (logged at warn). No framing can tell those apart without an
// extra fsync per batch.

import { decodeRecordAt, RecordType, type DecodeResult } from './record-codec.js';

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
  const laterBatchAtBytes = findLaterBatch(bytes, offset + 1);
  if (laterBatchAtBytes >= 0) return { kind: 'corrupt', records, offsetBytes: offset, problem: failure.problem, laterBatchAtBytes };
  return { kind: 'torn', records, validEndBytes: offset, problem: failure.problem };
}

/**
 * Offset of a valid record that follows a valid BatchEnd, searching chains of valid records that
 * start at any byte offset >= `fromBytes`; -1 if there is none. Garbage is rejected by the type
 * and length checks before any CRC is computed, so the byte-by-byte search stays cheap.
 */
function findLaterBatch(bytes: Buffer, fromBytes: number): number {
  let start = fromBytes;
  while (start < bytes.length) {
    let offset = start;
    let sawBatchEnd = false;
    while (offset < bytes.length) {
      const rec = decodeRecordAt(bytes, offset);
      if (rec.kind !== 'ok') break;
      if (sawBatchEnd) return offset;
      if (rec.type === RecordType.BatchEnd) sawBatchEnd = true;
      offset += rec.sizeBytes;
    }
    start = offset > start ? offset : start + 1;
  }
  return -1;
}
