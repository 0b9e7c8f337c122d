// Throughput of the Raft core alone: a 3-node cluster in memory (no disk, no network), clients
// proposing in batches, every Ready persisted to an in-memory log and its messages delivered at
// once. Prints committed entries per second.
//   node dist/bench/raft-core.js [--entries N] [--batch B] [--payload BYTES]

import { MemoryLogStorage, RaftNode, initialMemberState, type Message } from '../namenode/raft/core/index.js';

export interface RaftCoreBenchOptions {
  /** Entries to commit (default 500,000). */
  entries?: number;
  /** Proposals per batch between Ready rounds (default 512). */
  batch?: number;
  payloadBytes?: number;
}

export interface RaftCoreBenchResult {
  entriesPerSecond: number;
  entries: number;
  elapsedMs: number;
}

const NODE_IDS = ['n1', 'n2', 'n3'];
/** Ready rounds without progress before the bench gives up (a stuck cluster is a bug). */
const IDLE_ROUNDS_MAX = 1000;

export async function runRaftCoreBench(options: RaftCoreBenchOptions = {}): Promise<RaftCoreBenchResult> {
  const target = options.entries ?? 500_000;
  const batch = options.batch ?? 512;
  const payload = new Uint8Array(options.payloadBytes ?? 64);
  let seed = 1;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const storages = new Map<string, MemoryLogStorage>();
  const nodes = new Map<string, RaftNode>();
  for (const id of NODE_IDS) {
    const initial = initialMemberState(NODE_IDS);
    const storage = new MemoryLogStorage(initial.snapshot);
    storage.setHardState(initial.hardState);
    storages.set(id, storage);
    nodes.set(id, new RaftNode({ id, storage, hardState: initial.hardState, snapshot: initial.snapshot, random }));
  }
  const inbox: Message[] = [];
  const leader = nodes.get('n1') as RaftNode;
  for (let i = 0; i < 30 && !leader.isLeader(); i++) {
    leader.tick();
    pump(nodes, storages, inbox);
  }
  if (!leader.isLeader()) throw new Error('raft bench: no leader elected');
  pump(nodes, storages, inbox);

  const started = performance.now();
  const startCommit = leader.log.committed;
  let idleRounds = 0;
  while (leader.log.committed - startCommit < target) {
    const before = leader.log.committed;
    for (let i = 0; i < batch; i++) {
      const result = leader.propose(payload);
      if (!result.accepted) break;
    }
    pump(nodes, storages, inbox);
    idleRounds = leader.log.committed === before ? idleRounds + 1 : 0;
    if (idleRounds > IDLE_ROUNDS_MAX) throw new Error('raft bench: commit stopped advancing');
    // Compact now and then, as an application would, so the in-memory logs stay small.
    if (leader.log.applied - leader.log.snapshot.index > 100_000) {
      for (const [id, node] of nodes) {
        const metadata = node.compact(node.log.applied, `${id}@${node.log.applied}`);
        if (metadata !== null) storages.get(id)?.compact(metadata);
      }
    }
  }
  const elapsedMs = performance.now() - started;
  const entries = leader.log.committed - startCommit;
  return { entriesPerSecond: Math.round(entries / (elapsedMs / 1000)), entries, elapsedMs };
}

/** Runs Ready rounds until no node has anything left: persist, deliver, apply, advance. */
function pump(nodes: Map<string, RaftNode>, storages: Map<string, MemoryLogStorage>, inbox: Message[]): void {
  for (let round = 0; round < 100; round++) {
    let any = false;
    for (const [id, node] of nodes) {
      if (!node.hasReady()) continue;
      any = true;
      const rd = node.ready();
      const storage = storages.get(id) as MemoryLogStorage;
      if (rd.snapshot !== null) storage.applySnapshot(rd.snapshot.metadata);
      storage.append(rd.entries);
      if (rd.hardState !== null) storage.setHardState(rd.hardState);
      for (const m of rd.messages) inbox.push(m);
      for (const m of rd.messagesAfterPersist) inbox.push(m);
      node.advance();
    }
    while (inbox.length > 0) {
      const batch = inbox.splice(0, inbox.length);
      for (const m of batch) nodes.get(m.to)?.step(m);
    }
    if (!any) return;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string): number | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const result = await runRaftCoreBench({ entries: value('--entries'), batch: value('--batch'), payloadBytes: value('--payload') });
  process.stdout.write(`raft core (3 nodes, in memory): ${result.entries} entries committed in ${result.elapsedMs.toFixed(0)} ms = ${result.entriesPerSecond} entries/s\n`);
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
}
