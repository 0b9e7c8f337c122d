// Routes between namenodes: Raft messages and snapshot transfers, and the join request a new (or
// wiped) namenode sends to become a member. All of them require the cluster secret.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DfsError } from '../../shared/errors.js';
import { parseInput, postJson } from '../../shared/http.js';
import type { RaftNamespaceLog } from './raft-namespace-log.js';
import { CLUSTER_SECRET_HEADER, requireClusterSecret } from '../../shared/peer-auth.js';
import { MessageBatch, decodeMessage, encodeMessage, peerUrlOf } from './wire.js';
import type { SnapshotMessage } from '../raft/core/index.js';

const JoinRequest = z.object({ id: z.string().min(1).max(512) });
const RETRY_CONF_CHANGE_MS = 100;
const JOIN_TIMEOUT_MS = 30_000;

export async function peerRoutes(app: FastifyInstance, options: { raft: RaftNamespaceLog; secret: string }): Promise<void> {
  const { raft } = options;
  app.addHook('onRequest', requireClusterSecret(options.secret, 'Peer request'));
  // Snapshot bodies are streamed to disk, never parsed.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  // The answers to a batch (acknowledgements, votes) come back in the response, once persisted.
  app.post('/rpc/v1/raft/messages', async (request, reply) => {
    const batch = parseInput(MessageBatch, request.body, 'raft messages');
    const answers = await raft.receiveAndReply(batch.messages.map(decodeMessage));
    return reply.code(200).header('content-type', 'application/json').send(JSON.stringify({ messages: answers.map(encodeMessage) }));
  });

  app.put('/rpc/v1/raft/snapshot', { bodyLimit: Number.MAX_SAFE_INTEGER }, async (request, reply) => {
    const header = String(request.headers['x-dfs-raft-message'] ?? '');
    const message = decodeMessage(parseInput(MessageBatch, { messages: [JSON.parse(Buffer.from(header, 'base64').toString())] }, 'snapshot message').messages[0]);
    if (message.type !== 'snapshot') throw new DfsError('IllegalArgument', 'x-dfs-raft-message is not a snapshot message');
    await raft.receiveSnapshot(message as SnapshotMessage, request.body as AsyncIterable<Uint8Array>, {
      sizeBytes: Number(request.headers['x-dfs-snapshot-size']),
      crc32c: Number(request.headers['x-dfs-snapshot-crc32c']),
    });
    return reply.code(204).send();
  });

  /**
   * A namenode with an empty folder asks to join. A member with the same address but another
   * incarnation (its folder was wiped) is removed first: it may have voted in terms the new one
   * cannot remember. The newcomer joins as a learner and is promoted once caught up.
   */
  app.post('/rpc/v1/raft/join', async (request) => {
    const { id } = parseInput(JoinRequest, request.body, 'join request');
    if (!raft.isLeader) {
      const leader = raft.leaderUrl;
      if (!leader) throw new DfsError('Unavailable', 'No leader elected yet; retry the join');
      return postJson(`${leader}/rpc/v1/raft/join`, { id }, z.object({ joined: z.boolean() }), {
        headers: { [CLUSTER_SECRET_HEADER]: options.secret },
      });
    }
    const deadline = Date.now() + JOIN_TIMEOUT_MS;
    for (;;) {
      const conf = raft.status().conf;
      const members = [...conf.voters, ...conf.learners];
      if (members.includes(id)) return { joined: true };
      const stale = members.find((member) => member !== id && peerUrlOf(member) === peerUrlOf(id));
      try {
        if (stale) await raft.changeMembership({ type: 'removeNode', node: stale });
        else await raft.changeMembership({ type: 'addLearner', node: id });
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, RETRY_CONF_CHANGE_MS));
      }
    }
  });
}
