// A cluster with a Raft group of namenodes (real processes), for tests of failover, catch-up and
// membership. Namenode ports are chosen up front because every member names the others.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { DfsClient } from '../../client/dfs-client.js';
import { peerHeaders } from '../../shared/peer-auth.js';
import { NodeProcess, replicaIds, runCli, temporaryDirectory, waitFor, type CliRun } from './processes.js';

export interface RaftStatusView {
  id: string;
  url: string;
  role: string;
  term: number;
  leader: string | null;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
  voters: string[];
  learners: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RaftClusterOptions {
  namenodes?: number;
  datanodes?: number;
  blockSize?: number;
  replication?: number;
  snapshotEntries?: number;
  /** More flags for every namenode. */
  namenodeArgs?: string[];
  /** More flags for every datanode (e.g. a capacity cap, for figures that do not move with the disk). */
  datanodeArgs?: string[];
}

export class RaftTestCluster {
  readonly root = temporaryDirectory('raft-cluster');
  readonly secret = randomBytes(16).toString('hex');
  namenodes: NodeProcess[] = [];
  datanodes: NodeProcess[] = [];
  private ports: number[] = [];

  private constructor(readonly options: RaftClusterOptions) {
    // Children inherit the environment: the secret reaches every namenode this way.
    process.env.DFS_CLUSTER_SECRET = this.secret;
  }

  static async start(options: RaftClusterOptions = {}): Promise<RaftTestCluster> {
    const cluster = new RaftTestCluster(options);
    try {
      await cluster.boot();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get urls(): string[] {
    return this.ports.map((port) => `http://127.0.0.1:${port}`);
  }

  /** Arguments of namenode i; `bootstrap` only for the founding start. */
  private namenodeArgs(peers: () => string[], bootstrap: { value: boolean }): () => string[] {
    const o = this.options;
    return () => [
      '--peers', peers().join(','),
      ...(bootstrap.value ? ['--bootstrap'] : []),
      '--block-size', String(o.blockSize ?? 64 * 1024),
      '--replication', String(o.replication ?? 3),
      '--heartbeat-interval', '0.5',
      ...(o.snapshotEntries ? ['--snapshot-entries', String(o.snapshotEntries)] : []),
      ...(o.namenodeArgs ?? []),
    ];
  }

  private async boot(): Promise<void> {
    const count = this.options.namenodes ?? 3;
    // A port is free only until someone binds it: the OS may hand the same one out twice in a row,
    // and two namenodes on one port never start (the second waits forever on a port in use).
    while (this.ports.length < count) {
      const port = await freePort();
      if (!this.ports.includes(port)) this.ports.push(port);
    }
    const founding = { value: true };
    this.namenodes = this.ports.map((port, i) => {
      const node = new NodeProcess(`nn${i + 1}`, 'namenode', join(this.root, `nn${i + 1}`), this.namenodeArgs(() => this.urls, founding));
      node.port = port;
      return node;
    });
    await Promise.all(this.namenodes.map((node) => node.start()));
    founding.value = false;
    for (let i = 1; i <= (this.options.datanodes ?? 3); i++) {
      this.datanodes.push(
        new NodeProcess(`dn${i}`, 'datanode', join(this.root, `dn${i}`), () => ['--namenodes', this.urls.join(','), '--heartbeat-interval', '0.5', ...(this.options.datanodeArgs ?? [])]),
      );
    }
    await Promise.all(this.datanodes.map((node) => node.start()));
    await this.waitForReady();
  }

  async status(node: NodeProcess): Promise<RaftStatusView> {
    const response = await fetch(`${node.url}/rpc/v1/admin/raft`, { signal: AbortSignal.timeout(2_000) });
    return (await response.json()) as RaftStatusView;
  }

  /** The namenode that is leader and serves writes. */
  async leader(timeoutMs = 20_000): Promise<NodeProcess> {
    return waitFor(
      'a namenode leader',
      async () => {
        for (const node of this.namenodes.filter((n) => n.running)) {
          const status = await this.status(node).catch(() => null);
          if (status?.role === 'leader') return node;
        }
        return null;
      },
      timeoutMs,
    );
  }

  async waitForReady(): Promise<void> {
    // Vouched for with the cluster secret, so it also gets in when the namenodes require tokens.
    const user = userInfo().username;
    const client = new DfsClient({ namenodes: this.urls, user, headers: peerHeaders(this.secret, user) });
    try {
      await waitFor('the namespace to answer', () => client.exists('/').then(() => true), 30_000);
      // Block locations are soft state: every namenode (a read may go to any) must have every
      // running datanode live and its full block report in, not only its registration.
      const running = this.datanodes.filter((d) => d.running);
      await waitFor('datanodes to register and report their blocks to every namenode', async () => {
        for (const namenode of this.namenodes.filter((n) => n.running)) {
          const report = (await (await fetch(`${namenode.url}/rpc/v1/admin/report`)).json()) as { datanodes: Array<{ url: string; state: string; blocks: number }> };
          for (const datanode of running) {
            const seen = report.datanodes.find((d) => d.url === datanode.url);
            if (!seen || seen.state !== 'live' || (seen.blocks === 0 && replicaIds(datanode.dataDir).size > 0)) return false;
          }
        }
        return true;
      });
    } finally {
      await client.close();
    }
  }

  /** A client acting as the superuser (the user running the namenodes) unless told otherwise. */
  client(user = userInfo().username): DfsClient {
    return new DfsClient({ namenodes: this.urls, user });
  }

  /** Adds a namenode with an empty folder: it asks the group to take it in. */
  async addNamenode(): Promise<NodeProcess> {
    const port = await freePort();
    const index = this.namenodes.length + 1;
    const node = new NodeProcess(`nn${index}`, 'namenode', join(this.root, `nn${index}`), this.namenodeArgs(() => [...this.urls, `http://127.0.0.1:${port}`], { value: false }));
    node.port = port;
    this.ports.push(port);
    this.namenodes.push(node);
    await node.start();
    return node;
  }

  dfs(args: string[], input?: Buffer): Promise<CliRun> {
    return runCli(args, this.urls, input);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.datanodes, ...this.namenodes].map((node) => node.stop('SIGKILL')));
    rmSync(this.root, { recursive: true, force: true });
  }
}
