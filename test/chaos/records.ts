// File contents the chaos workload writes: a sequence of 64-byte self-describing records, so any
// byte read back can be traced to the write that produced it without keeping data in memory.
// Record k of write w: [u32 BE w][u32 BE k][56 bytes derived from (w, k) by a seeded PRNG].
// A file's content then reads as runs [(w, count)]: write w's records 0..count-1, in order.

import { Prng } from '../raft/sim/prng.js';

export const RECORD_BYTES = 64;
const RECORD_HEADER_BYTES = 8;

/** One run of records: `count` records of write `writeId`, starting at its record 0. */
export type Run = readonly [writeId: number, count: number];

function fillRecord(target: Buffer, offset: number, writeId: number, index: number): void {
  target.writeUInt32BE(writeId, offset);
  target.writeUInt32BE(index, offset + 4);
  const prng = new Prng((Math.imul(writeId, 0x9e3779b1) ^ index) >>> 0);
  for (let at = offset + RECORD_HEADER_BYTES; at < offset + RECORD_BYTES; at += 4) target.writeUInt32BE(prng.nextUint32(), at);
}

/** The bytes of write `writeId`: `records` records (records × 64 bytes). */
export function writeContent(writeId: number, records: number): Buffer {
  if (!Number.isInteger(records) || records < 0) throw new Error(`bad record count ${records}`);
  const data = Buffer.alloc(records * RECORD_BYTES);
  for (let k = 0; k < records; k++) fillRecord(data, k * RECORD_BYTES, writeId, k);
  return data;
}

/** What a file's bytes are made of, or why they are not made of whole, intact records. */
export type Decoded = { ok: true; runs: Run[] } | { ok: false; reason: string };

export function decodeContent(data: Buffer): Decoded {
  if (data.length % RECORD_BYTES !== 0) return { ok: false, reason: `length ${data.length} is not a multiple of ${RECORD_BYTES}` };
  const runs: Array<[number, number]> = [];
  const expected = Buffer.alloc(RECORD_BYTES);
  for (let offset = 0; offset < data.length; offset += RECORD_BYTES) {
    const writeId = data.readUInt32BE(offset);
    const index = data.readUInt32BE(offset + 4);
    fillRecord(expected, 0, writeId, index);
    if (!expected.equals(data.subarray(offset, offset + RECORD_BYTES))) {
      return { ok: false, reason: `record at byte ${offset} (write ${writeId}, record ${index}) has bytes no write produced` };
    }
    const last = runs[runs.length - 1];
    if (last && last[0] === writeId && last[1] === index) last[1]++;
    else if (index === 0) runs.push([writeId, 1]);
    else return { ok: false, reason: `record at byte ${offset} is record ${index} of write ${writeId}, out of sequence` };
  }
  return { ok: true, runs };
}

export const runsKey = (runs: readonly Run[]): string => runs.map(([w, n]) => `${w}x${n}`).join(',');
export const runsRecords = (runs: readonly Run[]): number => runs.reduce((sum, [, n]) => sum + n, 0);
