// Builds the cluster report (shared/cluster-report.ts) from the namenode's own sources: the datanode
// manager's soft state, `fsck /` for the namespace and block health, and the replication monitor's
// safe mode. The figures are computed here only; every reader (dfsadmin -report, -df, the web UI)
// gets them from this answer.

import type { ClusterReport } from '../shared/cluster-report.js';
import { DFS_VERSION } from '../shared/version.js';
import type { Namesystem } from './namesystem.js';
import type { ReplicationMonitor } from './datanodes/replication-monitor.js';
import { fsck, type FsckSummary } from './datanodes/fsck.js';

/**
 * The namespace walk behind the block-health counts is O(files): UIs polling every few seconds
 * share one walk per this period.
 */
export const NAMESPACE_SUMMARY_MAX_AGE_MS = 1_000;

export interface ClusterReportSource {
  namesystem: Namesystem;
  monitor: ReplicationMonitor;
  namenodeId: string;
  url: string;
  startedAtMs: number;
}

export class ClusterReporter {
  private cached: { atMs: number; summary: FsckSummary | undefined } | undefined;

  constructor(
    private readonly source: ClusterReportSource,
    private readonly clock: () => number = Date.now,
  ) {}

  report(): ClusterReport {
    const { namesystem, monitor } = this.source;
    const datanodes = namesystem.datanodes;
    const now = this.clock();
    const nodes = datanodes.all();
    const liveness = datanodes.totals();
    const admin = { decommissioning: 0, decommissioned: 0 };
    for (const node of nodes) if (node.adminState !== 'normal') admin[node.adminState]++;
    const summary = this.namespaceSummary(now);
    const usedPercent = liveness.capacityBytes > 0 ? Math.round((10_000 * liveness.usedBytes) / liveness.capacityBytes) / 100 : 0;
    return {
      namenode: {
        id: this.source.namenodeId,
        url: this.source.url,
        role: namesystem.log.role,
        clusterId: namesystem.clusterId,
        version: DFS_VERSION,
        appliedIndex: namesystem.stateMachine.appliedIndex,
        startedAtMs: this.source.startedAtMs,
        uptimeMs: now - this.source.startedAtMs,
      },
      totals: { ...liveness, usedPercent, ...admin },
      namespace: {
        files: summary?.totalFiles ?? 0,
        directories: summary?.totalDirs ?? 0,
        totalSizeBytes: summary?.totalSize ?? 0,
        blocks: summary?.totalBlocks ?? 0,
        underReplicatedBlocks: summary?.underReplicated ?? 0,
        missingBlocks: summary?.missingBlocks ?? 0,
        corruptBlocks: summary?.corruptBlocks ?? 0,
        openFiles: summary?.openFiles ?? 0,
      },
      safeMode: namesystem.log.isLeader
        ? { on: monitor.safeMode.on, reportedBlocks: monitor.safeMode.reportedBlocks, totalBlocks: monitor.safeMode.totalBlocks, threshold: monitor.safeMode.threshold }
        : null,
      datanodes: nodes.map((node) => ({
        uuid: node.info.uuid,
        url: node.info.url,
        rack: node.info.rack,
        state: datanodes.state(node),
        adminState: node.adminState,
        lastHeartbeatMs: node.lastHeartbeatMs,
        lastHeartbeatAgeMs: Math.max(0, now - node.lastHeartbeatMs),
        blocks: node.replicas.size,
        ...node.storage,
      })),
    };
  }

  /** `fsck /`'s summary, re-walked when older than the max age (undefined before the namespace is formatted). */
  private namespaceSummary(now: number): FsckSummary | undefined {
    if (this.cached && now - this.cached.atMs < NAMESPACE_SUMMARY_MAX_AGE_MS) return this.cached.summary;
    const { store, datanodes } = this.source.namesystem;
    const root = store.resolve('/');
    const summary = root ? fsck(store, datanodes, root, '/', false).summary : undefined;
    this.cached = { atMs: now, summary };
    return summary;
  }
}
