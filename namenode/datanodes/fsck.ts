// `dfs fsck`: walks the namespace under a path and checks every complete block against the replica
// map, counting as HDFS's NamenodeFsck does. A block is under-replicated when its live plus
// decommissioning replicas are fewer than its file's replication (a draining node still serves it),
// missing when no good replica is on a non-dead node, corrupt when only corrupt replicas are left.
// Files open for writing are counted but not checked (their last block has no final length yet).

import type { NamespaceStore, InodeRow } from '../namespace/store.js';
import { INODE_DIRECTORY } from '../namespace/schema.js';
import { toExtendedBlock } from '../namespace/store.js';
import type { DatanodeManager } from './datanode-manager.js';

/** Files listed in detail (with -files/-blocks); the summary always covers the whole tree. */
export const FSCK_FILES_DETAIL_MAX = 10_000;
const LISTING_PAGE_ENTRIES = 1_000;

export type BlockHealth = 'OK' | 'UNDER_REPLICATED' | 'OVER_REPLICATED' | 'MISSING' | 'CORRUPT';

export interface FsckBlock {
  blockId: number;
  genStamp: number;
  numBytes: number;
  expected: number;
  live: number;
  decommissioning: number;
  decommissioned: number;
  corrupt: number;
  health: BlockHealth;
  locations: Array<{ uuid: string; url: string; rack: string; replica: 'LIVE' | 'DECOMMISSIONING' | 'DECOMMISSIONED' | 'CORRUPT' }>;
}

export interface FsckFile {
  path: string;
  length: number;
  replication: number;
  openForWrite: boolean;
  blocks: FsckBlock[];
}

export interface FsckSummary {
  totalSize: number;
  totalDirs: number;
  totalFiles: number;
  openFiles: number;
  totalBlocks: number;
  minimallyReplicated: number;
  overReplicated: number;
  underReplicated: number;
  misReplicated: number;
  missingBlocks: number;
  corruptBlocks: number;
  missingReplicas: number;
  /** Sum over checked blocks of their live replicas (for the average). */
  totalLiveReplicas: number;
  /** Sum over checked blocks of their expected replicas (for the missing-replica percentage). */
  totalExpectedReplicas: number;
  datanodes: number;
  racks: number;
}

export interface FsckReport {
  path: string;
  status: 'HEALTHY' | 'CORRUPT';
  summary: FsckSummary;
  /** Present when details were asked for; capped at FSCK_FILES_DETAIL_MAX. */
  files?: FsckFile[];
  truncated?: boolean;
  /** Replicas unknown to a restored namespace, held for the orphan grace period (orphan-blocks.ts). */
  orphanBlocks: ReturnType<DatanodeManager['orphans']['summary']>;
}

export function checkBlockHealth(datanodes: DatanodeManager, row: ReturnType<typeof toExtendedBlock>, expected: number): FsckBlock {
  const states = datanodes.replicaStates(row);
  const available = states.live.length + states.decommissioning.length;
  let health: BlockHealth = 'OK';
  if (available + states.decommissioned.length === 0) health = states.corrupt.length > 0 ? 'CORRUPT' : 'MISSING';
  else if (available < expected) health = 'UNDER_REPLICATED';
  else if (states.live.length > expected) health = 'OVER_REPLICATED';
  const locate = (replica: FsckBlock['locations'][number]['replica']) => (node: (typeof states.live)[number]) => ({
    uuid: node.info.uuid,
    url: node.info.url,
    rack: node.info.rack,
    replica,
  });
  return {
    ...row,
    expected,
    live: states.live.length,
    decommissioning: states.decommissioning.length,
    decommissioned: states.decommissioned.length,
    corrupt: states.corrupt.length,
    health,
    locations: [
      ...states.live.map(locate('LIVE')),
      ...states.decommissioning.map(locate('DECOMMISSIONING')),
      ...states.decommissioned.map(locate('DECOMMISSIONED')),
      ...states.corrupt.map(locate('CORRUPT')),
    ],
  };
}

export function fsck(store: NamespaceStore, datanodes: DatanodeManager, root: InodeRow, rootPath: string, details: boolean): FsckReport {
  const summary: FsckSummary = {
    totalSize: 0,
    totalDirs: 0,
    totalFiles: 0,
    openFiles: 0,
    totalBlocks: 0,
    minimallyReplicated: 0,
    overReplicated: 0,
    underReplicated: 0,
    misReplicated: 0,
    missingBlocks: 0,
    corruptBlocks: 0,
    missingReplicas: 0,
    totalLiveReplicas: 0,
    totalExpectedReplicas: 0,
    datanodes: 0,
    racks: 0,
  };
  const files: FsckFile[] = [];
  let truncated = false;
  // Iterative depth-first walk: deep trees never grow the call stack.
  const pending: Array<{ row: InodeRow; path: string }> = [{ row: root, path: rootPath }];
  while (pending.length > 0) {
    const { row, path } = pending.pop()!;
    if (row.type === INODE_DIRECTORY) {
      summary.totalDirs++;
      const children: Array<{ row: InodeRow; path: string }> = [];
      let after = '';
      for (;;) {
        const page = store.children(row.id, after, LISTING_PAGE_ENTRIES);
        for (const child of page) children.push({ row: child, path: path === '/' ? `/${child.name}` : `${path}/${child.name}` });
        if (page.length < LISTING_PAGE_ENTRIES) break;
        after = page[page.length - 1].name;
      }
      // Reversed onto the stack so files come out in name order.
      pending.push(...children.reverse());
      continue;
    }
    summary.totalFiles++;
    summary.totalSize += row.length;
    const openForWrite = row.lease_holder !== null;
    const file: FsckFile = { path, length: row.length, replication: row.replication, openForWrite, blocks: [] };
    if (openForWrite) summary.openFiles++;
    else {
      for (const blockRow of store.blocksOf(row.id)) {
        const block = checkBlockHealth(datanodes, toExtendedBlock(blockRow), row.replication);
        summary.totalBlocks++;
        summary.totalLiveReplicas += block.live;
        summary.totalExpectedReplicas += block.expected;
        if (block.live + block.decommissioning >= 1) summary.minimallyReplicated++;
        if (block.health === 'OVER_REPLICATED') summary.overReplicated++;
        if (block.health === 'UNDER_REPLICATED') summary.underReplicated++;
        if (block.health === 'MISSING') summary.missingBlocks++;
        if (block.health === 'CORRUPT') summary.corruptBlocks++;
        summary.missingReplicas += Math.max(0, block.expected - block.live - block.decommissioning);
        file.blocks.push(block);
      }
    }
    if (details) {
      if (files.length < FSCK_FILES_DETAIL_MAX) files.push(file);
      else truncated = true;
    }
  }
  const inService = datanodes.all().filter((node) => datanodes.state(node) !== 'dead');
  summary.datanodes = inService.length;
  summary.racks = new Set(inService.map((node) => node.info.rack)).size;
  const status = summary.missingBlocks + summary.corruptBlocks > 0 ? 'CORRUPT' : 'HEALTHY';
  return { path: rootPath, status, summary, orphanBlocks: datanodes.orphans.summary(), ...(details ? { files, truncated } : {}) };
}
