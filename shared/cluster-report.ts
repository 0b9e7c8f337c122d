// GET /rpc/v1/admin/report: the cluster as one namenode sees it. `dfs dfsadmin -report`, `dfs -df`
// and the namenode web UI all read this one answer, so they show the same figures.

import { z } from 'zod';

const count = z.number().int().min(0);

export const DatanodeReport = z.object({
  uuid: z.string(),
  url: z.string(),
  rack: z.string(),
  state: z.enum(['live', 'stale', 'dead']),
  adminState: z.enum(['normal', 'decommissioning', 'decommissioned']),
  lastHeartbeatMs: z.number(),
  /** Measured on the namenode, so a browser's clock does not matter. */
  lastHeartbeatAgeMs: z.number(),
  blocks: count,
  capacityBytes: count,
  usedBytes: count,
  remainingBytes: count,
  xceiverCount: count,
  full: z.boolean(),
});
export type DatanodeReport = z.infer<typeof DatanodeReport>;

export const ClusterReport = z.object({
  namenode: z.object({
    id: z.string(),
    url: z.string(),
    role: z.string(),
    clusterId: z.string(),
    version: z.string(),
    appliedIndex: z.number(),
    startedAtMs: z.number(),
    uptimeMs: z.number(),
  }),
  /** Capacity of the non-dead datanodes, summed; datanodes by liveness and by admin state. */
  totals: z.object({
    capacityBytes: count,
    usedBytes: count,
    remainingBytes: count,
    /** usedBytes / capacityBytes in percent (0 without capacity). */
    usedPercent: z.number(),
    live: count,
    stale: count,
    dead: count,
    decommissioning: count,
    decommissioned: count,
  }),
  /** The namespace and its blocks' health, counted as `dfs fsck /` counts them. */
  namespace: z.object({
    files: count,
    directories: count,
    totalSizeBytes: count,
    blocks: count,
    underReplicatedBlocks: count,
    missingBlocks: count,
    corruptBlocks: count,
    /** Files being written: their blocks are not checked yet. */
    openFiles: count,
  }),
  /** The leader's replication start-up guard (HDFS's safe mode); null on a follower, which decides nothing. */
  safeMode: z.object({ on: z.boolean(), reportedBlocks: count, totalBlocks: count, threshold: z.number() }).nullable(),
  datanodes: z.array(DatanodeReport),
});
export type ClusterReport = z.infer<typeof ClusterReport>;

