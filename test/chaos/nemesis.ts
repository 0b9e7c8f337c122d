// The fault schedule: one fault at a time, chosen by a seeded PRNG, each undone before the next
// (a killed node restarts, a partition heals, a paused node resumes, a read-only data folder
// becomes writable). Stored block corruption stays: the datanodes must find and repair it.
//
// "Unwritable data folder": root ignores permission bits and chmod, so the datanode's data folder
// is bind-mounted read-only over itself (`mount --bind` + `mount -o remount,bind,ro`): every new
// file, rename or fsync'd write there fails with EROFS, for the root datanode too. Only as root.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from '../raft/sim/prng.js';
import { BLOCK_FILE_PATTERN, finalizedDir } from '../../datanode/storage/layout.js';
import type { NodeProcess } from '../helpers/processes.js';
import type { ChaosCluster } from './cluster.js';
import { flipByte } from '../helpers/block-files.js';

export const FAULT_KINDS = [
  'kill-namenode', 'kill-datanode', 'pause-namenode', 'pause-datanode',
  'partition-majority', 'partition-leader', 'partition-follower', 'partition-one-way', 'partition-bridge',
  'corrupt-block', 'truncate-block', 'unwritable-datanode',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface NemesisOptions {
  kinds: readonly FaultKind[];
  /** Pause between two faults, ms. */
  gapMs: [number, number];
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Nemesis {
  readonly faults: Partial<Record<FaultKind, number>> = {};
  private stopping = false;
  private running: Promise<void> | null = null;
  private readonly corrupted = new Set<string>();
  private readonly readOnlyMounts = new Set<string>();
  private readonly paused = new Set<NodeProcess>();
  private readonly onExit = () => this.unmountAll();

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly prng: Prng,
    private readonly options: NemesisOptions,
  ) {
    process.once('exit', this.onExit);
  }

  start(): void {
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      await sleep(this.prng.range(...this.options.gapMs));
      if (this.stopping) break;
      const kind = this.prng.pick(this.options.kinds);
      try {
        if (await this.inject(kind)) this.faults[kind] = (this.faults[kind] ?? 0) + 1;
      } catch (error) {
        this.options.log(`nemesis: ${kind} failed: ${(error as Error).message}`);
      } finally {
        await this.heal();
      }
    }
  }

  /** Stops injecting, undoes the current fault and brings every node back. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    await this.heal();
    process.off('exit', this.onExit);
  }

  /** Undoes whatever is in force: links, pauses, read-only folders, dead nodes. */
  async heal(): Promise<void> {
    this.cluster.network.heal();
    for (const node of this.paused) if (node.running) node.child!.kill('SIGCONT');
    this.paused.clear();
    this.unmountAll();
    for (const node of this.cluster.nodes) {
      if (!node.running) await this.cluster.startNode(node).catch((error: unknown) => this.options.log(`nemesis: restart of ${node.name} failed: ${(error as Error).message}`));
    }
  }

  private async pickNamenode(): Promise<NodeProcess> {
    const leader = await this.cluster.leader();
    // The leader most of the time: its loss is what tests failover.
    if (leader && this.prng.chance(0.6)) return leader;
    return this.prng.pick(this.cluster.namenodes);
  }

  private hold(): Promise<void> {
    return sleep(this.prng.range(1_500, 4_000));
  }

  private cutBoth(a: string, b: string): void {
    this.cluster.network.cut(a, b);
    this.cluster.network.cut(b, a);
  }

  /** Injects one fault and holds it; false when it did not apply (nothing to corrupt yet). */
  private async inject(kind: FaultKind): Promise<boolean> {
    const { cluster, prng } = this;
    const names = cluster.nodes.map((n) => n.name);
    const log = (what: string) => this.options.log(`nemesis: ${kind} ${what}`);
    switch (kind) {
      case 'kill-namenode':
      case 'kill-datanode': {
        const node = kind === 'kill-namenode' ? await this.pickNamenode() : prng.pick(cluster.datanodes);
        log(node.name);
        await node.stop('SIGKILL');
        await sleep(prng.range(500, 3_000));
        return true;
      }
      case 'pause-namenode':
      case 'pause-datanode': {
        const node = kind === 'pause-namenode' ? await this.pickNamenode() : prng.pick(cluster.datanodes);
        if (!node.running) return false;
        log(node.name);
        node.child!.kill('SIGSTOP');
        this.paused.add(node);
        // Longer than the namenodes' election timeout (10 to 20 ticks of 100 ms).
        await sleep(prng.range(2_100, 4_000));
        return true;
      }
      case 'partition-majority': {
        const shuffled = [...names].sort(() => prng.float() - 0.5);
        // The minority holds one namenode (and some datanodes); the majority the other two.
        const minorityNn = prng.pick(cluster.namenodes).name;
        const minority = new Set([minorityNn, ...shuffled.filter((n) => n.startsWith('dn') && prng.chance(0.4))]);
        log(`[${[...minority].join(' ')}] | rest`);
        for (const a of minority) for (const b of names) if (!minority.has(b)) this.cutBoth(a, b);
        await this.hold();
        return true;
      }
      case 'partition-leader':
      case 'partition-follower': {
        const leader = await cluster.leader();
        const candidates = kind === 'partition-leader' ? (leader ? [leader] : cluster.namenodes) : cluster.namenodes.filter((n) => n !== leader);
        const isolated = prng.pick(candidates).name;
        log(isolated);
        for (const b of names) if (b !== isolated) this.cutBoth(isolated, b);
        await this.hold();
        return true;
      }
      case 'partition-one-way': {
        const from = (await this.pickNamenode()).name;
        const others = cluster.namenodes.map((n) => n.name).filter((n) => n !== from);
        const inbound = prng.chance(0.5);
        log(inbound ? `nothing reaches ${from}` : `${from} reaches nobody`);
        for (const b of others) {
          if (inbound) cluster.network.cut(b, from);
          else cluster.network.cut(from, b);
        }
        await this.hold();
        return true;
      }
      case 'partition-bridge': {
        // Two namenodes cannot talk; the third (the bridge) talks to both.
        const [a, bridge, c] = [...cluster.namenodes].sort(() => prng.float() - 0.5).map((n) => n.name);
        log(`${a} x ${c}, bridge ${bridge}`);
        this.cutBoth(a, c);
        await this.hold();
        return true;
      }
      case 'corrupt-block':
      case 'truncate-block': {
        const datanode = prng.pick(cluster.datanodes);
        const blocks = blockFiles(datanode.dataDir).filter((file) => !this.corrupted.has(blockIdOf(file)) && statSync(file).size > 0);
        if (blocks.length === 0) return false;
        const file = prng.pick(blocks);
        // One damaged replica per block at most: the other replicas must still hold the data.
        this.corrupted.add(blockIdOf(file));
        const size = statSync(file).size;
        if (kind === 'truncate-block') {
          const length = prng.int(size);
          truncateSync(file, length);
          log(`${datanode.name} ${file} ${size} -> ${length} bytes`);
        } else {
          flipByte(file, prng.int(size));
          log(`${datanode.name} ${file}`);
        }
        return true;
      }
      case 'unwritable-datanode': {
        if (process.getuid?.() !== 0) return false;
        const datanode = prng.pick(cluster.datanodes);
        const dir = datanode.dataDir;
        execFileSync('mount', ['--bind', dir, dir]);
        this.readOnlyMounts.add(dir);
        execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
        log(datanode.name);
        await this.hold();
        return true;
      }
    }
  }

  private unmountAll(): void {
    for (const dir of this.readOnlyMounts) {
      try {
        execFileSync('umount', ['-l', dir]);
      } catch {
        // not mounted
      }
    }
    this.readOnlyMounts.clear();
  }
}

function blockIdOf(file: string): string {
  return file.slice(file.lastIndexOf('blk_'));
}

/** Every finalized block file under a datanode's data folder. */
function blockFiles(volume: string): string[] {
  const root = finalizedDir(volume);
  if (!existsSync(root)) return [];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (BLOCK_FILE_PATTERN.test(entry.name)) found.push(join(dir, entry.name));
    }
  };
  walk(root);
  return found.sort();
}
