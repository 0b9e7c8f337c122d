// Executes the namenode's `replicate` commands: reads a local replica (verifying it) and writes it
// as a pipeline to the targets. Bounded: a few transfers at a time, a bounded queue, one entry per block.

import type { DatanodeInfo, ExtendedBlock } from '../shared/protocol.js';
import { BlockUpload, END_FRAME, encodeFrameHeader } from '../shared/block-transfer.js';
import { isDfsError } from '../shared/errors.js';
import type { DatanodeContext } from './context.js';
import { peerHeaders } from '../shared/peer-auth.js';

export const REPLICATIONS_CONCURRENT_MAX = 2;
/** The namenode re-sends what was dropped, so a long queue buys nothing. */
export const REPLICATION_QUEUE_MAX = 1_000;

interface ReplicationTask {
  block: ExtendedBlock;
  targets: DatanodeInfo[];
}

export class Replicator {
  private readonly queue: ReplicationTask[] = [];
  private readonly pending = new Set<number>();
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly ctx: DatanodeContext) {}

  enqueue(block: ExtendedBlock, targets: DatanodeInfo[]): void {
    if (this.abort.signal.aborted || this.pending.has(block.blockId)) return;
    if (this.queue.length >= REPLICATION_QUEUE_MAX) {
      this.ctx.logger.warn({ blockId: block.blockId }, 'replication queue full; dropping command');
      return;
    }
    this.pending.add(block.blockId);
    this.queue.push({ block, targets });
    this.pump();
  }

  /** Cancels transfers in progress (their targets discard the partial replica) and waits for them. */
  async close(): Promise<void> {
    this.abort.abort();
    this.queue.length = 0;
    await Promise.allSettled([...this.running]);
  }

  private pump(): void {
    while (this.running.size < REPLICATIONS_CONCURRENT_MAX && this.queue.length > 0) {
      const task = this.queue.shift()!;
      const run = this.replicate(task).finally(() => {
        this.pending.delete(task.block.blockId);
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async replicate({ block, targets }: ReplicationTask): Promise<void> {
    const ctx = this.ctx;
    const log = ctx.logger.child({ blockId: block.blockId, genStamp: block.genStamp, targets: targets.map((t) => t.url) });
    let upload: BlockUpload | undefined;
    const ended = ctx.transfers.begin('replication', { blockId: block.blockId, genStamp: block.genStamp, targets: targets.map((t) => t.url) });
    try {
      const replica = ctx.store.get(block);
      const [first, ...rest] = targets.map((t) => t.url);
      upload = BlockUpload.open(first, replica, rest, { dispatcher: ctx.dispatcher, signal: this.abort.signal, headers: peerHeaders(ctx.secret) });
      for await (const { chunk, crc } of ctx.store.read(replica, 0, replica.numBytes)) {
        await upload.send(encodeFrameHeader(chunk.length, crc), chunk);
      }
      await upload.send(END_FRAME);
      const ack = await upload.finish();
      log.info({ replicas: ack.replicas, numBytes: ack.block.numBytes }, 'replicated block');
    } catch (error) {
      upload?.abort(error as Error);
      if (isDfsError(error, 'Checksum')) {
        log.error({ err: error }, 'local replica is corrupt; reporting it instead of replicating');
        const replica = ctx.store.find(block.blockId);
        if (replica) ctx.links?.reportBadBlocks([{ blockId: replica.blockId, genStamp: replica.genStamp, numBytes: replica.numBytes }]);
      } else if (!this.abort.signal.aborted) {
        log.warn({ err: error }, 'replication failed');
      }
    } finally {
      ended();
    }
  }
}
