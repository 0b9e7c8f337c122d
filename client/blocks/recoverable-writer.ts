// Writes one block and survives datanodes failing under it (pipeline recovery).
//
// Why a replay from a local spill file, not HDFS's in-place recovery: our datanodes acknowledge a
// block only once, at its end, and drop their temporary replica on any failure; HDFS keeps partial
// (rbw) replicas, acknowledges every packet and truncates survivors to the acknowledged length,
// which needs per-packet acks and replica-recovery RPCs between datanodes. Here, when a node fails
// mid-block, the client asks the namenode for a new generation stamp and a fresh pipeline (the
// survivors plus replacements) and replays the block from the start. The bytes to replay are the
// current block's only, kept in a temporary file on local disk as they are sent: memory stays at a
// few frames and the spill is bounded by the block size. Replicas finalized under the old stamp
// before the failure are deleted by block-report reconciliation on the namenode.

import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { DfsError, isDfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import type { ExtendedBlock, LocatedBlock } from '../../shared/protocol.js';
import { BlockPipelineWriter } from './block-writer.js';

/** Fresh pipelines tried for one block before the write fails. */
export const PIPELINE_RECOVERIES_PER_BLOCK_MAX = 5;
/** Bytes read from the spill file per replayed write. */
const REPLAY_PIECE_BYTES = 1024 * 1024;

export interface RecoveryRequest {
  /** The block as the failed pipeline knew it (its generation stamp is the one to retire). */
  block: ExtendedBlock;
  /** Every node that failed while writing this block (URLs), to keep out of the new pipeline. */
  excludeNodes: string[];
}

export interface RecoverableWriterOptions {
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  /** Folder for the spill file; default the OS temporary folder. */
  spillDir?: string;
  /** Asks the namenode for a new generation stamp and pipeline (updatePipeline). */
  recover(request: RecoveryRequest): Promise<LocatedBlock>;
  /** Told about each node that failed, so the stream keeps it out of later blocks too. */
  onNodeFailed?(nodeUrl: string): void;
  log?(message: string, details: Record<string, unknown>): void;
}

export class RecoverableBlockWriter {
  private writer: BlockPipelineWriter;
  private spillBytes = 0;
  private recoveries = 0;
  private readonly failedNodes = new Set<string>();

  private constructor(
    private located: LocatedBlock,
    private readonly spill: FileHandle,
    private readonly spillPath: string,
    private readonly options: RecoverableWriterOptions,
  ) {
    this.writer = BlockPipelineWriter.open(located, options);
  }

  static async open(located: LocatedBlock, options: RecoverableWriterOptions): Promise<RecoverableBlockWriter> {
    const spillPath = join(options.spillDir ?? tmpdir(), `dfs-spill-blk_${located.block.blockId}-${randomBytes(4).toString('hex')}`);
    const spill = await open(spillPath, 'w+', 0o600);
    return new RecoverableBlockWriter(located, spill, spillPath, options);
  }

  get bytesWritten(): number {
    return this.spillBytes;
  }

  get block(): LocatedBlock {
    return this.located;
  }

  /** Sends `data` down the pipeline and into the spill file; recovers the pipeline if a node fails. */
  async write(data: Uint8Array): Promise<void> {
    const spilled = writeFully(this.spill, data, this.spillBytes);
    const sent = this.writer.write(data);
    const [local, remote] = await Promise.allSettled([spilled, sent]);
    if (local.status === 'rejected') {
      await this.writer.abort(local.reason as Error);
      throw new DfsError('Io', `Cannot write the pipeline spill file ${this.spillPath}: ${(local.reason as Error).message}`, { path: this.spillPath });
    }
    this.spillBytes += data.length;
    // The replay covers `data`: it was spilled before the recovery reads the file.
    if (remote.status === 'rejected') await this.recover(remote.reason);
  }

  /** Ends the block; resolves with the block every datanode of the (last) pipeline fsynced. */
  async finish(): Promise<{ block: ExtendedBlock; replicas: string[] }> {
    for (;;) {
      try {
        const ack = await this.writer.finish();
        assert(ack.block.numBytes === this.spillBytes, `pipeline acknowledged ${ack.block.numBytes} bytes, ${this.spillBytes} were written`);
        return ack;
      } catch (error) {
        await this.recover(error);
      }
    }
  }

  async abort(reason: Error): Promise<void> {
    await this.writer.abort(reason);
    await this.close();
  }

  /** Removes the spill file; call once the block is finished or abandoned. */
  async close(): Promise<void> {
    await this.spill.close().catch(() => undefined);
    await rm(this.spillPath, { force: true });
  }

  /** Replaces the pipeline until one takes the whole replay, or gives up with the last failure. */
  private async recover(error: unknown): Promise<void> {
    let failure = error;
    for (;;) {
      const failedNode = isDfsError(failure) ? failure.details.failedNode : undefined;
      if (this.options.signal?.aborted || typeof failedNode !== 'string') throw failure;
      if (this.recoveries >= PIPELINE_RECOVERIES_PER_BLOCK_MAX) {
        throw new DfsError('Io', `Giving up on blk_${this.located.block.blockId} after ${this.recoveries} pipeline recoveries: ${(failure as Error).message}`, {
          blockId: this.located.block.blockId,
          failedNodes: [...this.failedNodes],
        });
      }
      this.recoveries++;
      this.failedNodes.add(failedNode);
      this.options.onNodeFailed?.(failedNode);
      await this.writer.abort(failure as Error);
      this.options.log?.('pipeline failed; recovering', {
        blockId: this.located.block.blockId,
        genStamp: this.located.block.genStamp,
        failedNode,
        bytesToReplay: this.spillBytes,
        reason: (failure as Error).message,
      });
      this.located = await this.options.recover({ block: this.located.block, excludeNodes: [...this.failedNodes] });
      this.writer = BlockPipelineWriter.open(this.located, this.options);
      try {
        await this.replay();
        return;
      } catch (replayError) {
        failure = replayError;
      }
    }
  }

  private async replay(): Promise<void> {
    const piece = Buffer.allocUnsafe(Math.min(REPLAY_PIECE_BYTES, Math.max(this.spillBytes, 1)));
    let position = 0;
    while (position < this.spillBytes) {
      const length = Math.min(piece.length, this.spillBytes - position);
      const { bytesRead } = await this.spill.read(piece, 0, length, position);
      assert(bytesRead === length, `spill file ${this.spillPath} is shorter than the ${this.spillBytes} bytes written`);
      // The pipeline writer copies what it frames, so the piece buffer can be reused.
      await this.writer.write(piece.subarray(0, length));
      position += length;
    }
  }
}

async function writeFully(file: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset, position + offset);
    offset += bytesWritten;
  }
}
