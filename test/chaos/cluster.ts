// The cluster a chaos run attacks: 3 namenodes (a Raft group) and 4+ datanodes as real processes,
// placed on a ChaosNetwork (own namespaces, or behind fault-injecting proxies), with short timers
// (heartbeats, dead-after, lease limits) so failures are noticed and repaired within a short run.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DfsClient } from '../../client/dfs-client.js';
import { NodeProcess } from '../helpers/processes.js';
import { createNetwork, type ChaosNetwork, type NetworkMode } from './network.js';

export interface ChaosClusterOptions {
  root: string;
  mode: NetworkMode | 'auto';
  namenodes?: number;
  datanodes?: number;
  blockSizeBytes: number;
  /** A planted bug for the namenodes (shared/test-only-bug.ts). */
  testOnlyBug?: string;
}

const NAMENODE_PORT = 9870;
const DATANODE_PORT = 9864;
export const LEASE_SOFT_LIMIT_S = 5;
export const LEASE_HARD_LIMIT_S = 10;

export class ChaosCluster {
  namenodes: NodeProcess[] = [];
  datanodes: NodeProcess[] = [];
  /** On an abrupt exit (Ctrl-C, a crash of the harness) no node may outlive the harness. */
  private readonly onExit = () => {
    for (const node of this.nodes) if (node.running) node.child!.kill('SIGKILL');
  };

  private constructor(
    readonly options: ChaosClusterOptions,
    readonly network: ChaosNetwork,
  ) {
    process.once('exit', this.onExit);
  }

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const nn = Array.from({ length: options.namenodes ?? 3 }, (_, i) => `nn${i + 1}`);
    const dn = Array.from({ length: options.datanodes ?? 4 }, (_, i) => `dn${i + 1}`);
    const network = await createNetwork(options.mode, [...nn, ...dn], (node) => (node.startsWith('nn') ? NAMENODE_PORT : DATANODE_PORT));
    const cluster = new ChaosCluster(options, network);
    try {
      await cluster.boot(nn, dn);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get namenodeUrls(): string[] {
    return this.namenodes.map((node) => this.network.endpoint(node.name).url);
  }

  urlOf(node: NodeProcess): string {
    return this.network.endpoint(node.name).url;
  }

  private listenArgs(name: string): string[] {
    const { host, port, url } = this.network.endpoint(name);
    // After NodeProcess's own --port: the last one counts, so a restart keeps the planned port.
    return ['--host', host, '--port', String(port), '--advertised-url', url];
  }

  private async boot(nn: string[], dn: string[]): Promise<void> {
    mkdirSync(this.options.root, { recursive: true });
    const secretFile = join(this.options.root, 'cluster-secret');
    writeFileSync(secretFile, randomBytes(16).toString('hex'), { mode: 0o600 });
    const founding = { value: true };
    const env = this.options.testOnlyBug ? { DFS_TEST_ONLY_BUG: this.options.testOnlyBug } : {};
    const launch = (name: string) => ({ wrap: (argv: string[]) => this.network.wrap(name, argv), env });
    this.namenodes = nn.map(
      (name) =>
        new NodeProcess(name, 'namenode', join(this.options.root, name), () => [
          ...this.listenArgs(name),
          '--peers', this.namenodeUrls.join(','),
          ...(founding.value ? ['--bootstrap'] : []),
          '--cluster-secret-file', secretFile,
          '--block-size', String(this.options.blockSizeBytes),
          '--replication', '3',
          '--heartbeat-interval', '0.3',
          '--dead-after', '3',
          '--lease-soft-limit', String(LEASE_SOFT_LIMIT_S),
          '--lease-hard-limit', String(LEASE_HARD_LIMIT_S),
        ], launch(name)),
    );
    this.datanodes = dn.map(
      (name) =>
        new NodeProcess(name, 'datanode', join(this.options.root, name), () => [
          ...this.listenArgs(name),
          '--namenodes', this.namenodeUrls.join(','),
          '--cluster-secret-file', secretFile,
          '--heartbeat-interval', '0.3',
        ], launch(name)),
    );
    await Promise.all(this.namenodes.map((node) => this.startNode(node)));
    founding.value = false;
    await Promise.all(this.datanodes.map((node) => this.startNode(node)));
    await this.waitForHealthy(60_000);
  }

  async startNode(node: NodeProcess): Promise<void> {
    await node.start();
    if (node.child?.pid) this.network.registerPid(node.name, node.child.pid);
  }

  get nodes(): NodeProcess[] {
    return [...this.namenodes, ...this.datanodes];
  }

  node(name: string): NodeProcess {
    return this.nodes.find((node) => node.name === name)!;
  }

  /** A client of every namenode, or of the ones given. */
  client(namenodes: string[] = this.namenodeUrls): DfsClient {
    return new DfsClient({ namenodes });
  }

  private async raftRole(node: NodeProcess): Promise<string | null> {
    if (!node.running) return null;
    try {
      const response = await fetch(`${this.urlOf(node)}/rpc/v1/admin/raft`, { signal: AbortSignal.timeout(1_000) });
      return ((await response.json()) as { role: string }).role;
    } catch {
      return null;
    }
  }

  /** The namenode that says it leads, if one answers quickly. */
  async leader(): Promise<NodeProcess | null> {
    const roles = await Promise.all(this.namenodes.map((node) => this.raftRole(node)));
    const index = roles.indexOf('leader');
    return index >= 0 ? this.namenodes[index] : null;
  }

  /** Waits for a leader that serves the namespace and sees every running datanode live. */
  async waitForHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no leader';
    while (Date.now() < deadline) {
      const leader = await this.leader();
      if (leader) {
        try {
          const response = await fetch(`${this.urlOf(leader)}/rpc/v1/admin/report`, { signal: AbortSignal.timeout(2_000) });
          const live = ((await response.json()) as { totals: { live: number } }).totals.live;
          const wanted = this.datanodes.filter((d) => d.running).length;
          if (live >= wanted) return;
          last = `${live} of ${wanted} datanodes live`;
        } catch (error) {
          last = (error as Error).message;
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`cluster not healthy within ${timeoutMs} ms: ${last}`);
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) if (node.child && node.running) node.child.kill('SIGCONT');
    await Promise.all(this.nodes.map((node) => node.stop('SIGKILL')));
    await this.network.close();
    process.off('exit', this.onExit);
  }
}
