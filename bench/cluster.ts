// A fresh dfs cluster for the suite: real namenode and datanode processes started from the built
// CLI, on free loopback ports, each in its own folder under one temporary root, each node's log in
// <root>/logs/<name>.log. Namenode ports are chosen up front because every member names the
// others in --peers. Every process is registered with cleanup.ts, so none outlives the suite.
// A node writes its log straight into its file: the suite's own process does not relay log lines
// (on 2 cores that relaying would take CPU from the cluster being measured); it reads the file
// only to see a node start and to show a failed node's last lines.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { trackChild } from './cleanup.js';
import { waitFor } from './support.js';

export const CLI_PATH = resolve(import.meta.dirname, '../client/cli/main.js');
export const NODE_START_TIMEOUT_MS = 60_000;
export const CLUSTER_READY_TIMEOUT_MS = 60_000;
export const NODE_STOP_TIMEOUT_MS = 15_000;
export const ADMIN_REQUEST_TIMEOUT_MS = 5_000;
/** Log lines shown of a node when a case fails around it. */
const TAIL_LOG_LINES = 20;
/** The tail is read from the end of the log file, at most this much. */
const TAIL_READ_BYTES = 64 * 1024;
const START_POLL_MS = 25;
/** USER_HZ: the unit of /proc/<pid>/stat times, 100 on Linux on every common architecture. */
const CLOCK_TICKS_PER_S = 100;

export interface BenchClusterOptions {
  root: string;
  namenodes: number;
  datanodes: number;
  replication: number;
  blockSizeBytes: number;
  heartbeatIntervalS: number;
  /** Silence after which a datanode is declared dead (short, for the re-replication case). */
  deadAfterS: number;
  /** When set, every node runs with --cpu-prof and writes its profile here on a graceful stop. */
  profileDir?: string;
}

export interface RaftStatus {
  id: string;
  role: string;
  term: number;
  leader: string | null;
  commit: number;
  applied: number;
}

export interface DatanodeReport {
  totals: { live: number };
  datanodes: Array<{ uuid: string; url: string; state: string; blocks: number }>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function getJson<T>(url: string, timeoutMs = ADMIN_REQUEST_TIMEOUT_MS): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** Node flags that make a process write a CPU profile named after it on exit. */
export function profileFlags(profileDir: string | undefined, name: string): string[] {
  if (!profileDir) return [];
  return ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`];
}

export class ClusterNode {
  child: ChildProcess | null = null;
  url = '';

  constructor(
    readonly name: string,
    readonly role: 'namenode' | 'datanode',
    public port: number,
    readonly dataDir: string,
    private readonly logPath: string,
    private readonly args: () => string[],
    private readonly profileDir: string | undefined,
  ) {}

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error(`${this.name} is not running`);
    return this.child.pid;
  }

  async start(): Promise<void> {
    const argv = [...profileFlags(this.profileDir, this.name), CLI_PATH, this.role, '--port', String(this.port), '--data', this.dataDir, ...this.args()];
    const logFd = openSync(this.logPath, 'a');
    const startOffset = statSync(this.logPath).size;
    let child: ChildProcess;
    try {
      child = trackChild(spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', logFd], env: { ...process.env, DFS_LOG_LEVEL: 'info' } }));
    } finally {
      closeSync(logFd); // the child holds its own copy
    }
    this.child = child;
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`${this.name} exited before starting (code ${code}, signal ${signal}):\n${this.tail()}`)));
    });
    exited.catch(() => undefined);
    // Polling stops once the node exits too (the race is then already lost to `exited`).
    const started = waitFor(`${this.name} to start`, () => (this.running ? this.startedUrl(startOffset) : 'exited'), NODE_START_TIMEOUT_MS, START_POLL_MS).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}:\n${this.tail()}`);
    });
    this.url = await Promise.race([started, exited]);
    this.port = Number(new URL(this.url).port);
  }

  /** The URL in this run's "<role> started" line, once the node has written it. */
  private startedUrl(fromOffset: number): string | undefined {
    const text = readFileSync(this.logPath, 'utf8').slice(fromOffset);
    const line = text.split('\n').find((l) => l.includes(`"${this.role} started"`));
    return line === undefined ? undefined : (JSON.parse(line) as { url: string }).url;
  }

  tail(): string {
    try {
      const size = statSync(this.logPath).size;
      const fd = openSync(this.logPath, 'r');
      try {
        const length = Math.min(size, TAIL_READ_BYTES);
        const buffer = Buffer.alloc(length);
        readSync(fd, buffer, 0, length, size - length);
        return buffer.toString('utf8').trimEnd().split('\n').slice(-TAIL_LOG_LINES).join('\n');
      } finally {
        closeSync(fd);
      }
    } catch {
      return '(no log)';
    }
  }

  /** SIGKILL, as a crash; resolves once the process is gone. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** A graceful stop (profiles are written only this way), falling back to SIGKILL. */
  async stop(): Promise<void> {
    try {
      await this.signal('SIGTERM', NODE_STOP_TIMEOUT_MS);
    } catch {
      await this.signal('SIGKILL');
    }
  }

  private async signal(signal: NodeJS.Signals, timeoutMs = NODE_STOP_TIMEOUT_MS): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms of ${signal}`)), timeoutMs);
    });
    try {
      await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** CPU time (user + system) the process has used so far, in ms, from /proc (Linux); 0 once it is gone. */
  cpuMs(): number {
    try {
      // Fields after the command name: state is the 1st, utime the 12th, stime the 13th (clock ticks).
      const fields = readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
    } catch {
      return 0;
    }
  }

  /** Resident set size in MiB, from /proc (Linux). */
  rssMiB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!match) throw new Error(`no VmRSS for ${this.name}`);
    return Number(match[1]) / 1024;
  }
}

export class BenchCluster {
  namenodes: ClusterNode[] = [];
  datanodes: ClusterNode[] = [];
  readonly secret = randomBytes(16).toString('hex');
  private readonly logDir: string;

  private constructor(readonly options: BenchClusterOptions) {
    this.logDir = join(options.root, 'logs');
    mkdirSync(this.logDir, { recursive: true });
    if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
    // Children inherit the environment: the secret reaches every namenode this way.
    process.env.DFS_CLUSTER_SECRET = this.secret;
  }

  static async start(options: BenchClusterOptions): Promise<BenchCluster> {
    const cluster = new BenchCluster(options);
    await cluster.boot();
    return cluster;
  }

  get namenodeUrls(): string[] {
    return this.namenodes.map((node) => `http://127.0.0.1:${node.port}`);
  }

  private async boot(): Promise<void> {
    const o = this.options;
    const ports: number[] = [];
    for (let i = 0; i < o.namenodes; i++) ports.push(await freePort());
    this.namenodes = ports.map((port, i) => {
      const name = `nn${i + 1}`;
      const dataDir = join(o.root, name);
      return new ClusterNode(name, 'namenode', port, dataDir, join(this.logDir, `${name}.log`), () => [
        '--peers', this.namenodeUrls.join(','),
        // Ignored by a namenode whose folder already holds a Raft log (a restart).
        ...(existsSync(join(dataDir, 'raft')) ? [] : ['--bootstrap']),
        '--block-size', String(o.blockSizeBytes),
        '--replication', String(o.replication),
        '--heartbeat-interval', String(o.heartbeatIntervalS),
        '--dead-after', String(o.deadAfterS),
      ], o.profileDir);
    });
    await Promise.all(this.namenodes.map((node) => node.start()));
    for (let i = 0; i < o.datanodes; i++) this.newDatanode();
    await Promise.all(this.datanodes.map((node) => node.start()));
    await this.waitForLiveDatanodes(this.datanodes.length);
  }

  private newDatanode(): ClusterNode {
    const name = `dn${this.datanodes.length + 1}`;
    const node = new ClusterNode(name, 'datanode', 0, join(this.options.root, name), join(this.logDir, `${name}.log`), () => [
      '--namenodes', this.namenodeUrls.join(','),
      '--heartbeat-interval', String(this.options.heartbeatIntervalS),
    ], this.options.profileDir);
    this.datanodes.push(node);
    return node;
  }

  /** Starts one more datanode and waits until the leader counts it live. */
  async addDatanode(): Promise<ClusterNode> {
    const node = this.newDatanode();
    await node.start();
    await this.waitForLiveDatanodes(this.datanodes.filter((d) => d.running).length);
    return node;
  }

  async raftStatus(node: ClusterNode): Promise<RaftStatus> {
    return getJson<RaftStatus>(`${node.url}/rpc/v1/admin/raft`);
  }

  /** The namenode that currently leads (and whose term no other running node exceeds). */
  async leader(timeoutMs = CLUSTER_READY_TIMEOUT_MS): Promise<ClusterNode> {
    return waitFor(
      'a namenode leader',
      async () => {
        for (const node of this.namenodes.filter((n) => n.running)) {
          const status = await this.raftStatus(node).catch(() => null);
          if (status?.role === 'leader') return node;
        }
        return null;
      },
      timeoutMs,
    );
  }

  async report(): Promise<DatanodeReport> {
    const leader = await this.leader();
    return getJson<DatanodeReport>(`${leader.url}/rpc/v1/admin/report`);
  }

  async waitForLiveDatanodes(count: number): Promise<void> {
    await waitFor(`${count} live datanodes`, async () => (await this.report()).totals.live >= count, CLUSTER_READY_TIMEOUT_MS);
  }

  /** Stops every node: gracefully when profiling (profiles are written on exit), else SIGKILL. */
  async stop(): Promise<void> {
    const nodes = [...this.datanodes, ...this.namenodes];
    await Promise.all(nodes.map((node) => (this.options.profileDir ? node.stop() : node.kill())));
  }

  describeFailure(): string {
    return [...this.namenodes, ...this.datanodes].map((node) => `--- ${node.name} (${node.running ? 'running' : 'exited'})\n${node.tail()}`).join('\n');
  }
}
