// Real namenode and datanode processes for integration tests: started from the built CLI on free
// loopback ports (port 0, the actual port read from the node's "started" log line), each with its
// own temporary folder, and always ended by the test's teardown.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

// The same from the sources (tap) and from dist/test/helpers (the compiled chaos runner).
const REPO_ROOT = resolve(import.meta.dirname, '../..').replace(/[\\/]dist$/, '');
export const CLI = resolve(REPO_ROOT, 'dist/client/cli/main.js');

/** Polls `condition` until it returns a truthy value or the deadline passes (no fixed sleeps). */
export async function waitFor<T>(what: string, condition: () => T | Promise<T>, timeoutMs = 20_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `dfs-${prefix}-`));
}

/** Block ids with a replica file (blk_<id>) under a datanode's data folder. */
export function replicaIds(dir: string): Set<number> {
  const ids = new Set<number>();
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
    const match = /(?:^|\/)blk_(\d+)$/.exec(entry);
    if (match) ids.add(Number(match[1]));
  }
  return ids;
}

export interface CliRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs the built dfs CLI against `namenodes`; resolves with its exit code and output, never throws on failure. */
export function runCli(args: string[], namenodes: string[], input?: Buffer, env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, DFS_NAMENODES: namenodes.join(','), DFS_LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code: code ?? -1, stdout: Buffer.concat(stdout), stderr }));
    child.stdin.end(input);
  });
}

/** How a node process is launched: a wrapper command (e.g. `ip netns exec <ns>`) and extra environment. */
export interface LaunchOptions {
  wrap?: (argv: string[]) => { command: string; args: string[] };
  env?: NodeJS.ProcessEnv;
}

export class NodeProcess {
  child: ChildProcess | null = null;
  url = '';
  port = 0;
  /** The last log lines, printed when a test fails around this node. */
  readonly recentLog: string[] = [];

  constructor(
    readonly name: string,
    readonly role: 'namenode' | 'datanode',
    readonly dataDir: string,
    private readonly extraArgs: () => string[],
    private readonly launch: LaunchOptions = {},
  ) {}

  async start(): Promise<void> {
    const argv = [process.execPath, CLI, this.role, '--port', String(this.port), '--data', this.dataDir, ...this.extraArgs()];
    const { command, args } = this.launch.wrap?.(argv) ?? { command: argv[0], args: argv.slice(1) };
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DFS_LOG_LEVEL: 'info', ...this.launch.env } });
    this.child = child;
    const started = new Promise<string>((resolveUrl, reject) => {
      const lines = createInterface({ input: child.stderr! });
      lines.on('line', (line) => {
        this.recentLog.push(line);
        if (this.recentLog.length > 200) this.recentLog.shift();
        if (line.includes(`"${this.role} started"`)) {
          const parsed = JSON.parse(line) as { url: string };
          resolveUrl(parsed.url);
        }
      });
      child.once('exit', (code, signal) => reject(new Error(`${this.name} exited before starting (code ${code}, signal ${signal}):\n${this.recentLog.slice(-20).join('\n')}`)));
    });
    this.url = await started;
    this.port = Number(new URL(this.url).port);
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Ends the process with `signal` (SIGKILL to simulate a crash) and waits until it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

export interface TestClusterOptions {
  datanodes?: number;
  blockSize?: number;
  replication?: number;
  heartbeatIntervalSeconds?: number;
  deadAfterSeconds?: number;
  staleAfterSeconds?: number;
  /** Extra flags for the namenode. */
  namenodeArgs?: string[];
  /** Extra flags for datanode i (1-based), e.g. a capacity cap or a second data folder. */
  datanodeArgs?: (index: number) => string[];
}

export class TestCluster {
  readonly root = temporaryDirectory('cluster');
  /** Every node gets it, as `dfs cluster` does: peer traffic and block tokens are checked. */
  readonly secret = randomBytes(16).toString('hex');
  namenode!: NodeProcess;
  datanodes: NodeProcess[] = [];

  private constructor(readonly options: TestClusterOptions) {}

  static async start(options: TestClusterOptions = {}): Promise<TestCluster> {
    const cluster = new TestCluster(options);
    try {
      await cluster.boot();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private async boot(): Promise<void> {
    const o = this.options;
    this.namenode = new NodeProcess('nn1', 'namenode', join(this.root, 'nn1'), () => [
      '--block-size', String(o.blockSize ?? 64 * 1024),
      '--replication', String(o.replication ?? 3),
      '--heartbeat-interval', String(o.heartbeatIntervalSeconds ?? 0.5),
      ...(o.deadAfterSeconds ? ['--dead-after', String(o.deadAfterSeconds)] : []),
      ...(o.staleAfterSeconds ? ['--stale-after', String(o.staleAfterSeconds)] : []),
      ...(o.namenodeArgs ?? []),
    ], { env: { DFS_CLUSTER_SECRET: this.secret } });
    await this.namenode.start();
    for (let i = 1; i <= (o.datanodes ?? 3); i++) this.datanodes.push(this.newDatanode(i));
    await Promise.all(this.datanodes.map((node) => node.start()));
    await this.waitForLiveDatanodes(this.datanodes.length);
  }

  private newDatanode(index: number, extraArgs: string[] = []): NodeProcess {
    const o = this.options;
    return new NodeProcess(`dn${index}`, 'datanode', join(this.root, `dn${index}`), () => [
      '--namenodes', this.namenode.url,
      '--heartbeat-interval', String(o.heartbeatIntervalSeconds ?? 0.5),
      ...(o.datanodeArgs?.(index) ?? []),
      ...extraArgs,
    ], { env: { DFS_CLUSTER_SECRET: this.secret } });
  }

  /** Starts one more datanode (it joins the cluster; the caller waits for what it needs). */
  async addDatanode(extraArgs: string[] = []): Promise<NodeProcess> {
    const node = this.newDatanode(this.datanodes.length + 1, extraArgs);
    this.datanodes.push(node);
    await node.start();
    return node;
  }

  async report(): Promise<{ totals: { live: number }; datanodes: Array<{ uuid: string; url: string; state: string; blocks: number }> }> {
    const response = await fetch(`${this.namenode.url}/rpc/v1/admin/report`);
    return (await response.json()) as never;
  }

  async waitForLiveDatanodes(count: number): Promise<void> {
    await waitFor(`${count} live datanodes`, async () => (await this.report()).totals.live >= count);
  }

  /** Runs the dfs CLI against this cluster; never throws on a non-zero exit. */
  dfs(args: string[], input?: Buffer): Promise<CliRun> {
    return runCli(args, [this.namenode.url], input);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.datanodes, this.namenode].filter(Boolean).map((node) => node.stop('SIGKILL')));
    rmSync(this.root, { recursive: true, force: true });
  }
}
