// The block transfer wire format and the upload half of the write pipeline, shared by the client
// (first hop) and the datanodes (every later hop, and replication).
//
// A block travels as frames: [u32 BE dataLength][u32 BE crc32c(data)][data]. Every data frame holds
// exactly CHECKSUM_CHUNK_BYTES but the last, which may be shorter; a frame with length 0 and crc 0
// ends the block. One frame is one checksum chunk, so a receiver verifies and stores CRCs as they come.

import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { CHECKSUM_CHUNK_BYTES } from './constants.js';
import { crc32cOf } from './checksum.js';
import { DfsError } from './errors.js';
import { ExtendedBlock } from './protocol.js';
import { assert } from './assert.js';
import { BLOCK_TOKEN_PARAM } from './block-token.js';

export const FRAME_HEADER_BYTES = 8;
/** Bytes queued towards the next hop before a writer waits: a few frames, never a whole block. */
export const UPLOAD_QUEUE_BYTES_MAX = 4 * (CHECKSUM_CHUNK_BYTES + FRAME_HEADER_BYTES);
/** After the last frame, how long a hop waits for the rest of the pipeline to fsync and answer. */
export const PIPELINE_ACK_TIMEOUT_MS = 120_000;

export const END_FRAME: Buffer = Buffer.alloc(FRAME_HEADER_BYTES);

export const BLOCKS_PATH = '/dfs/v1/blocks';

/** The answer to a successful block PUT: the finalized block and every node that fsynced it, in pipeline order. */
export const PipelineAck = z.object({ block: ExtendedBlock, replicas: z.array(z.string()) });
export type PipelineAck = z.infer<typeof PipelineAck>;

/**
 * A malformed upload (bad CRC, truncated body, bad frame). The sender's fault, so always HTTP 400
 * even for the Checksum kind, which elsewhere (a corrupt replica on disk) maps to 403.
 */
export class FrameError extends DfsError {
  override get status(): number {
    return 400;
  }
}

export function encodeFrameHeader(dataLength: number, crc: number): Buffer {
  assert(dataLength > 0 && dataLength <= CHECKSUM_CHUNK_BYTES, `frame length ${dataLength} out of range`);
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(dataLength, 0);
  header.writeUInt32BE(crc >>> 0, 4);
  return header;
}

export interface Frame {
  data: Buffer;
  crc: number;
  /** Header and data as one buffer, forwarded unchanged to the next hop (one HTTP chunk, one write). */
  raw: Buffer;
}

/**
 * Parses frames from a byte stream, verifying each CRC. Yields data frames; returns after the end
 * frame. Throws FrameError on a bad CRC, a malformed frame, bytes after the end frame, or a stream
 * that ends (or fails) before the end frame. Holds at most one frame plus one incoming chunk.
 */
export async function* decodeFrames(source: AsyncIterable<Uint8Array>, context: Record<string, unknown> = {}): AsyncGenerator<Frame> {
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  let frameIndex = 0;
  let sawShortFrame = false;
  let ended = false;
  const iterator = source[Symbol.asyncIterator]();

  /** The next `count` buffered bytes without consuming them (copied only when they straddle chunks). */
  const peek = (count: number): Buffer => {
    assert(count <= pendingBytes, 'peek past buffered bytes');
    const first = pending[0];
    if (first.length >= count) return first.subarray(0, count);
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    for (const piece of pending) {
      const n = Math.min(piece.length, count - filled);
      piece.copy(out, filled, 0, n);
      filled += n;
      if (filled === count) break;
    }
    return out;
  };

  /** The next `count` buffered bytes, consumed. */
  const take = (count: number): Buffer => {
    const out = peek(count);
    let dropped = 0;
    while (dropped < count) {
      const head = pending[0];
      const n = Math.min(head.length, count - dropped);
      if (n === head.length) pending.shift();
      else pending[0] = head.subarray(n);
      dropped += n;
    }
    pendingBytes -= count;
    return out;
  };

  /** Reads until `count` bytes are buffered; false when the source ended first. */
  const fill = async (count: number): Promise<boolean> => {
    while (pendingBytes < count) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw new FrameError('IllegalArgument', `Block upload truncated: ${(error as Error).message}`, { ...context, reason: 'truncated', frameIndex });
      }
      if (next.done) return false;
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      if (chunk.length === 0) continue;
      if (ended) throw new FrameError('IllegalArgument', 'Bytes after the end frame', { ...context, reason: 'trailing-bytes' });
      pending.push(chunk);
      pendingBytes += chunk.length;
    }
    return true;
  };

  const truncated = (): FrameError =>
    new FrameError('IllegalArgument', `Block upload truncated after ${frameIndex} frames (no end frame)`, { ...context, reason: 'truncated', frameIndex });

  while (true) {
    if (!(await fill(FRAME_HEADER_BYTES))) throw truncated();
    const peeked = peek(FRAME_HEADER_BYTES);
    const length = peeked.readUInt32BE(0);
    const crc = peeked.readUInt32BE(4);
    if (length === 0) {
      take(FRAME_HEADER_BYTES);
      if (crc !== 0) throw new FrameError('IllegalArgument', 'End frame with a non-zero CRC', { ...context, reason: 'malformed', frameIndex });
      ended = true;
      if (pendingBytes > 0 || (await fill(1))) {
        throw new FrameError('IllegalArgument', 'Bytes after the end frame', { ...context, reason: 'trailing-bytes' });
      }
      return;
    }
    if (length > CHECKSUM_CHUNK_BYTES) {
      throw new FrameError('IllegalArgument', `Frame of ${length} bytes exceeds the chunk size ${CHECKSUM_CHUNK_BYTES}`, { ...context, reason: 'malformed', frameIndex });
    }
    if (sawShortFrame) {
      throw new FrameError('IllegalArgument', 'Data frame after a short frame: only the last frame may be shorter than a chunk', { ...context, reason: 'malformed', frameIndex });
    }
    // Header and data come out as one buffer: a subarray of the received chunk when the frame lies
    // inside it, else one copy (never two), and the next hop gets it as a single write.
    if (!(await fill(FRAME_HEADER_BYTES + length))) throw truncated();
    const raw = take(FRAME_HEADER_BYTES + length);
    const data = raw.subarray(FRAME_HEADER_BYTES);
    const actual = crc32cOf(data);
    if (actual !== crc) {
      throw new FrameError('Checksum', `Checksum error in frame ${frameIndex}: expected ${hex(crc)}, computed ${hex(actual)}`, { ...context, frameIndex });
    }
    if (length < CHECKSUM_CHUNK_BYTES) sawShortFrame = true;
    frameIndex++;
    yield { data, crc, raw };
  }
}

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/**
 * Cuts arbitrary writes into frames. Copies the caller's bytes (the caller may reuse its buffer as
 * soon as a write resolves). `push` returns the buffers to send, `finish` the last frame and the end frame.
 */
export class FrameEncoder {
  /** The frame being filled: its header's 8 bytes, then its data. */
  private partial = Buffer.allocUnsafe(FRAME_HEADER_BYTES + CHECKSUM_CHUNK_BYTES);
  private partialBytes = 0;
  private finished = false;
  bytesEncoded = 0;

  push(data: Uint8Array): Buffer[] {
    assert(!this.finished, 'push after finish');
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < data.length) {
      const n = Math.min(CHECKSUM_CHUNK_BYTES - this.partialBytes, data.length - offset);
      this.partial.set(data.subarray(offset, offset + n), FRAME_HEADER_BYTES + this.partialBytes);
      this.partialBytes += n;
      offset += n;
      if (this.partialBytes === CHECKSUM_CHUNK_BYTES) out.push(...this.flushPartial());
    }
    this.bytesEncoded += data.length;
    return out;
  }

  finish(): Buffer[] {
    assert(!this.finished, 'finish twice');
    this.finished = true;
    const out = this.partialBytes > 0 ? this.flushPartial() : [];
    out.push(END_FRAME);
    return out;
  }

  /** The filled frame as one buffer (header written in front of its data): one HTTP chunk. */
  private flushPartial(): Buffer[] {
    const frame = this.partial.subarray(0, FRAME_HEADER_BYTES + this.partialBytes);
    const data = frame.subarray(FRAME_HEADER_BYTES);
    frame.writeUInt32BE(data.length, 0);
    frame.writeUInt32BE(crc32cOf(data) >>> 0, 4);
    this.partial = Buffer.allocUnsafe(FRAME_HEADER_BYTES + CHECKSUM_CHUNK_BYTES);
    this.partialBytes = 0;
    return [frame];
  }
}

/** `{datanodeUrl}/dfs/v1/blocks/{id}?genStamp=g[&targets=u2,u3][&blocktoken=t]` */
export function blockTransferUrl(datanodeUrl: string, block: { blockId: number; genStamp: number }, targets?: string[], blockToken?: string): string {
  const base = datanodeUrl.replace(/\/+$/, '');
  let url = `${base}${BLOCKS_PATH}/${block.blockId}?genStamp=${block.genStamp}`;
  if (targets !== undefined) url += `&targets=${encodeURIComponent(targets.join(','))}`;
  if (blockToken !== undefined) url += `&${BLOCK_TOKEN_PARAM}=${encodeURIComponent(blockToken)}`;
  return url;
}

/**
 * Names the node a pipeline failure is blamed on: an error that already names one (a failure further
 * down, or a node reporting its own disk failure) keeps it; anything else blames the node we talked to.
 */
export function toPipelineError(error: unknown, nodeUrl: string, block: { blockId: number; genStamp: number }): DfsError {
  if (error instanceof DfsError && typeof error.details.failedNode === 'string') return error;
  if (error instanceof DfsError) {
    return new DfsError(error.kind, `Pipeline failed at ${nodeUrl}: ${error.message}`, { ...error.details, blockId: block.blockId, failedNode: nodeUrl });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new DfsError('Unavailable', `Pipeline node ${nodeUrl} failed: ${message}`, { blockId: block.blockId, failedNode: nodeUrl });
}

export interface BlockUploadOptions {
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  ackTimeoutMs?: number;
  /** The namenode's write token for the block, passed down the whole pipeline. */
  blockToken?: string;
  /** Extra headers: a datanode sends the cluster secret to the next hop. */
  headers?: Record<string, string>;
}

/**
 * One hop of a write pipeline: a streaming PUT of frames to `nodeUrl`, which forwards them to
 * `downstream`. `send` waits while the HTTP body is backed up; a failure anywhere down the pipeline
 * surfaces from `send` or `finish` as a DfsError whose `details.failedNode` names the node to exclude.
 */
export class BlockUpload {
  private readonly body = new PassThrough({ highWaterMark: UPLOAD_QUEUE_BYTES_MAX });
  private readonly ack: Promise<PipelineAck>;
  private readonly settled: Promise<void>;
  private failure: Error | undefined;
  private done = false;

  private constructor(
    readonly nodeUrl: string,
    readonly block: { blockId: number; genStamp: number },
    downstream: string[],
    options: BlockUploadOptions,
  ) {
    const url = blockTransferUrl(nodeUrl, block, downstream, options.blockToken);
    const timeoutMs = options.ackTimeoutMs ?? PIPELINE_ACK_TIMEOUT_MS;
    this.ack = (async () => {
      try {
        const response = await request(url, {
          method: 'PUT',
          body: this.body,
          headers: { 'content-type': 'application/octet-stream', ...options.headers },
          dispatcher: options.dispatcher,
          signal: options.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          // The socket is kept for the next block only after a complete exchange: undici destroys it
          // when the body fails or the answer comes before the body was fully sent, so a cut upload
          // never leaves a half-read request on a reused connection. A small file's block then
          // costs no TCP connect per hop.
        });
        const text = await response.body.text();
        let json: unknown;
        try {
          json = text.length > 0 ? JSON.parse(text) : {};
        } catch {
          throw new DfsError('Io', `Malformed answer (HTTP ${response.statusCode}): ${text.slice(0, 200)}`);
        }
        if (response.statusCode >= 400) throw DfsError.fromRemoteException(json, response.statusCode);
        const parsed = PipelineAck.safeParse(json);
        if (!parsed.success) throw new DfsError('Io', `Unexpected pipeline answer: ${text.slice(0, 200)}`);
        if (!this.done) throw new DfsError('Io', 'Node acknowledged the block before its end frame was sent');
        return parsed.data;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw toPipelineError(error, nodeUrl, block);
      }
    })();
    this.settled = this.ack.then(
      () => undefined,
      (error: unknown) => {
        // A caller's abort stays the caller's error; anything else already names the failed node.
        this.failure = error instanceof Error ? error : toPipelineError(error, nodeUrl, block);
        this.body.destroy();
      },
    );
  }

  static open(nodeUrl: string, block: { blockId: number; genStamp: number }, downstream: string[], options: BlockUploadOptions = {}): BlockUpload {
    return new BlockUpload(nodeUrl, block, downstream, options);
  }

  /** Queues bytes for the next hop; resolves once the queue has room again. */
  async send(...buffers: Buffer[]): Promise<void> {
    let needsDrain = false;
    for (const buffer of buffers) {
      if (this.failure) throw this.failure;
      needsDrain = !this.body.write(buffer);
    }
    if (needsDrain && !this.failure) {
      const stop = new AbortController();
      try {
        await Promise.race([once(this.body, 'drain', { signal: stop.signal }).catch(() => undefined), this.settled]);
      } finally {
        stop.abort();
      }
    }
    if (this.failure) throw this.failure;
  }

  /** Ends the body (the caller has sent the end frame) and waits for the pipeline's acknowledgement. */
  async finish(): Promise<PipelineAck> {
    if (this.failure) throw this.failure;
    this.done = true;
    this.body.end();
    await this.settled;
    if (this.failure) throw this.failure;
    return this.ack;
  }

  /** Cuts the upload: the next hop sees a truncated body and discards its temporary replica. */
  abort(reason: Error): void {
    if (!this.body.destroyed) this.body.destroy(reason);
  }
}
