// A follower that receives a leader's snapshot it does not need (it already committed that far, or
// holds the snapshot's last entry) declines it in the core and must go on serving its log. The
// storage once discarded the log as soon as the snapshot bytes were durable, before the core had
// decided: the next read of those entries stopped the namenode ("raft log index N is compacted").

import t from 'tap';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { pino } from 'pino';
import { crc32cOf } from '../shared/checksum.js';
import { NamespaceStore } from '../namenode/namespace/store.js';
import { NamespaceStateMachine } from '../namenode/namespace/apply.js';
import { RaftNamespaceLog } from '../namenode/raft-group/raft-namespace-log.js';
import { EntryType } from '../namenode/raft/types.js';
import type { Message } from '../namenode/raft/core/index.js';
import { temporaryDirectory, waitFor } from './helpers/processes.js';

void t.test('a declined snapshot leaves the follower its log: it keeps matching, appending and applying', async (t) => {
  const dir = temporaryDirectory('raft-snapshot-receive');
  // Port 9 on loopback: nothing listens there, so messages to the other member are simply lost.
  const self = 'http://127.0.0.1:9#self';
  const other = 'http://127.0.0.2:9#other';
  const store = new NamespaceStore(join(dir, 'ns.sqlite'));
  const dispatcher = new Agent({ connect: { timeout: 200 } });
  const log = await RaftNamespaceLog.open({
    id: self,
    raftDir: join(dir, 'raft'),
    stateMachine: new NamespaceStateMachine(store),
    bootstrapVoters: [self],
    secret: 'test-secret',
    dispatcher,
    logger: pino({ level: 'silent' }),
    tickMs: 10,
    onLeaderReady: async () => undefined,
  });
  t.teardown(async () => {
    await log.close();
    store.close();
    await dispatcher.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // A group of one elects itself and commits a few commands on its own.
  await waitFor('the single voter to lead', () => log.role === 'leader', 10_000);
  await log.submit({ op: 'format', now: 1, clusterId: 'c1', superuser: 'root', supergroup: 'supergroup' });
  for (let i = 0; i < 8; i++) {
    await log.submit({ op: 'mkdirs', now: 2, user: 'root', path: `/d${i}`, permission: 0o755, createParent: true, firstInodeId: 100 + 10 * i });
  }
  const before = log.status();
  t.equal(before.applied, before.commit, 'everything committed is applied');
  const ownTerm = before.term;

  // Another node, at a higher term, sends a snapshot of an index this node committed long ago.
  const snapshotIndex = before.commit - 4;
  const bytes = Buffer.from('snapshot bytes the follower never needs to open');
  const snapshotMessage = {
    type: 'snapshot',
    from: other,
    to: self,
    term: ownTerm + 10,
    snapshot: { index: snapshotIndex, term: ownTerm, conf: { voters: [self, other].sort(), learners: [] } },
    snapshotRef: '',
  } as Message & { type: 'snapshot' };
  await log.receiveSnapshot(snapshotMessage, (async function* () {
    yield bytes;
  })(), { sizeBytes: bytes.length, crc32c: crc32cOf(bytes) });

  const declined = log.status();
  t.equal(declined.role, 'follower', 'the higher term made it a follower');
  t.equal(declined.applied, before.commit, 'nothing was restored');

  // The sender appends a new entry (a no-op) after the follower's last one and commits it: the
  // follower checks its own entry at that index, which the snapshot covers.
  const next = before.commit + 1;
  const appended = await log.receiveAndReply([
    {
      type: 'appendEntries',
      from: other,
      to: self,
      term: ownTerm + 10,
      index: before.commit,
      logTerm: ownTerm,
      entries: [{ index: next, term: ownTerm + 10, type: EntryType.Normal, data: new Uint8Array(0) }],
      commit: next,
    },
  ]);
  t.match(appended.find((m) => m.type === 'appendResponse'), { reject: false, index: next }, 'the new entry is accepted');
  await waitFor('the new entry to be applied', () => log.status().applied === next, 10_000);
  t.equal(log.status().role, 'follower');
  t.equal(log.status().lastIndex, next);
});
