// Writes one block through a datanode pipeline: frames the caller's bytes into checksummed chunks
// and streams them to the first datanode, which forwards them down the pipeline.

import type { Dispatcher } from 'undici';
import { BlockUpload, FrameEncoder, type PipelineAck } from '../../shared/block-transfer.js';
import { DfsError } from '../../shared/errors.js';
import type { ExtendedBlock, LocatedBlock } from '../../shared/protocol.js';
import { defaultBlockDispatcher } from './agent.js';

export interface BlockWriterOptions {
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export class BlockPipelineWriter {
  private readonly encoder = new FrameEncoder();
  private state: 'open' | 'finishing' | 'done' | 'aborted' = 'open';

  private constructor(
    private readonly located: LocatedBlock,
    private readonly upload: BlockUpload,
  ) {}

  /** Opens a PUT to located.locations[0] with the rest as targets. */
  static open(located: LocatedBlock, options: BlockWriterOptions = {}): BlockPipelineWriter {
    const [first, ...rest] = located.locations;
    if (first === undefined) {
      throw new DfsError('IllegalArgument', `No datanode to write blk_${located.block.blockId} to`, { blockId: located.block.blockId });
    }
    const upload = BlockUpload.open(first.url, located.block, rest.map((node) => node.url), {
      dispatcher: options.dispatcher ?? defaultBlockDispatcher(),
      signal: options.signal,
      blockToken: located.blockToken,
    });
    return new BlockPipelineWriter(located, upload);
  }

  get bytesWritten(): number {
    return this.encoder.bytesEncoded;
  }

  /** Accepts any size; resolves when the bytes are accepted by the HTTP body stream (backpressure). */
  async write(data: Uint8Array): Promise<void> {
    this.checkOpen('write');
    const frames = this.encoder.push(data);
    if (frames.length > 0) await this.upload.send(...frames);
  }

  /** Sends the end frame; resolves once every datanode in the pipeline fsynced the block. */
  async finish(): Promise<{ block: ExtendedBlock; replicas: string[] }> {
    this.checkOpen('finish');
    this.state = 'finishing';
    try {
      await this.upload.send(...this.encoder.finish());
      const ack: PipelineAck = await this.upload.finish();
      if (ack.block.numBytes !== this.bytesWritten || ack.block.blockId !== this.located.block.blockId) {
        throw new DfsError('Io', `Pipeline acknowledged blk_${ack.block.blockId} with ${ack.block.numBytes} bytes, ${this.bytesWritten} were written`, {
          blockId: this.located.block.blockId,
          failedNode: this.located.locations[0].url,
        });
      }
      this.state = 'done';
      return ack;
    } catch (error) {
      this.state = 'aborted';
      this.upload.abort(error as Error);
      throw error;
    }
  }

  /** Cuts the upload; every datanode in the pipeline discards its partial replica. */
  async abort(reason: Error): Promise<void> {
    if (this.state === 'done' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.upload.abort(reason);
  }

  private checkOpen(what: string): void {
    if (this.state !== 'open') {
      throw new DfsError('IllegalArgument', `${what} on a ${this.state} block writer (blk_${this.located.block.blockId})`, { blockId: this.located.block.blockId });
    }
  }
}
