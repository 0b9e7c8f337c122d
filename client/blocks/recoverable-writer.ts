// Writes one block and survives datanodes failing under it (pipeline recovery).
//
// Why a replay of the whole block, not HDFS's in-place recovery: our datanodes acknowledge a
// block only once, at its end, and drop their temporary replica on any failure; HDFS keeps partial
// (rbw) replicas, acknowledges every packet and truncates survivors to the acknowledged length,
// which needs per-packet acks and replica-recovery RPCs between datanodes. Here, when a node fails
// mid-block, the client asks the namenode for a new generation stamp and a fresh pipeline (the
// survivors plus replacements) and replays the block from the start. The bytes to replay are the
// current block's only, from a replay source (client/blocks/replay-source.ts): the caller's local
// file or buffer when it has one, else a temporary spill file written as the bytes are sent; memory
// stays at a few frames and a spill is bounded by the block size. Replicas finalized under the old
// stamp before the failure are deleted by block-report reconciliation on the namenode.

import type { Dispatcher } from 'undici';
import { DfsError, isDfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import type { ExtendedBlock, LocatedBlock } from '../../shared/protocol.js';
import { BlockPipelineWriter } from './block-writer.js';
import { SpillReplaySource, type BlockReplaySource } from './replay-source.js';

/** Fresh pipelines tried for one block before the write fails. */
export const PIPELINE_RECOVERIES_PER_BLOCK_MAX = 5;

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
  /** Where a replay reads this block's bytes from; default a spill file in spillDir. Closed with the writer. */
  replaySource?: BlockReplaySource;
  /** Asks the namenode for a new generation stamp and pipeline (updatePipeline). */
  recover(request: RecoveryRequest): Promise<LocatedBlock>;
  /** Told about each node that failed, so the stream keeps it out of later blocks too. */
  onNodeFailed?(nodeUrl: string): void;
  log?(message: string, details: Record<string, unknown>): void;
}

export class RecoverableBlockWriter {
  private writer: BlockPipelineWriter;
  /** Bytes of this block taken from the caller (all of them are in the replay source). */
  private recordedBytes = 0;
  private recoveries = 0;
  private readonly failedNodes = new Set<string>();

  private constructor(
    private located: LocatedBlock,
    private readonly source: BlockReplaySource,
    private readonly options: RecoverableWriterOptions,
  ) {
    this.writer = BlockPipelineWriter.open(located, options);
  }

  static async open(located: LocatedBlock, options: RecoverableWriterOptions): Promise<RecoverableBlockWriter> {
    const source = options.replaySource ?? (await SpillReplaySource.open(options.spillDir, located.block.blockId));
    return new RecoverableBlockWriter(located, source, options);
  }

  get bytesWritten(): number {
    return this.recordedBytes;
  }

  get block(): LocatedBlock {
    return this.located;
  }

  /** Sends `data` down the pipeline and records it in the replay source; recovers the pipeline if a node fails. */
  async write(data: Uint8Array): Promise<void> {
    const recorded = this.source.record(data);
    const sent = this.writer.write(data);
    const [local, remote] = await Promise.allSettled([recorded, sent]);
    if (local.status === 'rejected') {
      await this.writer.abort(local.reason as Error);
      throw local.reason;
    }
    this.recordedBytes += data.length;
    // The replay covers `data`: it was recorded before the recovery reads the source.
    if (remote.status === 'rejected') await this.recover(remote.reason);
  }

  /** Ends the block; resolves with the block every datanode of the (last) pipeline fsynced. */
  async finish(): Promise<{ block: ExtendedBlock; replicas: string[] }> {
    for (;;) {
      try {
        const ack = await this.writer.finish();
        assert(ack.block.numBytes === this.recordedBytes, `pipeline acknowledged ${ack.block.numBytes} bytes, ${this.recordedBytes} were written`);
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

  /** Releases the replay source (a spill file is removed); call once the block is finished or abandoned. */
  async close(): Promise<void> {
    await this.source.close();
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
        bytesToReplay: this.recordedBytes,
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
    let replayed = 0;
    for await (const piece of this.source.replay(this.recordedBytes)) {
      await this.writer.write(piece);
      replayed += piece.length;
    }
    assert(replayed === this.recordedBytes, `replayed ${replayed} bytes of the ${this.recordedBytes} written to blk_${this.located.block.blockId}`);
  }
}
