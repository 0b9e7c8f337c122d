// Snapshot files: one directory per snapshot, `snap/<index>-<term>/` holding `data` (opaque bytes,
// the namenode's SQLite copy, openable in place) and `meta` (one framed record: index, term, conf,
// data size and CRC32C). A snapshot is built in `snap/tmp-*`, its files fsynced, the directory
// fsynced, renamed into place, and the parent fsynced; only then are older snapshots removed.
// A crash before the rename leaves a tmp directory, which open() removes; a crash after it leaves
// a complete snapshot (and perhaps older ones, also removed by open()).

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import { assert } from '../../../shared/assert.js';
import { MiB } from '../../../shared/constants.js';
import { silentLogger, type Logger } from '../../../shared/logger.js';
import type { SnapshotMetadata } from '../types.js';
import { StorageCorruptionError } from './errors.js';
import { fdatasync, fsyncDir, fsyncDirSync, writeAll } from './fs-io.js';
import { decodeRecordAt, encodeRecord, RecordType } from './record-codec.js';

export const SNAPSHOT_DATA_FILE = 'data';
export const SNAPSHOT_META_FILE = 'meta';
export const SNAPSHOT_TMP_PREFIX = 'tmp-';
/** Read size when checksumming snapshot data: large, so the native CRC call overhead is negligible. */
export const SNAPSHOT_IO_CHUNK_BYTES = 1 * MiB;
const SNAPSHOT_NAME_PATTERN = /^(\d{20})-(\d{20})$/;
const NAME_DIGITS = 20;

/** Snapshot data written and durable, not yet the latest snapshot. */
export interface StagedSnapshot {
  /** Makes it the latest snapshot under `meta` (which must be newer than the latest). */
  install(meta: SnapshotMetadata): Promise<SnapshotInfo>;
  /** Removes it unless installed. */
  discard(): void;
}

export interface SnapshotInfo {
  meta: SnapshotMetadata;
  /** Path of the snapshot's data file; valid until a newer snapshot replaces it. */
  dataPath: string;
  sizeBytes: number;
  crc32c: number;
}

/** Either a writer that fills the file at `dataPath` (e.g. better-sqlite3's `db.backup(path)`), or a stream of bytes. */
export type SnapshotSource = ((dataPath: string) => Promise<void>) | AsyncIterable<Uint8Array>;

interface StoredMeta extends SnapshotMetadata {
  sizeBytes: number;
  crc32c: number;
}

export const snapshotDirName = (meta: Pick<SnapshotMetadata, 'index' | 'term'>): string =>
  `${String(meta.index).padStart(NAME_DIGITS, '0')}-${String(meta.term).padStart(NAME_DIGITS, '0')}`;

export class SnapshotStore {
  private current: SnapshotInfo | null;

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
    current: SnapshotInfo | null,
  ) {
    this.current = current;
  }

  static open(options: { dir: string; logger?: Logger }): SnapshotStore {
    const { dir } = options;
    const logger = options.logger ?? silentLogger();
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      fsyncDirSync(path.dirname(dir));
    }
    let changed = false;
    const complete: string[] = [];
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith(SNAPSHOT_TMP_PREFIX)) {
        logger.warn({ dir: path.join(dir, name) }, 'snapshot store: removing an unfinished snapshot');
        fs.rmSync(path.join(dir, name), { recursive: true, force: true });
        changed = true;
      } else if (SNAPSHOT_NAME_PATTERN.test(name)) {
        complete.push(name);
      }
    }
    complete.sort(); // zero-padded index then term: lexical order is numeric order
    const newest = complete.pop();
    for (const older of complete) {
      fs.rmSync(path.join(dir, older), { recursive: true, force: true });
      changed = true;
    }
    if (changed) fsyncDirSync(dir);
    return new SnapshotStore(dir, logger, newest === undefined ? null : readSnapshotDir(path.join(dir, newest), newest));
  }

  latest(): SnapshotInfo | null {
    return this.current;
  }

  /** Writes a snapshot and resolves once it is durable and older snapshots are gone. */
  async save(meta: SnapshotMetadata, source: SnapshotSource): Promise<SnapshotInfo> {
    this.checkNewer(meta);
    if (typeof source === 'function') return (await this.stage(source)).install(meta);
    const tmp = this.makeTmpDir();
    try {
      const writer = await ChunkWriter.create(path.join(tmp, SNAPSHOT_DATA_FILE));
      try {
        for await (const chunk of source) await writer.write(chunk);
        await writer.sync();
      } finally {
        writer.close();
      }
      return await this.install(tmp, meta, writer.sizeBytes, writer.crc);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Writes a snapshot's data before its metadata is known (a copy that records its own log
   * position): `write` fills the data file, which is then fsynced and checksummed. Nothing is visible
   * until the staged snapshot is installed; discard() removes it otherwise.
   */
  async stage(write: (dataPath: string) => Promise<void>): Promise<StagedSnapshot> {
    const tmp = this.makeTmpDir();
    try {
      const dataPath = path.join(tmp, SNAPSHOT_DATA_FILE);
      await write(dataPath);
      const { sizeBytes, crc } = await syncAndChecksum(dataPath);
      let settled = false;
      return {
        install: async (meta) => {
          assert(!settled, 'staged snapshot already installed or discarded');
          settled = true;
          try {
            return await this.install(tmp, meta, sizeBytes, crc);
          } catch (err) {
            fs.rmSync(tmp, { recursive: true, force: true });
            throw err;
          }
        },
        discard: () => {
          if (settled) return;
          settled = true;
          fs.rmSync(tmp, { recursive: true, force: true });
        },
      };
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** A snapshot arriving from the leader in chunks; nothing is visible until finish() resolves. */
  async beginIncoming(meta: SnapshotMetadata): Promise<IncomingSnapshot> {
    this.checkNewer(meta);
    const tmp = this.makeTmpDir();
    const writer = await ChunkWriter.create(path.join(tmp, SNAPSHOT_DATA_FILE));
    return new IncomingSnapshot(meta, tmp, writer, (m, dir, size, crc) => this.install(dir, m, size, crc));
  }

  /** Re-reads the latest snapshot's data and checks its size and CRC32C (the cost of one full read). */
  async verifyLatest(): Promise<void> {
    const info = this.current;
    if (!info) return;
    const { sizeBytes, crc } = await syncAndChecksum(info.dataPath, false);
    if (sizeBytes !== info.sizeBytes || crc !== info.crc32c) {
      throw new StorageCorruptionError(info.dataPath, 0, `snapshot data has ${sizeBytes} B crc32c ${crc >>> 0}, meta expects ${info.sizeBytes} B crc32c ${info.crc32c}`);
    }
  }

  private checkNewer(meta: SnapshotMetadata): void {
    assert(Number.isSafeInteger(meta.index) && meta.index > 0 && Number.isSafeInteger(meta.term), `bad snapshot metadata ${JSON.stringify(meta)}`);
    const latest = this.current?.meta;
    assert(!latest || meta.index > latest.index, `snapshot at index ${meta.index} is not newer than the latest (index ${latest?.index})`);
  }

  private makeTmpDir(): string {
    const tmp = path.join(this.dir, `${SNAPSHOT_TMP_PREFIX}${randomBytes(6).toString('hex')}`);
    fs.mkdirSync(tmp);
    return tmp;
  }

  private async install(tmp: string, meta: SnapshotMetadata, sizeBytes: number, crc: number): Promise<SnapshotInfo> {
    // Re-check: another snapshot may have been installed while this one was being written.
    this.checkNewer(meta);
    const stored: StoredMeta = { index: meta.index, term: meta.term, conf: meta.conf, sizeBytes, crc32c: crc };
    const metaPath = path.join(tmp, SNAPSHOT_META_FILE);
    const record = encodeRecord(RecordType.SnapshotMeta, Buffer.from(JSON.stringify(stored), 'utf8'));
    const fd = fs.openSync(metaPath, 'wx');
    try {
      await writeAll(fd, record, 0);
      await fdatasync(fd);
    } finally {
      fs.closeSync(fd);
    }
    await fsyncDir(tmp);
    const name = snapshotDirName(meta);
    const finalDir = path.join(this.dir, name);
    fs.renameSync(tmp, finalDir);
    await fsyncDir(this.dir);
    const previous = this.current;
    this.current = { meta: { index: meta.index, term: meta.term, conf: meta.conf }, dataPath: path.join(finalDir, SNAPSHOT_DATA_FILE), sizeBytes, crc32c: crc };
    if (previous) {
      fs.rmSync(path.dirname(previous.dataPath), { recursive: true, force: true });
      await fsyncDir(this.dir);
    }
    this.logger.info({ index: meta.index, term: meta.term, sizeBytes }, 'snapshot store: snapshot installed');
    return this.current;
  }
}

export class IncomingSnapshot {
  private done = false;

  constructor(
    readonly meta: SnapshotMetadata,
    private readonly tmpDir: string,
    private readonly writer: ChunkWriter,
    private readonly installFn: (meta: SnapshotMetadata, dir: string, sizeBytes: number, crc: number) => Promise<SnapshotInfo>,
  ) {}

  get receivedBytes(): number {
    return this.writer.sizeBytes;
  }

  /** Appends a chunk; `offsetBytes` must equal receivedBytes (a resent chunk is the sender's bug to avoid). */
  async write(chunk: Uint8Array, offsetBytes: number): Promise<void> {
    assert(!this.done, 'incoming snapshot already finished or aborted');
    assert(offsetBytes === this.writer.sizeBytes, `snapshot chunk at offset ${offsetBytes}, expected ${this.writer.sizeBytes}`);
    await this.writer.write(chunk);
  }

  /** Makes the snapshot durable and the latest; optionally checks the sender's size and CRC32C. */
  async finish(expected?: { sizeBytes: number; crc32c: number }): Promise<SnapshotInfo> {
    assert(!this.done, 'incoming snapshot already finished or aborted');
    this.done = true;
    try {
      await this.writer.sync();
      this.writer.close();
      if (expected && (expected.sizeBytes !== this.writer.sizeBytes || expected.crc32c !== this.writer.crc)) {
        throw new StorageCorruptionError(path.join(this.tmpDir, SNAPSHOT_DATA_FILE), 0, `received ${this.writer.sizeBytes} B crc32c ${this.writer.crc}, sender announced ${expected.sizeBytes} B crc32c ${expected.crc32c}`);
      }
    } catch (err) {
      this.writer.close();
      fs.rmSync(this.tmpDir, { recursive: true, force: true });
      throw err;
    }
    // After install the tmp directory is renamed away; a failure past this point leaves it to open().
    return this.installFn(this.meta, this.tmpDir, this.writer.sizeBytes, this.writer.crc);
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.writer.close();
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

/** Sequential writer that checksums as it goes. */
class ChunkWriter {
  sizeBytes = 0;
  crc = 0;
  private closed = false;

  private constructor(private readonly fd: number) {}

  static async create(file: string): Promise<ChunkWriter> {
    return new ChunkWriter(fs.openSync(file, 'wx'));
  }

  async write(chunk: Uint8Array): Promise<void> {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    await writeAll(this.fd, buf, this.sizeBytes);
    this.crc = crc32c(buf, this.crc);
    this.sizeBytes += buf.length;
  }

  async sync(): Promise<void> {
    await fdatasync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

/** fsyncs (optionally) and checksums a file written by someone else. */
async function syncAndChecksum(file: string, sync = true): Promise<{ sizeBytes: number; crc: number }> {
  const handle = await fs.promises.open(file, sync ? 'r+' : 'r');
  try {
    if (sync) await handle.sync();
    const buf = Buffer.allocUnsafe(SNAPSHOT_IO_CHUNK_BYTES);
    let sizeBytes = 0;
    let crc = 0;
    while (true) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, sizeBytes);
      if (bytesRead === 0) break;
      crc = crc32c(buf.subarray(0, bytesRead), crc);
      sizeBytes += bytesRead;
    }
    return { sizeBytes, crc };
  } finally {
    await handle.close();
  }
}

function readSnapshotDir(dir: string, name: string): SnapshotInfo {
  const metaPath = path.join(dir, SNAPSHOT_META_FILE);
  const dataPath = path.join(dir, SNAPSHOT_DATA_FILE);
  if (!fs.existsSync(metaPath)) throw new StorageCorruptionError(metaPath, 0, 'snapshot meta file missing');
  const rec = decodeRecordAt(fs.readFileSync(metaPath), 0);
  if (rec.kind !== 'ok' || rec.type !== RecordType.SnapshotMeta) {
    throw new StorageCorruptionError(metaPath, 0, rec.kind === 'ok' ? `record type ${rec.type}, expected snapshot meta` : rec.problem);
  }
  const stored = JSON.parse(rec.payload.toString('utf8')) as StoredMeta;
  if (snapshotDirName(stored) !== name) throw new StorageCorruptionError(metaPath, 0, `meta names index ${stored.index} term ${stored.term}, directory is ${name}`);
  const sizeBytes = fs.existsSync(dataPath) ? fs.statSync(dataPath).size : -1;
  if (sizeBytes !== stored.sizeBytes) throw new StorageCorruptionError(dataPath, 0, `snapshot data is ${sizeBytes} B, meta expects ${stored.sizeBytes} B`);
  return { meta: { index: stored.index, term: stored.term, conf: stored.conf }, dataPath, sizeBytes, crc32c: stored.crc32c };
}
