// A Writable that appends to an existing file (HDFS append), block by block through the same
// pipeline writer as the client library's create stream. When the file's last block is not full,
// the namenode hands back that block under a new generation stamp with a fresh pipeline: the old
// bytes are copied into it from a replica (streamed, spilled to local disk by the recoverable
// writer, never held in memory), then the new bytes follow. Until the new replica is committed
// (addBlock or complete), the namespace still names the old one, so readers and lease recovery
// keep finding the file's data whatever happens to this writer.

import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { DfsError } from '../shared/errors.js';
import { LEASE_SOFT_LIMIT_MS } from '../shared/constants.js';
import type { ExtendedBlock, LocatedBlock } from '../shared/protocol.js';
import type { NamenodeClient } from './namenode-client.js';
import { RecoverableBlockWriter } from './blocks/recoverable-writer.js';
import { readBlockRange } from './blocks/block-reader.js';

export class AppendStream extends Writable {
  readonly clientName = `DFSClient_webhdfs_append_${randomUUID().slice(0, 12)}`;
  bytesWritten = 0;
  private blockSize = 0;
  private writer: RecoverableBlockWriter | null = null;
  /** The block the namespace holds for the one being written: recovery must name its stamp. */
  private namespaceBlock: ExtendedBlock | null = null;
  private previous: ExtendedBlock | undefined;
  private readonly failedNodes = new Set<string>();
  private leaseTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly rpc: NamenodeClient,
    readonly path: string,
    private readonly options: { spillDir?: string; signal?: AbortSignal } = {},
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.reopen().then(() => callback(), callback);
  }

  private async reopen(): Promise<void> {
    const { status, lastBlock, continuation } = await this.rpc.call('append', { path: this.path, clientName: this.clientName });
    this.blockSize = status.blockSize;
    this.leaseTimer = setInterval(() => {
      this.rpc.call('renewLease', { clientName: this.clientName }).catch(() => undefined);
    }, LEASE_SOFT_LIMIT_MS / 2);
    this.leaseTimer.unref();
    if (!continuation) {
      // No blocks, or a full last block: new data starts a new block after it.
      this.previous = lastBlock?.block;
      return;
    }
    if (!lastBlock) throw new DfsError('Internal', `append to ${this.path}: a continuation without a last block`, { path: this.path });
    this.namespaceBlock = lastBlock.block;
    this.writer = await this.openWriter(continuation);
    if (lastBlock.block.numBytes > 0 && lastBlock.locations.length === 0) {
      throw new DfsError('BlockMissing', `Could not obtain the last block ${lastBlock.block.blockId} of ${this.path} to append to: no live replica`, {
        path: this.path,
        blockId: lastBlock.block.blockId,
      });
    }
    for await (const piece of readBlockRange(lastBlock, 0, lastBlock.block.numBytes, { signal: this.options.signal })) await this.writer.write(piece);
  }

  private openWriter(located: LocatedBlock): Promise<RecoverableBlockWriter> {
    return RecoverableBlockWriter.open(located, {
      signal: this.options.signal,
      spillDir: this.options.spillDir,
      recover: async ({ excludeNodes }) => {
        const named = this.namespaceBlock!;
        const answer = await this.rpc.call('updatePipeline', { path: this.path, clientName: this.clientName, block: named, excludeNodes });
        // The namespace keeps a reopened block (committed bytes) as it was until it is committed.
        if (named.numBytes === 0) this.namespaceBlock = answer.located.block;
        return answer.located;
      },
      onNodeFailed: (nodeUrl) => this.failedNodes.add(nodeUrl),
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeChunk(chunk).then(() => callback(), callback);
  }

  private async writeChunk(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.writer) await this.openNextBlock();
      const room = this.blockSize - this.writer!.bytesWritten;
      const piece = chunk.subarray(offset, offset + room);
      await this.writer!.write(piece);
      offset += piece.length;
      this.bytesWritten += piece.length;
      if (this.writer!.bytesWritten === this.blockSize) await this.finishBlock();
    }
  }

  private async openNextBlock(): Promise<void> {
    const { located } = await this.rpc.call('addBlock', { path: this.path, clientName: this.clientName, previous: this.previous, excludeNodes: [...this.failedNodes] });
    this.namespaceBlock = located.block;
    this.writer = await this.openWriter(located);
  }

  private async finishBlock(): Promise<void> {
    const writer = this.writer!;
    try {
      const { block } = await writer.finish();
      this.previous = block;
    } finally {
      await writer.close();
    }
    this.writer = null;
  }

  override _final(callback: (error?: Error | null) => void): void {
    (async () => {
      if (this.writer) await this.finishBlock();
      await this.rpc.call('complete', { path: this.path, clientName: this.clientName, last: this.previous });
    })().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    const writer = this.writer;
    this.writer = null;
    if (writer) writer.abort(error ?? new Error('append stream destroyed')).then(() => callback(error), () => callback(error));
    else callback(error);
  }
}
