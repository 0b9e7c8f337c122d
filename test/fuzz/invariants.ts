// What must hold after hostile input: every node alive and answering, no file descriptors or
// temporary replicas leaked, and the namespace and the block store exactly as before.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import type { DfsClient } from '../../client/dfs-client.js';
import type { NodeProcess, TestCluster } from '../helpers/processes.js';
import { waitFor } from '../helpers/processes.js';

/** Every file and directory with the attributes a user sees (access time left out: reads may move it). */
export async function namespaceDump(client: DfsClient): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string): Promise<void> => {
    for await (const s of client.list(path)) {
      out.push(`${s.type} ${s.path} len=${s.length} perm=${s.permission.toString(8)} ${s.owner}:${s.group} rep=${s.replication} bs=${s.blockSize} mtime=${s.modificationTime} uc=${s.underConstruction}`);
      if (s.type === 'DIRECTORY') await walk(s.path);
    }
  };
  await walk('/');
  return out.sort();
}

function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Every finalized block and meta file on every datanode, with its size and CRC32C. */
export function blockStoreDump(cluster: TestCluster): string[] {
  return cluster.datanodes.flatMap((node) =>
    filesUnder(join(node.dataDir, 'current', 'finalized')).map((file) => {
      const bytes = readFileSync(file);
      return `${node.name} ${relative(node.dataDir, file)} ${bytes.length} ${crc32c(bytes).toString(16)}`;
    }),
  ).sort();
}

/** Replicas being written: must be none once the datanodes settle. */
export function tmpReplicas(cluster: TestCluster): string[] {
  return cluster.datanodes.flatMap((node) => filesUnder(join(node.dataDir, 'current', 'tmp')).map((file) => `${node.name} ${relative(node.dataDir, file)} ${statSync(file).size}`));
}

export function openFds(node: NodeProcess): number {
  return readdirSync(`/proc/${node.child!.pid}/fd`).length;
}

export function nodesOf(cluster: TestCluster): NodeProcess[] {
  return [cluster.namenode, ...cluster.datanodes];
}

/** Alive (pid) and answering /metrics. */
export async function assertAnswering(node: NodeProcess): Promise<void> {
  if (!node.running) throw new Error(`${node.name} is not running (exit ${node.child?.exitCode}, signal ${node.child?.signalCode}):\n${node.recentLog.slice(-20).join('\n')}`);
  process.kill(node.child!.pid!, 0);
  const response = await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${node.name} answered /metrics with ${response.status}`);
}

export interface Baseline {
  namespace: string[];
  blocks: string[];
  fds: Map<string, number>;
}

export async function takeBaseline(cluster: TestCluster, client: DfsClient): Promise<Baseline> {
  return {
    namespace: await namespaceDump(client),
    blocks: blockStoreDump(cluster),
    fds: new Map(nodesOf(cluster).map((node) => [node.name, openFds(node)])),
  };
}

/** Descriptors a node may hold beyond its baseline (pooled keep-alive sockets, log files). */
export const FD_GROWTH_MAX = 24;

/** Waits for the cluster to settle back to its baseline; throws naming what differs. */
export async function assertUnchanged(cluster: TestCluster, client: DfsClient, baseline: Baseline): Promise<void> {
  for (const node of nodesOf(cluster)) await assertAnswering(node);
  await waitFor('no temporary replicas left', () => tmpReplicas(cluster).length === 0, 30_000, 200).catch((error: Error) => {
    throw new Error(`${error.message}: ${tmpReplicas(cluster).join(', ')}`);
  });
  await waitFor('file descriptors back near the baseline', () => nodesOf(cluster).every((node) => openFds(node) <= baseline.fds.get(node.name)! + FD_GROWTH_MAX), 30_000, 200).catch((error: Error) => {
    const now = nodesOf(cluster).map((node) => `${node.name} ${baseline.fds.get(node.name)} -> ${openFds(node)}`);
    throw new Error(`${error.message}: ${now.join(', ')}`);
  });
  const namespace = await namespaceDump(client);
  const blocks = blockStoreDump(cluster);
  const diff = (before: string[], after: string[]) => [...after.filter((x) => !before.includes(x)).map((x) => `+ ${x}`), ...before.filter((x) => !after.includes(x)).map((x) => `- ${x}`)];
  const changes = [...diff(baseline.namespace, namespace), ...diff(baseline.blocks, blocks)];
  if (changes.length > 0) throw new Error(`namespace or block store changed:\n${changes.slice(0, 40).join('\n')}`);
}
