// Sends Raft messages to peer namenodes over HTTP. One request in flight per peer, carrying every
// message queued for it meanwhile (natural batching); the peer answers in the response, after its
// fsync, so a round is one request and lasts as long as the peer needs to persist it. A full queue
// drops its oldest messages, which Raft tolerates like any lost packet. Snapshots stream as their
// own PUT request.

import { createReadStream } from 'node:fs';
import { request, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Message, SnapshotMessage } from '../raft/core/index.js';
import type { SnapshotInfo } from '../raft/storage/index.js';
import { MessageBatch, decodeMessage, encodeMessage, peerUrlOf } from './wire.js';
import { CLUSTER_SECRET_HEADER } from '../../shared/peer-auth.js';

/** Messages queued per peer before the oldest are dropped. */
const PEER_QUEUE_MESSAGES_MAX = 10_000;
const PEER_REQUEST_TIMEOUT_MS = 5_000;
const SNAPSHOT_REQUEST_TIMEOUT_MS = 120_000;

interface PeerQueue {
  messages: Message[];
  inFlight: boolean;
}

export class PeerTransport {
  private readonly queues = new Map<string, PeerQueue>();
  private closed = false;

  constructor(
    private readonly options: {
      secret: string;
      dispatcher: Dispatcher;
      logger: Logger;
      latestSnapshot: () => SnapshotInfo | null;
      onSnapshotSent: (to: string, ok: boolean) => void;
      /** The messages a peer answered with in its response. */
      onAnswers: (messages: Message[]) => void;
    },
  ) {}

  send(messages: Message[]): void {
    for (const message of messages) {
      if (message.type === 'snapshot') {
        void this.sendSnapshot(message);
        continue;
      }
      let queue = this.queues.get(message.to);
      if (!queue) this.queues.set(message.to, (queue = { messages: [], inFlight: false }));
      queue.messages.push(message);
      if (queue.messages.length > PEER_QUEUE_MESSAGES_MAX) queue.messages.splice(0, queue.messages.length - PEER_QUEUE_MESSAGES_MAX);
      if (!queue.inFlight) void this.flush(message.to, queue);
    }
  }

  private async flush(to: string, queue: PeerQueue): Promise<void> {
    queue.inFlight = true;
    while (queue.messages.length > 0 && !this.closed) {
      const batch = queue.messages.splice(0, queue.messages.length);
      try {
        const response = await request(`${peerUrlOf(to)}/rpc/v1/raft/messages`, {
          method: 'POST',
          body: JSON.stringify({ messages: batch.map(encodeMessage) }),
          headers: { 'content-type': 'application/json', [CLUSTER_SECRET_HEADER]: this.options.secret },
          dispatcher: this.options.dispatcher,
          headersTimeout: PEER_REQUEST_TIMEOUT_MS,
          bodyTimeout: PEER_REQUEST_TIMEOUT_MS,
        });
        if (response.statusCode === 200) {
          const answers = MessageBatch.safeParse(await response.body.json());
          if (answers.success) this.options.onAnswers(answers.data.messages.map(decodeMessage));
          else this.options.logger.warn({ peer: to, issues: answers.error.issues.slice(0, 3) }, 'malformed raft answers from peer');
        } else {
          await response.body.dump();
          // 204: a peer that sends its answers as requests of its own.
          if (response.statusCode !== 204) this.options.logger.warn({ peer: to, status: response.statusCode }, 'peer refused raft messages');
        }
      } catch (error) {
        // The peer is down or slow: these messages are lost; Raft resends what matters.
        this.options.logger.debug({ peer: to, err: error }, 'cannot reach peer');
      }
    }
    queue.inFlight = false;
  }

  private async sendSnapshot(message: SnapshotMessage): Promise<void> {
    const snapshot = this.options.latestSnapshot();
    if (!snapshot || snapshot.meta.index !== message.snapshot.index || snapshot.meta.term !== message.snapshot.term) {
      this.options.onSnapshotSent(message.to, false);
      return;
    }
    try {
      const response = await request(`${peerUrlOf(message.to)}/rpc/v1/raft/snapshot`, {
        method: 'PUT',
        body: createReadStream(snapshot.dataPath, { highWaterMark: 1024 * 1024 }),
        headers: {
          'content-type': 'application/octet-stream',
          [CLUSTER_SECRET_HEADER]: this.options.secret,
          'x-dfs-raft-message': Buffer.from(JSON.stringify(message)).toString('base64'),
          'x-dfs-snapshot-size': String(snapshot.sizeBytes),
          'x-dfs-snapshot-crc32c': String(snapshot.crc32c),
        },
        dispatcher: this.options.dispatcher,
        headersTimeout: SNAPSHOT_REQUEST_TIMEOUT_MS,
        bodyTimeout: SNAPSHOT_REQUEST_TIMEOUT_MS,
      });
      await response.body.dump();
      const ok = response.statusCode === 204;
      this.options.logger.info({ peer: message.to, index: message.snapshot.index, bytes: snapshot.sizeBytes, ok }, 'sent snapshot');
      this.options.onSnapshotSent(message.to, ok);
    } catch (error) {
      this.options.logger.warn({ peer: message.to, err: error }, 'snapshot transfer failed');
      this.options.onSnapshotSent(message.to, false);
    }
  }

  close(): void {
    this.closed = true;
  }
}
