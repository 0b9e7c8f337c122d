// Scenario tests of the pure Raft core, organised like the Raft paper: election, log replication,
// safety, membership, snapshots, ReadIndex, leadership transfer, PreVote/CheckQuorum, and the
// Ready/advance contract. A tiny in-memory cluster delivers messages at once unless a node is cut
// off; elections are made deterministic by a zero jitter source.

import t from 'tap';
import {
  MemoryLogStorage, RaftNode, initialMemberState, joiningNodeState, type Message, type RaftConfig, type Ready,
} from '../namenode/raft/core/index.js';
import { EntryType, type Entry, type NodeId } from '../namenode/raft/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const cmd = (text: string): Uint8Array => encoder.encode(text);

class Cluster {
  readonly nodes = new Map<NodeId, RaftNode>();
  readonly storages = new Map<NodeId, MemoryLogStorage>();
  readonly applied = new Map<NodeId, string[]>();
  readonly readStates = new Map<NodeId, { index: number; context: string }[]>();
  readonly cut = new Set<NodeId>();
  readonly sent: Message[] = [];
  /** Commit index of every persisted hard state, per node. */
  readonly commits = new Map<NodeId, number[]>();
  private readonly options: Partial<RaftConfig>;

  /** Election jitter differs per node (n1 times out first, then n2, ...) so elections are predictable. */
  private static jitter(id: NodeId): number {
    return Math.min(0.9, (Number(id.slice(1)) - 1) * 0.3);
  }

  constructor(ids: NodeId[], options: Partial<RaftConfig> = {}) {
    this.options = options;
    for (const id of ids) this.start(id, initialMemberState(ids));
  }

  start(id: NodeId, initial = joiningNodeState()): RaftNode {
    const storage = new MemoryLogStorage(initial.snapshot);
    storage.setHardState(initial.hardState);
    this.storages.set(id, storage);
    this.applied.set(id, []);
    this.readStates.set(id, []);
    return this.boot(id);
  }

  /** (Re)creates a node from what its storage holds, as after a restart. */
  boot(id: NodeId): RaftNode {
    const storage = this.storages.get(id) as MemoryLogStorage;
    const node = new RaftNode({
      id, storage, hardState: storage.hardState, snapshot: storage.snapshot, random: () => Cluster.jitter(id), ...this.options,
    });
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): RaftNode {
    return this.nodes.get(id) as RaftNode;
  }

  /** Persists, sends, applies and advances every pending Ready, delivering messages, until quiet. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      const inbox: Message[] = [];
      for (const [id, node] of this.nodes) {
        if (!node.hasReady()) continue;
        const rd = node.ready();
        this.persist(id, rd);
        for (const m of [...rd.messages, ...rd.messagesAfterPersist]) inbox.push(m);
        node.advance();
      }
      if (inbox.length === 0) return;
      for (const m of inbox) this.deliver(m);
    }
    throw new Error('cluster did not stabilize');
  }

  persist(id: NodeId, rd: Ready): void {
    const storage = this.storages.get(id) as MemoryLogStorage;
    if (rd.snapshot !== null) {
      storage.applySnapshot(rd.snapshot.metadata);
      this.applied.set(id, [`snapshot@${rd.snapshot.metadata.index}`]);
    }
    storage.append(rd.entries);
    if (rd.hardState !== null) {
      storage.setHardState(rd.hardState);
      const commits = this.commits.get(id) ?? [];
      commits.push(rd.hardState.commit);
      this.commits.set(id, commits);
    }
    const applied = this.applied.get(id) as string[];
    for (const e of rd.committedEntries) if (e.type === EntryType.Normal && e.data.length > 0) applied.push(decoder.decode(e.data));
    (this.readStates.get(id) as { index: number; context: string }[]).push(...rd.readStates);
  }

  deliver(m: Message): void {
    this.sent.push(m);
    if (this.cut.has(m.from) || this.cut.has(m.to)) return;
    this.nodes.get(m.to)?.step(m);
  }

  /** Ticks every connected node until `id` leads (the test arranges for it to time out first). */
  elect(id: NodeId): void {
    const node = this.node(id);
    for (let i = 0; i < 100 && !node.isLeader(); i++) {
      for (const n of this.nodes.values()) if (!this.cut.has(n.id)) n.tick();
      this.stabilize();
    }
    if (!node.isLeader()) throw new Error(`${id} was not elected`);
  }

  tickAll(ticks: number): void {
    for (let i = 0; i < ticks; i++) {
      for (const node of this.nodes.values()) node.tick();
      this.stabilize();
    }
  }

  propose(id: NodeId, text: string): void {
    const result = this.node(id).propose(cmd(text));
    if (!result.accepted) throw new Error(`proposal refused: ${result.reason}`);
    this.stabilize();
  }
}

function roles(c: Cluster): string {
  return [...c.nodes.values()].map((n) => `${n.id}:${n.status().role}@${n.currentTerm()}`).join(' ');
}

t.test('§5.2 leader election', async (t) => {
  t.test('a follower that times out wins a pre-vote, then the election, and commits a no-op', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    t.equal(roles(c), 'n1:follower@1 n2:follower@1 n3:follower@1');
    c.elect('n1');
    t.equal(roles(c), 'n1:leader@2 n2:follower@2 n3:follower@2', 'one pre-vote round, one election: term 2');
    const s = c.node('n1').status();
    t.equal(s.commit, 2, 'the no-op of term 2 is committed');
    t.equal(c.node('n2').status().lead, 'n1');
    t.end();
  });

  t.test('a voter grants one vote per term and refuses a candidate with a less up-to-date log', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    c.propose('n1', 'a');
    const n3 = c.node('n3');
    // n2 never saw 'a'? It did; make a stale candidate by building one from scratch.
    const stale = { type: 'requestVote' as const, from: 'n9', to: 'n3', term: 10, index: 1, logTerm: 1, transfer: true };
    n3.step(stale);
    const rd = n3.ready();
    t.same(rd.messagesAfterPersist.map((m) => [m.type, (m as { reject?: boolean }).reject]), [['voteResponse', true]],
      'stale log: vote refused (and only sent after persisting the new term)');
    t.equal(rd.hardState?.term, 10, 'the higher term is adopted');
    n3.advance();
    n3.step({ ...stale, from: 'n2', index: 3, logTerm: 2 });
    n3.step({ ...stale, from: 'n1', index: 3, logTerm: 2 });
    const votes = n3.ready().messagesAfterPersist.map((m) => [m.to, (m as { reject?: boolean }).reject]);
    t.same(votes, [['n2', false], ['n1', true]], 'first up-to-date candidate gets the vote, the second is refused');
    n3.advance();
    t.end();
  });

  t.test('randomized election timeout lies in [electionTicks, 2·electionTicks)', (t) => {
    for (const jitter of [0, 0.5, 0.999]) {
      const storage = new MemoryLogStorage(initialMemberState(['a', 'b', 'c']).snapshot);
      const node = new RaftNode({ id: 'a', storage, hardState: { term: 1, vote: null, commit: 1 }, snapshot: storage.snapshot, random: () => jitter, preVote: false });
      let ticks = 0;
      while (node.status().role === 'follower' && ticks < 100) {
        node.tick();
        ticks++;
      }
      t.equal(ticks, 10 + Math.floor(jitter * 10), `jitter ${jitter}`);
    }
    t.end();
  });
  t.end();
});

t.test('§5.3 log replication', async (t) => {
  t.test('entries are replicated, committed and applied in the same order everywhere', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    for (const x of ['a', 'b', 'c']) c.propose('n1', x);
    c.tickAll(1); // a heartbeat carries the final commit index to followers
    for (const id of ['n1', 'n2', 'n3']) t.same(c.applied.get(id), ['a', 'b', 'c'], id);
    t.end();
  });

  t.test('proposals between two Readys travel as one batched append per follower', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    c.sent.length = 0;
    for (let i = 0; i < 100; i++) c.node('n1').propose(cmd(`x${i}`));
    const rd = c.node('n1').ready();
    const appends = rd.messages.filter((m) => m.type === 'appendEntries');
    t.same(appends.map((m) => [m.to, m.type === 'appendEntries' ? m.entries.length : 0]), [['n2', 100], ['n3', 100]]);
    t.equal(rd.entries.length, 100, 'and one batch to persist (one fsync)');
    t.end();
  });

  t.test('pipelining is bounded by maxInflightMessages', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3'], { maxInflightMessages: 3, maxEntriesPerAppend: 1 });
    c.elect('n1');
    for (let i = 0; i < 10; i++) c.node('n1').propose(cmd(`x${i}`));
    const rd = c.node('n1').ready();
    const toN2 = rd.messages.filter((m) => m.type === 'appendEntries' && m.to === 'n2');
    t.equal(toN2.length, 3, 'three appends in flight, one entry each');
    t.equal(c.node('n1').status().progress?.n2.state, 'replicate');
    t.equal(c.node('n1').status().progress?.n2.inflightMessages, 3);
    c.persist('n1', rd);
    for (const m of [...rd.messages, ...rd.messagesAfterPersist]) c.deliver(m);
    c.node('n1').advance();
    c.stabilize();
    t.equal(c.node('n1').status().commit, 12, 'the rest follows as acknowledgements free the window');
    t.end();
  });

  t.test('a follower with a long divergent tail is repaired in a few round trips (reject hint)', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    c.propose('n1', 'base');
    // n1 is cut off and accepts 50 proposals it cannot commit.
    c.cut.add('n1');
    for (let i = 0; i < 50; i++) c.node('n1').propose(cmd(`lost${i}`));
    c.stabilize();
    c.cut.delete('n1');
    // n2 becomes leader in term 3 and commits new entries with n3.
    c.cut.add('n1');
    c.elect('n2');
    for (let i = 0; i < 5; i++) c.propose('n2', `kept${i}`);
    c.cut.delete('n1');
    c.sent.length = 0;
    c.tickAll(1);
    const rejects = c.sent.filter((m) => m.type === 'appendResponse' && m.reject && m.from === 'n1');
    t.ok(rejects.length <= 2, `n1's 50 conflicting entries are skipped with ${rejects.length} rejection(s)`);
    t.same(c.applied.get('n1'), ['base', ...Array.from({ length: 5 }, (_, i) => `kept${i}`)], 'n1 now holds the leader log');
    t.end();
  });
  t.end();
});

t.test('§5.4 safety', async (t) => {
  t.test('Figure 8: a leader does not commit an entry of an earlier term by counting replicas', (t) => {
    const outcome: Record<string, boolean> = {};
    for (const buggy of [false, true]) {
      const c = new Cluster(['n1', 'n2', 'n3'], {
        preVote: false, checkQuorum: false, maxEntriesPerAppend: 1,
        testOnlyBugs: buggy ? { commitPreviousTermByCount: true } : {},
      });
      c.elect('n1');                                  // term 2, commit 2
      c.cut.add('n2');
      c.cut.add('n3');
      c.node('n1').propose(cmd('old'));               // index 3, term 2: on n1 only
      c.stabilize();
      c.cut.delete('n2');
      for (let i = 0; i < 20 && c.node('n2').currentTerm() === 2; i++) {
        c.node('n2').tick();                          // n2 campaigns in term 3 and loses (n1's log is longer)
        c.stabilize();
      }
      c.cut.delete('n3');
      const n1 = c.node('n1');
      for (let i = 0; i < 40 && !n1.isLeader(); i++) {
        n1.tick();                                     // n1 wins a later term with n2 and n3
        c.stabilize();
      }
      t.ok(n1.isLeader() && n1.currentTerm() > 3, `n1 leads term ${n1.currentTerm()}`);
      // The first append (one entry per message) carries only the term-2 entry; once n2 and n3
      // hold it a majority has it, but it must be committed only with the new term's no-op.
      const committedOldAlone = (c.commits.get('n1') ?? []).includes(3);
      outcome[buggy ? 'bug' : 'correct'] = committedOldAlone;
      t.equal(n1.status().commit, 4, 'in the end both entries are committed');
    }
    t.same(outcome, { correct: false, bug: true }, 'only the planted bug commits index 3 by counting');
    t.end();
  });

  t.test('acknowledgements wait for persistence; a leader counts itself only after advance()', (t) => {
    const c = new Cluster(['n1']);
    c.elect('n1');
    const n1 = c.node('n1');
    const before = n1.status().commit;
    n1.propose(cmd('a'));
    const rd = n1.ready();
    t.equal(n1.status().commit, before, 'not committed while unpersisted');
    c.persist('n1', rd);
    n1.advance();
    t.equal(n1.status().commit, before + 1, 'committed once advance() says it is on disk');
    const c3 = new Cluster(['n1', 'n2', 'n3']);
    c3.elect('n1');
    c3.node('n1').propose(cmd('b'));
    const leaderReady = c3.node('n1').ready();
    c3.node('n2').step(leaderReady.messages.find((m) => m.to === 'n2') as Message);
    const followerReady = c3.node('n2').ready();
    t.same(followerReady.messages, [], 'nothing may leave before persisting');
    t.same(followerReady.messagesAfterPersist.map((m) => m.type), ['appendResponse'], 'the ack waits for the fsync');
    t.equal(followerReady.entries.length, 1, 'the entry it acknowledges is in the same Ready');
    t.end();
  });

  t.test('a restarted node resumes from its storage (term, vote, log, commit)', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    c.propose('n1', 'a');
    c.tickAll(1);
    const before = c.node('n2').status();
    const restarted = c.boot('n2');
    const after = restarted.status();
    t.same([after.term, after.vote, after.lastIndex, after.commit], [before.term, before.vote, before.lastIndex, before.commit]);
    t.end();
  });
  t.end();
});

t.test('§6 membership changes', async (t) => {
  t.test('add a learner, let it catch up, promote it; it then counts toward commit', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    c.propose('n1', 'a');
    c.start('n4');
    const r = c.node('n1').proposeConfChange({ type: 'addLearner', node: 'n4' });
    t.ok(r.accepted);
    c.stabilize();
    c.tickAll(2);
    t.equal(c.node('n4').status().role, 'learner');
    t.same(c.applied.get('n4')?.slice(-1), ['a'], 'the learner caught up (from the bootstrap snapshot on)');
    t.same(c.node('n1').proposeConfChange({ type: 'promoteLearner', node: 'n4' }).accepted, true);
    c.stabilize();
    t.same(c.node('n1').conf(), { voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
    for (const id of ['n2', 'n3']) c.cut.add(id);
    c.propose('n1', 'b');
    t.ok(c.node('n1').status().commit < c.node('n1').status().lastIndex, 'n1 + n4 are not a majority of four');
    t.end();
  });

  t.test('one change at a time: a second change waits until the first is applied', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    const n1 = c.node('n1');
    t.ok(n1.proposeConfChange({ type: 'addLearner', node: 'n4' }).accepted);
    const second = n1.proposeConfChange({ type: 'addLearner', node: 'n5' });
    t.same(second.accepted ? 'accepted' : second.reason, 'conf-change-pending');
    c.stabilize();
    t.ok(n1.proposeConfChange({ type: 'addLearner', node: 'n5' }).accepted, 'accepted once applied');
    c.stabilize();
    const invalid = n1.proposeConfChange({ type: 'removeNode', node: 'n9' });
    t.same(invalid.accepted ? 'accepted' : invalid.reason, 'invalid-conf-change');
    t.end();
  });

  t.test('removing the leader: it keeps leading until the change commits, then steps down', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    t.ok(c.node('n1').proposeConfChange({ type: 'removeNode', node: 'n1' }).accepted);
    c.stabilize();
    t.notOk(c.node('n1').isLeader(), 'the old leader stepped down');
    t.same(c.node('n2').conf().voters, ['n2', 'n3']);
    c.tickAll(25);
    const leaders = [...c.nodes.values()].filter((n) => n.isLeader()).map((n) => n.id);
    t.equal(leaders.length, 1);
    t.not(leaders[0], 'n1', 'a remaining voter leads (TimeoutNow handed over at once)');
    t.end();
  });
  t.end();
});

t.test('§7 log compaction and InstallSnapshot', (t) => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.elect('n1');
  c.cut.add('n3');
  for (let i = 0; i < 20; i++) c.propose('n1', `e${i}`);
  const n1 = c.node('n1');
  const meta = n1.compact(n1.status().applied, 'snap-ref-1');
  t.ok(meta !== null && meta.index === n1.status().applied, 'the core returns the metadata to store');
  (c.storages.get('n1') as MemoryLogStorage).compact(meta as NonNullable<typeof meta>);
  t.equal(n1.compact(3, 'older'), null, 'compacting below the snapshot is a no-op');
  c.cut.delete('n3');
  c.sent.length = 0;
  c.tickAll(3);
  const snap = c.sent.find((m) => m.type === 'snapshot');
  t.ok(snap !== undefined && snap.type === 'snapshot' && snap.snapshotRef === 'snap-ref-1', 'n3 is sent the snapshot by ref');
  c.node('n1').reportSnapshot('n3', true);
  c.tickAll(3);
  t.equal(c.node('n1').status().progress?.n3.state, 'replicate');
  t.same(c.applied.get('n3')?.[0], `snapshot@${meta?.index ?? 0}`, 'n3 installed the snapshot');
  c.propose('n1', 'after');
  c.tickAll(1);
  t.same(c.applied.get('n3')?.slice(-1), ['after'], 'and replicates normally afterwards');
  t.end();
});

t.test('§8 ReadIndex', async (t) => {
  t.test('the leader answers after a heartbeat round with its commit index', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    c.propose('n1', 'a');
    const n1 = c.node('n1');
    t.ok(n1.readIndex('r1'));
    const rd = n1.ready();
    t.same(rd.readStates, [], 'not before a quorum confirmed leadership');
    t.ok(rd.messages.some((m) => m.type === 'heartbeat' && m.context === 'r1'));
    c.persist('n1', rd);
    for (const m of [...rd.messages, ...rd.messagesAfterPersist]) c.deliver(m);
    n1.advance();
    c.stabilize();
    t.same(c.readStates.get('n1'), [{ index: n1.status().commit, context: 'r1' }]);
    t.end();
  });

  t.test('a follower forwards the read to the leader; with no leader it is refused', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    t.notOk(c.node('n2').readIndex('x'), 'no leader known');
    c.elect('n1');
    t.ok(c.node('n2').readIndex('r2'));
    c.stabilize();
    t.same(c.readStates.get('n2'), [{ index: c.node('n1').status().commit, context: 'r2' }]);
    t.end();
  });

  t.test('a new leader answers only once it has committed an entry of its term', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    const n1 = c.node('n1');
    for (let i = 0; i < 10; i++) n1.tick();
    c.stabilize(); // pre-vote and vote done, n1 leader, no-op being replicated in the same pass
    t.ok(n1.isLeader());
    t.ok(n1.readIndex('early'));
    c.stabilize();
    t.same(c.readStates.get('n1'), [{ index: n1.status().commit, context: 'early' }]);
    t.equal(n1.log.term(c.readStates.get('n1')?.[0].index ?? 0), n1.currentTerm());
    t.end();
  });

  t.test('lease reads answer at once (only with CheckQuorum)', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3'], { readOnly: 'lease' });
    c.elect('n1');
    c.node('n1').readIndex('fast');
    const rd = c.node('n1').ready();
    t.same(rd.readStates, [{ index: c.node('n1').status().commit, context: 'fast' }]);
    t.end();
  });

  t.test('leaseReadIndex: the same answer, synchronously, exactly where readIndex answers at once', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3'], { readOnly: 'lease' });
    c.elect('n1');
    t.equal(c.node('n1').leaseReadIndex(), c.node('n1').status().commit, 'a leader with a lease: its commit index');
    t.equal(c.node('n2').leaseReadIndex(), null, 'a follower has no lease');
    c.propose('n1', 'x');
    c.stabilize();
    t.equal(c.node('n1').leaseReadIndex(), c.node('n1').status().commit, 'it follows the commit index');
    const safe = new Cluster(['n1', 'n2', 'n3']);
    safe.elect('n1');
    t.equal(safe.node('n1').leaseReadIndex(), null, 'without lease mode every read takes a heartbeat round');
    t.end();
  });
  t.end();
});

t.test('§3.10 leadership transfer', (t) => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.elect('n1');
  c.cut.add('n3');
  c.propose('n1', 'a');
  c.cut.delete('n3');
  const n1 = c.node('n1');
  c.sent.length = 0;
  t.ok(n1.transferLeadership('n3'));
  const refused = n1.propose(cmd('during'));
  t.same(refused.accepted ? 'accepted' : refused.reason, 'transferring', 'proposals are refused during a transfer');
  c.stabilize();
  const types = c.sent.map((m) => m.type);
  t.ok(types.indexOf('appendEntries') < types.indexOf('timeoutNow'), 'n3 is brought up to date before TimeoutNow');
  t.ok(c.node('n3').isLeader(), 'n3 leads');
  t.equal(roles(c), 'n1:follower@3 n2:follower@3 n3:leader@3');
  t.end();
});

t.test('§9.6 PreVote and CheckQuorum', async (t) => {
  t.test('a partitioned node rejoining does not disrupt the leader', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    c.cut.add('n3');
    for (let i = 0; i < 50; i++) {
      c.node('n3').tick();
      c.stabilize();
    }
    t.equal(c.node('n3').currentTerm(), 2, 'pre-votes failed: the isolated node did not inflate its term');
    c.cut.delete('n3');
    c.node('n3').tick();
    c.stabilize();
    t.equal(roles(c), 'n1:leader@2 n2:follower@2 n3:precandidate@2', 'the rejoining pre-candidate is ignored...');
    c.tickAll(2);
    t.equal(roles(c), 'n1:leader@2 n2:follower@2 n3:follower@2', '...and follows the leader at its next heartbeat');
    t.end();
  });

  t.test('a leader that cannot hear a majority steps down within an election timeout', (t) => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    c.cut.add('n1');
    for (let i = 0; i < 20 && c.node('n1').isLeader(); i++) c.node('n1').tick();
    t.notOk(c.node('n1').isLeader(), 'stepped down');
    t.end();
  });
  t.end();
});

t.test('Ready/advance contract and status', (t) => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.elect('n1');
  const n1 = c.node('n1');
  n1.propose(cmd('a'));
  const rd = n1.ready();
  t.throws(() => n1.ready(), /before advance/, 'one Ready at a time');
  t.notOk(n1.hasReady(), 'hasReady is false while a Ready is out');
  c.persist('n1', rd);
  for (const m of [...rd.messages, ...rd.messagesAfterPersist]) c.deliver(m);
  n1.advance();
  c.stabilize();
  const s = n1.status();
  t.match(s, { id: 'n1', role: 'leader', term: 2, lead: 'n1', conf: { voters: ['n1', 'n2', 'n3'], learners: [] } });
  t.match(s.progress?.n2, { match: s.lastIndex, next: s.lastIndex + 1, state: 'replicate' });
  t.equal(c.node('n2').status().progress, null, 'followers have no progress map');
  const notLeader = c.node('n2').propose(cmd('x'));
  t.same(notLeader, { accepted: false, reason: 'not-leader', leader: 'n1' }, 'followers redirect to the leader');
  t.end();
});

/** Helper kept for readable failures when a test needs to show a log. */
export function describeLog(entries: Entry[]): string {
  return entries.map((e) => `${e.index}@${e.term}`).join(' ');
}
