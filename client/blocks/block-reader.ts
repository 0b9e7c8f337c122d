// Reads a byte range of one block, failing over between replicas: when a datanode is unreachable,
// refuses, or cuts its answer short (it does so when a chunk fails verification), the read resumes
// from the same byte on the next replica. The caller sees each byte exactly once, in order.

import { request, type Dispatcher } from 'undici';
import { DfsError, isDfsError } from '../../shared/errors.js';
import { blockTransferUrl } from '../../shared/block-transfer.js';
import type { DatanodeInfo, LocatedBlock } from '../../shared/protocol.js';
import { defaultBlockDispatcher } from './agent.js';

export interface ReadBlockOptions {
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  onBadReplica?: (node: DatanodeInfo) => void;
}

const READ_HEADERS_TIMEOUT_MS = 30_000;
/** A datanode silent this long mid-body is treated as failed and the read moves on. */
const READ_BODY_TIMEOUT_MS = 60_000;

/**
 * Streams bytes [start, endExclusive) of one block; tries located.locations in order. Throws
 * DfsError('BlockMissing') when no replica can serve the rest of the range.
 */
export async function* readBlockRange(
  located: LocatedBlock,
  start: number,
  endExclusive: number,
  options: ReadBlockOptions = {},
): AsyncGenerator<Buffer> {
  const { block } = located;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endExclusive) || start < 0 || start > endExclusive || endExclusive > block.numBytes) {
    throw new DfsError('IllegalArgument', `Range [${start}, ${endExclusive}) outside blk_${block.blockId} of ${block.numBytes} bytes`, { blockId: block.blockId });
  }
  if (start === endExclusive) return;
  const dispatcher = options.dispatcher ?? defaultBlockDispatcher();
  let position = start;
  const failures: Record<string, string> = {};

  for (const node of located.locations) {
    options.signal?.throwIfAborted();
    const url = blockTransferUrl(node.url, block, undefined, located.blockToken);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'GET',
        headers: { range: `bytes=${position}-${endExclusive - 1}` },
        dispatcher,
        signal: options.signal,
        headersTimeout: READ_HEADERS_TIMEOUT_MS,
        bodyTimeout: READ_BODY_TIMEOUT_MS,
      });
    } catch (error) {
      options.signal?.throwIfAborted();
      failures[node.url] = (error as Error).message;
      continue;
    }
    if (response.statusCode !== 206) {
      const failure = await describeFailure(response);
      failures[node.url] = failure.message;
      if (isDfsError(failure, 'Checksum')) options.onBadReplica?.(node);
      continue;
    }
    const expected = `bytes ${position}-${endExclusive - 1}/`;
    const contentRange = String(response.headers['content-range'] ?? '');
    if (!contentRange.startsWith(expected)) {
      response.body.destroy();
      failures[node.url] = `unexpected Content-Range '${contentRange}', wanted '${expected}*'`;
      continue;
    }
    try {
      for await (const piece of response.body as AsyncIterable<Buffer>) {
        const wanted = Math.min(piece.length, endExclusive - position);
        if (wanted <= 0) break;
        position += wanted;
        yield wanted === piece.length ? piece : piece.subarray(0, wanted);
      }
    } catch (error) {
      options.signal?.throwIfAborted();
      failures[node.url] = `body failed at byte ${position}: ${(error as Error).message}`;
      continue;
    } finally {
      if (!response.body.destroyed && position < endExclusive) response.body.destroy();
    }
    if (position === endExclusive) return;
    // A short body: the datanode stopped mid-range (it found a corrupt chunk, or it died).
    failures[node.url] = `short body: stopped at byte ${position} of ${endExclusive}`;
  }
  throw new DfsError('BlockMissing', `Could not obtain blk_${block.blockId}_${block.genStamp} bytes [${position}, ${endExclusive}) from any replica`, {
    blockId: block.blockId,
    genStamp: block.genStamp,
    offset: position,
    failures,
  });
}

async function describeFailure(response: Dispatcher.ResponseData): Promise<DfsError> {
  const text = await response.body.text().catch(() => '');
  try {
    return DfsError.fromRemoteException(JSON.parse(text), response.statusCode);
  } catch {
    return new DfsError('Io', `HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
  }
}
