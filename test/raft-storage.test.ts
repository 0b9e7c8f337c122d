// Raft durable storage: framing, log reads and writes, segment roll/compaction/truncation, hard
// state slots, snapshots, and crash recovery (every cut offset and every flipped byte of the tail).

import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { EntryType, type Entry, type HardState, type SnapshotMetadata } from '../namenode/raft/types.js';
import { RaftStorage, SnapshotStore, StorageCorruptionError, LogCompactedError, LogUnavailableError } from '../namenode/raft/storage/index.js';
import { decodeRecordAt, encodeRecord, RecordType, RECORD_HEADER_BYTES } from '../namenode/raft/storage/record-codec.js';
import { HARD_STATE_SLOT_BYTES } from '../namenode/raft/storage/hard-state-file.js';
import { segmentFileName } from '../namenode/raft/storage/log-store.js';

const ENTRY_RECORD_OVERHEAD_BYTES = RECORD_HEADER_BYTES + 17;
const SEGMENT_HEADER_RECORD_BYTES = RECORD_HEADER_BYTES + 16;
const BATCH_END_RECORD_BYTES = RECORD_HEADER_BYTES + 8;


function entry(index: number, term: number, dataBytes = 24): Entry {
  const data = new Uint8Array(dataBytes);
  for (let i = 0; i < dataBytes; i++) data[i] = (index * 31 + i) & 0xff;
  return { index, term, type: EntryType.Normal, data };
}
const range = (from: number, count: number, term: number, dataBytes?: number): Entry[] =>
  Array.from({ length: count }, (_, i) => entry(from + i, term, dataBytes));
const hs = (term: number, vote: string | null, commit: number): HardState => ({ term, vote, commit });
const conf = { voters: ['nn1', 'nn2', 'nn3'], learners: [] };

function allEntries(s: RaftStorage): Entry[] {
  return s.lastIndex() < s.firstIndex() ? [] : s.entries(s.firstIndex(), s.lastIndex() + 1, Number.MAX_SAFE_INTEGER);
}
const summary = (es: Entry[]): string[] => es.map((e) => `${e.index}@${e.term}:${Buffer.from(e.data).toString('hex').slice(0, 8)}`);

// Child mode for the kill -9 test: append batches forever, printing each acknowledged last index.
const KILL_CHILD_DIR_ENV = 'DFS_RAFT_STORAGE_KILL_CHILD_DIR';
if (process.env[KILL_CHILD_DIR_ENV]) {
  const s = await RaftStorage.open({ dir: process.env[KILL_CHILD_DIR_ENV], segmentSizeBytesMax: 4096 });
  for (let round = 0; ; round++) {
    const from = s.lastIndex() + 1;
    await s.save({ entries: range(from, 1 + (round % 17), 1, round % 50), hardState: hs(1, 'nn1', from - 1) });
    process.stdout.write(`${s.lastIndex()}\n`);
  }
}

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-raft-storage-'));
// Crash cases replay hundreds of recoveries of simulated (cut or flipped) files; the file system's
// own durability is not under test there, so use tmpfs when present to keep fsyncs cheap.
const SHM_DIR = '/dev/shm';
const crashRoot = fs.mkdtempSync(path.join(fs.existsSync(SHM_DIR) ? SHM_DIR : os.tmpdir(), 'dfs-raft-crash-'));
t.teardown(() => {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
  fs.rmSync(crashRoot, { recursive: true, force: true });
});
let dirCounter = 0;
const freshDir = (): string => path.join(tmpRoot, `case-${dirCounter++}`);
const crashDir = (): string => path.join(crashRoot, `case-${dirCounter++}`);

void t.test('record framing: round trip, CRC32C check value, damage detected', async (t) => {
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const rec = encodeRecord(RecordType.Entry, Buffer.from('hello'));
  const ok = decodeRecordAt(rec, 0);
  t.equal(ok.kind, 'ok');
  for (let i = 0; i < rec.length; i++) {
    const bad = Buffer.from(rec);
    bad[i] ^= 0x01;
    t.not(decodeRecordAt(bad, 0).kind, 'ok', `flip at byte ${i} detected`);
  }
  t.equal(decodeRecordAt(rec.subarray(0, rec.length - 1), 0).kind, 'incomplete');
  const crcBad = Buffer.from(rec);
  crcBad[RECORD_HEADER_BYTES] ^= 0x20;
  const decoded = decodeRecordAt(crcBad, 0);
  t.match(decoded.kind === 'bad' ? decoded.problem : '', /checksum mismatch: stored crc32c 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}/);
});

void t.test('save, read back, reopen: entries, terms, hard state, byte-bounded reads', async (t) => {
  const dir = freshDir();
  let s = await RaftStorage.open({ dir, entryCacheBytesMax: 200 }); // small cache: most reads hit disk
  t.same(s.initialState(), { hardState: hs(0, null, 0), snapshot: null });
  t.equal(s.firstIndex(), 1);
  t.equal(s.lastIndex(), 0);
  t.equal(s.term(0), 0);
  await s.save({ entries: range(1, 5, 1), hardState: hs(1, 'nn1', 0) });
  await s.save({ entries: range(6, 5, 2), hardState: hs(2, 'nn2', 5) });
  await s.save({ hardState: hs(2, 'nn2', 8) });
  t.equal(s.lastIndex(), 10);
  t.equal(s.term(5), 1);
  t.equal(s.term(6), 2);
  t.throws(() => s.term(11), LogUnavailableError);
  const expected = summary([...range(1, 5, 1), ...range(6, 5, 2)]);
  t.same(summary(allEntries(s)), expected);
  const oneRecordBytes = ENTRY_RECORD_OVERHEAD_BYTES + 24;
  t.equal(s.entries(2, 10, 0).length, 1, 'at least one entry even when maxBytes is tiny');
  t.equal(s.entries(2, 10, oneRecordBytes * 3).length, 3, 'maxBytes bounds the result');
  t.equal(s.entries(4, 4, 100).length, 0);
  s.close();
  s = await RaftStorage.open({ dir });
  t.same(s.initialState().hardState, hs(2, 'nn2', 8));
  t.same(summary(allEntries(s)), expected);
  t.same(summary(s.entries(3, 9, oneRecordBytes * 2)), expected.slice(2, 4));
  s.close();
});

void t.test('segments roll at the size bound, truncateFrom across segments, restart', async (t) => {
  const dir = freshDir();
  const segmentSizeBytesMax = 400;
  let s = await RaftStorage.open({ dir, segmentSizeBytesMax, entryCacheBytesMax: 0 });
  for (let i = 0; i < 10; i++) await s.save({ entries: range(1 + i * 3, 3, 1), hardState: hs(1, 'nn1', 0) });
  const segs = fs.readdirSync(path.join(dir, 'log')).sort();
  t.ok(segs.length >= 4, `rolled into ${segs.length} segments`);
  t.equal(segs[0], segmentFileName(1));
  for (const name of segs) t.ok(fs.statSync(path.join(dir, 'log', name)).size <= segmentSizeBytesMax, `${name} within the bound`);
  // A follower overwrites a conflicting suffix starting in an early segment.
  await s.save({ entries: range(8, 4, 2), hardState: hs(2, 'nn2', 5) });
  const expected = summary([...range(1, 7, 1), ...range(8, 4, 2)]);
  t.same(summary(allEntries(s)), expected);
  t.equal(s.lastIndex(), 11);
  s.close();
  s = await RaftStorage.open({ dir, segmentSizeBytesMax });
  t.same(summary(allEntries(s)), expected, 'truncation survives restart');
  await s.truncateFrom(10);
  await s.save({ entries: range(10, 30, 3) });
  s.close();
  s = await RaftStorage.open({ dir, segmentSizeBytesMax });
  t.same(summary(allEntries(s)), summary([...range(1, 7, 1), ...range(8, 2, 2), ...range(10, 30, 3)]));
  t.throws(() => s.entries(0, 3, 100), LogCompactedError);
  s.close();
});

void t.test('a staged snapshot is invisible until installed at a position in the log; a discarded one leaves nothing', async (t) => {
  const dir = freshDir();
  let s = await RaftStorage.open({ dir });
  await s.save({ entries: range(1, 20, 2) });
  const staged = await s.stageSnapshot(async (p) => fs.writeFileSync(p, 'copy-at-12'));
  t.equal(s.latestSnapshot(), null, 'nothing visible while staged');
  await t.rejects(staged.install({ index: 12, term: 1, conf }), /not in the log/, 'a position the log does not hold is refused');
  staged.discard();
  const thrown = await s.stageSnapshot(async (p) => fs.writeFileSync(p, 'copy-at-12'));
  const info = await thrown.install({ index: 12, term: 2, conf });
  t.same(s.latestSnapshot()?.meta, { index: 12, term: 2, conf });
  t.equal(fs.readFileSync(info.dataPath, 'utf8'), 'copy-at-12');
  thrown.discard(); // after install: a no-op
  t.ok(fs.existsSync(info.dataPath));
  const dropped = await s.stageSnapshot(async (p) => fs.writeFileSync(p, 'copy-at-18'));
  dropped.discard();
  await t.rejects(s.stageSnapshot(async () => {
    throw new Error('copy failed');
  }), /copy failed/);
  t.same(fs.readdirSync(path.join(dir, 'snap')), [path.basename(path.dirname(info.dataPath))], 'only the installed snapshot is left');
  s.close();
  s = await RaftStorage.open({ dir });
  t.same(s.initialState().snapshot, { index: 12, term: 2, conf });
  t.equal(s.lastIndex(), 20, 'the log is left alone');
  s.close();
});

void t.test('snapshot then compaction deletes whole segments; restart keeps the compacted prefix', async (t) => {
  const dir = freshDir();
  const segmentSizeBytesMax = 300;
  let s = await RaftStorage.open({ dir, segmentSizeBytesMax });
  for (let i = 0; i < 12; i++) await s.save({ entries: range(1 + i * 2, 2, 1 + Math.floor(i / 4)) });
  await t.rejects(s.saveSnapshot({ index: 30, term: 1, conf }, async () => {}), /not in the log/, 'snapshot past the log refused');
  await t.rejects(s.compact(10), /beyond the latest snapshot/);
  const info = await s.saveSnapshot({ index: 15, term: s.term(15), conf }, async (p) => fs.writeFileSync(p, 'sqlite-copy-15'));
  t.equal(fs.readFileSync(info.dataPath, 'utf8'), 'sqlite-copy-15');
  const segsBefore = fs.readdirSync(path.join(dir, 'log')).length;
  await s.compact(15);
  const segsAfter = fs.readdirSync(path.join(dir, 'log')).length;
  t.ok(segsAfter < segsBefore, `compaction removed ${segsBefore - segsAfter} segments`);
  const first = s.firstIndex();
  t.ok(first > 1 && first <= 16, `first index ${first} in (1, 16]`);
  const prefixTerm = s.term(first - 1);
  t.throws(() => s.term(first - 2), LogCompactedError);
  const expected = summary(allEntries(s));
  s.close();
  s = await RaftStorage.open({ dir, segmentSizeBytesMax });
  t.equal(s.firstIndex(), first);
  t.equal(s.term(first - 1), prefixTerm, 'compacted prefix term survives restart');
  t.same(summary(allEntries(s)), expected);
  t.same(s.initialState().snapshot, { index: 15, term: s.term(15), conf });
  await s.save({ entries: range(25, 2, 9) });
  t.equal(s.lastIndex(), 26);
  s.close();
});

void t.test('crash recovery: a cut at every byte offset of the last batches leaves exactly the written prefix', async (t) => {
  const dir = freshDir();
  const s = await RaftStorage.open({ dir });
  const batches = [range(1, 3, 1, 20), range(4, 1, 1, 0), range(5, 4, 2, 33), range(9, 2, 2, 7)];
  for (const b of batches) await s.save({ entries: b, hardState: hs(b[0].term, 'nn1', b[0].index - 1) });
  const finalHardState = s.initialState().hardState;
  s.close();
  // Expected layout, computed independently of the recovery code.
  const recordEnds: { endBytes: number; lastIndex: number }[] = [];
  let at = SEGMENT_HEADER_RECORD_BYTES;
  for (const b of batches) {
    for (const e of b) {
      at += ENTRY_RECORD_OVERHEAD_BYTES + e.data.length;
      recordEnds.push({ endBytes: at, lastIndex: e.index });
    }
    at += BATCH_END_RECORD_BYTES;
  }
  const segName = segmentFileName(1);
  const segBytes = fs.readFileSync(path.join(dir, 'log', segName));
  t.equal(segBytes.length, at, 'segment layout is as documented');
  const hardStateBytes = fs.readFileSync(path.join(dir, 'hardstate'));
  const lastTwoBatchesStart = at - (2 * BATCH_END_RECORD_BYTES + [...batches[2], ...batches[3]].reduce((n, e) => n + ENTRY_RECORD_OVERHEAD_BYTES + e.data.length, 0));
  const work = crashDir();
  let failures = 0;
  for (let cut = lastTwoBatchesStart; cut <= segBytes.length; cut++) {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(path.join(work, 'log'), { recursive: true });
    fs.mkdirSync(path.join(work, 'snap'));
    fs.writeFileSync(path.join(work, 'log', segName), segBytes.subarray(0, cut));
    fs.writeFileSync(path.join(work, 'hardstate'), hardStateBytes);
    const expectedLast = recordEnds.filter((r) => r.endBytes <= cut).at(-1)?.lastIndex ?? 0;
    const r = await RaftStorage.open({ dir: work });
    const got = summary(allEntries(r));
    const want = summary(batches.flat().filter((e) => e.index <= expectedLast));
    if (JSON.stringify(got) !== JSON.stringify(want)) failures++;
    t.ok(expectedLast >= 4, 'every batch synced before the cut batches is kept');
    t.same(r.initialState().hardState, finalHardState);
    await r.save({ entries: [entry(expectedLast + 1, 5)] });
    r.close();
    const again = await RaftStorage.open({ dir: work });
    if (again.lastIndex() !== expectedLast + 1 || again.term(expectedLast + 1) !== 5) failures++;
    again.close();
  }
  t.equal(failures, 0, `every cut in [${lastTwoBatchesStart}, ${segBytes.length}] recovers the exact prefix and accepts appends`);
});

void t.test('crash recovery: a flipped byte is a torn tail in the last batch, a clear error in a synced batch', async (t) => {
  const dir = freshDir();
  const s = await RaftStorage.open({ dir });
  const batches = [range(1, 2, 1, 10), range(3, 2, 1, 10), range(5, 3, 1, 10)];
  for (const b of batches) await s.save({ entries: b });
  s.close();
  const segName = segmentFileName(1);
  const segPath = path.join(dir, 'log', segName);
  const segBytes = fs.readFileSync(segPath);
  // Record starts, with the batch each belongs to.
  const records: { start: number; end: number; batch: number; lastIndexBefore: number }[] = [];
  records.push({ start: 0, end: SEGMENT_HEADER_RECORD_BYTES, batch: 0, lastIndexBefore: 0 });
  let at = SEGMENT_HEADER_RECORD_BYTES;
  batches.forEach((b, batch) => {
    for (const e of b) {
      records.push({ start: at, end: at + ENTRY_RECORD_OVERHEAD_BYTES + e.data.length, batch, lastIndexBefore: e.index - 1 });
      at += ENTRY_RECORD_OVERHEAD_BYTES + e.data.length;
    }
    records.push({ start: at, end: at + BATCH_END_RECORD_BYTES, batch, lastIndexBefore: b.at(-1)!.index });
    at += BATCH_END_RECORD_BYTES;
  });
  const lastBatch = batches.length - 1;
  const work = crashDir();
  let wrong = 0;
  for (let offset = 0; offset < segBytes.length; offset++) {
    const rec = records.find((r) => offset >= r.start && offset < r.end)!;
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(path.join(work, 'log'), { recursive: true });
    fs.mkdirSync(path.join(work, 'snap'));
    fs.writeFileSync(path.join(work, 'hardstate'), '');
    const damaged = Buffer.from(segBytes);
    damaged[offset] ^= 0x5a;
    fs.writeFileSync(path.join(work, 'log', segName), damaged);
    try {
      const r = await RaftStorage.open({ dir: work });
      const ok = rec.batch === lastBatch && r.lastIndex() === rec.lastIndexBefore;
      if (!ok) {
        wrong++;
        t.fail(`flip at ${offset} (batch ${rec.batch}) opened with last index ${r.lastIndex()}`);
      }
      r.close();
    } catch (err) {
      const ok =
        rec.batch !== lastBatch &&
        err instanceof StorageCorruptionError &&
        err.file.endsWith(segName) &&
        err.offsetBytes === rec.start &&
        err.message.includes(`at offset ${rec.start}`);
      if (!ok) {
        wrong++;
        t.fail(`flip at ${offset} (batch ${rec.batch}): ${String(err)}`);
      }
    }
  }
  t.equal(wrong, 0, `all ${segBytes.length} single-byte flips classified correctly`);
});

void t.test('crash recovery: a segment roll that died before its header is removed', async (t) => {
  const dir = freshDir();
  let s = await RaftStorage.open({ dir, segmentSizeBytesMax: 200 });
  for (let i = 0; i < 6; i++) await s.save({ entries: range(1 + i * 2, 2, 1) });
  s.close();
  const partial = path.join(dir, 'log', segmentFileName(13));
  fs.writeFileSync(partial, encodeRecord(RecordType.SegmentHeader, Buffer.alloc(16)).subarray(0, 10));
  s = await RaftStorage.open({ dir, segmentSizeBytesMax: 200 });
  t.equal(s.lastIndex(), 12);
  t.notOk(fs.existsSync(partial), 'torn new segment removed');
  await s.save({ entries: range(13, 2, 1) });
  t.equal(s.lastIndex(), 14);
  s.close();
  // Damage in a segment that is not the last is never a torn tail.
  const second = path.join(dir, 'log', fs.readdirSync(path.join(dir, 'log')).sort()[1]);
  const bytes = fs.readFileSync(second);
  fs.writeFileSync(second, bytes.subarray(0, bytes.length - 3));
  await t.rejects(RaftStorage.open({ dir }), { name: 'StorageCorruptionError', message: /fully synced/ });
});

void t.test('hard state: a torn slot write falls back to the previous value; both slots bad is an error', async (t) => {
  const dir = freshDir();
  let s = await RaftStorage.open({ dir });
  await s.save({ hardState: hs(1, 'nn1', 0) });
  await s.save({ hardState: hs(2, 'nn3', 4) });
  await s.save({ hardState: hs(2, 'nn3', 4) }); // unchanged: no write
  s.close();
  const file = path.join(dir, 'hardstate');
  const good = fs.readFileSync(file);
  t.equal(good.length, HARD_STATE_SLOT_BYTES + encodeRecord(RecordType.HardState, Buffer.alloc(27 + 3)).length, 'slot 1 written last');
  const torn = Buffer.from(good);
  torn[HARD_STATE_SLOT_BYTES + 12] ^= 0xff; // slot 1 holds the newer value
  fs.writeFileSync(file, torn);
  s = await RaftStorage.open({ dir });
  t.same(s.initialState().hardState, hs(1, 'nn1', 0), 'older durable value survives a torn write');
  await s.save({ hardState: hs(3, null, 4) }); // must go to the damaged slot, never over the durable one
  s.close();
  s = await RaftStorage.open({ dir });
  t.same(s.initialState().hardState, hs(3, null, 4));
  s.close();
  const both = fs.readFileSync(file);
  both[5] ^= 0xff;
  both[HARD_STATE_SLOT_BYTES + 5] ^= 0xff;
  fs.writeFileSync(file, both);
  await t.rejects(RaftStorage.open({ dir }), { name: 'StorageCorruptionError', message: /hardstate at offset 0: both hard state slots are invalid/ });
  // The very first write torn: nothing was acknowledged, so the store starts empty.
  const dir2 = freshDir();
  fs.mkdirSync(dir2);
  fs.writeFileSync(path.join(dir2, 'hardstate'), good.subarray(0, 20));
  s = await RaftStorage.open({ dir: dir2 });
  t.same(s.initialState().hardState, hs(0, null, 0));
  s.close();
});

void t.test('snapshots: atomic install, streams, leftovers cleaned, older removed, corruption detected', async (t) => {
  const dir = freshDir();
  let s = await RaftStorage.open({ dir });
  await s.save({ entries: range(1, 20, 1) });
  const first = await s.saveSnapshot({ index: 5, term: 1, conf }, async (p) => fs.writeFileSync(p, 'five'));
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('ten-');
    yield Buffer.from('part-two');
  }
  const second = await s.saveSnapshot({ index: 10, term: 1, conf }, chunks());
  t.equal(fs.readFileSync(second.dataPath, 'utf8'), 'ten-part-two');
  t.notOk(fs.existsSync(first.dataPath), 'older snapshot removed once the new one is durable');
  t.equal(second.crc32c, crc32c(Buffer.from('ten-part-two')));
  await t.rejects(s.saveSnapshot({ index: 8, term: 1, conf }, chunks()), /not newer/);
  // A snapshot written half-way: the writer fails, and a crash leaves another tmp directory behind.
  await t.rejects(s.saveSnapshot({ index: 12, term: 1, conf }, async (p) => { fs.writeFileSync(p, 'half'); throw new Error('disk gone'); }), /disk gone/);
  const leftover = path.join(dir, 'snap', 'tmp-crashed');
  fs.mkdirSync(leftover);
  fs.writeFileSync(path.join(leftover, 'data'), 'partial');
  s.close();
  s = await RaftStorage.open({ dir });
  t.notOk(fs.existsSync(leftover), 'tmp directory removed on open');
  t.same(fs.readdirSync(path.join(dir, 'snap')), ['00000000000000000010-00000000000000000001']);
  t.same(s.initialState().snapshot, { index: 10, term: 1, conf });
  t.equal(s.lastIndex(), 20, 'a local snapshot leaves the log alone');
  s.close();
  fs.writeFileSync(second.dataPath, 'ten-part-twX');
  const store = SnapshotStore.open({ dir: path.join(dir, 'snap') });
  await t.rejects(store.verifyLatest(), { name: 'StorageCorruptionError', message: /meta expects 12 B/ });
  fs.writeFileSync(second.dataPath, 'short');
  t.throws(() => SnapshotStore.open({ dir: path.join(dir, 'snap') }), { name: 'StorageCorruptionError', message: /snapshot data is 5 B, meta expects 12 B/ });
});

void t.test('a received snapshot is durable on finish, replaces the log only once installed; an interrupted install is finished on open', async (t) => {
  const dir = freshDir();
  let s = await RaftStorage.open({ dir, segmentSizeBytesMax: 300 });
  await s.save({ entries: range(1, 12, 1), hardState: hs(1, 'nn1', 3) });
  const meta: SnapshotMetadata = { index: 40, term: 4, conf };
  const incoming = await s.receiveSnapshot(meta);
  const payload = Buffer.from('x'.repeat(1000));
  for (let off = 0; off < payload.length; off += 256) await incoming.write(payload.subarray(off, off + 256), off);
  await t.rejects(incoming.write(Buffer.from('y'), 5), /expected 1000/);
  await incoming.finish({ sizeBytes: 1000, crc32c: crc32c(payload) });
  // The core may still decline it and read its log: finish() leaves the log alone.
  t.same(s.latestSnapshot()?.meta, meta);
  t.equal(s.firstIndex(), 1);
  t.equal(s.lastIndex(), 12);
  t.same(summary(allEntries(s)), summary(range(1, 12, 1)));
  await s.installSnapshot(meta);
  t.equal(s.firstIndex(), 41);
  t.equal(s.lastIndex(), 40);
  t.equal(s.term(40), 4);
  t.same(fs.readdirSync(path.join(dir, 'log')), [segmentFileName(41)]);
  await s.save({ entries: range(41, 3, 4), hardState: hs(4, null, 40) });
  s.close();
  s = await RaftStorage.open({ dir });
  t.same(s.initialState(), { hardState: hs(4, null, 40), snapshot: meta });
  t.same(summary(allEntries(s)), summary(range(41, 3, 4)));
  // A chunked receive that is aborted leaves nothing behind.
  const aborted = await s.receiveSnapshot({ index: 60, term: 5, conf });
  await aborted.write(Buffer.from('abc'), 0);
  aborted.abort();
  t.equal(fs.readdirSync(path.join(dir, 'snap')).length, 1);
  // A snapshot the log already holds the last entry of: declined by the core, the log stays whole
  // (its entries are still served), also across a restart.
  await s.save({ entries: range(44, 10, 4) });
  const matching = await s.receiveSnapshot({ index: 50, term: 4, conf });
  await matching.finish();
  t.equal(s.firstIndex(), 41);
  t.equal(s.lastIndex(), 53);
  t.same(summary(s.entries(45, 54, Number.MAX_SAFE_INTEGER)), summary(range(45, 9, 4)));
  s.close();
  s = await RaftStorage.open({ dir });
  t.same(s.initialState().snapshot, { index: 50, term: 4, conf });
  t.equal(s.lastIndex(), 53, 'a log that agrees with the snapshot is kept on open');
  t.same(summary(s.entries(51, 54, Number.MAX_SAFE_INTEGER)), summary(range(51, 3, 4)));
  // Installed (the core restored it): the log goes.
  await s.installSnapshot({ index: 50, term: 4, conf });
  t.equal(s.firstIndex(), 51);
  t.equal(s.lastIndex(), 50);
  await t.rejects(s.installSnapshot({ index: 70, term: 4, conf }), /latest durable one is 50/);
  s.close();
  // Crash between "snapshot durable" and "log reset": the snapshot is there, the log is old.
  const dir2 = freshDir();
  s = await RaftStorage.open({ dir: dir2 });
  await s.save({ entries: range(1, 5, 1) });
  s.close();
  const store = SnapshotStore.open({ dir: path.join(dir2, 'snap') });
  await store.save({ index: 9, term: 2, conf }, async (p) => fs.writeFileSync(p, 'nine'));
  s = await RaftStorage.open({ dir: dir2 });
  t.equal(s.firstIndex(), 10, 'log reset to the snapshot on open');
  t.equal(s.term(9), 2);
  s.close();
  // Crash mid-reset: every segment already unlinked.
  fs.rmSync(path.join(dir2, 'log'), { recursive: true });
  fs.mkdirSync(path.join(dir2, 'log'));
  s = await RaftStorage.open({ dir: dir2 });
  t.equal(s.firstIndex(), 10);
  t.equal(s.term(9), 2);
  s.close();
});

void t.test('a model check: random appends, overwrites, compactions and restarts agree with an in-memory log', async (t) => {
  const dir = freshDir();
  let seed = 0x9e3779b9;
  const rand = (n: number): number => {
    // mulberry32: a seeded PRNG, so a failing run replays exactly.
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  const options = { dir, segmentSizeBytesMax: 500, entryCacheBytesMax: 300 };
  let s = await RaftStorage.open(options);
  let model: Entry[] = []; // entries from model[0].index on
  let term = 1;
  let compactedTo = 0;
  const counts = { append: 0, overwrite: 0, compact: 0, reopen: 0 };
  for (let step = 0; step < 150; step++) {
    const op = rand(10);
    const last = s.lastIndex();
    if (op < 6) {
      const from = op < 4 || last - compactedTo < 2 ? last + 1 : Math.max(s.firstIndex(), compactedTo + 1, last - rand(6));
      if (from <= last) term++;
      counts[from <= last ? 'overwrite' : 'append']++;
      const batch = range(from, 1 + rand(5), term, rand(60));
      await s.save({ entries: batch });
      model = [...model.filter((e) => e.index < from), ...batch];
    } else if (op < 7 && last > compactedTo + 3) {
      const at = last - 2;
      if (!s.latestSnapshot() || s.latestSnapshot()!.meta.index < at) await s.saveSnapshot({ index: at, term: s.term(at), conf }, async (p) => fs.writeFileSync(p, `s${at}`));
      await s.compact(at);
      compactedTo = at;
      counts.compact++;
    } else {
      counts.reopen++;
      s.close();
      s = await RaftStorage.open(options);
    }
    const have = summary(allEntries(s));
    const want = summary(model.filter((e) => e.index >= s.firstIndex()));
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      t.fail(`step ${step} (op ${op}): log diverged from the model`, { have, want });
      break;
    }
    for (let i = Math.max(1, s.firstIndex()); i <= s.lastIndex(); i += 3) t.equal(s.term(i), model.find((e) => e.index === i)!.term);
  }
  s.close();
  t.ok(counts.overwrite > 5 && counts.compact > 5 && counts.reopen > 5, `exercised ${JSON.stringify(counts)}`);
  const storage = await RaftStorage.open(options);
  await t.rejects(storage.truncateFrom(compactedTo), /snapshot at index \d+ covers it/);
  storage.close();
});

void t.test('kill -9 of a writing process loses nothing it acknowledged', async (t) => {
  const dir = freshDir();
  const self = fileURLToPath(import.meta.url);
  // Each run starts a child (TypeScript compile included, ~2.5 s) that writes on top of the previous runs.
  const KILL_RUNS = 2;
  for (let run = 0; run < KILL_RUNS; run++) {
    const child = spawn(process.execPath, [...process.execArgv, self], { env: { ...process.env, [KILL_CHILD_DIR_ENV]: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    let buffered = '';
    const killAfterAcks = 200 + run * 150;
    let seen = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) acked = Number(line);
        seen += lines.length;
        if (seen >= killAfterAcks) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    const s = await RaftStorage.open({ dir, segmentSizeBytesMax: 4096 });
    t.ok(acked > 0 && s.lastIndex() >= acked, `run ${run}: last index ${s.lastIndex()} covers every acknowledged index (${acked})`);
    const all = allEntries(s);
    t.ok(all.every((e, i) => e.index === i + 1 && e.term === 1), `run ${run}: ${all.length} entries contiguous`);
    t.ok(all.every((e) => Buffer.from(e.data).equals(Buffer.from(entry(e.index, 1, e.data.length).data))), `run ${run}: payloads intact`);
    t.equal(s.initialState().hardState.vote, 'nn1');
    s.close();
  }
});
