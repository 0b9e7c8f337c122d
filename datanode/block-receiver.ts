// Receives one block of a write pipeline: forwards the bytes to the next hop as they arrive,
// unchanged, while it verifies each frame and writes it to a temporary replica (the slower of disk
// and network sets the pace; nothing is buffered beyond a few frames). Each received chunk is
// handled as it is, without copying: frames are slices of it, so a 64 KiB read costs one pass of
// the loop rather than one per frame. The next hop verifies for itself, and a frame that fails
// here aborts its upload before the end frame. Finalizes only when the block is durable here and
// the rest of the pipeline acknowledged it; on any failure the temporary replica is removed.

import { BlockUpload, FrameError, FrameParser, asBuffer, toPipelineError, truncatedAs, type PipelineAck } from '../shared/block-transfer.js';
import { DfsError } from '../shared/errors.js';
import { assert } from '../shared/assert.js';
import type { DatanodeContext } from './context.js';
import { storageError } from './storage/replica-writer.js';
import { metricsOf } from './metrics.js';
import { peerHeaders } from '../shared/peer-auth.js';

/** Bytes gathered before they are forwarded to the next hop in one piece. */
const FORWARD_BATCH_BYTES = 64 * 1024;

export interface ReceiveRequest {
  blockId: number;
  genStamp: number;
  /** The rest of the pipeline after this node, in order. */
  targets: string[];
  /** The client's block token, forwarded down the pipeline. */
  blockToken?: string;
}

export async function receiveBlock(ctx: DatanodeContext, req: ReceiveRequest, source: AsyncIterable<Uint8Array>): Promise<PipelineAck> {
  const block = { blockId: req.blockId, genStamp: req.genStamp };
  const log = ctx.logger.child({ blockId: req.blockId, genStamp: req.genStamp });
  const writer = await ctx.store.createWriter(block).catch((error: unknown) => {
    throw ownFailure(ctx, error, 'Cannot start replica');
  });
  const [next, ...rest] = req.targets;
  const downstream = next === undefined ? undefined : BlockUpload.open(next, block, rest, { dispatcher: ctx.dispatcher, blockToken: req.blockToken, headers: peerHeaders(ctx.secret) });
  const ended = ctx.transfers.begin('write', { ...block, targets: req.targets });
  try {
    const parser = new FrameParser(block);
    // Received bytes go on to the next hop in batches of at least 64 KiB: socket reads averaged 23
    // to 45 KiB in a 1 GiB put, and each forwarded piece costs a body write, an HTTP chunk and a
    // socket write, more than the copy that joins small ones. The last batch goes once the upload
    // is complete.
    let forward: Buffer[] = [];
    let forwardBytes = 0;
    const sendForward = (): Promise<void> | undefined => {
      if (!downstream || forwardBytes === 0) return undefined;
      const batch = forward.length === 1 ? forward[0] : Buffer.concat(forward, forwardBytes);
      forward = [];
      forwardBytes = 0;
      return downstream.send(batch);
    };
    for await (const received of truncatedAs(source, block)) {
      const chunk = asBuffer(received);
      let remote: Promise<void> | undefined;
      if (downstream) {
        forward.push(chunk);
        forwardBytes += chunk.length;
        if (forwardBytes >= FORWARD_BATCH_BYTES) remote = sendForward();
      }
      let local: Promise<void> | undefined;
      try {
        for (const frame of parser.push(chunk)) writer.appendChunk(frame.parts, frame.length, frame.crc);
        if (writer.flushDue) local = writer.flush();
      } catch (error) {
        local = Promise.reject(error);
      }
      // Disk and network in parallel; wait for both so a failure never leaves a write in flight.
      if (local || remote) {
        const [wrote, sent] = await Promise.allSettled([local, remote]);
        if (wrote.status === 'rejected') throw wrote.reason instanceof FrameError ? wrote.reason : ownFailure(ctx, wrote.reason, 'Cannot write replica');
        if (sent.status === 'rejected') throw sent.reason;
      }
    }
    parser.end();
    await sendForward();
    // This node syncs and finalizes its replica while the rest of the pipeline does the same, so a
    // block costs one node's fsyncs in latency, not one per hop. The client is acknowledged, and
    // the namenodes told, only when every node has; if the downstream failed, the replica
    // finalized here is removed again so a failed pipeline leaves nothing behind.
    const [finalizedHere, acked] = await Promise.allSettled([
      writer.sync().then(
        () => ctx.store.commit(writer).catch((error: unknown) => Promise.reject(ownFailure(ctx, error, 'Cannot finalize replica'))),
        (error: unknown) => Promise.reject(ownFailure(ctx, error, 'Cannot sync replica')),
      ),
      downstream ? downstream.finish() : Promise.resolve(undefined),
    ]);
    if (finalizedHere.status === 'rejected') throw finalizedHere.reason;
    const replica = finalizedHere.value;
    const finalized = { blockId: replica.blockId, genStamp: replica.genStamp, numBytes: replica.numBytes };
    if (acked.status === 'rejected') {
      await ctx.store.delete(finalized).catch((error: unknown) => log.error({ err: error }, 'cannot remove the replica of a failed pipeline'));
      throw acked.reason;
    }
    ctx.links?.blockReceived(finalized);
    metricsOf(ctx)?.blockWritten(replica.numBytes);
    const ack: PipelineAck | undefined = acked.value;
    if (ack) {
      assert(ack.block.numBytes === writer.numBytes, `downstream ${next} acknowledged ${ack.block.numBytes} bytes, this node wrote ${writer.numBytes}`);
    }
    log.info({ numBytes: replica.numBytes, volume: replica.volume.dir, targets: req.targets }, 'replica finalized');
    return { block: finalized, replicas: [ctx.url, ...(ack?.replicas ?? [])] };
  } catch (error) {
    const failure = error instanceof DfsError ? error : toPipelineError(error, next ?? ctx.url, block);
    downstream?.abort(failure);
    await ctx.store.abort(writer);
    const metrics = metricsOf(ctx);
    metrics?.pipelineAborted(failure.kind);
    if (failure instanceof FrameError && failure.kind === 'Checksum') metrics?.checksumFailure('upload');
    if (failure instanceof FrameError) log.warn({ err: failure }, 'rejected block upload');
    else log.error({ err: failure }, 'block write failed');
    throw failure;
  } finally {
    ended();
  }
}

/** A failure of this node's own storage: the pipeline must exclude this node. */
function ownFailure(ctx: DatanodeContext, error: unknown, what: string): DfsError {
  const failure = storageError(error, what, {});
  if (failure.kind === 'IllegalArgument') return failure;
  // Tell the namenodes at once rather than at the next heartbeat, so no more blocks come here.
  if (failure.kind === 'DiskFull') ctx.links?.triggerHeartbeat();
  return new DfsError(failure.kind, failure.message, { ...failure.details, failedNode: ctx.url });
}
