// Soft state about datanodes, as in HDFS's DatanodeManager and BlocksMap: who is alive, how full,
// which replicas each holds, and the commands waiting for its next heartbeat. Nothing here is
// replicated through the namespace log; it is rebuilt from registrations and block reports.

import type { DatanodeCommand, DatanodeInfo, DatanodeStorageReport, ExtendedBlock } from '../../shared/protocol.js';

export type DatanodeState = 'live' | 'stale' | 'dead';

export interface DatanodeDescriptor {
  info: DatanodeInfo;
  storage: DatanodeStorageReport;
  lastHeartbeatMs: number;
  registeredMs: number;
  /** Replicas this node reported: blockId -> genStamp and length. */
  replicas: Map<number, { genStamp: number; numBytes: number }>;
  pendingCommands: DatanodeCommand[];
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
  /** Waiters for a block's first reported replica (complete() waits on them). */
  private readonly replicaWaiters = new Map<number, Array<() => void>>();

  constructor(
    private readonly liveness: LivenessConfig,
    private readonly clock: () => number = Date.now,
  ) {}

  register(info: DatanodeInfo, storage: DatanodeStorageReport): void {
    const now = this.clock();
    const existing = this.nodes.get(info.uuid);
    if (existing) {
      existing.info = info;
      existing.storage = storage;
      existing.lastHeartbeatMs = now;
      return;
    }
    this.nodes.set(info.uuid, { info, storage, lastHeartbeatMs: now, registeredMs: now, replicas: new Map(), pendingCommands: [] });
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

  /** Nodes that may take new blocks: alive, not stale, not full. */
  writable(): DatanodeDescriptor[] {
    return this.all().filter((node) => this.state(node) === 'live' && !node.storage.full);
  }

  /**
   * Replaces what a node holds with its full report. Returns the reported replicas the caller
   * should examine against the namespace (unknown or stale ones are deleted by the caller).
   */
  fullReport(uuid: string, blocks: ExtendedBlock[]): boolean {
    const node = this.nodes.get(uuid);
    if (!node) return false;
    for (const blockId of node.replicas.keys()) this.blockLocations.get(blockId)?.delete(uuid);
    node.replicas.clear();
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
    this.blockLocations.get(blockId)?.delete(uuid);
  }

  private addReplica(node: DatanodeDescriptor, block: ExtendedBlock): void {
    node.replicas.set(block.blockId, { genStamp: block.genStamp, numBytes: block.numBytes });
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
   * Datanodes holding `block` at its generation stamp (or newer), non-dead ones only, live before
   * stale so readers try healthy nodes first.
   */
  locations(block: ExtendedBlock): DatanodeDescriptor[] {
    const holders = this.blockLocations.get(block.blockId);
    if (!holders) return [];
    const found: DatanodeDescriptor[] = [];
    for (const uuid of holders) {
      const node = this.nodes.get(uuid);
      const replica = node?.replicas.get(block.blockId);
      if (node && replica && replica.genStamp >= block.genStamp && this.state(node) !== 'dead') found.push(node);
    }
    const rank = (node: DatanodeDescriptor) => (this.state(node) === 'live' ? 0 : 1);
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
    }
    for (const [uuid, list] of perNode) this.queueDeletes(uuid, list);
  }

  queueDeletes(uuid: string, blocks: ExtendedBlock[]): void {
    const node = this.nodes.get(uuid);
    if (!node) return;
    for (const block of blocks) node.replicas.delete(block.blockId);
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
