// The Raft log on disk: segment files named by their first index, each starting with a header
// record that names the (index, term) just before it, followed by entry records in batches (each
// save() batch ends with a BatchEnd record and is fsynced once). An in-memory index keeps
// (term, offset, size) per entry so term(i) is O(1) and reads fetch payloads from disk; a bounded
// cache keeps the most recent entries, which are what followers catching up usually need.
//
// Crash safety, per operation:
// - append: one positional write of the whole batch at the end of the active segment, then one
//   fdatasync. A batch never spans segments (a roll happens before a batch), so after a crash only
//   the last segment can have a torn tail; recovery keeps the longest valid prefix (segment-scan.ts).
// - roll: the new segment is created with its header and the batch, fdatasynced, then the log
//   directory is fsynced. A crash may leave a new file without a valid header: it held nothing
//   acknowledged and is deleted on open.
// - truncateFrom(i) (a follower dropping a conflicting suffix): later segments are unlinked
//   newest-first, the segment holding i is ftruncated at i's offset, and the file (and directory)
//   are synced BEFORE any new entry is written. Every crash point leaves a prefix of the old log
//   (never old and new bytes interleaved in one file, which a later write into a region whose
//   truncation was not yet durable could produce). Only entries being replaced are at risk, which
//   Raft allows. A truncation therefore costs one extra fsync; conflicts are rare.
// - compact(i): whole segments whose entries are all <= i are unlinked oldest-first, then the
//   directory is fsynced. The first remaining segment's header holds the compacted prefix's
//   (index, term), so no other file records it and every crash point leaves a valid suffix.
// - reset(at) (a snapshot the log does not contain): every segment is unlinked newest-first, then
//   one header-only segment at `at` is created. A crash in between leaves an empty log directory;
//   the caller recreates it from the durable snapshot (RaftStorage.open does).

import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../../../shared/assert.js';
import { MiB } from '../../../shared/constants.js';
import { silentLogger, type Logger } from '../../../shared/logger.js';
import type { Entry } from '../types.js';
import { LogCompactedError, LogUnavailableError, StorageCorruptionError } from './errors.js';
import { fdatasync, fsyncDir, fsyncDirSync, ftruncate, readExactSync, writeAll } from './fs-io.js';
import {
  decodeEntryPayload,
  decodeIndexTerm,
  decodeRecordAt,
  encodeEntryRecordInto,
  encodeIndexTerm,
  encodeRecord,
  encodeRecordInto,
  entryRecordBytes,
  readU64,
  writeU64,
  RECORD_HEADER_BYTES,
  RecordType,
  type IndexTerm,
} from './record-codec.js';
import { scanSegment } from './segment-scan.js';

export const SEGMENT_SIZE_BYTES_MAX_DEFAULT = 64 * MiB;
/** About 16k namespace entries, seconds of peak traffic: a follower further behind reads the segment
 *  files instead. Each cached record also costs an Entry object and an ArrayBuffer, so a 16 MiB cache
 *  held about 40 MiB of every namenode's memory. */
export const ENTRY_CACHE_BYTES_MAX_DEFAULT = 4 * MiB;
/** Largest single append batch: bounds the one buffer a save() builds. */
export const APPEND_BATCH_BYTES_MAX = 256 * MiB;
export const SEGMENT_FILE_SUFFIX = '.seg';
const SEGMENT_NAME_DIGITS = 20;
/** A BatchEnd record carries the byte offset at which its batch's write began. */
const BATCH_END_PAYLOAD_BYTES = 8;
const SEGMENT_NAME_PATTERN = /^(\d{20})\.seg$/;
/** The cache drops evicted slots from its array once this many accumulate (amortised O(1) eviction). */
const CACHE_HEAD_COMPACT_AT = 1024;

/** The read side the Raft core needs (etcd's Storage without the snapshot and hard state). */
export interface ReadonlyLogStorage {
  /** Index of the first entry still in the log; the entry before it is the compacted prefix. */
  firstIndex(): number;
  /** Index of the last entry; firstIndex() - 1 when the log holds no entry. */
  lastIndex(): number;
  /** Term of entry `index`, valid for firstIndex() - 1 <= index <= lastIndex(). */
  term(index: number): number;
  /** Entries [lo, hiExclusive), at least one if lo < hiExclusive, then as many as fit in maxBytes. */
  entries(lo: number, hiExclusive: number, maxBytes: number): Entry[];
}

export interface SegmentedLogOptions {
  /** Directory that holds the segment files (created if missing). */
  dir: string;
  /** Roll to a new segment before a batch that would grow the active one past this size. */
  segmentSizeBytesMax?: number;
  entryCacheBytesMax?: number;
  /** Compacted prefix of the first segment when the directory holds none. */
  createAt?: IndexTerm;
  logger?: Logger;
}

interface Segment {
  /** Index of its first entry (the file name); the header names firstIndex - 1. */
  firstIndex: number;
  prevTerm: number;
  file: string;
  fd: number;
  sizeBytes: number;
  /** firstIndex - 1 when it holds no entry. */
  lastIndex: number;
}

export interface LogStats {
  fsyncs: number;
  bytesWritten: number;
  batches: number;
}

export const segmentFileName = (firstIndex: number): string => `${String(firstIndex).padStart(SEGMENT_NAME_DIGITS, '0')}${SEGMENT_FILE_SUFFIX}`;

export class SegmentedLog implements ReadonlyLogStorage {
  readonly stats: LogStats = { fsyncs: 0, bytesWritten: 0, batches: 0 };
  private readonly segments: Segment[] = [];
  // Per entry, from segments[0].firstIndex on: term, byte offset in its segment, record size.
  private terms: number[] = [];
  private offsets: number[] = [];
  private sizes: number[] = [];
  // Recent entries: cache[cacheHead..] are the entries lastIndex()-n+1 .. lastIndex().
  private cache: Entry[] = [];
  private cacheHead = 0;
  private cacheBytes = 0;
  private busy = false;
  /** Set when a write or sync failed: the on-disk state is unknown, so every later call refuses. */
  private failure: Error | null = null;

  private constructor(
    readonly dir: string,
    private readonly segmentSizeBytesMax: number,
    private readonly entryCacheBytesMax: number,
    private readonly logger: Logger,
  ) {}

  static open(options: SegmentedLogOptions): SegmentedLog {
    const log = new SegmentedLog(
      options.dir,
      options.segmentSizeBytesMax ?? SEGMENT_SIZE_BYTES_MAX_DEFAULT,
      options.entryCacheBytesMax ?? ENTRY_CACHE_BYTES_MAX_DEFAULT,
      options.logger ?? silentLogger(),
    );
    assert(log.segmentSizeBytesMax > RECORD_HEADER_BYTES * 4, 'segmentSizeBytesMax too small');
    if (!fs.existsSync(options.dir)) {
      fs.mkdirSync(options.dir, { recursive: true });
      fsyncDirSync(path.dirname(options.dir));
    }
    log.recover();
    if (log.segments.length === 0) log.createSegmentSync(options.createAt ?? { index: 0, term: 0 });
    return log;
  }

  // --- reads ---

  firstIndex(): number {
    return this.segments[0].firstIndex;
  }

  lastIndex(): number {
    return this.segments[this.segments.length - 1].lastIndex;
  }

  /** The (index, term) just before firstIndex(): the compacted prefix (or the snapshot the log starts at). */
  compactedPrefix(): IndexTerm {
    return { index: this.segments[0].firstIndex - 1, term: this.segments[0].prevTerm };
  }

  term(index: number): number {
    const first = this.firstIndex();
    if (index === first - 1) return this.segments[0].prevTerm;
    if (index < first) throw new LogCompactedError(index, first);
    if (index > this.lastIndex()) throw new LogUnavailableError(index, this.lastIndex());
    return this.terms[index - first];
  }

  entries(lo: number, hiExclusive: number, maxBytes: number): Entry[] {
    this.throwIfFailed();
    const first = this.firstIndex();
    if (lo < first) throw new LogCompactedError(lo, first);
    if (hiExclusive > this.lastIndex() + 1) throw new LogUnavailableError(hiExclusive - 1, this.lastIndex());
    assert(lo <= hiExclusive, `entries(${lo}, ${hiExclusive}): empty range reversed`);
    const out: Entry[] = [];
    let totalBytes = 0;
    const fits = (sizeBytes: number): boolean => out.length === 0 || totalBytes + sizeBytes <= maxBytes;
    const cacheFirst = this.cacheFirstIndex();
    let index = lo;
    while (index < hiExclusive) {
      if (index >= cacheFirst) {
        const entry = this.cache[this.cacheHead + index - cacheFirst];
        const sizeBytes = entryRecordBytes(entry);
        if (!fits(sizeBytes)) break;
        out.push(entry);
        totalBytes += sizeBytes;
        index++;
        continue;
      }
      // A run of entries from one segment, read with one pread.
      const segment = this.segmentOf(index);
      const runEnd = Math.min(hiExclusive, segment.lastIndex + 1, cacheFirst);
      let last = index;
      let runBytes = this.sizes[index - first];
      if (!fits(runBytes)) break;
      while (last + 1 < runEnd && totalBytes + runBytes + this.sizes[last + 1 - first] <= maxBytes) {
        last++;
        runBytes += this.sizes[last - first];
      }
      // The byte span also covers the BatchEnd records between the run's entries.
      const startBytes = this.offsets[index - first];
      const spanBytes = this.offsets[last - first] + this.sizes[last - first] - startBytes;
      const bytes = readExactSync(segment.fd, spanBytes, startBytes);
      for (let i = index; i <= last; i++) {
        const relative = this.offsets[i - first] - startBytes;
        out.push(this.decodeStoredEntry(segment, bytes, relative, startBytes + relative, i));
      }
      totalBytes += runBytes;
      index = last + 1;
      if (last + 1 < runEnd) break; // maxBytes reached inside the run
    }
    return out;
  }

  // --- writes ---

  /**
   * Appends `entries` (contiguous; the first may overwrite a suffix, which is truncated first) and
   * resolves once they are durable: one write and one fdatasync (plus a directory fsync when a
   * new segment is rolled, plus one sync for a truncation).
   */
  async append(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.exclusive(async () => {
      const firstNew = entries[0].index;
      this.checkAppend(entries);
      if (firstNew <= this.lastIndex()) await this.truncateOnDisk(firstNew);
      let batchBytes = RECORD_HEADER_BYTES + BATCH_END_PAYLOAD_BYTES;
      for (const entry of entries) batchBytes += entryRecordBytes(entry);
      assert(batchBytes <= APPEND_BATCH_BYTES_MAX, `append batch of ${batchBytes} B exceeds ${APPEND_BATCH_BYTES_MAX} B`);
      let active = this.segments[this.segments.length - 1];
      const roll = active.lastIndex >= active.firstIndex && active.sizeBytes + batchBytes > this.segmentSizeBytesMax;
      const header = roll ? encodeRecord(RecordType.SegmentHeader, encodeIndexTerm({ index: this.lastIndex(), term: this.term(this.lastIndex()) })) : null;
      const buf = Buffer.allocUnsafe((header?.length ?? 0) + batchBytes);
      let at = 0;
      if (header) at = header.copy(buf, 0);
      const baseOffset = roll ? 0 : active.sizeBytes;
      const offsets: number[] = [];
      for (const entry of entries) {
        offsets.push(baseOffset + at);
        at = encodeEntryRecordInto(buf, at, entry);
      }
      // BatchEnd names where this write began: recovery's proof that later bytes belong to a later batch.
      const batchEnd = Buffer.allocUnsafe(BATCH_END_PAYLOAD_BYTES);
      writeU64(batchEnd, 0, baseOffset);
      at = encodeRecordInto(buf, at, RecordType.BatchEnd, batchEnd);
      assert(at === buf.length, 'batch buffer size mismatch');
      if (roll) {
        const firstIndex = this.lastIndex() + 1;
        const file = path.join(this.dir, segmentFileName(firstIndex));
        const fd = fs.openSync(file, 'wx+');
        active = { firstIndex, prevTerm: this.term(firstIndex - 1), file, fd, sizeBytes: 0, lastIndex: firstIndex - 1 };
        this.segments.push(active);
      }
      await writeAll(active.fd, buf, baseOffset);
      await fdatasync(active.fd);
      this.stats.fsyncs++;
      if (roll) {
        await fsyncDir(this.dir);
        this.stats.fsyncs++;
      }
      this.stats.bytesWritten += buf.length;
      this.stats.batches++;
      active.sizeBytes = baseOffset + buf.length;
      active.lastIndex = entries[entries.length - 1].index;
      for (let i = 0; i < entries.length; i++) {
        this.terms.push(entries[i].term);
        this.offsets.push(offsets[i]);
        this.sizes.push(entryRecordBytes(entries[i]));
        this.cachePush(entries[i]);
      }
      this.checkIndexShape();
    });
  }

  /** Durably removes entries >= `index` (see the header comment for the crash argument). */
  async truncateFrom(index: number): Promise<void> {
    await this.exclusive(async () => {
      if (index > this.lastIndex()) return;
      if (index < this.firstIndex()) throw new LogCompactedError(index, this.firstIndex());
      await this.truncateOnDisk(index);
    });
  }

  /**
   * Unlinks every segment whose entries are all <= `index` (never the active one). The log may keep
   * entries <= index that share a segment with later ones: firstIndex() is at most index + 1.
   * The caller guarantees a durable snapshot covers `index`.
   */
  async compact(index: number): Promise<void> {
    await this.exclusive(async () => {
      let drop = 0;
      while (drop < this.segments.length - 1 && this.segments[drop].lastIndex <= index) drop++;
      if (drop === 0) return;
      const oldFirst = this.firstIndex();
      for (const segment of this.segments.slice(0, drop)) {
        fs.closeSync(segment.fd);
        fs.unlinkSync(segment.file);
      }
      this.segments.splice(0, drop);
      await fsyncDir(this.dir);
      this.stats.fsyncs++;
      const removed = this.firstIndex() - oldFirst;
      this.terms.splice(0, removed);
      this.offsets.splice(0, removed);
      this.sizes.splice(0, removed);
      this.cacheTrimFront();
      this.checkIndexShape();
    });
  }

  /** Discards the whole log and restarts it right after `at` (a snapshot it does not contain). */
  async reset(at: IndexTerm): Promise<void> {
    await this.exclusive(async () => {
      for (const segment of [...this.segments].reverse()) {
        fs.closeSync(segment.fd);
        fs.unlinkSync(segment.file);
      }
      this.segments.length = 0;
      this.terms = [];
      this.offsets = [];
      this.sizes = [];
      this.cacheClear();
      await fsyncDir(this.dir);
      this.createSegmentSync(at);
      this.stats.fsyncs += 3;
    });
  }

  close(): void {
    for (const segment of this.segments) fs.closeSync(segment.fd);
    this.segments.length = 0;
    this.failure = new Error('raft log is closed');
  }

  // --- internals ---

  private async exclusive(body: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    assert(!this.busy, 'raft log: a write is already in flight (await each save before the next)');
    this.busy = true;
    try {
      await body();
    } catch (err) {
      // After a failed write or fsync the page cache and the disk may disagree; only a restart
      // (which re-reads the files) can tell what is durable. Assertion failures leave disk untouched.
      if (!(err instanceof Error && err.name === 'AssertionFailure') && !(err instanceof LogCompactedError)) {
        this.failure = err instanceof Error ? err : new Error(String(err));
      }
      throw err;
    } finally {
      this.busy = false;
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw new Error(`raft log unusable after an earlier failure: ${this.failure.message}`, { cause: this.failure });
  }

  private checkAppend(entries: readonly Entry[]): void {
    const firstNew = entries[0].index;
    if (firstNew < this.firstIndex()) throw new LogCompactedError(firstNew, this.firstIndex());
    assert(firstNew <= this.lastIndex() + 1, `append at ${firstNew} leaves a gap after last index ${this.lastIndex()}`);
    let prevTerm = this.term(firstNew - 1);
    for (let i = 0; i < entries.length; i++) {
      assert(entries[i].index === firstNew + i, `append: entry ${i} has index ${entries[i].index}, expected ${firstNew + i}`);
      assert(entries[i].term >= prevTerm, `append: entry ${entries[i].index} term ${entries[i].term} < previous term ${prevTerm}`);
      prevTerm = entries[i].term;
    }
  }

  private async truncateOnDisk(index: number): Promise<void> {
    const cacheFirst = this.cacheFirstIndex();
    const position = this.segments.findIndex((s) => index <= s.lastIndex);
    assert(position >= 0 && index >= this.segments[position].firstIndex, `truncate at ${index}: no segment holds it`);
    const later = this.segments.splice(position + 1);
    for (const segment of later.reverse()) {
      fs.closeSync(segment.fd);
      fs.unlinkSync(segment.file);
    }
    const segment = this.segments[position];
    const offsetBytes = this.offsets[index - this.firstIndex()];
    await ftruncate(segment.fd, offsetBytes);
    await fdatasync(segment.fd);
    this.stats.fsyncs++;
    if (later.length > 0) {
      await fsyncDir(this.dir);
      this.stats.fsyncs++;
    }
    segment.sizeBytes = offsetBytes;
    segment.lastIndex = index - 1;
    const keep = index - this.firstIndex();
    this.terms.length = keep;
    this.offsets.length = keep;
    this.sizes.length = keep;
    this.cacheTruncate(index, cacheFirst);
    this.checkIndexShape();
  }

  private segmentOf(index: number): Segment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid].firstIndex <= index) lo = mid;
      else hi = mid - 1;
    }
    const segment = this.segments[lo];
    assert(index >= segment.firstIndex && index <= segment.lastIndex, `index ${index} is in no segment`);
    return segment;
  }

  private decodeStoredEntry(segment: Segment, bytes: Buffer, relative: number, fileOffset: number, index: number): Entry {
    const rec = decodeRecordAt(bytes, relative);
    if (rec.kind !== 'ok') throw new StorageCorruptionError(segment.file, fileOffset, `entry ${index}: ${rec.problem}`);
    const entry = decodeEntryPayload(rec.payload);
    if (rec.type !== RecordType.Entry || entry.index !== index || entry.term !== this.terms[index - this.firstIndex()]) {
      throw new StorageCorruptionError(segment.file, fileOffset, `expected entry ${index} term ${this.terms[index - this.firstIndex()]}, found type ${rec.type} index ${entry.index} term ${entry.term}`);
    }
    return entry;
  }

  private createSegmentSync(at: IndexTerm): void {
    const firstIndex = at.index + 1;
    const file = path.join(this.dir, segmentFileName(firstIndex));
    const header = encodeRecord(RecordType.SegmentHeader, encodeIndexTerm(at));
    const fd = fs.openSync(file, 'wx+');
    fs.writeSync(fd, header, 0, header.length, 0);
    fs.fdatasyncSync(fd);
    fsyncDirSync(this.dir);
    this.segments.push({ firstIndex, prevTerm: at.term, file, fd, sizeBytes: header.length, lastIndex: at.index });
  }

  /** Rebuilds the segment list and the per-entry index from the files, truncating a torn tail. */
  private recover(): void {
    const names = fs.readdirSync(this.dir).filter((n) => SEGMENT_NAME_PATTERN.test(n)).sort();
    for (let i = 0; i < names.length; i++) {
      const file = path.join(this.dir, names[i]);
      const isLast = i === names.length - 1;
      const bytes = fs.readFileSync(file);
      const outcome = scanSegment(bytes);
      if (outcome.kind === 'corrupt') {
        throw new StorageCorruptionError(file, outcome.offsetBytes, `${outcome.problem}; a later synced batch starts at offset ${outcome.laterBatchAtBytes}, so this record was acknowledged: refusing to truncate`);
      }
      let sizeBytes = bytes.length;
      if (outcome.kind === 'torn') {
        if (!isLast) throw new StorageCorruptionError(file, outcome.validEndBytes, `${outcome.problem}; a later segment exists, so this segment was fully synced`);
        if (outcome.records.length === 0) {
          // A roll or reset that crashed before its header was durable: nothing in it was acknowledged.
          this.logger.warn({ file, sizeBytes }, 'raft log: removing a segment with no valid header (crash while creating it)');
          fs.unlinkSync(file);
          fsyncDirSync(this.dir);
          continue;
        }
        this.logger.warn({ file, offsetBytes: outcome.validEndBytes, droppedBytes: bytes.length - outcome.validEndBytes, problem: outcome.problem }, 'raft log: truncating torn tail');
        const fd = fs.openSync(file, 'r+');
        fs.ftruncateSync(fd, outcome.validEndBytes);
        fs.fdatasyncSync(fd);
        fs.closeSync(fd);
        sizeBytes = outcome.validEndBytes;
      }
      this.loadSegment(file, names[i], outcome.records, sizeBytes, isLast);
    }
    this.checkIndexShape();
  }

  private loadSegment(file: string, name: string, records: ReturnType<typeof scanSegment>['records'], sizeBytes: number, isLast: boolean): void {
    if (records.length === 0 || records[0].type !== RecordType.SegmentHeader) {
      if (records.length === 0 && isLast) {
        fs.unlinkSync(file);
        fsyncDirSync(this.dir);
        return;
      }
      throw new StorageCorruptionError(file, 0, 'segment does not start with a header record');
    }
    const prev = decodeIndexTerm(records[0].payload);
    const firstIndex = prev.index + 1;
    if (segmentFileName(firstIndex) !== name) throw new StorageCorruptionError(file, 0, `header names index ${prev.index}, which does not match the file name`);
    if (this.segments.length > 0) {
      const before = this.lastIndex();
      if (prev.index !== before || prev.term !== this.term(before)) {
        throw new StorageCorruptionError(file, 0, `header (index ${prev.index}, term ${prev.term}) does not continue the previous segment (last index ${before}, term ${this.term(before)})`);
      }
    }
    const segment: Segment = { firstIndex, prevTerm: prev.term, file, fd: -1, sizeBytes, lastIndex: prev.index };
    let prevTerm = prev.term;
    for (const rec of records.slice(1)) {
      if (rec.type === RecordType.BatchEnd) continue;
      if (rec.type !== RecordType.Entry) throw new StorageCorruptionError(file, rec.offsetBytes, `unexpected record type ${rec.type} in a log segment`);
      const index = readU64(rec.payload, 0);
      const term = readU64(rec.payload, 8);
      if (index !== segment.lastIndex + 1 || term < prevTerm) {
        throw new StorageCorruptionError(file, rec.offsetBytes, `entry (index ${index}, term ${term}) does not follow (index ${segment.lastIndex}, term ${prevTerm})`);
      }
      this.terms.push(term);
      this.offsets.push(rec.offsetBytes);
      this.sizes.push(rec.sizeBytes);
      segment.lastIndex = index;
      prevTerm = term;
    }
    segment.fd = fs.openSync(file, 'r+');
    this.segments.push(segment);
  }

  private checkIndexShape(): void {
    if (this.segments.length === 0) return;
    const count = this.lastIndex() - this.firstIndex() + 1;
    assert(this.terms.length === count && this.offsets.length === count && this.sizes.length === count, `log index holds ${this.terms.length} entries, expected ${count}`);
    assert(this.cache.length - this.cacheHead <= count, 'entry cache larger than the log');
  }

  // --- recent-entry cache: always a suffix of the log ---

  private cacheFirstIndex(): number {
    return this.lastIndex() + 1 - (this.cache.length - this.cacheHead);
  }

  private cachePush(entry: Entry): void {
    this.cache.push(entry);
    this.cacheBytes += entryRecordBytes(entry);
    while (this.cacheBytes > this.entryCacheBytesMax && this.cacheHead < this.cache.length) {
      this.cacheBytes -= entryRecordBytes(this.cache[this.cacheHead]);
      this.cacheHead++;
    }
    if (this.cacheHead >= CACHE_HEAD_COMPACT_AT && this.cacheHead * 2 >= this.cache.length) {
      this.cache = this.cache.slice(this.cacheHead);
      this.cacheHead = 0;
    }
  }

  /** Drops cached entries >= `index`; `cacheFirst` is the cache's first index before the truncation. */
  private cacheTruncate(index: number, cacheFirst: number): void {
    const keep = Math.max(0, index - cacheFirst);
    while (this.cache.length - this.cacheHead > keep) this.cacheBytes -= entryRecordBytes(this.cache.pop() as Entry);
  }

  /** Drops cached entries before firstIndex() after a compaction. */
  private cacheTrimFront(): void {
    const logCount = this.lastIndex() - this.firstIndex() + 1;
    while (this.cache.length - this.cacheHead > logCount) {
      this.cacheBytes -= entryRecordBytes(this.cache[this.cacheHead]);
      this.cacheHead++;
    }
  }

  private cacheClear(): void {
    this.cache = [];
    this.cacheHead = 0;
    this.cacheBytes = 0;
  }
}
