// Where pipeline recovery gets the current block's bytes back from (client/blocks/recoverable-writer.ts
// replays the whole block into a fresh pipeline). Three sources, cheapest first:
// - a range of a local file the caller is uploading (`dfs -put`): the bytes are already on disk, so
//   nothing is copied while writing, and a replay reads them back from the file at the block's offset;
// - a buffer the caller already holds (writeFile of bytes): a replay slices it, no copy at all;
// - a spill file (any other stream, which cannot be read twice): every byte is also written to a
//   local temporary file as it is sent. On a machine whose datanodes share the client's disk, that is
//   a 4th copy of every byte, which is why the two others exist.

import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';

/** Bytes read from a file (spill or source) per replayed write. */
const REPLAY_PIECE_BYTES = 1024 * 1024;

/** The bytes of one block, as sent so far, to replay from the block's first byte. */
export interface BlockReplaySource {
  /** Called with each piece sent down the pipeline, in order; resolves once the piece can be replayed. */
  record(data: Uint8Array): Promise<void>;
  /** The first `length` bytes of the block, in order, in pieces the caller may not keep. */
  replay(length: number): AsyncGenerator<Uint8Array>;
  /** Releases what the source holds (the spill file is removed). */
  close(): Promise<void>;
}

/** What a write stream's bytes are, when the caller can give them again; the stream's byte 0 is the file's/buffer's byte 0. */
export type ReplayOrigin = { kind: 'file'; path: string } | { kind: 'buffer'; data: Uint8Array };

/** Today's source for a stream read once: every byte also lands in a temporary file. */
export class SpillReplaySource implements BlockReplaySource {
  private spilledBytes = 0;

  private constructor(
    private readonly file: FileHandle,
    readonly path: string,
  ) {}

  static async open(spillDir: string | undefined, blockId: number): Promise<SpillReplaySource> {
    const path = join(spillDir ?? tmpdir(), `dfs-spill-blk_${blockId}-${randomBytes(4).toString('hex')}`);
    return new SpillReplaySource(await open(path, 'w+', 0o600), path);
  }

  async record(data: Uint8Array): Promise<void> {
    let offset = 0;
    try {
      while (offset < data.length) {
        const { bytesWritten } = await this.file.write(data, offset, data.length - offset, this.spilledBytes + offset);
        offset += bytesWritten;
      }
    } catch (error) {
      throw new DfsError('Io', `Cannot write the pipeline spill file ${this.path}: ${(error as Error).message}`, { path: this.path });
    }
    this.spilledBytes += data.length;
  }

  async *replay(length: number): AsyncGenerator<Uint8Array> {
    assert(length <= this.spilledBytes, `replay of ${length} bytes, ${this.spilledBytes} were spilled`);
    yield* readRange(this.file, 0, length, this.path);
  }

  async close(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }
}

/**
 * A block of a local file being uploaded: bytes [blockStart, blockStart + length) of an open file.
 * The file must not change during the upload; a replay checks its size and modification time
 * against those seen when the upload began, and fails the write rather than mix two versions.
 */
export class FileRangeReplaySource implements BlockReplaySource {
  constructor(
    private readonly source: LocalSourceFile,
    private readonly blockStart: number,
  ) {}

  async record(): Promise<void> {
    // Nothing to copy: the bytes are in the source file already.
  }

  async *replay(length: number): AsyncGenerator<Uint8Array> {
    await this.source.checkUnchanged();
    yield* readRange(this.source.handle, this.blockStart, length, this.source.path);
  }

  async close(): Promise<void> {
    // The source file belongs to the stream (LocalSourceFile), which closes it once.
  }
}

/** A block of a buffer the caller holds: a replay is a slice of it. */
export class BufferReplaySource implements BlockReplaySource {
  constructor(
    private readonly data: Uint8Array,
    private readonly blockStart: number,
  ) {}

  async record(): Promise<void> {
    // Nothing to copy: the caller's buffer holds the bytes.
  }

  async *replay(length: number): AsyncGenerator<Uint8Array> {
    assert(this.blockStart + length <= this.data.length, `replay of [${this.blockStart}, ${this.blockStart + length}) outside a buffer of ${this.data.length} bytes`);
    // In pieces: the pipeline writer frames (copies) a whole write at once.
    for (let position = 0; position < length; position += REPLAY_PIECE_BYTES) {
      yield this.data.subarray(this.blockStart + position, this.blockStart + Math.min(length, position + REPLAY_PIECE_BYTES));
    }
  }

  async close(): Promise<void> {}
}

/** The local file a stream uploads, opened once: replays read it by handle, so a rename does not break them. */
export class LocalSourceFile {
  private constructor(
    readonly path: string,
    readonly handle: FileHandle,
    private readonly sizeBytes: number,
    private readonly mtimeMs: number,
  ) {}

  static async open(path: string): Promise<LocalSourceFile> {
    const handle = await open(path, 'r');
    const stats = await handle.stat().catch(async (error: unknown) => {
      await handle.close();
      throw error;
    });
    return new LocalSourceFile(path, handle, stats.size, stats.mtimeMs);
  }

  async checkUnchanged(): Promise<void> {
    const stats = await this.handle.stat();
    if (stats.size !== this.sizeBytes || stats.mtimeMs !== this.mtimeMs) {
      throw new DfsError('Io', `${this.path} changed during the upload (${this.sizeBytes} -> ${stats.size} bytes); cannot replay a block from it`, { path: this.path });
    }
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

async function* readRange(file: FileHandle, start: number, length: number, path: string): AsyncGenerator<Uint8Array> {
  const piece = Buffer.allocUnsafe(Math.min(REPLAY_PIECE_BYTES, Math.max(length, 1)));
  let position = 0;
  while (position < length) {
    const wanted = Math.min(piece.length, length - position);
    const { bytesRead } = await file.read(piece, 0, wanted, start + position);
    if (bytesRead !== wanted) {
      throw new DfsError('Io', `${path} is shorter than the ${start + length} bytes to replay (read ${bytesRead} of ${wanted} at ${start + position})`, { path });
    }
    // The pipeline writer copies what it frames before it resolves, so the piece can be reused.
    yield piece.subarray(0, wanted);
    position += wanted;
  }
}
