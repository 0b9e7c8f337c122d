// GET /dfs/v1/status on a datanode: its volumes, replicas, transfers in progress and its
// conversation with each namenode. The datanode web UI and tests read it.

import { z } from 'zod';
import { HaState } from './protocol.js';

const count = z.number().int().min(0);
const Command = z.object({ atMs: z.number(), type: z.string(), blocks: count });

export const DatanodeStatus = z.object({
  uuid: z.string(),
  url: z.string(),
  rack: z.string(),
  version: z.string(),
  startedAtMs: z.number(),
  uptimeMs: z.number(),
  /** Finalized replicas stored. */
  blocks: count,
  /** The first few of them (a short list, not all). */
  blockSample: z.array(z.object({ blockId: z.number(), genStamp: z.number(), numBytes: count, volume: z.string() })),
  volumes: z.array(z.object({ dir: z.string(), capacity: count, used: count, remaining: count, blocks: count })),
  transfers: z.object({ reads: count, writes: count, replications: count }),
  transfersInProgress: z.array(
    z.object({
      id: z.number(),
      type: z.enum(['read', 'write', 'replication']),
      blockId: z.number().optional(),
      genStamp: z.number().optional(),
      path: z.string().optional(),
      targets: z.array(z.string()).optional(),
      startedAtMs: z.number(),
      ageMs: z.number(),
    }),
  ),
  namenodes: z.array(
    z.object({
      url: z.string(),
      registered: z.boolean(),
      haState: HaState,
      lastHeartbeat: z.object({ atMs: z.number(), ageMs: z.number(), commands: z.array(Command) }).nullable(),
      lastFullReportMs: z.number().nullable(),
      recentCommands: z.array(Command),
      lastError: z.object({ atMs: z.number(), message: z.string() }).nullable(),
    }),
  ),
  scanner: z.record(z.string(), z.number()).optional(),
});
export type DatanodeStatus = z.infer<typeof DatanodeStatus>;
