// The namespace log of a replicated namenode: drives the pure Raft core with real time (a ticker),
// durable storage (RaftStorage: one fsync per Ready) and the HTTP peer transport, and applies
// committed entries through the one namespace apply function. Proposals resolve once their entry
// is committed by a majority and applied here; reads wait for a ReadIndex round.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DfsError } from '../../shared/errors.js';
import { assert } from '../../shared/assert.js';
import { RaftNode, decodeConfChange, type ConfChange, type Message, type RaftStatus, type Ready, type SnapshotToInstall } from '../raft/core/index.js';
import { RaftStorage, SnapshotStore, type IncomingSnapshot } from '../raft/storage/index.js';
import { EntryType, type Entry, type SnapshotMetadata } from '../raft/types.js';
import type { NamespaceStateMachine, CommittedCommand } from '../namespace/apply.js';
import type { ApplyOutcome, NamespaceCommand } from '../namespace/commands.js';
import type { NamespaceLog, NamenodeRole } from '../namespace-log.js';
import type { Dispatcher } from 'undici';
import { PeerTransport } from './peer-transport.js';
import { peerUrlOf } from './wire.js';
import { outsideRequestScope } from '../../shared/request-id.js';

export interface RaftNamespaceLogOptions {
  /** `<peer url>#<incarnation>`. */
  id: string;
  raftDir: string;
  stateMachine: NamespaceStateMachine;
  /** For a new cluster: the ids of all initial voters (this node among them). */
  bootstrapVoters?: string[];
  secret: string;
  dispatcher: Dispatcher;
  logger: Logger;
  tickMs?: number;
  electionTicks?: number;
  /** Take a snapshot (and compact the log) every this many applied entries. */
  snapshotEveryEntries?: number;
  /** Called on the leader once it has applied an entry of its own term (all earlier ones applied). */
  onLeaderReady: () => Promise<void>;
  /** Told about each durable save: its duration, the fsyncs it cost and the entries it wrote (metrics). */
  onSave?: (seconds: number, fsyncs: number, entries: number) => void;
}

/** 50 ms ticks: an election starts 0.5 to 1 s after the leader falls silent (10 to 20 ticks). */
export const RAFT_TICK_MS_DEFAULT = 50;
export const RAFT_ELECTION_TICKS_DEFAULT = 10;
/**
 * A heartbeat every 2 ticks (100 ms): five rounds per shortest election timeout, so a live leader is
 * never suspected, at half the idle peer traffic of one per tick (an idle group costs CPU too).
 */
const RAFT_HEARTBEAT_TICKS = 2;
export const SNAPSHOT_EVERY_ENTRIES_DEFAULT = 10_000;
/** Entries kept in the log behind a snapshot, so briefly lagging followers catch up without one. */
const LOG_ENTRIES_RETAINED_BEHIND_SNAPSHOT = 1_000;
const PROPOSAL_TIMEOUT_MS = 15_000;
const READ_INDEX_TIMEOUT_MS = 5_000;
/** A learner within this many entries of the leader's log is promoted to voter. */
const LEARNER_CATCH_UP_ENTRIES = 50;
const CONF_CHANGE_RETRY_MS = 50;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

interface PendingProposal {
  term: number;
  resolve: (outcome: ApplyOutcome) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface PendingRead {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * A peer's HTTP request waiting for the answers its messages cause. It is answered once the first
 * Ready taken after its messages were stepped is handled (persisted, so acknowledgements are true).
 */
interface ReplyWaiter {
  peers: Set<string>;
  /** Readies taken before the messages were stepped; only later ones carry their answers. */
  readiesTakenBefore: number;
  messages: Message[];
  resolve: (messages: Message[]) => void;
}

/** Answers that travel back on the request that caused them rather than as a request of their own. */
const REPLY_TYPES: ReadonlySet<Message['type']> = new Set(['appendResponse', 'heartbeatResponse', 'voteResponse', 'preVoteResponse', 'readIndexResponse']);

export class RaftNamespaceLog implements NamespaceLog {
  readonly id: string;
  private node!: RaftNode;
  private storage!: RaftStorage;
  private transport!: PeerTransport;
  private ticker: NodeJS.Timeout | null = null;
  private readonly proposals = new Map<number, PendingProposal>();
  /** Reads waiting for the next ReadIndex round, and rounds in flight by context. */
  private readsWaitingForRound: PendingRead[] = [];
  private readonly readRounds = new Map<string, { reads: PendingRead[]; timer: NodeJS.Timeout }>();
  private readonly readsAwaitingApply: Array<{ index: number; reads: PendingRead[] }> = [];
  private readRoundCounter = 0;
  private roleNow: NamenodeRole = 'follower';
  private leaderReadyTerm = 0;
  private loopRunning = false;
  private loopRequested = false;
  private storageChain: Promise<unknown> = Promise.resolve();
  private snapshotIndex = 0;
  /** A local snapshot is being copied. */
  private snapshotting = false;
  private durableTermVote: { term: number; vote: string | null } = { term: 0, vote: null };
  private closed = false;
  private fatalError: Error | null = null;
  private readiesTaken = 0;
  private replyWaiters: ReplyWaiter[] = [];

  private constructor(private readonly options: RaftNamespaceLogOptions) {
    this.id = options.id;
  }

  static async open(options: RaftNamespaceLogOptions): Promise<RaftNamespaceLog> {
    const log = new RaftNamespaceLog(options);
    await log.start();
    return log;
  }

  private get stateMachine(): NamespaceStateMachine {
    return this.options.stateMachine;
  }

  private async start(): Promise<void> {
    const { raftDir, logger } = this.options;
    const fresh = !SnapshotStore.open({ dir: join(raftDir, 'snap'), logger }).latest() && !existsNonEmpty(join(raftDir, 'log'));
    if (fresh && this.options.bootstrapVoters) await this.bootstrap(this.options.bootstrapVoters);
    this.storage = await RaftStorage.open({ dir: raftDir, logger });
    const initial = this.storage.initialState();
    const snapshot: SnapshotMetadata = initial.snapshot ?? { index: 0, term: 0, conf: { voters: [], learners: [] } };
    if (initial.hardState.term < snapshot.term) {
      // A founding snapshot (or one installed before the hard state was written): the term and
      // commit it implies become durable before the node takes part in any election.
      initial.hardState = { term: snapshot.term, vote: null, commit: Math.max(initial.hardState.commit, snapshot.index) };
      await this.storage.save({ hardState: initial.hardState });
    }
    this.snapshotIndex = snapshot.index;
    if (this.stateMachine.appliedIndex < snapshot.index) this.restoreStateMachine(snapshot);
    // Only term and vote are fsynced (see handleReady); whatever the namespace applied was committed.
    initial.hardState = { ...initial.hardState, commit: Math.min(Math.max(initial.hardState.commit, this.stateMachine.appliedIndex), this.storage.lastIndex()) };
    this.durableTermVote = { term: initial.hardState.term, vote: initial.hardState.vote };
    this.transport = new PeerTransport({
      secret: this.options.secret,
      dispatcher: this.options.dispatcher,
      logger,
      latestSnapshot: () => this.storage.latestSnapshot(),
      onSnapshotSent: (to, ok) => {
        this.node.reportSnapshot(to, ok);
        this.requestLoop();
      },
      onAnswers: (messages) => this.receive(messages),
    });
    this.node = new RaftNode({
      id: this.id,
      storage: this.storage,
      hardState: initial.hardState,
      snapshot,
      snapshotRef: `${snapshot.index}-${snapshot.term}`,
      applied: Math.max(this.stateMachine.appliedIndex, snapshot.index),
      random: Math.random,
      electionTicks: this.options.electionTicks ?? RAFT_ELECTION_TICKS_DEFAULT,
      heartbeatTicks: RAFT_HEARTBEAT_TICKS,
      preVote: true,
      checkQuorum: true,
      // Linearizable reads on the leader without a heartbeat round: safe with CheckQuorum, which
      // deposes a leader that lost its majority before another can be elected.
      readOnly: 'lease',
    });
    logger.info({ id: this.id, conf: snapshot.conf, applied: this.stateMachine.appliedIndex, lastIndex: this.storage.lastIndex(), fresh }, 'raft node started');
    this.ticker = setInterval(() => {
      this.node.tick();
      this.promoteCaughtUpLearners();
      this.requestLoop();
    }, this.options.tickMs ?? RAFT_TICK_MS_DEFAULT);
    this.requestLoop();
  }

  /** Writes the initial snapshot of a new cluster: an empty namespace at index 1 naming the voters. */
  private async bootstrap(voters: string[]): Promise<void> {
    const { raftDir, logger } = this.options;
    mkdirSync(raftDir, { recursive: true });
    const meta: SnapshotMetadata = { index: 1, term: 1, conf: { voters: [...voters].sort(), learners: [] } };
    const staged = join(raftDir, 'bootstrap.sqlite');
    this.stateMachine.store.copyTo(staged);
    await SnapshotStore.open({ dir: join(raftDir, 'snap'), logger }).save(meta, (dataPath) => copyFile(staged, dataPath));
    rmSync(staged, { force: true });
    logger.info({ voters: meta.conf.voters }, 'bootstrapped a new raft group');
  }

  private restoreStateMachine(meta: SnapshotMetadata): void {
    // A newer snapshot may have landed since the core asked for this one: the newest state wins
    // (entries it covers are skipped when they come up for applying).
    const info = this.storage.latestSnapshot();
    assert(info && info.meta.index >= meta.index, `snapshot ${meta.index} to restore is not on disk`);
    this.stateMachine.store.replaceWith(info.dataPath, { index: info.meta.index, term: info.meta.term });
    this.options.logger.info({ index: info.meta.index, term: info.meta.term }, 'namespace restored from snapshot');
  }

  // ---- NamespaceLog ---------------------------------------------------------------------------

  get role(): NamenodeRole {
    return this.roleNow;
  }

  get isLeader(): boolean {
    return this.roleNow === 'leader' && this.leaderReadyTerm === this.node.currentTerm();
  }

  get leaderId(): string | null {
    return this.node.currentLeader();
  }

  get leaderUrl(): string | null {
    const leader = this.node.currentLeader();
    return leader && leader !== this.id ? peerUrlOf(leader) : null;
  }

  status(): RaftStatus {
    return this.node.status();
  }

  submit(command: NamespaceCommand): Promise<ApplyOutcome> {
    this.throwIfFailed();
    // Readiness (the leader's own no-op applied) is checked by the namesystem; a leader preparing
    // itself may already submit (the format command of a new cluster).
    if (this.roleNow !== 'leader') return Promise.reject(new DfsError('NotLeader', 'This namenode is not the leader', { leader: this.leaderId }));
    const result = this.node.propose(textEncoder.encode(JSON.stringify(command)));
    if (!result.accepted) {
      const kind = result.reason === 'overloaded' ? 'Unavailable' : 'NotLeader';
      return Promise.reject(new DfsError(kind, `Proposal refused: ${result.reason}`, { leader: result.leader }));
    }
    this.requestLoop();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.proposals.delete(result.index);
        reject(new DfsError('Unavailable', `Not committed within ${PROPOSAL_TIMEOUT_MS} ms (index ${result.index})`, { index: result.index }));
      }, PROPOSAL_TIMEOUT_MS);
      this.proposals.set(result.index, { term: result.term, resolve, reject, timer });
    });
  }

  readBarrier(): Promise<void> {
    this.throwIfFailed();
    // A leader whose lease answers at once, with everything committed applied: nothing to wait for.
    const leaseIndex = this.node.leaseReadIndex();
    if (leaseIndex !== null && this.stateMachine.appliedIndex >= leaseIndex) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.readsWaitingForRound.push({ resolve, reject });
      this.startReadRound();
    });
  }

  /** One ReadIndex round at a time; reads that arrive meanwhile share the next round. */
  private startReadRound(): void {
    if (this.readRounds.size > 0 || this.readsWaitingForRound.length === 0) return;
    const context = `${this.id}:${++this.readRoundCounter}`;
    const reads = this.readsWaitingForRound;
    this.readsWaitingForRound = [];
    if (!this.node.readIndex(context)) {
      for (const read of reads) read.reject(new DfsError('Unavailable', 'No leader is known: cannot serve a linearizable read'));
      return;
    }
    const timer = setTimeout(() => {
      this.readRounds.delete(context);
      for (const read of reads) read.reject(new DfsError('Unavailable', `Read index not confirmed within ${READ_INDEX_TIMEOUT_MS} ms`));
      this.startReadRound();
    }, READ_INDEX_TIMEOUT_MS);
    this.readRounds.set(context, { reads, timer });
    this.requestLoop();
  }

  /** Membership: add a node (as a learner first; promoted once caught up) or remove one. */
  async changeMembership(change: ConfChange): Promise<void> {
    const deadline = Date.now() + PROPOSAL_TIMEOUT_MS;
    let result = this.node.proposeConfChange(change);
    // One change at a time: wait for the previous one to be applied, then propose this one.
    while (!result.accepted && result.reason === 'conf-change-pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, CONF_CHANGE_RETRY_MS));
      result = this.node.proposeConfChange(change);
    }
    if (!result.accepted) {
      const kind = result.reason === 'not-leader' ? 'NotLeader' : 'IllegalArgument';
      throw new DfsError(kind, `Membership change refused: ${result.reason}${result.detail ? ` (${result.detail})` : ''}`, { leader: result.leader });
    }
    this.requestLoop();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new DfsError('Unavailable', 'Membership change not committed in time')), PROPOSAL_TIMEOUT_MS);
      this.proposals.set(result.index, {
        term: result.term,
        resolve: () => resolve(),
        reject,
        timer,
      });
    });
  }

  transferLeadership(to: string): boolean {
    const ok = this.node.transferLeadership(to);
    this.requestLoop();
    return ok;
  }

  private promoteCaughtUpLearners(): void {
    if (!this.isLeader) return;
    const status = this.node.status();
    if (!status.progress) return;
    for (const learner of status.conf.learners) {
      const progress = status.progress[learner];
      if (progress && progress.match + LEARNER_CATCH_UP_ENTRIES >= status.lastIndex) {
        const result = this.node.proposeConfChange({ type: 'promoteLearner', node: learner });
        if (result.accepted) this.options.logger.info({ node: learner }, 'promoting caught-up learner to voter');
        return;
      }
    }
  }

  // ---- inputs from peers ----------------------------------------------------------------------

  receive(messages: Message[]): void {
    if (this.closed) return;
    for (const message of messages) {
      if (message.to !== this.id) continue; // addressed to an earlier incarnation of this node
      this.node.step(message);
    }
    this.requestLoop();
  }

  /**
   * Steps a peer's messages and resolves with the answers they cause, once those are safe to send
   * (after the fsync they depend on). The answers ride back on the peer's own HTTP request: a
   * replication round costs one request, and the leader's request lasts as long as the follower's
   * fsync, so the entries proposed meanwhile travel together in its next one (batching).
   */
  receiveAndReply(messages: Message[]): Promise<Message[]> {
    if (this.closed || this.fatalError) return Promise.resolve([]);
    const peers = new Set(messages.map((message) => message.from));
    // Registered before stepping: stepping may start the loop, which takes a Ready at once.
    const answered = new Promise<Message[]>((resolve) => this.replyWaiters.push({ peers, readiesTakenBefore: this.readiesTaken, messages: [], resolve }));
    // Answered by the Ready that carries the answers, or by the loop's end when there is none.
    this.receive(messages);
    return answered;
  }

  /** Sends a Ready's messages, keeping the answers a waiting request of their addressee will carry. */
  private sendOrHold(messages: Message[], readySeq: number): void {
    if (this.replyWaiters.length === 0) return this.transport.send(messages);
    const direct: Message[] = [];
    for (const message of messages) {
      const waiter = REPLY_TYPES.has(message.type) ? this.replyWaiters.find((w) => w.readiesTakenBefore < readySeq && w.peers.has(message.to)) : undefined;
      if (waiter) waiter.messages.push(message);
      else direct.push(message);
    }
    if (direct.length > 0) this.transport.send(direct);
  }

  private answerReplyWaiters(covered: (waiter: ReplyWaiter) => boolean): void {
    if (this.replyWaiters.length === 0) return;
    const remaining: ReplyWaiter[] = [];
    for (const waiter of this.replyWaiters) {
      if (covered(waiter)) waiter.resolve(waiter.messages);
      else remaining.push(waiter);
    }
    this.replyWaiters = remaining;
  }

  /** Stages an incoming snapshot durably; the core sees its message only once the bytes are safe. */
  async receiveSnapshot(message: Message & { type: 'snapshot' }, body: AsyncIterable<Uint8Array>, expected: { sizeBytes: number; crc32c: number }): Promise<void> {
    if (message.to !== this.id) throw new DfsError('IllegalArgument', `snapshot for ${message.to}, this is ${this.id}`);
    const latest = this.storage.latestSnapshot();
    if (latest && latest.meta.index >= message.snapshot.index) {
      // Nothing newer than what this node holds: let the core answer with where its log stands.
      for await (const _chunk of body) void _chunk;
      this.node.step({ ...message, snapshotRef: latest.dataPath });
      this.requestLoop();
      return;
    }
    const incoming = await this.withStorage(() => this.storage.receiveSnapshot(message.snapshot));
    try {
      let offset = 0;
      for await (const chunk of body) {
        await (incoming as IncomingSnapshot).write(chunk, offset);
        offset += chunk.length;
      }
      const info = await this.withStorage(() => (incoming as IncomingSnapshot).finish(expected));
      this.node.step({ ...message, snapshotRef: info.dataPath });
      this.requestLoop();
    } catch (error) {
      (incoming as IncomingSnapshot).abort();
      throw error;
    }
  }

  // ---- the Ready loop -------------------------------------------------------------------------

  private withStorage<T>(task: () => Promise<T>): Promise<T> {
    const run = this.storageChain.then(task);
    this.storageChain = run.catch(() => undefined);
    return run;
  }

  private requestLoop(): void {
    if (this.closed || this.fatalError) return;
    if (this.loopRunning) {
      this.loopRequested = true;
      return;
    }
    this.loopRunning = true;
    // The loop serves every request at once: its log lines belong to none of them.
    outsideRequestScope(() => void this.runLoop());
  }

  private async runLoop(): Promise<void> {
    try {
      do {
        this.loopRequested = false;
        while (!this.closed && this.node.hasReady()) await this.handleReady(this.node.ready(), ++this.readiesTaken);
      } while (this.loopRequested && !this.closed);
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.loopRunning = false;
      // Nothing is left to take: whatever the waiting requests caused has been handled.
      this.answerReplyWaiters(() => true);
    }
  }

  private async handleReady(ready: Ready, readySeq: number): Promise<void> {
    this.sendOrHold(ready.messages, readySeq);
    if (ready.softState) this.onRoleChange(ready.softState.role);
    if (ready.snapshot) {
      const { metadata } = ready.snapshot;
      // Only now, with the core committed to the snapshot, may its log go: until the core steps the
      // snapshot message it may decline it and keep reading entries the snapshot covers.
      await this.withStorage(() => this.storage.installSnapshot(metadata));
      this.installSnapshot(ready.snapshot);
    }
    if (ready.mustSync) {
      // Group commit: every entry of this Ready and the hard state share one fsync.
      // The commit index is volatile state in Raft: only a new term or vote costs the hard-state
      // fsync, so a steady stream of commits pays one fsync per Ready, not two.
      const hardState = ready.hardState && (ready.hardState.term !== this.durableTermVote.term || ready.hardState.vote !== this.durableTermVote.vote) ? ready.hardState : undefined;
      const startedNs = process.hrtime.bigint();
      const logFsyncsBefore = this.storage.stats.fsyncs;
      await this.withStorage(() => this.storage.save({ hardState, entries: ready.entries }));
      // The log counts its own fsyncs (data and directories); the hard state costs one when it changed.
      this.options.onSave?.(Number(process.hrtime.bigint() - startedNs) / 1e9, this.storage.stats.fsyncs - logFsyncsBefore + (hardState ? 1 : 0), ready.entries.length);
      if (hardState) this.durableTermVote = { term: hardState.term, vote: hardState.vote };
    }
    this.sendOrHold(ready.messagesAfterPersist, readySeq);
    // The answers are persisted and out of the core: the requests waiting for them can return now.
    this.answerReplyWaiters((waiter) => waiter.readiesTakenBefore < readySeq);
    if (ready.committedEntries.length > 0) this.applyCommitted(ready.committedEntries);
    for (const readState of ready.readStates) this.readIndexConfirmed(readState.context, readState.index);
    this.node.advance();
    this.serveReadsUpTo(this.stateMachine.appliedIndex);
    this.maybeSnapshot();
  }

  private onRoleChange(role: string): void {
    const next: NamenodeRole = role === 'leader' ? 'leader' : role === 'learner' ? 'learner' : role === 'follower' ? 'follower' : 'candidate';
    if (next !== this.roleNow) this.options.logger.info({ role: next, term: this.node.currentTerm(), leader: this.node.currentLeader() }, 'raft role changed');
    this.roleNow = next;
  }

  private installSnapshot(snapshot: SnapshotToInstall): void {
    this.restoreStateMachine(snapshot.metadata);
    this.snapshotIndex = snapshot.metadata.index;
    // Proposals at or below the snapshot were decided elsewhere; their callers retry by request id.
    for (const [index, proposal] of this.proposals) {
      if (index <= snapshot.metadata.index) {
        this.proposals.delete(index);
        clearTimeout(proposal.timer);
        proposal.reject(new DfsError('Unavailable', 'Superseded by a snapshot; retry'));
      }
    }
  }

  private applyCommitted(entries: Entry[]): void {
    const applied = this.stateMachine.appliedIndex;
    const fresh = entries.filter((entry) => entry.index > applied);
    if (fresh.length === 0) return;
    const commands: CommittedCommand[] = fresh.map((entry) => ({
      index: entry.index,
      term: entry.term,
      command: entry.type === EntryType.Normal && entry.data.length > 0 ? (JSON.parse(textDecoder.decode(entry.data)) as NamespaceCommand) : null,
    }));
    const outcomes = this.stateMachine.applyBatch(commands);
    fresh.forEach((entry, i) => {
      if (entry.type === EntryType.ConfChange) this.options.logger.info({ change: decodeConfChange(entry.data), index: entry.index }, 'membership change applied');
      const proposal = this.proposals.get(entry.index);
      if (proposal) {
        this.proposals.delete(entry.index);
        clearTimeout(proposal.timer);
        if (proposal.term === entry.term) proposal.resolve(outcomes[i]);
        else proposal.reject(new DfsError('NotLeader', 'Leadership changed before the request committed; retry'));
      }
    });
    const last = fresh[fresh.length - 1];
    if (this.roleNow === 'leader' && last.term === this.node.currentTerm() && this.leaderReadyTerm !== last.term) {
      const term = last.term;
      void this.options.onLeaderReady().then(
        () => {
          if (this.node.currentTerm() === term) this.leaderReadyTerm = term;
          this.options.logger.info({ term }, 'leader ready: serving writes');
        },
        (error: unknown) => this.options.logger.error({ err: error }, 'leader preparation failed'),
      );
    }
  }

  private readIndexConfirmed(context: string, index: number): void {
    const round = this.readRounds.get(context);
    if (!round) return;
    this.readRounds.delete(context);
    clearTimeout(round.timer);
    this.readsAwaitingApply.push({ index, reads: round.reads });
    this.startReadRound();
  }

  private serveReadsUpTo(applied: number): void {
    while (this.readsAwaitingApply.length > 0 && this.readsAwaitingApply[0].index <= applied) {
      for (const read of this.readsAwaitingApply.shift()!.reads) read.resolve();
    }
  }

  /**
   * Every `snapshotEveryEntries`, copies the namespace as a snapshot and compacts the log behind it.
   * The copy runs beside the Ready loop (one at a time): the loop keeps persisting, sending and
   * applying meanwhile.
   */
  private maybeSnapshot(): void {
    const every = this.options.snapshotEveryEntries ?? SNAPSHOT_EVERY_ENTRIES_DEFAULT;
    if (this.snapshotting || this.closed || this.stateMachine.appliedIndex - this.snapshotIndex < every) return;
    this.snapshotting = true;
    const database = this.stateMachine.store.db;
    this.takeSnapshot()
      .catch((error: unknown) => {
        // A snapshot received meanwhile replaced the database under the copy: this one is moot.
        if (this.stateMachine.store.db !== database || this.closed) {
          this.options.logger.info({ err: error }, 'local snapshot abandoned: the namespace was replaced or closed meanwhile');
          return;
        }
        this.fail(error as Error);
      })
      .finally(() => {
        this.snapshotting = false;
      });
  }

  private async takeSnapshot(): Promise<void> {
    const startedMs = Date.now();
    // The copy goes straight into the snapshot store's staging folder, outside the storage chain:
    // log writes (and so acknowledgements and heartbeat answers) never wait for a large copy.
    let copied = { index: 0, term: 0 };
    const staged = await this.storage.stageSnapshot(async (dataPath) => {
      copied = await this.stateMachine.store.backupTo(dataPath);
    });
    try {
      if (this.closed) return;
      const meta = this.node.compact(copied.index, `${copied.index}`);
      if (!meta) return;
      assert(meta.term === copied.term, `snapshot copy at index ${copied.index} has term ${copied.term}, the log says ${meta.term}`);
      this.snapshotIndex = meta.index;
      const installed = await this.withStorage(async () => {
        // A leader's snapshot received during the copy may already be newer: keep that one.
        const latest = this.storage.latestSnapshot()?.meta.index ?? 0;
        if (latest >= meta.index) return false;
        await staged.install(meta);
        await this.storage.compact(Math.max(0, meta.index - LOG_ENTRIES_RETAINED_BEHIND_SNAPSHOT));
        return true;
      });
      if (installed) this.options.logger.info({ index: meta.index, term: meta.term, ms: Date.now() - startedMs, logStats: this.storage.stats }, 'snapshot taken, log compacted');
      else this.options.logger.info({ index: meta.index }, 'local snapshot dropped: a received snapshot is as new');
    } finally {
      staged.discard();
    }
  }

  private fail(error: Error): void {
    this.fatalError = error;
    this.options.logger.fatal({ err: error }, 'raft node stopped: storage or apply failure');
    for (const proposal of this.proposals.values()) proposal.reject(error);
    this.proposals.clear();
    // A node that cannot persist acknowledges nothing, not even what it held for a waiting peer.
    for (const waiter of this.replyWaiters) waiter.messages = [];
    this.answerReplyWaiters(() => true);
  }

  private throwIfFailed(): void {
    if (this.fatalError) throw new DfsError('Internal', `This namenode stopped after a fatal error: ${this.fatalError.message}`);
  }

  get peerUrls(): string[] {
    const conf = this.node.conf();
    return [...conf.voters, ...conf.learners].map(peerUrlOf);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.transport?.close();
    this.answerReplyWaiters(() => true);
    await this.storageChain;
    for (const proposal of this.proposals.values()) {
      clearTimeout(proposal.timer);
      proposal.reject(new DfsError('Unavailable', 'Namenode shutting down'));
    }
    for (const round of this.readRounds.values()) clearTimeout(round.timer);
    this.storage?.close();
  }
}

function existsNonEmpty(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}
