// Where chaos nodes live on the network, and how the harness cuts links between them.
//   netns: each node in its own network namespace (veth pair to a bridge the harness creates, in a
//          private 10.213.x.0/24); a cut A→B is a blackhole route to B inside A's namespace, so A's
//          packets to B vanish (both ways: one route on each side). Needs root and `ip netns`.
//   proxy: every node listens on loopback behind a TCP proxy it advertises; the proxy finds which
//          node opened each connection (its socket's owner in /proc) and stalls the bytes of a cut
//          direction, as a partitioned link whose packets are retransmitted in vain.
// Both remove everything they created on close, and on process exit.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '../helpers/raft-cluster.js';

export type NetworkMode = 'netns' | 'proxy';

export interface Endpoint {
  /** Address the node listens on. */
  host: string;
  port: number;
  /** URL every other node and client uses to reach it. */
  url: string;
}

export interface ChaosNetwork {
  readonly mode: NetworkMode;
  endpoint(node: string): Endpoint;
  /** The command that starts `argv` as `node` (inside its namespace in netns mode). */
  wrap(node: string, argv: string[]): { command: string; args: string[] };
  /** Tells the network the pid serving `node` (the proxy recognises its connections by it). */
  registerPid(node: string, pid: number): void;
  /** Drops (netns) or stalls (proxy) everything `from` sends to `to`. */
  cut(from: string, to: string): void;
  /** Every link works again. */
  heal(): void;
  close(): Promise<void>;
}

const ip = (args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/** True when this process can create network namespaces (root and a working `ip netns`). */
export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = `dfsc-probe-${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces and bridges left by chaos runs whose process is gone (a SIGKILLed harness). */
function sweepLeftovers(): void {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((line) => line.split(' ')[0]);
  for (const ns of namespaces) {
    const match = /^dfsc-(\d+)x/.exec(ns);
    if (match && !alive(Number(match[1]))) ip(['netns', 'del', ns]);
  }
  const links = execFileSync('ip', ['-o', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' });
  for (const match of links.matchAll(/^\d+: (dcb(\d+)x\d+)[:@]/gm)) if (!alive(Number(match[2]))) ip(['link', 'del', match[1]]);
}

/** Networks built by this process so far: several may run side by side (names stay distinct). */
let netnsInstances = 0;

export class NetnsNetwork implements ChaosNetwork {
  readonly mode = 'netns';
  private readonly tag = `${process.pid}x${netnsInstances++}`;
  private readonly bridge = `dcb${this.tag}`;
  private readonly subnet: string;
  private readonly addresses = new Map<string, string>();
  private readonly routes = new Set<string>();
  private readonly created: string[] = [];
  private readonly onExit = () => this.removeAll();

  constructor(
    private readonly nodes: readonly string[],
    private readonly ports: (node: string) => number,
  ) {
    sweepLeftovers();
    const used = execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' });
    let third = (process.pid % 250) + 1;
    while (used.includes(`10.213.${third}.`)) third = (third % 250) + 1;
    this.subnet = `10.213.${third}`;
    process.once('exit', this.onExit);
    try {
      this.build();
    } catch (error) {
      this.removeAll();
      throw error;
    }
  }

  private namespace(node: string): string {
    return `dfsc-${this.tag}-${node}`;
  }

  private build(): void {
    ip(['link', 'add', this.bridge, 'type', 'bridge']);
    ip(['addr', 'add', `${this.subnet}.1/24`, 'dev', this.bridge]);
    ip(['link', 'set', this.bridge, 'up']);
    this.nodes.forEach((node, i) => {
      const ns = this.namespace(node);
      const hostSide = `dcv${this.tag}n${i}`;
      const nsSide = `dcp${this.tag}n${i}`;
      const address = `${this.subnet}.${10 + i}`;
      ip(['netns', 'add', ns]);
      this.created.push(ns);
      ip(['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide]);
      ip(['link', 'set', nsSide, 'netns', ns]);
      ip(['link', 'set', hostSide, 'master', this.bridge]);
      ip(['link', 'set', hostSide, 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'link', 'set', nsSide, 'name', 'eth0']);
      ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      this.addresses.set(node, address);
    });
  }

  endpoint(node: string): Endpoint {
    const host = this.addresses.get(node)!;
    const port = this.ports(node);
    return { host, port, url: `http://${host}:${port}` };
  }

  wrap(node: string, argv: string[]): { command: string; args: string[] } {
    // `ip netns exec` execs the command: the child's pid is the node's, for kill and SIGSTOP.
    return { command: 'ip', args: ['netns', 'exec', this.namespace(node), ...argv] };
  }

  registerPid(): void {}

  cut(from: string, to: string): void {
    const key = `${from}>${to}`;
    if (this.routes.has(key)) return;
    ip(['-n', this.namespace(from), 'route', 'add', 'blackhole', `${this.addresses.get(to)}/32`]);
    this.routes.add(key);
  }

  heal(): void {
    for (const key of this.routes) {
      const [from, to] = key.split('>');
      ip(['-n', this.namespace(from), 'route', 'del', 'blackhole', `${this.addresses.get(to)}/32`]);
    }
    this.routes.clear();
  }

  private removeAll(): void {
    for (const ns of this.created.splice(0)) {
      try {
        ip(['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
    try {
      ip(['link', 'del', this.bridge]);
    } catch {
      // already gone
    }
  }

  async close(): Promise<void> {
    this.removeAll();
    process.off('exit', this.onExit);
  }
}

/** The socket inodes a process holds open, from /proc/<pid>/fd. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** The inode of the loopback TCP socket bound to local port `port` and connected to `remotePort`. */
function loopbackSocketInode(port: number, remotePort: number): string | null {
  const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  const lines = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === `0100007F:${hex(port)}` && fields[2] === `0100007F:${hex(remotePort)}`) return fields[9];
  }
  return null;
}

interface Link {
  client: Socket;
  upstream: Socket;
  source: string | null;
  target: string;
  /** Bytes held back while a direction is cut: to the node, and back to the client. */
  held: { up: Buffer[]; down: Buffer[] };
}

export class ProxyNetwork implements ChaosNetwork {
  readonly mode = 'proxy';
  private readonly proxyPorts = new Map<string, number>();
  private readonly backendPorts = new Map<string, number>();
  private readonly servers: Server[] = [];
  private readonly pids = new Map<string, number>();
  private readonly cuts = new Set<string>();
  private readonly links = new Set<Link>();

  static async create(nodes: readonly string[]): Promise<ProxyNetwork> {
    const network = new ProxyNetwork();
    for (const node of nodes) {
      network.backendPorts.set(node, await freePort());
      const server = createServer((socket) => network.accept(node, socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      network.proxyPorts.set(node, typeof address === 'object' && address ? address.port : 0);
      network.servers.push(server);
    }
    return network;
  }

  endpoint(node: string): Endpoint {
    // The node listens on its backend port and advertises the proxy in front of it.
    return { host: '127.0.0.1', port: this.backendPorts.get(node)!, url: `http://127.0.0.1:${this.proxyPorts.get(node)!}` };
  }

  wrap(_node: string, argv: string[]): { command: string; args: string[] } {
    return { command: argv[0], args: argv.slice(1) };
  }

  registerPid(node: string, pid: number): void {
    this.pids.set(node, pid);
  }

  /** Which node opened `socket` (null: the harness or a client). */
  private sourceOf(socket: Socket, proxyPort: number): string | null {
    const inode = loopbackSocketInode(socket.remotePort ?? 0, proxyPort);
    if (!inode) return null;
    for (const [node, pid] of this.pids) if (socketInodes(pid).has(inode)) return node;
    return null;
  }

  private accept(target: string, client: Socket): void {
    const source = this.sourceOf(client, this.proxyPorts.get(target)!);
    const upstream = connect(this.backendPorts.get(target)!, '127.0.0.1');
    const link: Link = { client, upstream, source, target, held: { up: [], down: [] } };
    this.links.add(link);
    const end = () => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (this.isCut(link.source, link.target)) link.held.up.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.isCut(link.target, link.source)) link.held.down.push(chunk);
      else client.write(chunk);
    });
  }

  private isCut(from: string | null, to: string | null): boolean {
    return from !== null && to !== null && this.cuts.has(`${from}>${to}`);
  }

  /** Sends what a healed direction held back. */
  private flush(link: Link): void {
    if (!this.isCut(link.source, link.target)) for (const chunk of link.held.up.splice(0)) link.upstream.write(chunk);
    if (!this.isCut(link.target, link.source)) for (const chunk of link.held.down.splice(0)) link.client.write(chunk);
  }

  cut(from: string, to: string): void {
    this.cuts.add(`${from}>${to}`);
  }

  heal(): void {
    this.cuts.clear();
    for (const link of this.links) this.flush(link);
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

export async function createNetwork(mode: NetworkMode | 'auto', nodes: readonly string[], ports: (node: string) => number): Promise<ChaosNetwork> {
  const chosen = mode === 'auto' ? (netnsAvailable() ? 'netns' : 'proxy') : mode;
  if (chosen === 'netns') {
    if (!netnsAvailable()) throw new Error('netns mode needs root and a working `ip netns`');
    return new NetnsNetwork(nodes, ports);
  }
  return ProxyNetwork.create(nodes);
}
