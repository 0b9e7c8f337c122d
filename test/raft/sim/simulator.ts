// The deterministic cluster simulator: N Raft cores plus one spare node, driven by virtual time
// through a seeded PRNG, a faulty network, disks that lose unsynced writes on crash, clients that
// propose commands and issue linearizable reads, and a chaos agent that crashes, restarts,
// partitions, heals, changes membership and transfers leadership. Invariants are checked after
// every step; a run ends with a heal-and-settle phase that checks liveness and durability.

import { AssertionFailure } from '../../../shared/assert.js';
import { RaftNode, initialMemberState, joiningNodeState, type ConfChange, type ProposeResult, type Message, type Ready, type TestOnlyBugs } from '../../../namenode/raft/core/index.js';
import { EntryType, type NodeId } from '../../../namenode/raft/types.js';
import { Checker, InvariantViolation } from './checker.js';
import { SimDisk } from './disk.js';
import { EventQueue } from './event-queue.js';
import { Network } from './network.js';
import { Prng } from './prng.js';
import { encodeCommand, entryKey, type MachineState } from './state-machine.js';

export const BUG_NAMES = ['commitPreviousTermByCount', 'voteWithoutLogCheck', 'ackBeforePersist'] as const;
export type BugName = (typeof BUG_NAMES)[number];

export const TICK_MS = 100;
export const ELECTION_TICKS = 10;
export const HEARTBEAT_TICKS = 1;
const EVENT_QUEUE_CAPACITY = 1_000_000;
const TRACE_EVENTS_DEFAULT = 50;
/** Time allowed after the final heal for a leader to emerge and commit, and for nodes to catch up. */
const SETTLE_LIMIT_MS = 60_000;
const STAGED_SNAPSHOTS_MAX = 4;
const PROPOSALS_PER_CLIENT_EVENT_MAX = 8;

export interface SimOptions {
  seed: number;
  steps: number;
  nodes: 3 | 5;
  plantBug?: BugName;
  /** Events kept for the failure trace (default 50). */
  traceEvents?: number;
  /** Liveness bound: an election after a leader crash on a healed network must take at most this. */
  electionTicksMax?: number;
}

/** Default liveness bound on an election after a leader crash (a few randomized timeouts). */
export const ELECTION_TICKS_MAX_DEFAULT = 8 * ELECTION_TICKS;

export type FaultCounts = Record<string, number>;

export interface SimResult {
  seed: number;
  nodes: number;
  steps: number;
  settleSteps: number;
  ok: boolean;
  violation: string | null;
  faults: FaultCounts;
  /** Ticks from killing a healthy leader to a new leader being elected (null: not measured). */
  electionTicks: number | null;
  /** Ticks from killing a healthy leader to the new leader committing an entry of its term. */
  leaderReadyTicks: number | null;
  /** Ticks from the final heal to a leader committing in its term. */
  recoveryTicks: number | null;
  committedIndex: number;
  ackedCommands: number;
  simulatedMs: number;
  trace: string[];
  replay: string;
}

type SimEvent =
  | { kind: 'tick'; host: Host; incarnation: number }
  | { kind: 'deliver'; message: Message; snapshot: MachineState | null }
  | { kind: 'fsync'; host: Host; incarnation: number }
  | { kind: 'snapshotReport'; host: Host; incarnation: number; to: NodeId; ok: boolean }
  | { kind: 'client' }
  | { kind: 'read' }
  | { kind: 'chaos' }
  | { kind: 'churn'; host: Host; incarnation: number };

interface Proposal {
  commandId: number;
  term: number;
  key: number;
}

class Host {
  alive = true;
  incarnation = 0;
  core!: RaftNode;
  sm: MachineState = { index: 0, hash: 0 };
  inFlight: Ready | null = null;
  readonly staged = new Map<number, MachineState>();
  readonly proposals = new Map<number, Proposal>();
  readonly reads = new Map<string, number>();
  wasLeader = false;
  /** Highest commit index of this node already reported to the checker. */
  checkedCommit = 0;

  constructor(readonly id: NodeId, readonly disk: SimDisk, readonly random: Prng) {}
}

interface TraceRecord {
  timeMs: number;
  text: string | null;
  event: SimEvent | null;
}

export class Simulation {
  private readonly prng: Prng;
  private readonly queue = new EventQueue<SimEvent>(EVENT_QUEUE_CAPACITY);
  private readonly network: Network;
  private readonly checker = new Checker();
  private readonly hosts: Host[] = [];
  private readonly byId = new Map<NodeId, Host>();
  private readonly faults: FaultCounts = {};
  private readonly trace: TraceRecord[] = [];
  private traceNext = 0;
  private readonly bugs: TestOnlyBugs;
  private chaosEnabled = true;
  private nextCommandId = 1;
  private nextReadId = 1;
  private readonly compactEveryEntries: number;
  private readonly chaosIntervalMsMax: number;
  private readonly fsyncMsMax: number;
  private readonly maxEntriesPerAppend: number;
  private readonly traceEventsMax: number;
  /** Chance that a newly elected leader is crashed or isolated moments later (leader churn). */
  private readonly leaderChurnRate: number;
  private steps = 0;
  private settleSteps = 0;

  constructor(private readonly options: SimOptions) {
    this.prng = new Prng(options.seed);
    this.network = new Network(Network.randomFaults(this.prng));
    this.compactEveryEntries = this.prng.range(10, 200);
    this.chaosIntervalMsMax = this.prng.pick([100, 300, 1000, 3000]);
    this.fsyncMsMax = this.prng.range(1, 30);
    this.maxEntriesPerAppend = this.prng.pick([1, 2, 4, 16, 64]);
    this.traceEventsMax = options.traceEvents ?? TRACE_EVENTS_DEFAULT;
    this.leaderChurnRate = this.prng.pick([0, 0.1, 0.3, 0.6]);
    this.bugs = options.plantBug === undefined ? {} : { [options.plantBug]: true };
    const voters: NodeId[] = [];
    for (let i = 1; i <= options.nodes; i++) voters.push(`n${i}`);
    const spare = `n${options.nodes + 1}`;
    for (const id of [...voters, spare]) {
      const initial = id === spare ? joiningNodeState() : initialMemberState(voters);
      const host = new Host(id, new SimDisk(initial), this.prng.fork());
      this.hosts.push(host);
      this.byId.set(id, host);
      this.startCore(host);
    }
  }

  run(): SimResult {
    let violation: string | null = null;
    let electionTicks: number | null = null;
    let leaderReadyTicks: number | null = null;
    let recoveryTicks: number | null = null;
    try {
      this.queue.schedule(this.prng.range(0, 50), { kind: 'client' });
      this.queue.schedule(this.prng.range(0, 200), { kind: 'read' });
      this.queue.schedule(this.prng.range(0, this.chaosIntervalMsMax), { kind: 'chaos' });
      for (; this.steps < this.options.steps; this.steps++) this.processNext();
      ({ electionTicks, leaderReadyTicks, recoveryTicks } = this.settle());
      this.checker.ackedDurable();
    } catch (error) {
      if (error instanceof InvariantViolation || error instanceof AssertionFailure) {
        violation = `${error.name}: ${error.message}`;
      } else {
        violation = `crash: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      }
    }
    return {
      seed: this.options.seed,
      nodes: this.options.nodes,
      steps: this.steps,
      settleSteps: this.settleSteps,
      ok: violation === null,
      violation,
      faults: this.faults,
      electionTicks,
      leaderReadyTicks,
      recoveryTicks,
      committedIndex: this.checker.maxAppliedIndex,
      ackedCommands: this.checker.acked.length,
      simulatedMs: this.queue.nowMs,
      trace: violation === null ? [] : this.formatTrace(),
      replay: replayCommand(this.options),
    };
  }

  // ---- the event loop -----------------------------------------------------------------------

  private processNext(): void {
    const event = this.queue.pop();
    if (event === undefined) throw new InvariantViolation('simulator: event queue ran dry');
    this.record(null, event);
    switch (event.kind) {
      case 'tick':
        this.onTick(event.host, event.incarnation);
        break;
      case 'deliver':
        this.onDeliver(event.message, event.snapshot);
        break;
      case 'fsync':
        this.onFsync(event.host, event.incarnation);
        break;
      case 'snapshotReport':
        if (event.host.alive && event.host.incarnation === event.incarnation) {
          event.host.core.reportSnapshot(event.to, event.ok);
          this.drive(event.host);
        }
        break;
      case 'client':
        this.onClient();
        break;
      case 'read':
        this.onRead();
        break;
      case 'chaos':
        if (this.chaosEnabled) this.onChaos();
        break;
      case 'churn':
        if (this.chaosEnabled && event.host.alive && event.host.incarnation === event.incarnation) {
          if (this.prng.chance(0.5)) {
            this.crash(event.host);
          } else {
            this.network.partition([event.host.id], this.hosts.filter((h) => h !== event.host).map((h) => h.id));
            this.count('isolateLeader');
            this.note(`isolate new leader ${event.host.id}`);
          }
        }
        break;
    }
    this.checkStep();
  }

  /** Per-step invariants: one leader per term; a new leader holds every committed entry. */
  private checkStep(): void {
    for (const host of this.hosts) {
      if (!host.alive) continue;
      const isLeader = host.core.isLeader();
      if (isLeader) {
        this.checker.leader(host.core.currentTerm(), host.id);
        if (!host.wasLeader) {
          const log = host.core.log;
          this.checker.newLeader(host.id, log.firstIndex(), (i) => log.term(i));
          if (this.chaosEnabled && this.prng.chance(this.leaderChurnRate)) {
            this.queue.schedule(this.prng.range(0, 40), { kind: 'churn', host, incarnation: host.incarnation });
          }
        }
      }
      host.wasLeader = isLeader;
    }
  }

  private onTick(host: Host, incarnation: number): void {
    if (!host.alive || host.incarnation !== incarnation) return;
    host.core.tick();
    this.drive(host);
    this.queue.schedule(TICK_MS - 2 + this.prng.int(5), { kind: 'tick', host, incarnation });
  }

  private onDeliver(message: Message, snapshot: MachineState | null): void {
    const host = this.byId.get(message.to);
    if (host === undefined || !host.alive || !this.network.canDeliver(message.from, message.to)) return;
    if (message.type === 'snapshot' && snapshot !== null) {
      host.staged.set(message.snapshot.index, snapshot);
      if (host.staged.size > STAGED_SNAPSHOTS_MAX) host.staged.delete(host.staged.keys().next().value as number);
    }
    host.core.step(message);
    this.drive(host);
  }

  /** The application loop of one node: take a Ready, send, write; the fsync completes later. */
  private drive(host: Host): void {
    if (!host.alive || host.inFlight !== null || !host.core.hasReady()) return;
    const rd = host.core.ready();
    for (const message of rd.messages) this.send(host, message);
    let snapshotState: MachineState | null = null;
    if (rd.snapshot !== null) {
      const staged = host.staged.get(rd.snapshot.metadata.index);
      if (staged === undefined) throw new InvariantViolation(`simulator: ${host.id} must install snapshot ${rd.snapshot.metadata.index} it never received`);
      snapshotState = staged;
    }
    if (rd.entries.length > 0) {
      this.checker.entriesWritten(host.id, rd.entries, host.core.log.term(rd.entries[0].index - 1));
    }
    if (rd.hardState !== null && rd.hardState.commit > host.checkedCommit) {
      const log = host.core.log;
      for (let i = Math.max(host.checkedCommit + 1, log.firstIndex()); i <= rd.hardState.commit; i++) {
        this.checker.committed(host.id, i, log.term(i));
      }
      host.checkedCommit = rd.hardState.commit;
    }
    host.disk.write(rd, snapshotState);
    host.inFlight = rd;
    const fsyncMs = this.prng.chance(0.05) ? this.prng.range(this.fsyncMsMax, 4 * this.fsyncMsMax) : this.prng.range(0, this.fsyncMsMax);
    this.queue.schedule(fsyncMs, { kind: 'fsync', host, incarnation: host.incarnation });
  }

  private onFsync(host: Host, incarnation: number): void {
    if (!host.alive || host.incarnation !== incarnation) return;
    const rd = host.inFlight;
    if (rd === null) return;
    host.disk.sync();
    for (const message of rd.messagesAfterPersist) this.send(host, message);
    if (rd.snapshot !== null) {
      const state = host.disk.latestSnapshot().state;
      this.checker.snapshotInstalled(host.id, state);
      host.sm = { ...state };
      for (const index of host.proposals.keys()) if (index <= state.index) host.proposals.delete(index);
    }
    for (const entry of rd.committedEntries) this.apply(host, entry);
    for (const readState of rd.readStates) {
      const minIndex = host.reads.get(readState.context);
      if (minIndex === undefined) continue;
      host.reads.delete(readState.context);
      this.checker.readServed(host.id, readState.index, minIndex);
    }
    host.core.advance();
    host.inFlight = null;
    this.maybeCompact(host);
    this.drive(host);
  }

  private apply(host: Host, entry: Ready['committedEntries'][number]): void {
    host.sm = this.checker.applied(host.id, host.sm, entry);
    const proposal = host.proposals.get(entry.index);
    if (proposal === undefined) return;
    host.proposals.delete(entry.index);
    if (proposal.term === entry.term && proposal.key === entryKey(entry)) {
      this.checker.ack({ commandId: proposal.commandId, index: entry.index, key: proposal.key });
    }
  }

  private maybeCompact(host: Host): void {
    const latest = host.disk.latestSnapshot().metadata.index;
    if (host.sm.index - latest < this.compactEveryEntries) return;
    const metadata = host.core.compact(host.sm.index, `${host.id}@${host.sm.index}`);
    if (metadata === null) return;
    host.disk.saveLocalSnapshot(metadata, host.sm);
    this.count('compaction');
  }

  private send(from: Host, message: Message): void {
    const faults = this.network.faults;
    let snapshot: MachineState | null = null;
    if (message.type === 'snapshot') {
      snapshot = from.disk.snapshotAt(message.snapshot.index) ?? null;
      this.count('snapshotSent');
    }
    const reportSnapshot = (ok: boolean, delayMs: number): void => {
      if (message.type !== 'snapshot') return;
      this.queue.schedule(delayMs, { kind: 'snapshotReport', host: from, incarnation: from.incarnation, to: message.to, ok });
    };
    if (message.type === 'snapshot' && snapshot === null) {
      reportSnapshot(false, 1); // the transport could not find the bytes any more
      return;
    }
    if (this.prng.chance(faults.dropRate)) {
      this.count('drop');
      reportSnapshot(false, this.prng.range(1, 50));
      return;
    }
    let delayMs = this.prng.range(1, faults.baseDelayMsMax);
    if (this.prng.chance(faults.longDelayRate)) {
      this.count('longDelay');
      delayMs = this.prng.range(faults.baseDelayMsMax, faults.longDelayMsMax);
    }
    this.queue.schedule(delayMs, { kind: 'deliver', message, snapshot });
    reportSnapshot(true, delayMs + 1);
    if (this.prng.chance(faults.duplicateRate)) {
      this.count('duplicate');
      this.queue.schedule(this.prng.range(1, faults.longDelayMsMax), { kind: 'deliver', message, snapshot });
    }
  }

  // ---- clients ------------------------------------------------------------------------------

  private onClient(): void {
    this.queue.schedule(this.prng.range(5, 80), { kind: 'client' });
    const picked = this.pickAlive();
    if (picked === undefined) return;
    let host: Host = picked;
    const count = this.prng.range(1, PROPOSALS_PER_CLIENT_EVENT_MAX);
    for (let i = 0; i < count; i++) {
      const commandId = this.nextCommandId++;
      const data = encodeCommand(commandId);
      const result: ProposeResult = host.core.propose(data);
      if (!result.accepted) {
        // A client follows the redirect once.
        const leader: Host | undefined = result.leader === null ? undefined : this.byId.get(result.leader);
        if (leader === undefined || !leader.alive || leader === host) return;
        host = leader;
        i--;
        continue;
      }
      host.proposals.set(result.index, { commandId, term: result.term, key: entryKey({ term: 0, index: 0, type: EntryType.Normal, data }) });
    }
    this.drive(host);
  }

  private onRead(): void {
    this.queue.schedule(this.prng.range(20, 300), { kind: 'read' });
    const host = this.pickAlive();
    if (host === undefined) return;
    const context = `r${this.nextReadId++}`;
    if (host.core.readIndex(context)) {
      host.reads.set(context, this.checker.maxAckedIndex);
      this.drive(host);
    }
  }

  // ---- chaos --------------------------------------------------------------------------------

  private onChaos(): void {
    this.queue.schedule(this.prng.range(10, this.chaosIntervalMsMax), { kind: 'chaos' });
    const dead = this.hosts.filter((h) => !h.alive);
    const roll = this.prng.int(100);
    if (roll < 3) {
      // Power failure: several nodes crash at once, each losing its unsynced writes.
      const victims = this.hosts.filter((h) => h.alive && this.prng.chance(0.7));
      this.note(`power failure: ${victims.map((h) => h.id).join(',')}`);
      this.count('powerFailure');
      for (const host of victims) this.crash(host);
    } else if (roll < 18) {
      // Half the crashes hit the leader: elections with half-replicated logs are where bugs hide.
      const host = this.prng.chance(0.5) ? (this.leaderHost() ?? this.pickAlive()) : this.pickAlive();
      if (host !== undefined) this.crash(host);
    } else if (roll < 18 + (dead.length > 0 ? 27 : 0)) {
      if (dead.length > 0) this.restart(this.prng.pick(dead));
    } else if (roll < 50) {
      // Isolate the leader: it keeps accepting proposals it cannot commit until CheckQuorum
      // deposes it, leaving a divergent tail behind (the setting of the paper's Figure 8).
      const leader = this.leaderHost();
      if (leader === undefined) return;
      this.network.partition([leader.id], this.hosts.filter((h) => h !== leader).map((h) => h.id));
      this.count('isolateLeader');
      this.note(`isolate leader ${leader.id}`);
    } else if (roll < 55) {
      const ids = this.shuffledIds();
      const cut = this.prng.range(1, ids.length - 1);
      this.network.partition(ids.slice(0, cut), ids.slice(cut));
      this.count('partitionSymmetric');
      this.note(`partition ${ids.slice(0, cut).join(',')} | ${ids.slice(cut).join(',')}`);
    } else if (roll < 63) {
      const ids = this.shuffledIds();
      this.network.blockOneWay(ids[0], ids[1]);
      this.count('partitionOneWay');
      this.note(`one-way partition ${ids[0]} -/-> ${ids[1]}`);
    } else if (roll < 85) {
      if (this.network.isPartitioned()) {
        this.network.heal();
        this.count('heal');
        this.note('heal network');
      }
    } else if (roll < 95) {
      this.changeMembership();
    } else {
      const leader = this.leaderHost();
      if (leader === undefined) return;
      const target = this.prng.pick(leader.core.conf().voters);
      if (leader.core.transferLeadership(target)) {
        this.count('transfer');
        this.note(`transfer leadership ${leader.id} -> ${target}`);
        this.drive(leader);
      }
    }
  }

  private changeMembership(): void {
    const leader = this.leaderHost();
    if (leader === undefined) return;
    const conf = leader.core.conf();
    const target = this.prng.pick(this.hosts).id;
    let change: ConfChange;
    if (conf.voters.includes(target)) {
      if (conf.voters.length <= this.options.nodes - 1) return;
      change = { type: 'removeNode', node: target };
    } else if (conf.learners.includes(target)) {
      change = this.prng.chance(0.8) ? { type: 'promoteLearner', node: target } : { type: 'removeNode', node: target };
    } else {
      if (conf.voters.length > this.options.nodes) return;
      change = { type: this.prng.chance(0.7) ? 'addLearner' : 'addVoter', node: target };
    }
    const result = leader.core.proposeConfChange(change);
    if (result.accepted) {
      this.count('confChange');
      this.note(`conf change at ${leader.id}: ${change.type} ${change.node} (index ${result.index})`);
      this.drive(leader);
    }
  }

  private crash(host: Host): void {
    host.alive = false;
    host.incarnation++;
    host.disk.crash();
    host.inFlight = null;
    host.proposals.clear();
    host.reads.clear();
    host.staged.clear();
    host.wasLeader = false;
    this.count('crash');
    this.note(`crash ${host.id}`);
  }

  private restart(host: Host): void {
    host.alive = true;
    host.incarnation++;
    this.startCore(host);
    this.count('restart');
    this.note(`restart ${host.id} (term ${host.core.currentTerm()}, last index ${host.core.log.lastIndex()})`);
  }

  /** Builds a core from what the node's disk holds durably, and starts its ticks. */
  private startCore(host: Host): void {
    const latest = host.disk.latestSnapshot();
    const storage = host.disk.durable;
    host.core = new RaftNode({
      id: host.id,
      storage,
      hardState: storage.hardState,
      snapshot: storage.snapshot,
      snapshotRef: `${host.id}@${storage.snapshot.index}`,
      applied: latest.metadata.index,
      random: () => host.random.float(),
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: HEARTBEAT_TICKS,
      preVote: true,
      checkQuorum: true,
      maxInflightMessages: 8,
      maxEntriesPerAppend: this.maxEntriesPerAppend,
      testOnlyBugs: this.bugs,
    });
    host.sm = { ...latest.state };
    host.checkedCommit = 0;
    this.queue.schedule(this.prng.int(TICK_MS), { kind: 'tick', host, incarnation: host.incarnation });
  }

  // ---- heal and settle ----------------------------------------------------------------------

  private settle(): { electionTicks: number | null; leaderReadyTicks: number | null; recoveryTicks: number | null } {
    this.chaosEnabled = false;
    this.network.heal();
    this.network.faults = Network.reliable();
    for (const host of this.hosts) if (!host.alive) this.restart(host);
    this.note('settle: network healed, every node restarted');
    const healedMs = this.queue.nowMs;
    const leader = this.runUntilLeader('a leader after the final heal');
    const recoveryTicks = Math.ceil((this.queue.nowMs - healedMs) / TICK_MS);
    this.converge();
    let electionTicks: number | null = null;
    let leaderReadyTicks: number | null = null;
    if (leader.core.conf().voters.length >= 3 && leader.core.isLeader()) {
      this.crash(leader);
      const crashMs = this.queue.nowMs;
      this.runUntil('new leader elected after the leader crashed', () => this.leaderHost() !== undefined);
      electionTicks = Math.ceil((this.queue.nowMs - crashMs) / TICK_MS);
      this.runUntilLeader('a new leader committing in its term after the leader crashed');
      leaderReadyTicks = Math.ceil((this.queue.nowMs - crashMs) / TICK_MS);
      const boundTicks = this.options.electionTicksMax ?? ELECTION_TICKS_MAX_DEFAULT;
      if (electionTicks > boundTicks) {
        throw new InvariantViolation(`liveness: election after leader crash took ${electionTicks} ticks (bound ${boundTicks})`);
      }
      this.restart(leader);
      this.converge();
    }
    return { electionTicks, leaderReadyTicks, recoveryTicks };
  }

  private runUntil(what: string, done: () => boolean): void {
    const deadlineMs = this.queue.nowMs + SETTLE_LIMIT_MS;
    while (!done()) {
      if (this.queue.nowMs > deadlineMs) {
        throw new InvariantViolation(`liveness: no ${what} within ${SETTLE_LIMIT_MS / TICK_MS} ticks of healing`);
      }
      this.processNext();
      this.settleSteps++;
    }
  }

  /** A leader that has committed an entry of its own term (so it can serve clients). */
  private runUntilLeader(what: string): Host {
    let found: Host | undefined;
    this.runUntil(what, () => {
      found = this.hosts.find((h) => h.alive && h.core.isLeader() &&
        h.core.log.term(h.core.log.committed) === h.core.currentTerm());
      return found !== undefined;
    });
    return found as Host;
  }

  /** Commits a probe command and waits until every member has applied it. */
  private converge(): void {
    let probe: { host: Host; index: number; term: number; incarnation: number } | null = null;
    let ackedBefore = this.checker.acked.length;
    let acked = false;
    this.runUntil('committed probe command', () => {
      for (let i = ackedBefore; i < this.checker.acked.length; i++) {
        if (probe !== null && this.checker.acked[i].index === probe.index) acked = true;
      }
      ackedBefore = this.checker.acked.length;
      if (acked) return true;
      const leader = this.leaderHost();
      const stale = probe === null || !probe.host.core.isLeader() || probe.host.incarnation !== probe.incarnation ||
        probe.host.core.currentTerm() !== probe.term;
      if (leader !== undefined && stale) {
        const commandId = this.nextCommandId++;
        const data = encodeCommand(commandId);
        const result = leader.core.propose(data);
        if (result.accepted) {
          leader.proposals.set(result.index, { commandId, term: result.term, key: entryKey({ term: 0, index: 0, type: EntryType.Normal, data }) });
          probe = { host: leader, index: result.index, term: result.term, incarnation: leader.incarnation };
          this.drive(leader);
        }
      }
      return false;
    });
    const probeIndex = (probe as { index: number } | null)?.index ?? 0;
    this.runUntil('catch-up of every member', () => {
      const leader = this.leaderHost();
      if (leader === undefined) return false;
      const conf = leader.core.conf();
      return [...conf.voters, ...conf.learners].every((id) => {
        const host = this.byId.get(id) as Host;
        return host.alive && host.sm.index >= probeIndex;
      });
    });
  }

  // ---- helpers ------------------------------------------------------------------------------

  private leaderHost(): Host | undefined {
    let best: Host | undefined;
    for (const host of this.hosts) {
      if (host.alive && host.core.isLeader() && (best === undefined || host.core.currentTerm() > best.core.currentTerm())) best = host;
    }
    return best;
  }

  private pickAlive(): Host | undefined {
    const alive = this.hosts.filter((h) => h.alive);
    return alive.length === 0 ? undefined : this.prng.pick(alive);
  }

  private shuffledIds(): NodeId[] {
    const ids = this.hosts.map((h) => h.id);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = this.prng.int(i + 1);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    return ids;
  }

  private count(kind: string): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  private note(text: string): void {
    this.record(text, null);
  }

  private record(text: string | null, event: SimEvent | null): void {
    const record = { timeMs: this.queue.nowMs, text, event };
    if (this.trace.length < this.traceEventsMax) this.trace.push(record);
    else this.trace[this.traceNext] = record;
    this.traceNext = (this.traceNext + 1) % this.traceEventsMax;
  }

  private formatTrace(): string[] {
    const ordered = this.trace.length < this.traceEventsMax
      ? this.trace : [...this.trace.slice(this.traceNext), ...this.trace.slice(0, this.traceNext)];
    const lines: string[] = [];
    for (const record of ordered) {
      const text = record.text ?? (record.event === null ? '' : describeEvent(record.event));
      if (text !== '') lines.push(`${String(record.timeMs).padStart(8)}ms  ${text}`);
    }
    return lines;
  }
}

function describeEvent(event: SimEvent): string {
  switch (event.kind) {
    case 'tick':
      return `tick ${event.host.id}`;
    case 'fsync':
      return `fsync ${event.host.id}`;
    case 'snapshotReport':
      return `snapshot report ${event.host.id} -> ${event.to}: ${event.ok ? 'ok' : 'failed'}`;
    case 'client':
      return 'client proposals';
    case 'read':
      return 'client read';
    case 'chaos':
    case 'churn':
      return '';
    case 'deliver':
      return `deliver ${describeMessage(event.message)}`;
  }
}

export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'appendEntries':
      return `${head} prev=${m.index}@${m.logTerm} entries=${m.entries.length > 0 ? `${m.entries[0].index}..${m.entries[m.entries.length - 1].index}` : 'none'} commit=${m.commit}`;
    case 'appendResponse':
      return `${head} index=${m.index}${m.reject ? ` REJECT hint=${m.rejectHint}@${m.logTerm}` : ''}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.context === null ? '' : ` ctx=${m.context}`}`;
    case 'heartbeatResponse':
      return `${head}${m.context === null ? '' : ` ctx=${m.context}`}`;
    case 'requestVote':
    case 'requestPreVote':
      return `${head} last=${m.index}@${m.logTerm}${m.transfer ? ' transfer' : ''}`;
    case 'voteResponse':
    case 'preVoteResponse':
      return `${head} ${m.reject ? 'REJECT' : 'grant'}`;
    case 'snapshot':
      return `${head} snapshot=${m.snapshot.index}@${m.snapshot.term}`;
    case 'timeoutNow':
      return head;
    case 'readIndex':
      return `${head} ctx=${m.context}`;
    case 'readIndexResponse':
      return `${head} ctx=${m.context} index=${m.index}`;
  }
}

export function replayCommand(options: SimOptions): string {
  const bug = options.plantBug === undefined ? '' : ` --plant-bug ${options.plantBug}`;
  return `node dist/test/raft/sim/campaign.js --seed ${options.seed} --steps ${options.steps} --nodes ${options.nodes}${bug}`;
}

export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}
