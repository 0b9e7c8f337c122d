// The Raft snapshot copy of the namespace: taken in steps while entries keep being applied, it is
// the namespace as of the position it reports, and the event loop keeps turning while it runs.

import t from 'tap';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { NamespaceStore } from '../namenode/namespace/store.js';
import { NamespaceStateMachine } from '../namenode/namespace/apply.js';
import type { NamespaceCommand } from '../namenode/namespace/commands.js';
import { temporaryDirectory } from './helpers/processes.js';

void t.test('a backup taken while entries are applied matches the position it reports', async (t) => {
  const dir = temporaryDirectory('namespace-backup');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new NamespaceStore(join(dir, 'ns.sqlite'));
  const sm = new NamespaceStateMachine(store);
  let index = 0;
  let nextId = 100;
  const apply = (command: NamespaceCommand) => sm.applyBatch([{ index: ++index, term: 3, command }]);
  apply({ op: 'format', now: 1, clusterId: 'c1', superuser: 'root', supergroup: 'supergroup' });
  const mkdir = (path: string): NamespaceCommand => ({ op: 'mkdirs', now: 2, user: 'root', path, permission: 0o755, createParent: true, firstInodeId: (nextId += 10) });
  // Enough pages that the backup needs many steps (a few MB).
  for (let batch = 0; batch < 40; batch++) {
    sm.applyBatch(Array.from({ length: 250 }, (_, i) => ({ index: ++index, term: 3, command: mkdir(`/before/b${batch}/d${i}-${'x'.repeat(100)}`) })));
  }

  const target = join(dir, 'copy.sqlite');
  let done = false;
  const copying = store.backupTo(target).finally(() => {
    done = true;
  });
  // Entries keep coming while the copy runs, one per event-loop turn.
  let appliedDuring = 0;
  while (!done) {
    apply(mkdir(`/during/d${appliedDuring++}`));
    await nextTurn();
  }
  const position = await copying;
  t.ok(appliedDuring > 3, `the event loop turned during the copy (${appliedDuring} entries applied meanwhile)`);
  t.equal(position.term, 3);
  t.ok(position.index > 10_001 && position.index <= index, `the copy is at index ${position.index} of ${index}`);

  // The copy holds exactly the entries up to its position: every /during directory up to it.
  const copy = new NamespaceStore(target);
  try {
    t.equal(copy.getNumber('applied_index'), position.index);
    const duringEntries = position.index - 10_001; // format at 1, 40 x 250 before it at 2..10001, then the /during ones
    const during = copy.resolve('/during');
    const children = during ? (copy.db.prepare('SELECT COUNT(*) AS n FROM inodes WHERE parent = ?').get(during.id) as { n: number }).n : 0;
    t.equal(children, duringEntries, 'the directories created during the copy up to its position, and no more');
    t.ok(copy.resolve('/before/b39/d249-' + 'x'.repeat(100)), 'what came before is there');
  } finally {
    copy.close();
    store.close();
  }
});
