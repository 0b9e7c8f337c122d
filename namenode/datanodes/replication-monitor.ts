// Keeps every complete block at its file's replication (HDFS's RedundancyMonitor): each tick it
// scans the blocks, queues under-replicated ones by priority (fewest live replicas first), sends
// `replicate` commands datanode-to-datanode within a per-node stream limit, times out and retries
// pending copies, trims over-replicated blocks, deletes corrupt and stale-generation replicas once a
// good copy exists, and completes decommissioning nodes once nothing depends on them.
//
// Runs only where the namesystem accepts writes (the leader) and only after a start-up guard, the
// equivalent of HDFS's safe mode for replication decisions: right after a namenode starts (or becomes
// leader) it knows few replicas, and acting on that would copy blocks that are in fact fine. Decisions
// start once `safeModeExtensionMs` has passed AND at least `safeModeThreshold` of the complete blocks
// have a reported replica. Once left, the guard stays off until leadership is lost.
//
// Everything here is soft state: pending copies are forgotten on restart and found again by the scan.

import type { Logger } from 'pino';
import { assert } from '../../shared/assert.js';
import type { DatanodeInfo, ExtendedBlock } from '../../shared/protocol.js';
import type { NamespaceStore } from '../namespace/store.js';
import type { NamespaceLog } from '../namespace-log.js';
import type { DatanodeDescriptor, DatanodeManager, ReplicaStates } from './datanode-manager.js';
import { chooseTargets } from './placement.js';

export interface ReplicationMonitorConfig {
  /** Time between scans. */
  intervalMs: number;
  /** A copy not reported within this long is forgotten and scheduled again. */
  pendingTimeoutMs: number;
  /** Copies a datanode takes part in at once, as source or target (HDFS's maxReplicationStreams). */
  streamsPerNodeMax: number;
  /** Copies scheduled per scan, so one scan's commands stay bounded. */
  scheduledPerTickMax: number;
  /**
   * A block is copied only after it has been under-replicated this long: a block just written has
   * one reported replica (all complete() waits for) and the others' reports are milliseconds away.
   */
  underReplicationGraceMs: number;
  /** Minimum time after start (or gaining leadership) before the first replication decision. */
  safeModeExtensionMs: number;
  /** Fraction of complete blocks that must have a reported replica before decisions start (HDFS: 0.999). */
  safeModeThreshold: number;
}

export const REPLICATION_STREAMS_PER_NODE_MAX = 2;
export const REPLICATIONS_SCHEDULED_PER_TICK_MAX = 1_000;
export const REPLICATION_TICK_MS_MAX = 3_000;
export const PENDING_REPLICATION_TIMEOUT_MS_MIN = 5_000;
export const SAFE_MODE_THRESHOLD_DEFAULT = 0.999;

/**
 * Defaults derived from the heartbeat interval (commands travel on heartbeats): scan every
 * heartbeat (at most every 3 s, HDFS's redundancy interval); a copy is retried after
 * max(5 s, 10 heartbeats); decisions wait at least 3 heartbeats after start, time for every live
 * datanode to register and send its full block report.
 */
export function replicationMonitorDefaults(heartbeatIntervalMs: number): ReplicationMonitorConfig {
  return {
    intervalMs: Math.min(heartbeatIntervalMs, REPLICATION_TICK_MS_MAX),
    pendingTimeoutMs: Math.max(PENDING_REPLICATION_TIMEOUT_MS_MIN, 10 * heartbeatIntervalMs),
    underReplicationGraceMs: Math.min(heartbeatIntervalMs, REPLICATION_TICK_MS_MAX),
    streamsPerNodeMax: REPLICATION_STREAMS_PER_NODE_MAX,
    scheduledPerTickMax: REPLICATIONS_SCHEDULED_PER_TICK_MAX,
    safeModeExtensionMs: 3 * heartbeatIntervalMs,
    safeModeThreshold: SAFE_MODE_THRESHOLD_DEFAULT,
  };
}

interface PendingReplication {
  block: ExtendedBlock;
  source: string;
  /** Target uuids that have not reported the new replica yet. */
  targets: Set<string>;
  deadlineMs: number;
}

/** One complete block and its file's target replication, as the scan sees them. */
export interface ScannedBlock {
  block: ExtendedBlock;
  expected: number;
  states: ReplicaStates;
}

export interface ReplicationStats {
  scheduled: number;
  completed: number;
  timedOut: number;
  excessDeleted: number;
  corruptDeleted: number;
  staleDeleted: number;
  /** Blocks with fewer live replicas than their replication at the last scan. */
  underReplicated: number;
  pending: number;
  lastScanMs: number;
}

export interface SafeModeStatus {
  on: boolean;
  reportedBlocks: number;
  totalBlocks: number;
  threshold: number;
  extensionMs: number;
}

export class ReplicationMonitor {
  private readonly pending = new Map<number, PendingReplication>();
  /** When each currently under-replicated block was first seen so (see `underReplicationGraceMs`). */
  private readonly underReplicatedSinceMs = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private leaderSinceMs: number | undefined;
  private safeModeOff = false;
  private lastSafeMode: SafeModeStatus;
  readonly stats: ReplicationStats = {
    scheduled: 0,
    completed: 0,
    timedOut: 0,
    excessDeleted: 0,
    corruptDeleted: 0,
    staleDeleted: 0,
    underReplicated: 0,
    pending: 0,
    lastScanMs: 0,
  };

  constructor(
    private readonly store: NamespaceStore,
    private readonly log: NamespaceLog,
    private readonly datanodes: DatanodeManager,
    readonly config: ReplicationMonitorConfig,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    assert(config.intervalMs > 0 && config.streamsPerNodeMax > 0, 'replication monitor limits must be positive');
    this.lastSafeMode = { on: true, reportedBlocks: 0, totalBlocks: 0, threshold: config.safeModeThreshold, extensionMs: config.safeModeExtensionMs };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (error) {
        this.logger.error({ err: error }, 'replication scan failed');
      }
    }, this.config.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get safeMode(): SafeModeStatus {
    return this.lastSafeMode;
  }

  /** One scan: decide, queue commands, account. Synchronous, so it sees one consistent state. */
  tick(): void {
    const now = this.clock();
    if (!this.log.isLeader) {
      this.leaderSinceMs = undefined;
      this.safeModeOff = false;
      this.pending.clear();
      this.underReplicatedSinceMs.clear();
      return;
    }
    this.leaderSinceMs ??= now;
    const blocks = this.scanBlocks();
    if (!this.safeModeOff && !this.leaveSafeMode(blocks, now)) return;
    this.deleteExpiredOrphans();
    this.expirePending(now);
    const needing = new Set<number>();
    const queue: ScannedBlock[] = [];
    for (const scanned of blocks) {
      this.cleanUp(scanned);
      const { block, expected, states } = scanned;
      if (states.live.length < expected) needing.add(block.blockId);
      const pendingTargets = this.pending.get(block.blockId)?.targets.size ?? 0;
      if (states.live.length + pendingTargets < expected) {
        const sinceMs = this.underReplicatedSinceMs.get(block.blockId) ?? now;
        this.underReplicatedSinceMs.set(block.blockId, sinceMs);
        if (now - sinceMs >= this.config.underReplicationGraceMs) queue.push(scanned);
      } else if (states.live.length > expected && pendingTargets === 0) this.trimExcess(scanned);
    }
    for (const blockId of this.underReplicatedSinceMs.keys()) {
      if (!needing.has(blockId)) this.underReplicatedSinceMs.delete(blockId);
    }
    this.stats.underReplicated = needing.size;
    this.schedule(queue, now);
    this.updateDecommissioning(needing);
    this.stats.pending = this.pending.size;
    this.stats.lastScanMs = now;
  }

  /** Complete blocks with their replication; the block being written of an open file is skipped. */
  scanBlocks(): ScannedBlock[] {
    // One query joins each complete block with its file's replication (a profile showed one
    // lookup per block dominating the leader's CPU).
    const scanned: ScannedBlock[] = [];
    for (const row of this.store.sql.blocksWithReplication.all() as Array<{ id: number; gen_stamp: number; num_bytes: number; replication: number }>) {
      const block = { blockId: row.id, genStamp: row.gen_stamp, numBytes: row.num_bytes };
      scanned.push({ block, expected: row.replication, states: this.datanodes.replicaStates(block) });
    }
    return scanned;
  }

  /** Replicas unknown to a restored namespace whose grace has passed (see orphan-blocks.ts); never in safe mode. */
  private deleteExpiredOrphans(): void {
    const expired = this.datanodes.orphans.takeExpired();
    if (expired.length === 0) return;
    const perNode = new Map<string, ExtendedBlock[]>();
    for (const { block, holders } of expired) {
      for (const uuid of holders) perNode.set(uuid, [...(perNode.get(uuid) ?? []), block]);
    }
    for (const [uuid, blocks] of perNode) this.datanodes.queueDeletes(uuid, blocks);
    this.logger.warn({ count: expired.length, blocks: expired.slice(0, 20).map(({ block }) => `blk_${block.blockId}_${block.genStamp}`) }, 'deleting orphan replicas: grace period over');
  }

  private leaveSafeMode(blocks: ScannedBlock[], now: number): boolean {
    const reported = blocks.filter((b) => b.states.live.length + b.states.decommissioning.length + b.states.decommissioned.length > 0).length;
    const fraction = blocks.length === 0 ? 1 : reported / blocks.length;
    const waitedMs = now - (this.leaderSinceMs ?? now);
    this.lastSafeMode = { ...this.lastSafeMode, reportedBlocks: reported, totalBlocks: blocks.length };
    if (waitedMs < this.config.safeModeExtensionMs || fraction < this.config.safeModeThreshold) return false;
    this.safeModeOff = true;
    this.lastSafeMode = { ...this.lastSafeMode, on: false };
    this.logger.info({ reportedBlocks: reported, totalBlocks: blocks.length, waitedMs }, 'leaving safe mode: replication decisions start');
    return true;
  }

  private expirePending(now: number): void {
    for (const [blockId, entry] of this.pending) {
      for (const uuid of entry.targets) {
        const replica = this.datanodes.get(uuid)?.replicas.get(blockId);
        if (replica && replica.genStamp >= entry.block.genStamp) entry.targets.delete(uuid);
      }
      if (entry.targets.size === 0) {
        this.pending.delete(blockId);
        this.stats.completed++;
      } else if (now >= entry.deadlineMs) {
        this.pending.delete(blockId);
        this.stats.timedOut++;
        this.logger.warn({ blockId, source: entry.source, targets: [...entry.targets] }, 'replication timed out; it will be scheduled again');
      }
    }
  }

  /** Deletes corrupt replicas once a good one exists, and replicas of an older generation stamp. */
  private cleanUp({ block, states }: ScannedBlock): void {
    if (states.live.length + states.decommissioning.length > 0) {
      for (const node of states.corrupt) {
        this.datanodes.queueDeletes(node.info.uuid, [block]);
        this.stats.corruptDeleted++;
        this.logger.info({ blockId: block.blockId, datanode: node.info.url }, 'deleting corrupt replica: a good copy exists');
      }
    }
    for (const node of states.staleGenStamp) {
      this.datanodes.queueDeletes(node.info.uuid, [block]);
      this.stats.staleDeleted++;
    }
  }

  /** Removes replicas beyond the replication from the fullest nodes (HDFS deletes where space is scarcest). */
  private trimExcess({ block, expected, states }: ScannedBlock): void {
    const excess = states.live.length - expected;
    const victims = [...states.live].sort((a, b) => a.storage.remainingBytes - b.storage.remainingBytes).slice(0, excess);
    for (const node of victims) {
      this.datanodes.queueDeletes(node.info.uuid, [block]);
      this.stats.excessDeleted++;
    }
    this.logger.info({ blockId: block.blockId, expected, live: states.live.length, from: victims.map((n) => n.info.url) }, 'trimming over-replicated block');
  }

  private schedule(queue: ScannedBlock[], now: number): void {
    const streams = new Map<string, number>();
    const bump = (uuid: string) => streams.set(uuid, (streams.get(uuid) ?? 0) + 1);
    for (const entry of this.pending.values()) {
      bump(entry.source);
      for (const uuid of entry.targets) bump(uuid);
    }
    const hasRoom = (node: DatanodeDescriptor) => (streams.get(node.info.uuid) ?? 0) < this.config.streamsPerNodeMax;
    // Fewest live replicas first: a block with one copy left is more at risk than one with two.
    queue.sort((a, b) => a.states.live.length - b.states.live.length);
    let scheduled = 0;
    for (const { block, expected, states } of queue) {
      if (scheduled >= this.config.scheduledPerTickMax) break;
      // One copy in flight per block: a partial one completes or times out before more is sent.
      if (this.pending.has(block.blockId)) continue;
      const needed = expected - states.live.length;
      const source = this.chooseSource(states, hasRoom);
      if (!source) continue;
      const exclude = this.datanodes.knownHolders(block.blockId);
      const targets = chooseTargets({
        replication: needed,
        candidates: this.datanodes.writable().filter(hasRoom),
        exclude,
        random: this.random,
      });
      if (targets.length === 0) continue;
      const infos: DatanodeInfo[] = targets.map((node) => node.info);
      this.datanodes.queueCommand(source.info.uuid, { type: 'replicate', block, targets: infos });
      bump(source.info.uuid);
      for (const target of targets) bump(target.info.uuid);
      this.pending.set(block.blockId, {
        block,
        source: source.info.uuid,
        targets: new Set(targets.map((node) => node.info.uuid)),
        deadlineMs: now + this.config.pendingTimeoutMs,
      });
      scheduled++;
      this.stats.scheduled++;
      this.logger.info(
        { blockId: block.blockId, live: states.live.length, expected, source: source.info.url, targets: infos.map((t) => t.url) },
        'scheduling re-replication',
      );
    }
  }

  /** A node holding a good replica, with a free stream: draining nodes first (they take no writes), then the least busy. */
  private chooseSource(states: ReplicaStates, hasRoom: (node: DatanodeDescriptor) => boolean): DatanodeDescriptor | undefined {
    const candidates = [...states.decommissioning, ...states.live, ...states.decommissioned].filter(
      (node) => hasRoom(node) && this.datanodes.state(node) === 'live',
    );
    const rank = (node: DatanodeDescriptor) => (node.adminState === 'decommissioning' ? 0 : 1);
    candidates.sort((a, b) => rank(a) - rank(b) || a.storage.xceiverCount - b.storage.xceiverCount);
    return candidates[0];
  }

  /** A decommissioning node is done once every block it holds has its full replication elsewhere. */
  private updateDecommissioning(needing: Set<number>): void {
    for (const node of this.datanodes.all()) {
      if (node.adminState !== 'decommissioning') continue;
      const waitingOn = [...node.replicas.keys()].filter((blockId) => needing.has(blockId)).length;
      if (waitingOn > 0) continue;
      this.datanodes.setAdminState(node, 'decommissioned');
      this.logger.info({ datanode: node.info.url, uuid: node.info.uuid, blocks: node.replicas.size }, 'decommissioned: every block is fully replicated elsewhere');
    }
  }
}
