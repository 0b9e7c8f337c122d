// Receives one block of a write pipeline: verifies each frame, writes it to a temporary replica
// and forwards it to the next hop at the same time (the slower of disk and network sets the pace;
// nothing is buffered beyond a few frames). Finalizes only when the block is durable here and the
// rest of the pipeline acknowledged it; on any failure the temporary replica is removed.

import { BlockUpload, decodeFrames, END_FRAME, FrameError, toPipelineError, type PipelineAck } from '../shared/block-transfer.js';
import { DfsError } from '../shared/errors.js';
import { assert } from '../shared/assert.js';
import type { DatanodeContext } from './context.js';
import { storageError } from './storage/replica-writer.js';
import { metricsOf } from './metrics.js';
import { peerHeaders } from '../shared/peer-auth.js';

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
    for await (const frame of decodeFrames(source, block)) {
      // Disk and network in parallel; wait for both so a failure never leaves a write in flight.
      const [local, remote] = await Promise.allSettled([writer.append(frame.data, frame.crc), downstream?.send(frame.raw)]);
      if (local.status === 'rejected') throw ownFailure(ctx, local.reason, 'Cannot write replica');
      if (remote.status === 'rejected') throw remote.reason;
    }
    // This node syncs and finalizes its replica while the rest of the pipeline does the same, so a
    // block costs one node's fsyncs in latency, not one per hop. The client is acknowledged, and
    // the namenodes told, only when every node has; if the downstream failed, the replica
    // finalized here is removed again so a failed pipeline leaves nothing behind.
    const [finalizedHere, acked] = await Promise.allSettled([
      writer.sync().then(
        () => ctx.store.commit(writer).catch((error: unknown) => Promise.reject(ownFailure(ctx, error, 'Cannot finalize replica'))),
        (error: unknown) => Promise.reject(ownFailure(ctx, error, 'Cannot sync replica')),
      ),
      downstream ? downstream.send(END_FRAME).then(() => downstream.finish()) : Promise.resolve(undefined),
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
