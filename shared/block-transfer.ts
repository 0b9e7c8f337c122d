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

/** One verified data frame: its bytes as slices of the received chunks (a frame that straddles two chunks is two slices, never a copy). */
export interface ParsedFrame {
  parts: Buffer[];
  length: number;
  crc: number;
}

/**
 * Parses the frame stream of an upload as its chunks arrive, verifying each frame's CRC without
 * copying its data (the CRC continues across the chunks a frame spans). `push` returns the frames
 * completed by a chunk; `end` checks the stream ended right after its end frame. Throws FrameError
 * on a bad CRC, a malformed frame, bytes after the end frame, or a stream without its end frame.
 * Holds at most one partial frame.
 */
export class FrameParser {
  private readonly header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private headerBytes = 0;
  /** The frame being received: its length and CRC from its header, and its data so far. */
  private frameLength = -1;
  private frameCrc = 0;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private runningCrc = 0;
  private frameIndex = 0;
  private sawShortFrame = false;
  private ended = false;

  constructor(private readonly context: Record<string, unknown> = {}) {}

  push(chunk: Buffer): ParsedFrame[] {
    const frames: ParsedFrame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.ended) throw new FrameError('IllegalArgument', 'Bytes after the end frame', { ...this.context, reason: 'trailing-bytes' });
      if (this.frameLength < 0) {
        const n = Math.min(FRAME_HEADER_BYTES - this.headerBytes, chunk.length - offset);
        chunk.copy(this.header, this.headerBytes, offset, offset + n);
        this.headerBytes += n;
        offset += n;
        if (this.headerBytes === FRAME_HEADER_BYTES) this.startFrame();
        continue;
      }
      const n = Math.min(this.frameLength - this.partsBytes, chunk.length - offset);
      const part = chunk.subarray(offset, offset + n);
      this.parts.push(part);
      this.partsBytes += n;
      this.runningCrc = crc32cOf(part, this.runningCrc);
      offset += n;
      if (this.partsBytes === this.frameLength) frames.push(this.finishFrame());
    }
    return frames;
  }

  /** The stream ended: it must have ended with the end frame. */
  end(): void {
    if (!this.ended) {
      throw new FrameError('IllegalArgument', `Block upload truncated after ${this.frameIndex} frames (no end frame)`, { ...this.context, reason: 'truncated', frameIndex: this.frameIndex });
    }
  }

  private startFrame(): void {
    const length = this.header.readUInt32BE(0);
    const crc = this.header.readUInt32BE(4);
    this.headerBytes = 0;
    const frameIndex = this.frameIndex;
    if (length === 0) {
      if (crc !== 0) throw new FrameError('IllegalArgument', 'End frame with a non-zero CRC', { ...this.context, reason: 'malformed', frameIndex });
      this.ended = true;
      return;
    }
    if (length > CHECKSUM_CHUNK_BYTES) {
      throw new FrameError('IllegalArgument', `Frame of ${length} bytes exceeds the chunk size ${CHECKSUM_CHUNK_BYTES}`, { ...this.context, reason: 'malformed', frameIndex });
    }
    if (this.sawShortFrame) {
      throw new FrameError('IllegalArgument', 'Data frame after a short frame: only the last frame may be shorter than a chunk', { ...this.context, reason: 'malformed', frameIndex });
    }
    this.frameLength = length;
    this.frameCrc = crc;
    this.runningCrc = 0;
  }

  private finishFrame(): ParsedFrame {
    if (this.runningCrc !== this.frameCrc) {
      throw new FrameError('Checksum', `Checksum error in frame ${this.frameIndex}: expected ${hex(this.frameCrc)}, computed ${hex(this.runningCrc)}`, { ...this.context, frameIndex: this.frameIndex });
    }
    const frame = { parts: this.parts, length: this.frameLength, crc: this.frameCrc };
    if (this.frameLength < CHECKSUM_CHUNK_BYTES) this.sawShortFrame = true;
    this.frameIndex++;
    this.frameLength = -1;
    this.parts = [];
    this.partsBytes = 0;
    return frame;
  }
}

export interface Frame {
  data: Buffer;
  crc: number;
}

/**
 * The frames of a byte stream, verified, each as one buffer (copied only when it spans chunks).
 * Returns after the end frame once the stream ended; throws as FrameParser does, and FrameError
 * ('truncated') when the stream fails.
 */
export async function* decodeFrames(source: AsyncIterable<Uint8Array>, context: Record<string, unknown> = {}): AsyncGenerator<Frame> {
  const parser = new FrameParser(context);
  for await (const chunk of truncatedAs(source, context)) {
    for (const frame of parser.push(asBuffer(chunk))) {
      yield { data: frame.parts.length === 1 ? frame.parts[0] : Buffer.concat(frame.parts, frame.length), crc: frame.crc };
    }
  }
  parser.end();
}

/** An upload body whose stream fails (the sender went away mid-block) fails as a truncated upload. */
export async function* truncatedAs(source: AsyncIterable<Uint8Array>, context: Record<string, unknown>): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (error) {
    throw new FrameError('IllegalArgument', `Block upload truncated: ${(error as Error).message}`, { ...context, reason: 'truncated' });
  }
}

export const asBuffer = (chunk: Uint8Array): Buffer => (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/**
 * Cuts arbitrary writes into frames. Copies the caller's bytes once (the caller may reuse its
 * buffer as soon as a write resolves): the frames a write completes come out back to back in one
 * buffer, so a 1 MiB write is one HTTP chunk and one socket write, not sixteen.
 * `push` returns the buffers to send, `finish` the last frame and the end frame.
 */
export class FrameEncoder {
  /** Data of the frame being filled (not yet a whole chunk). */
  private partial = Buffer.allocUnsafe(CHECKSUM_CHUNK_BYTES);
  private partialBytes = 0;
  private finished = false;
  bytesEncoded = 0;

  push(data: Uint8Array): Buffer[] {
    assert(!this.finished, 'push after finish');
    this.bytesEncoded += data.length;
    const frames = Math.floor((this.partialBytes + data.length) / CHECKSUM_CHUNK_BYTES);
    if (frames === 0) {
      this.partial.set(data, this.partialBytes);
      this.partialBytes += data.length;
      return [];
    }
    const out = Buffer.allocUnsafe(frames * (FRAME_HEADER_BYTES + CHECKSUM_CHUNK_BYTES));
    let offset = 0;
    for (let frame = 0; frame < frames; frame++) {
      const start = frame * (FRAME_HEADER_BYTES + CHECKSUM_CHUNK_BYTES);
      const dataStart = start + FRAME_HEADER_BYTES;
      let filled = 0;
      if (frame === 0 && this.partialBytes > 0) {
        this.partial.copy(out, dataStart, 0, this.partialBytes);
        filled = this.partialBytes;
        this.partialBytes = 0;
      }
      const n = CHECKSUM_CHUNK_BYTES - filled;
      out.set(data.subarray(offset, offset + n), dataStart + filled);
      offset += n;
      out.writeUInt32BE(CHECKSUM_CHUNK_BYTES, start);
      out.writeUInt32BE(crc32cOf(out.subarray(dataStart, dataStart + CHECKSUM_CHUNK_BYTES)) >>> 0, start + 4);
    }
    this.partial.set(data.subarray(offset), 0);
    this.partialBytes = data.length - offset;
    return [out];
  }

  finish(): Buffer[] {
    assert(!this.finished, 'finish twice');
    this.finished = true;
    const out: Buffer[] = [];
    if (this.partialBytes > 0) {
      const data = this.partial.subarray(0, this.partialBytes);
      out.push(encodeFrameHeader(data.length, crc32cOf(data)), data);
    }
    out.push(END_FRAME);
    return out;
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
