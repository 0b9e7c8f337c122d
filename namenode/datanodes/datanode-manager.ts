// Soft state about datanodes, as in HDFS's DatanodeManager and BlocksMap: who is alive, how full,
// which replicas each holds, and the commands waiting for its next heartbeat. Nothing here is
// replicated through the namespace log; it is rebuilt from registrations and block reports.

import type { DatanodeCommand, DatanodeInfo, DatanodeStorageReport, ExtendedBlock } from '../../shared/protocol.js';
import { OrphanBlocks } from './orphan-blocks.js';

export type DatanodeState = 'live' | 'stale' | 'dead';
/** Operator's intent for a node (HDFS's AdminStates): decommissioning nodes take no new blocks and are drained. */
export type AdminState = 'normal' | 'decommissioning' | 'decommissioned';

export interface DatanodeDescriptor {
  info: DatanodeInfo;
  storage: DatanodeStorageReport;
  lastHeartbeatMs: number;
  registeredMs: number;
  /** Replicas this node reported: blockId -> genStamp and length. */
  replicas: Map<number, { genStamp: number; numBytes: number }>;
  pendingCommands: DatanodeCommand[];
  adminState: AdminState;
  /** Blocks whose deletion was queued here and not yet confirmed by a report. */
  pendingDeletes: Set<number>;
}

/** Where a block's replicas stand, as fsck and the replication monitor count them (HDFS's NumberReplicas). */
export interface ReplicaStates {
  /** Good replicas on live or stale nodes in service: these count toward the replication. */
  live: DatanodeDescriptor[];
  /** Good replicas on nodes being drained: readable, used as sources, not counted as live. */
  decommissioning: DatanodeDescriptor[];
  decommissioned: DatanodeDescriptor[];
  /** Replicas reported corrupt by a reader or the block scanner. */
  corrupt: DatanodeDescriptor[];
  /** Replicas with an older generation stamp than the namespace's (left by a failed pipeline). */
  staleGenStamp: DatanodeDescriptor[];
}

export interface LivenessConfig {
  staleAfterMs: number;
  deadAfterMs: number;
}

/** Commands handed out per heartbeat, so one answer stays small. */
const COMMANDS_PER_HEARTBEAT_MAX = 64;
const DELETES_PER_COMMAND_MAX = 1000;

export class DatanodeManager {
  private readonly nodes = new Map<string, DatanodeDescriptor>();
  /** blockId -> uuids of datanodes holding a replica (the BlocksMap). */
  private readonly blockLocations = new Map<number, Set<string>>();
  /** blockId -> uuids of nodes whose replica was reported corrupt. */
  private readonly corrupt = new Map<number, Set<string>>();
  /** Waiters for a block's first reported replica (complete() waits on them). */
  private readonly replicaWaiters = new Map<number, Array<() => void>>();
  /** Replicas unknown to a restored namespace, kept for a grace period (see orphan-blocks.ts). */
  readonly orphans: OrphanBlocks;

  constructor(
    private readonly liveness: LivenessConfig,
    private readonly clock: () => number = Date.now,
  ) {
    this.orphans = new OrphanBlocks(clock);
  }

  register(info: DatanodeInfo, storage: DatanodeStorageReport): void {
    const now = this.clock();
    const existing = this.nodes.get(info.uuid);
    if (existing) {
      existing.info = info;
      existing.storage = storage;
      existing.lastHeartbeatMs = now;
      return;
    }
    this.nodes.set(info.uuid, {
      info,
      storage,
      lastHeartbeatMs: now,
      registeredMs: now,
      replicas: new Map(),
      pendingCommands: [],
      adminState: 'normal',
      pendingDeletes: new Set(),
    });
  }

  /** Returns false when the node is unknown (it must register again). */
  heartbeat(uuid: string, storage: DatanodeStorageReport): DatanodeCommand[] | null {
    const node = this.nodes.get(uuid);
    if (!node) return null;
    node.storage = storage;
    node.lastHeartbeatMs = this.clock();
    return node.pendingCommands.splice(0, COMMANDS_PER_HEARTBEAT_MAX);
  }

  state(node: DatanodeDescriptor): DatanodeState {
    const silentMs = this.clock() - node.lastHeartbeatMs;
    if (silentMs >= this.liveness.deadAfterMs) return 'dead';
    if (silentMs >= this.liveness.staleAfterMs) return 'stale';
    return 'live';
  }

  get(uuid: string): DatanodeDescriptor | undefined {
    return this.nodes.get(uuid);
  }

  all(): DatanodeDescriptor[] {
    return [...this.nodes.values()];
  }

  /** Finds a node by uuid or by its advertised URL (operators name nodes either way). */
  lookup(uuidOrUrl: string): DatanodeDescriptor | undefined {
    const url = uuidOrUrl.replace(/\/+$/, '');
    return this.nodes.get(uuidOrUrl) ?? this.all().find((node) => node.info.url === url);
  }

  /** Nodes that may take new blocks: alive, not stale, not full, in service. */
  writable(): DatanodeDescriptor[] {
    return this.all().filter((node) => this.state(node) === 'live' && !node.storage.full && node.adminState === 'normal');
  }

  setAdminState(node: DatanodeDescriptor, state: AdminState): void {
    node.adminState = state;
  }

  /**
   * Replaces what a node holds with its full report. Returns the reported replicas the caller
   * should examine against the namespace (unknown or stale ones are deleted by the caller).
   */
  fullReport(uuid: string, blocks: ExtendedBlock[]): boolean {
    const node = this.nodes.get(uuid);
    if (!node) return false;
    for (const blockId of node.replicas.keys()) this.blockLocations.get(blockId)?.delete(uuid);
    for (const blockId of node.pendingDeletes) this.blockLocations.get(blockId)?.delete(uuid);
    node.replicas.clear();
    node.pendingDeletes.clear();
    // A replica no longer reported can no longer be corrupt here.
    const reported = new Set(blocks.map((block) => block.blockId));
    for (const [blockId, holders] of this.corrupt) {
      if (holders.has(uuid) && !reported.has(blockId)) this.clearCorrupt(blockId, uuid);
    }
    for (const block of blocks) this.addReplica(node, block);
    return true;
  }

  replicaReceived(uuid: string, block: ExtendedBlock): boolean {
    const node = this.nodes.get(uuid);
    if (!node) return false;
    this.addReplica(node, block);
    return true;
  }

  replicaRemoved(uuid: string, blockId: number): void {
    const node = this.nodes.get(uuid);
    node?.replicas.delete(blockId);
    node?.pendingDeletes.delete(blockId);
    this.blockLocations.get(blockId)?.delete(uuid);
    this.clearCorrupt(blockId, uuid);
  }

  /**
   * A reader or the scanner found `uuid`'s replica of `block` corrupt. It stays known (so no new
   * copy is sent to that node) but is never served; the replication monitor deletes it once a good
   * copy exists elsewhere. Returns false when the node does not hold that replica.
   */
  markCorrupt(uuid: string, block: ExtendedBlock): boolean {
    const replica = this.nodes.get(uuid)?.replicas.get(block.blockId);
    if (!replica || replica.genStamp > block.genStamp) return false;
    let holders = this.corrupt.get(block.blockId);
    if (!holders) this.corrupt.set(block.blockId, (holders = new Set()));
    holders.add(uuid);
    return true;
  }

  isCorrupt(blockId: number, uuid: string): boolean {
    return this.corrupt.get(blockId)?.has(uuid) ?? false;
  }

  private clearCorrupt(blockId: number, uuid: string): void {
    const holders = this.corrupt.get(blockId);
    if (!holders) return;
    holders.delete(uuid);
    if (holders.size === 0) this.corrupt.delete(blockId);
  }

  /** Every node that holds, or is about to delete, a replica of the block: never a target for a new copy. */
  knownHolders(blockId: number): Set<string> {
    return new Set(this.blockLocations.get(blockId) ?? []);
  }

  /** Classifies the non-dead replicas of `block` (at the namespace's generation stamp `block.genStamp`). */
  replicaStates(block: ExtendedBlock): ReplicaStates {
    const states: ReplicaStates = { live: [], decommissioning: [], decommissioned: [], corrupt: [], staleGenStamp: [] };
    for (const uuid of this.blockLocations.get(block.blockId) ?? []) {
      const node = this.nodes.get(uuid);
      const replica = node?.replicas.get(block.blockId);
      if (!node || !replica || this.state(node) === 'dead') continue;
      if (replica.genStamp < block.genStamp) states.staleGenStamp.push(node);
      else if (this.isCorrupt(block.blockId, uuid)) states.corrupt.push(node);
      else if (node.adminState === 'normal') states.live.push(node);
      else states[node.adminState].push(node);
    }
    return states;
  }

  private addReplica(node: DatanodeDescriptor, block: ExtendedBlock): void {
    const previous = node.replicas.get(block.blockId);
    // A newer generation replaced whatever was found corrupt.
    if (previous && previous.genStamp < block.genStamp) this.clearCorrupt(block.blockId, node.info.uuid);
    node.replicas.set(block.blockId, { genStamp: block.genStamp, numBytes: block.numBytes });
    node.pendingDeletes.delete(block.blockId);
    let holders = this.blockLocations.get(block.blockId);
    if (!holders) this.blockLocations.set(block.blockId, (holders = new Set()));
    holders.add(node.info.uuid);
    const waiters = this.replicaWaiters.get(block.blockId);
    if (waiters) {
      this.replicaWaiters.delete(block.blockId);
      for (const wake of waiters) wake();
    }
  }

  /**
   * Datanodes holding `block` at its generation stamp (or newer), non-dead and not corrupt, live
   * before stale and in-service before draining nodes, so readers try healthy nodes first (HDFS
   * reads stale and decommissioning nodes last).
   */
  locations(block: ExtendedBlock): DatanodeDescriptor[] {
    const holders = this.blockLocations.get(block.blockId);
    if (!holders) return [];
    const found: DatanodeDescriptor[] = [];
    for (const uuid of holders) {
      const node = this.nodes.get(uuid);
      const replica = node?.replicas.get(block.blockId);
      if (!node || !replica || replica.genStamp < block.genStamp || this.state(node) === 'dead') continue;
      if (this.isCorrupt(block.blockId, uuid)) continue;
      found.push(node);
    }
    const rank = (node: DatanodeDescriptor) => (this.state(node) === 'live' ? 0 : 1) + (node.adminState === 'normal' ? 0 : 2);
    return found.sort((a, b) => rank(a) - rank(b) || a.storage.xceiverCount - b.storage.xceiverCount);
  }

  /** Resolves when at least one replica of `blockId` is reported, or after `timeoutMs`. */
  async waitForReplica(block: ExtendedBlock, timeoutMs: number): Promise<boolean> {
    if (this.locations(block).length > 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        const waiters = this.replicaWaiters.get(block.blockId);
        if (waiters) waiters.splice(waiters.indexOf(onReplica), 1);
        resolve(this.locations(block).length > 0);
      }, timeoutMs);
      const onReplica = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const waiters = this.replicaWaiters.get(block.blockId) ?? [];
      waiters.push(onReplica);
      this.replicaWaiters.set(block.blockId, waiters);
    });
  }

  /** Queues deletion of replicas of blocks no file references any more. */
  invalidate(blocks: ExtendedBlock[]): void {
    const perNode = new Map<string, ExtendedBlock[]>();
    for (const block of blocks) {
      for (const uuid of this.blockLocations.get(block.blockId) ?? []) {
        const list = perNode.get(uuid) ?? [];
        list.push(block);
        perNode.set(uuid, list);
      }
      this.blockLocations.delete(block.blockId);
      this.corrupt.delete(block.blockId);
    }
    for (const [uuid, list] of perNode) this.queueDeletes(uuid, list);
  }

  /** Queues a command for the node's next heartbeat; false when the node is unknown. */
  queueCommand(uuid: string, command: DatanodeCommand): boolean {
    const node = this.nodes.get(uuid);
    if (!node) return false;
    node.pendingCommands.push(command);
    return true;
  }

  queueDeletes(uuid: string, blocks: ExtendedBlock[]): void {
    const node = this.nodes.get(uuid);
    if (!node) return;
    for (const block of blocks) {
      node.replicas.delete(block.blockId);
      node.pendingDeletes.add(block.blockId);
    }
    for (let i = 0; i < blocks.length; i += DELETES_PER_COMMAND_MAX) {
      node.pendingCommands.push({ type: 'delete', blocks: blocks.slice(i, i + DELETES_PER_COMMAND_MAX) });
    }
  }

  totals(): { capacityBytes: number; usedBytes: number; remainingBytes: number; live: number; stale: number; dead: number } {
    const totals = { capacityBytes: 0, usedBytes: 0, remainingBytes: 0, live: 0, stale: 0, dead: 0 };
    for (const node of this.nodes.values()) {
      const state = this.state(node);
      totals[state] += 1;
      if (state === 'dead') continue;
      totals.capacityBytes += node.storage.capacityBytes;
      totals.usedBytes += node.storage.usedBytes;
      totals.remainingBytes += node.storage.remainingBytes;
    }
    return totals;
  }
}
