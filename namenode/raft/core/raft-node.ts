// RaftNode: the Raft state machine of one server (etcd's raft.go). Pure: no timers, sockets, disk
// or clock. Inputs are tick() (logical time), step(message), propose(), proposeConfChange(),
// readIndex(), transferLeadership(), reportSnapshot() and compact(); outputs are drained with
// ready() and acknowledged with advance(). Roles: follower, precandidate (PreVote), candidate,
// leader; a non-voting member is a follower reported as `learner`.

import { assert } from '../../../shared/assert.js';
import { EntryType, type ConfState, type Entry, type HardState, type NodeId, type SnapshotMetadata } from '../types.js';
import { resolveConfig, type RaftConfig, type ResolvedRaftConfig } from './config.js';
import { applyConfChange, decodeConfChange, encodeConfChange, validateConfChange, type ConfChange } from './conf-change.js';
import {
  mustFollowPersistence, type AppendEntriesMessage, type AppendResponseMessage, type HeartbeatMessage,
  type HeartbeatResponseMessage, type Message, type RaftRole, type ReadState, type Ready, type SnapshotMessage,
  type SoftState, type VoteRequestMessage, type VoteResponseMessage,
} from './messages.js';
import { Progress, type ProgressState } from './progress.js';
import { committedIndex, hasQuorum, voteResult } from './quorum.js';
import { LOG_SCAN_PAGE_BYTES, RaftLog } from './raft-log.js';
import { ReadOnlyQueue } from './read-only.js';

type InternalRole = 'leader' | 'follower' | 'candidate' | 'precandidate';
type CampaignKind = 'preVote' | 'election' | 'transfer';

export type ProposeRejection =
  | 'not-leader' | 'transferring' | 'overloaded' | 'not-a-member' | 'conf-change-pending' | 'invalid-conf-change';

export type ProposeResult =
  | { accepted: true; index: number; term: number }
  | { accepted: false; reason: ProposeRejection; leader: NodeId | null; detail?: string };

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  recentActive: boolean;
  inflightMessages: number;
  pendingSnapshot: number;
  isLearner: boolean;
}

export interface RaftStatus {
  id: NodeId;
  role: RaftRole;
  term: number;
  vote: NodeId | null;
  lead: NodeId | null;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
  conf: ConfState;
  /** Per-member replication progress; only on the leader. */
  progress: Record<NodeId, ProgressStatus> | null;
  leadTransferee: NodeId | null;
}

interface ConfAtIndex {
  index: number;
  conf: ConfState;
}

/** What the Ready in the application's hands covers, to be marked done by advance(). */
interface ReadyInFlight {
  lastEntry: { index: number; term: number } | null;
  snapshotIndex: number | null;
  committedLastIndex: number;
}

const EMPTY_DATA = new Uint8Array(0);

export class RaftNode {
  readonly id: NodeId;
  readonly log: RaftLog;
  private readonly cfg: ResolvedRaftConfig;

  private term: number;
  private vote: NodeId | null;
  private lead: NodeId | null = null;
  private role: InternalRole = 'follower';

  /** Membership after the snapshot and after each ConfChange entry in the log (append-time rule). */
  private confHistory: ConfAtIndex[];
  private readonly progress = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();

  private electionElapsedTicks = 0;
  private heartbeatElapsedTicks = 0;
  private randomizedElectionTicks = 0;

  private leadTransferee: NodeId | null = null;
  /** Index of the latest ConfChange the leader proposed (or its no-op); a new one waits until applied. */
  private pendingConfIndex = 0;
  private readonly readOnly: ReadOnlyQueue;
  /** ReadIndex requests that arrived before the leader committed an entry of its term. */
  private pendingReadsBeforeCommit: { from: NodeId; context: string }[] = [];

  private msgs: Message[] = [];
  private msgsAfterPersist: Message[] = [];
  private readStates: ReadState[] = [];
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private inFlight: ReadyInFlight | null = null;
  /** Proposals appended since the last flush: send them in one batch per follower. */
  private appendBroadcastPending = false;
  private commitBroadcastPending = false;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    const { hardState, snapshot } = this.cfg;
    this.log = new RaftLog(this.cfg.storage, snapshot, this.cfg.snapshotRef, hardState.commit, this.cfg.applied);
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.readOnly = new ReadOnlyQueue(this.cfg.maxPendingReadIndexRequests);
    this.confHistory = [{ index: snapshot.index, conf: snapshot.conf }];
    this.scanConfChanges();
    this.becomeFollower(this.term, null);
    this.prevHardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
    this.prevSoftState = this.softState();
  }

  /** Rebuilds the membership from the ConfChange entries persisted after the snapshot. */
  private scanConfChanges(): void {
    const last = this.log.lastIndex();
    for (let lo = this.log.firstIndex(); lo <= last;) {
      const page = this.log.entries(lo, last + 1, LOG_SCAN_PAGE_BYTES);
      assert(page !== undefined && page.length > 0, 'raft: cannot scan the log at start-up');
      this.recordConfChanges(page);
      lo = page[page.length - 1].index + 1;
    }
  }

  // ---- inputs -------------------------------------------------------------------------------

  /** Advances logical time by one tick. */
  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsedTicks++;
    if (this.promotable() && this.electionElapsedTicks >= this.randomizedElectionTicks) {
      this.electionElapsedTicks = 0;
      this.campaign(this.cfg.preVote ? 'preVote' : 'election');
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsedTicks++;
    this.electionElapsedTicks++;
    if (this.electionElapsedTicks >= this.cfg.electionTicks) {
      this.electionElapsedTicks = 0;
      if (this.cfg.checkQuorum) {
        if (!this.quorumActive()) {
          this.becomeFollower(this.term, null);
          return;
        }
        for (const [id, pr] of this.progress) if (id !== this.id) pr.recentActive = false;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.leadTransferee !== null) this.leadTransferee = null;
    }
    if (this.heartbeatElapsedTicks >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsedTicks = 0;
      this.broadcastHeartbeat(this.readOnly.lastContext());
    }
  }

  /** Proposes an application command. Only the leader accepts; the result says where it went. */
  propose(data: Uint8Array): ProposeResult {
    const refusal = this.proposalRefusal();
    if (refusal !== null) return refusal;
    const entry: Entry = { term: this.term, index: this.log.lastIndex() + 1, type: EntryType.Normal, data };
    this.appendAsLeader([entry]);
    return { accepted: true, index: entry.index, term: entry.term };
  }

  /**
   * Proposes a single-server membership change. It takes effect on each node when appended; the
   * leader refuses a new one until the previous one (and its own no-op) has been applied.
   */
  proposeConfChange(change: ConfChange): ProposeResult {
    const refusal = this.proposalRefusal();
    if (refusal !== null) return refusal;
    if (this.pendingConfIndex > this.log.applied) {
      return { accepted: false, reason: 'conf-change-pending', leader: this.id };
    }
    const invalid = validateConfChange(this.conf(), change);
    if (invalid !== null) return { accepted: false, reason: 'invalid-conf-change', leader: this.id, detail: invalid };
    const entry: Entry = {
      term: this.term, index: this.log.lastIndex() + 1, type: EntryType.ConfChange, data: encodeConfChange(change),
    };
    this.pendingConfIndex = entry.index;
    this.appendAsLeader([entry]);
    return { accepted: true, index: entry.index, term: entry.term };
  }

  private proposalRefusal(): ProposeResult | null {
    if (this.role !== 'leader') return { accepted: false, reason: 'not-leader', leader: this.lead };
    if (this.leadTransferee !== null) return { accepted: false, reason: 'transferring', leader: this.id };
    if (!this.isVoter(this.id)) return { accepted: false, reason: 'not-a-member', leader: null };
    if (this.log.lastIndex() - this.log.committed >= this.cfg.maxUncommittedEntries) {
      return { accepted: false, reason: 'overloaded', leader: this.id };
    }
    return null;
  }

  /**
   * Asks for a linearizable read. The answer arrives as a ReadState with the same context in a
   * later Ready (serve the read once applied ≥ its index). False when no leader is known.
   */
  readIndex(context: string): boolean {
    if (this.role === 'leader') {
      this.handleReadIndexRequest(this.id, context);
      return true;
    }
    if (this.lead === null) return false;
    this.send({ type: 'readIndex', from: this.id, to: this.lead, term: this.term, context });
    return true;
  }

  /**
   * The index a linearizable read may be served at right now without any message, or null: only
   * on a leader in lease mode (readOnly 'lease' with checkQuorum) that has committed an entry of its
   * term, exactly when readIndex() would answer at once. Saves the application a Ready round per read.
   */
  leaseReadIndex(): number | null {
    if (this.role !== 'leader' || this.log.term(this.log.committed) !== this.term) return null;
    const voters = this.conf().voters;
    const alone = voters.length === 1 && voters[0] === this.id;
    if (!alone && !(this.cfg.readOnly === 'lease' && this.cfg.checkQuorum)) return null;
    return this.log.committed;
  }

  /** Leader only: hand leadership to `to` once it is up to date. False when not applicable. */
  transferLeadership(to: NodeId): boolean {
    if (this.role !== 'leader' || to === this.id || !this.isVoter(to)) return false;
    const pr = this.progress.get(to);
    if (pr === undefined) return false;
    if (this.leadTransferee === to) return true;
    this.leadTransferee = to;
    this.electionElapsedTicks = 0; // the transfer must finish within one election timeout
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to, true);
    return true;
  }

  /** The application's transport finished (ok) or failed to deliver a snapshot to `to`. */
  reportSnapshot(to: NodeId, ok: boolean): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(to);
    if (pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Success: wait for the follower's append response. Failure: retry after a heartbeat.
    pr.probeSent = true;
  }

  /**
   * The application has a snapshot of its state machine at `index` (≤ applied): the core forgets
   * the log up to it and will send this snapshot to followers that fall behind. Returns the
   * metadata to store beside the snapshot bytes, or null when nothing is compacted (the index is
   * already covered by a snapshot, or one received from the leader is being installed).
   */
  compact(index: number, snapshotRef: string): SnapshotMetadata | null {
    assert(index <= this.log.applied, `raft: compact(${index}) beyond applied ${this.log.applied}`);
    if (index <= this.log.snapshot.index || this.log.snapshotUnstable) return null;
    const term = this.log.term(index);
    assert(term !== undefined, `raft: compact(${index}) of an unavailable entry`);
    let base = 0;
    for (let i = 0; i < this.confHistory.length; i++) if (this.confHistory[i].index <= index) base = i;
    const metadata: SnapshotMetadata = { index, term, conf: this.confHistory[base].conf };
    this.confHistory = [{ index, conf: metadata.conf }, ...this.confHistory.slice(base + 1)];
    this.log.compact(metadata, snapshotRef);
    return metadata;
  }

  /** Feeds a message from a peer. */
  step(m: Message): void {
    assert(m.to === this.id, `raft: message for ${m.to} stepped into ${this.id}`);
    if (m.term > this.term) {
      if (m.type === 'requestVote' || m.type === 'requestPreVote') {
        // CheckQuorum lease: a node that heard from a live leader recently ignores campaigns,
        // so a partitioned node rejoining cannot depose it (unless the leader asked: transfer).
        const inLease = this.cfg.checkQuorum && this.lead !== null &&
          this.electionElapsedTicks < this.cfg.electionTicks;
        if (inLease && !m.transfer) return;
      }
      if (m.type === 'requestPreVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'preVoteResponse' && !m.reject) {
        // Counted below; the term moves when the pre-candidate becomes a candidate.
      } else {
        const fromLeader = m.type === 'appendEntries' || m.type === 'heartbeat' || m.type === 'snapshot';
        this.becomeFollower(m.term, fromLeader ? m.from : null);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'appendEntries' || m.type === 'heartbeat')) {
        // Tell a stale leader our term so it steps down (it may be cut off by CheckQuorum/PreVote).
        this.send({ type: 'appendResponse', from: this.id, to: m.from, term: this.term, index: 0, reject: false, rejectHint: 0, logTerm: 0 });
      } else if (m.type === 'requestPreVote') {
        this.send({ type: 'preVoteResponse', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'requestVote' || m.type === 'requestPreVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'precandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  // ---- outputs ------------------------------------------------------------------------------

  /** Whether ready() has anything; false while a Ready awaits advance(). */
  hasReady(): boolean {
    if (this.inFlight !== null) return false;
    this.flushBroadcast();
    return this.msgs.length > 0 || this.msgsAfterPersist.length > 0 || this.log.unstable.length > 0 ||
      this.log.snapshotUnstable || this.readStates.length > 0 || this.log.hasNextCommittedEntries() ||
      !sameHardState(this.hardState(), this.prevHardState) || !sameSoftState(this.softState(), this.prevSoftState);
  }

  /** Drains everything the application must persist, send and apply. Call advance() after. */
  ready(): Ready {
    assert(this.inFlight === null, 'raft: ready() called again before advance()');
    this.flushBroadcast();
    const hardState = this.hardState();
    const softState = this.softState();
    const entries = this.log.unstable.slice();
    const snapshot = this.log.snapshotUnstable
      ? { metadata: this.log.snapshot, snapshotRef: this.log.snapshotRef } : null;
    const committedEntries = this.log.nextCommittedEntries(this.cfg.maxCommittedBytesPerReady);
    const hardStateChanged = !sameHardState(hardState, this.prevHardState);
    const rd: Ready = {
      softState: sameSoftState(softState, this.prevSoftState) ? null : softState,
      hardState: hardStateChanged ? hardState : null,
      snapshot,
      entries,
      committedEntries,
      messages: this.msgs,
      messagesAfterPersist: this.msgsAfterPersist,
      readStates: this.readStates,
      mustSync: hardStateChanged || entries.length > 0 || snapshot !== null,
    };
    const last = entries.length > 0 ? entries[entries.length - 1] : null;
    this.inFlight = {
      lastEntry: last === null ? null : { index: last.index, term: last.term },
      snapshotIndex: snapshot === null ? null : snapshot.metadata.index,
      committedLastIndex: committedEntries.length > 0 ? committedEntries[committedEntries.length - 1].index : 0,
    };
    this.prevHardState = hardState;
    this.prevSoftState = softState;
    this.msgs = [];
    this.msgsAfterPersist = [];
    this.readStates = [];
    return rd;
  }

  /** The last Ready is persisted, its messages sent and its committed entries applied. */
  advance(): void {
    const done = this.inFlight;
    assert(done !== null, 'raft: advance() without a Ready');
    this.inFlight = null;
    if (done.snapshotIndex !== null) {
      this.log.stableSnapshotTo(done.snapshotIndex);
      if (!this.log.snapshotUnstable && done.snapshotIndex > this.log.applied) this.log.appliedTo(done.snapshotIndex);
    }
    if (done.lastEntry !== null) {
      this.log.stableTo(done.lastEntry.index, done.lastEntry.term);
      const self = this.role === 'leader' ? this.progress.get(this.id) : undefined;
      // The leader counts its own entries toward commit only once they are on its disk.
      if (self !== undefined && self.maybeUpdate(this.log.persistedLastIndex())) this.maybeCommit();
    }
    if (done.committedLastIndex > this.log.applied) this.log.appliedTo(done.committedLastIndex);
  }

  status(): RaftStatus {
    let progress: Record<NodeId, ProgressStatus> | null = null;
    if (this.role === 'leader') {
      progress = {};
      for (const [id, pr] of this.progress) {
        progress[id] = {
          match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive,
          inflightMessages: pr.inflights.count, pendingSnapshot: pr.pendingSnapshot, isLearner: pr.isLearner,
        };
      }
    }
    return {
      id: this.id, role: this.reportedRole(), term: this.term, vote: this.vote, lead: this.lead,
      commit: this.log.committed, applied: this.log.applied, lastIndex: this.log.lastIndex(),
      snapshotIndex: this.log.snapshot.index, conf: this.conf(), progress, leadTransferee: this.leadTransferee,
    };
  }

  /** Cheap accessors for hot loops (the simulator's invariant checks); status() copies. */
  currentTerm(): number {
    return this.term;
  }

  currentLeader(): NodeId | null {
    return this.lead;
  }

  isLeader(): boolean {
    return this.role === 'leader';
  }

  /** Membership in effect on this node. */
  conf(): ConfState {
    return this.confHistory[this.confHistory.length - 1].conf;
  }

  // ---- role transitions ---------------------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      assert(term > this.term, 'raft: term moves backwards');
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsedTicks = 0;
    this.heartbeatElapsedTicks = 0;
    this.randomizedElectionTicks = this.cfg.electionTicks + Math.floor(this.cfg.random() * this.cfg.electionTicks);
    this.leadTransferee = null;
    this.votes.clear();
    this.progress.clear();
    this.pendingConfIndex = 0;
    this.readOnly.clear();
    this.pendingReadsBeforeCommit = [];
    this.appendBroadcastPending = false;
    this.commitBroadcastPending = false;
  }

  private becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'raft: leader cannot become pre-candidate');
    this.role = 'precandidate';
    this.votes.clear();
    this.lead = null;
    this.randomizedElectionTicks = this.cfg.electionTicks + Math.floor(this.cfg.random() * this.cfg.electionTicks);
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'raft: leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'raft: only a candidate becomes leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    this.rebuildProgress();
    const self = this.progress.get(this.id);
    if (self !== undefined) self.maybeUpdate(this.log.persistedLastIndex());
    // Commit an entry of the new term at once: it commits everything before it (§5.4.2), and
    // gates conf changes and ReadIndex until it is committed/applied.
    const noop: Entry = { term: this.term, index: this.log.lastIndex() + 1, type: EntryType.Normal, data: EMPTY_DATA };
    this.pendingConfIndex = noop.index;
    this.appendAsLeader([noop]);
  }

  private campaign(kind: CampaignKind): void {
    if (!this.promotable()) return;
    let voteTerm: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (voteResult(this.conf().voters, this.votes) === 'won') {
      if (kind === 'preVote') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const type = kind === 'preVote' ? 'requestPreVote' : 'requestVote';
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const id of this.conf().voters) {
      if (id === this.id) continue;
      this.send({ type, from: this.id, to: id, term: voteTerm, index, logTerm, transfer: kind === 'transfer' });
    }
  }

  // ---- message handling ---------------------------------------------------------------------

  private handleVoteRequest(m: VoteRequestMessage): void {
    const preVote = m.type === 'requestPreVote';
    const canVote = this.vote === m.from || (this.vote === null && this.lead === null) ||
      (preVote && m.term > this.term);
    const upToDate = this.cfg.testOnlyBugs.voteWithoutLogCheck === true || this.log.isUpToDate(m.index, m.logTerm);
    const type = preVote ? 'preVoteResponse' : 'voteResponse';
    if (canVote && upToDate) {
      this.send({ type, from: this.id, to: m.from, term: m.term, reject: false });
      if (!preVote) {
        this.electionElapsedTicks = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'appendResponse':
        this.handleAppendResponse(m);
        return;
      case 'heartbeatResponse':
        this.handleHeartbeatResponse(m);
        return;
      case 'readIndex':
        this.handleReadIndexRequest(m.from, m.context);
        return;
      default:
        return; // another leader in our term cannot exist; stale responses are ignored
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'appendEntries':
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'voteResponse':
      case 'preVoteResponse':
        this.handleVoteResponse(m);
        return;
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'appendEntries':
        this.electionElapsedTicks = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case 'heartbeat':
        this.electionElapsedTicks = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.electionElapsedTicks = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        this.campaign('transfer');
        return;
      case 'readIndexResponse':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  private handleVoteResponse(m: VoteResponseMessage): void {
    if ((m.type === 'preVoteResponse') !== (this.role === 'precandidate')) return;
    if (!this.votes.has(m.from)) this.votes.set(m.from, !m.reject);
    switch (voteResult(this.conf().voters, this.votes)) {
      case 'won':
        if (this.role === 'precandidate') this.campaign('election');
        else this.becomeLeader();
        return;
      case 'lost':
        this.becomeFollower(this.term, null);
        return;
      case 'pending':
        return;
    }
  }

  private handleAppendEntries(m: AppendEntriesMessage): void {
    if (m.index < this.log.committed) {
      this.sendAppendResponse(m.from, this.log.committed, false, 0, 0);
      return;
    }
    const result = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (result !== undefined) {
      this.recordConfChanges(result.appended);
      this.sendAppendResponse(m.from, result.lastNewIndex, false, 0, 0);
      return;
    }
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.sendAppendResponse(m.from, m.index, true, hint.index, hint.term);
  }

  private handleHeartbeat(m: HeartbeatMessage): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: 'heartbeatResponse', from: this.id, to: m.from, term: this.term, context: m.context });
  }

  private handleSnapshot(m: SnapshotMessage): void {
    const s = m.snapshot;
    if (s.index <= this.log.committed) {
      this.sendAppendResponse(m.from, this.log.committed, false, 0, 0);
      return;
    }
    if (this.log.matchTerm(s.index, s.term)) {
      // We already hold the snapshot's last entry: just fast-forward the commit.
      this.log.commitTo(s.index);
      this.sendAppendResponse(m.from, this.log.committed, false, 0, 0);
      return;
    }
    this.log.restore(s, m.snapshotRef);
    this.confHistory = [{ index: s.index, conf: s.conf }];
    this.sendAppendResponse(m.from, this.log.lastIndex(), false, 0, 0);
  }

  private handleAppendResponse(m: AppendResponseMessage): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (m.reject) {
      let nextProbeIndex = m.rejectHint;
      if (m.logTerm > 0) nextProbeIndex = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecreaseTo(m.index, nextProbeIndex)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = pr.paused();
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe'))) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (!this.maybeCommit() && wasPaused) this.sendAppend(m.from, true);
    this.sendAppendsWhileAllowed(m.from);
    if (this.role === 'leader' && m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponseMessage): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    pr.probeSent = false;
    // Every append of a full window may have been lost: free one slot so the next append (or
    // its rejection) gets the follower moving again.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, true);
    if (m.context === null || (this.cfg.readOnly === 'lease' && this.cfg.checkQuorum)) return;
    const acks = this.readOnly.recordAck(m.from, m.context);
    if (acks === undefined || !hasQuorum(this.conf().voters, (id) => acks.has(id))) return;
    for (const request of this.readOnly.release(m.context)) {
      this.respondToRead(request.from, request.index, request.context);
    }
  }

  private handleReadIndexRequest(from: NodeId, context: string): void {
    if (this.log.term(this.log.committed) !== this.term) {
      // Our commit index may lag the real one until we commit an entry of our term.
      if (this.pendingReadsBeforeCommit.length < this.cfg.maxPendingReadIndexRequests) {
        this.pendingReadsBeforeCommit.push({ from, context });
      }
      return;
    }
    const voters = this.conf().voters;
    if (voters.length === 1 && voters[0] === this.id) {
      this.respondToRead(from, this.log.committed, context);
    } else if (this.cfg.readOnly === 'lease' && this.cfg.checkQuorum) {
      this.respondToRead(from, this.log.committed, context);
    } else if (this.readOnly.add(context, from, this.log.committed, this.id)) {
      this.broadcastHeartbeat(context);
    }
  }

  private respondToRead(from: NodeId, index: number, context: string): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.send({ type: 'readIndexResponse', from: this.id, to: from, term: this.term, index, context });
  }

  // ---- leader: replication ------------------------------------------------------------------

  private appendAsLeader(entries: Entry[]): void {
    this.log.append(entries);
    this.recordConfChanges(entries);
    this.appendBroadcastPending = true;
    if (this.cfg.testOnlyBugs.ackBeforePersist === true) {
      const self = this.progress.get(this.id);
      if (self !== undefined && self.maybeUpdate(this.log.lastIndex())) this.maybeCommit();
    }
  }

  /** Sends the batched appends and commit updates accumulated since the last flush. */
  private flushBroadcast(): void {
    if (this.role !== 'leader' || !(this.appendBroadcastPending || this.commitBroadcastPending)) return;
    const withCommit = this.commitBroadcastPending;
    this.appendBroadcastPending = false;
    this.commitBroadcastPending = false;
    for (const id of this.progress.keys()) {
      if (id === this.id) continue;
      if (withCommit) this.sendAppend(id, true);
      this.sendAppendsWhileAllowed(id);
    }
  }

  private sendAppendsWhileAllowed(to: NodeId): void {
    for (let sent = 0; sent <= this.cfg.maxInflightMessages && this.sendAppend(to, false); sent++) {
      // Each append takes an inflight slot, so the loop ends within the window.
    }
  }

  /** Sends `to` the entries it lacks (or a snapshot); false when paused or nothing to send. */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.paused()) return false;
    const lastIndex = this.log.lastIndex();
    assert(pr.next <= lastIndex + 1, `raft: progress.next ${pr.next} beyond last index ${lastIndex}`);
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return this.sendSnapshot(to, pr);
    const entries = this.log.entries(pr.next, lastIndex + 1, this.cfg.maxBytesPerAppend, this.cfg.maxEntriesPerAppend);
    if (entries === undefined) return this.sendSnapshot(to, pr);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: 'appendEntries', from: this.id, to, term: this.term, index: prevIndex, logTerm: prevTerm,
      entries, commit: this.log.committed,
    });
    pr.sentAppend(entries.length, prevIndex + entries.length);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    assert(!this.log.snapshotUnstable, 'raft: leader with an unstable snapshot');
    this.send({
      type: 'snapshot', from: this.id, to, term: this.term, snapshot: this.log.snapshot,
      snapshotRef: this.log.snapshotRef,
    });
    pr.becomeSnapshot(this.log.snapshot.index);
    return true;
  }

  private broadcastHeartbeat(context: string | null): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      this.send({
        type: 'heartbeat', from: this.id, to: id, term: this.term,
        commit: Math.min(pr.match, this.log.committed), context,
      });
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  /** Advances commit to what a quorum of voters holds, if that entry is of our term (Figure 8). */
  private maybeCommit(): boolean {
    const quorumIndex = committedIndex(this.conf().voters, (id) => this.progress.get(id)?.match ?? 0);
    const advanced = this.cfg.testOnlyBugs.commitPreviousTermByCount === true
      ? this.log.commitTo(Math.min(quorumIndex, this.log.lastIndex()))
      : this.log.maybeCommit(quorumIndex, this.term);
    if (advanced) this.afterCommitAdvanced();
    return advanced;
  }

  private afterCommitAdvanced(): void {
    this.commitBroadcastPending = true;
    if (this.pendingReadsBeforeCommit.length > 0 && this.log.term(this.log.committed) === this.term) {
      const waiting = this.pendingReadsBeforeCommit;
      this.pendingReadsBeforeCommit = [];
      for (const request of waiting) this.handleReadIndexRequest(request.from, request.context);
    }
    const latestConf = this.confHistory[this.confHistory.length - 1];
    if (!this.isVoter(this.id) && this.log.committed >= latestConf.index) this.stepDownAfterRemoval();
  }

  /** The leader's own removal is committed: hand over to the most up-to-date voter and step down. */
  private stepDownAfterRemoval(): void {
    this.flushBroadcast();
    let successor: NodeId | null = null;
    for (const id of this.conf().voters) {
      const pr = this.progress.get(id);
      if (pr !== undefined && pr.match === this.log.lastIndex()) successor = id;
    }
    if (successor !== null) this.sendTimeoutNow(successor);
    this.becomeFollower(this.term, null);
  }

  // ---- membership ---------------------------------------------------------------------------

  /** Records the ConfChange entries among freshly appended ones (undoing truncated changes). */
  private recordConfChanges(appended: Entry[]): void {
    if (appended.length === 0) return;
    const from = appended[0].index;
    let changed = false;
    while (this.confHistory.length > 1 && this.confHistory[this.confHistory.length - 1].index >= from) {
      this.confHistory.pop();
      changed = true;
    }
    for (const entry of appended) {
      if (entry.type !== EntryType.ConfChange) continue;
      const conf = applyConfChange(this.conf(), decodeConfChange(entry.data));
      this.confHistory.push({ index: entry.index, conf });
      changed = true;
    }
    if (changed && this.role === 'leader') this.reconcileProgress();
  }

  private rebuildProgress(): void {
    this.progress.clear();
    this.reconcileProgress();
  }

  /** Makes the progress map match the membership in effect (leader only). */
  private reconcileProgress(): void {
    const conf = this.conf();
    const members = new Set([...conf.voters, ...conf.learners]);
    for (const id of this.progress.keys()) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      const isLearner = conf.learners.includes(id);
      const pr = this.progress.get(id);
      if (pr !== undefined) {
        pr.isLearner = isLearner;
      } else {
        this.progress.set(id, new Progress(Math.max(1, this.log.lastIndex()), this.cfg.maxInflightMessages, isLearner));
      }
    }
    if (this.leadTransferee !== null && !conf.voters.includes(this.leadTransferee)) this.leadTransferee = null;
    if (this.role === 'leader' && this.progress.size > 0) {
      this.appendBroadcastPending = true;
      this.maybeCommit();
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private send(m: Message): void {
    const afterPersist = mustFollowPersistence(m.type) &&
      !(this.cfg.testOnlyBugs.ackBeforePersist === true && m.type === 'appendResponse');
    if (afterPersist) this.msgsAfterPersist.push(m);
    else this.msgs.push(m);
  }

  private sendAppendResponse(to: NodeId, index: number, reject: boolean, rejectHint: number, logTerm: number): void {
    this.send({ type: 'appendResponse', from: this.id, to, term: this.term, index, reject, rejectHint, logTerm });
  }

  private isVoter(id: NodeId): boolean {
    return this.conf().voters.includes(id);
  }

  private promotable(): boolean {
    return this.isVoter(this.id) && !this.log.snapshotUnstable;
  }

  private quorumActive(): boolean {
    return hasQuorum(this.conf().voters, (id) => id === this.id || this.progress.get(id)?.recentActive === true);
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private softState(): SoftState {
    return { lead: this.lead, role: this.reportedRole(), conf: this.conf() };
  }

  private reportedRole(): RaftRole {
    if (this.role === 'follower' && this.conf().learners.includes(this.id)) return 'learner';
    return this.role;
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.role === b.role && a.conf === b.conf;
}
