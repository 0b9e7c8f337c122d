// Raft messages on the wire between namenodes: JSON with entry payloads in base64, validated with
// zod on arrival like every other external input.

import { z } from 'zod';
import type { Message } from '../raft/core/index.js';
import type { Entry } from '../raft/types.js';

const NodeId = z.string().min(1).max(512);
const Index = z.number().int().min(0);

const WireEntry = z.object({ term: Index, index: Index, type: z.union([z.literal(0), z.literal(1)]), data: z.string() });
const ConfState = z.object({ voters: z.array(NodeId), learners: z.array(NodeId) });
const Base = { from: NodeId, to: NodeId, term: Index };

const WireMessage = z.discriminatedUnion('type', [
  z.object({ ...Base, type: z.literal('appendEntries'), index: Index, logTerm: Index, entries: z.array(WireEntry), commit: Index }),
  z.object({ ...Base, type: z.literal('appendResponse'), index: Index, reject: z.boolean(), rejectHint: Index, logTerm: Index }),
  z.object({ ...Base, type: z.literal('heartbeat'), commit: Index, context: z.string().nullable() }),
  z.object({ ...Base, type: z.literal('heartbeatResponse'), context: z.string().nullable() }),
  z.object({ ...Base, type: z.enum(['requestVote', 'requestPreVote']), index: Index, logTerm: Index, transfer: z.boolean() }),
  z.object({ ...Base, type: z.enum(['voteResponse', 'preVoteResponse']), reject: z.boolean() }),
  z.object({ ...Base, type: z.literal('snapshot'), snapshot: z.object({ index: Index, term: Index, conf: ConfState }), snapshotRef: z.string() }),
  z.object({ ...Base, type: z.literal('timeoutNow') }),
  z.object({ ...Base, type: z.literal('readIndex'), context: z.string() }),
  z.object({ ...Base, type: z.literal('readIndexResponse'), context: z.string(), index: Index }),
]);

export const MessageBatch = z.object({ messages: z.array(WireMessage).max(100_000) });

const encodeEntry = (entry: Entry) => ({ ...entry, data: Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).toString('base64') });
const decodeEntry = (entry: z.infer<typeof WireEntry>): Entry => ({ ...entry, data: new Uint8Array(Buffer.from(entry.data, 'base64')) });

export function encodeMessage(message: Message): unknown {
  return message.type === 'appendEntries' ? { ...message, entries: message.entries.map(encodeEntry) } : message;
}

export function decodeMessage(wire: z.infer<typeof WireMessage>): Message {
  return (wire.type === 'appendEntries' ? { ...wire, entries: wire.entries.map(decodeEntry) } : wire) as Message;
}

/** Namenode ids are `<peer url>#<incarnation>`: the address to reach a node is part of its id. */
export const peerUrlOf = (id: string): string => id.split('#')[0];
