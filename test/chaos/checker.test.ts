// The linearizability checker on hand-made histories: it accepts what a correct namespace may
// answer (concurrency, unknown outcomes, reads overlapping an append) and catches what it may not
// (a stale read, a lost acknowledged write, an undone delete or rename), naming the failing window.

import t from 'tap';
import type { Op, OpArgs, OpKind, OpValue } from './history.js';
import fc from 'fast-check';
import { checkLinearizability, dirModel } from './checker.js';
import { searchLinearization } from './linearizability.js';
import { searchSegmented, segmentsOf } from './segmented.js';
import { decodeContent, writeContent, type Run } from './records.js';

let nextId = 0;
/** An operation over [invoke, complete] in seconds (null: unknown outcome). */
function op(process: string, kind: OpKind, args: OpArgs, invoke: number, complete: number | null, status: Op['status'], value?: OpValue, error?: string): Op {
  return { id: nextId++, process, kind, dir: '/d', args, invokeNs: invoke * 1e9, completeNs: complete === null ? null : complete * 1e9, status, value, error };
}
const content = (...runs: Run[]): OpValue => ({ kind: 'content', runs });
const check = (ops: Op[]) => checkLinearizability(ops, { blockRecords: 10 });

t.test('records: a write decodes to its runs; any damaged byte or cut record is reported', async (t) => {
  const data = Buffer.concat([writeContent(7, 3), writeContent(9, 2)]);
  t.same(decodeContent(data), { ok: true, runs: [[7, 3], [9, 2]] });
  const flipped = Buffer.from(data);
  flipped[100] ^= 1;
  t.match(decodeContent(flipped), { ok: false, reason: /bytes no write produced/ });
  t.match(decodeContent(data.subarray(0, 100)), { ok: false, reason: /not a multiple/ });
  t.match(decodeContent(data.subarray(64)), { ok: false, reason: /out of sequence/ });
});

t.test('sequential publish, append, read, rename, delete is linearizable', async (t) => {
  const ops = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 5 }, 0, 1, 'ok'),
    op('c1', 'append', { name: 'f', writeId: 2, records: 3 }, 2, 3, 'ok'),
    op('c2', 'read', { name: 'f' }, 4, 5, 'ok', content([1, 5], [2, 3])),
    op('c2', 'rename', { src: 'f', dst: 'g' }, 6, 7, 'ok'),
    op('c1', 'stat', { name: 'g' }, 8, 9, 'ok', { kind: 'length', records: 8 }),
    op('c1', 'list', {}, 8, 9, 'ok', { kind: 'names', names: ['g'] }),
    op('c2', 'delete', { name: 'g' }, 10, 11, 'ok', { kind: 'deleted', deleted: true }),
    op('c1', 'read', { name: 'g' }, 12, 13, 'fail', undefined, 'FileNotFound'),
  ];
  const { anomalies, partitions } = check(ops);
  t.same(anomalies, []);
  t.equal(partitions[0].result, 'linearizable');
});

t.test('a read concurrent with a publish may see either state', async (t) => {
  const ops = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 5 }, 0, 10, 'ok'),
    op('c2', 'read', { name: 'f' }, 1, 2, 'ok', content([1, 5])),
    op('c3', 'read', { name: 'f' }, 1, 3, 'fail', undefined, 'FileNotFound'),
  ];
  t.same(check(ops).anomalies, []);
});

t.test('a stale read after an acknowledged write is caught, with its window', async (t) => {
  const ops = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 5 }, 0, 1, 'ok'),
    op('c1', 'append', { name: 'f', writeId: 2, records: 3 }, 2, 3, 'ok'),
    op('c2', 'read', { name: 'f' }, 4, 5, 'ok', content([1, 5])),
  ];
  const { anomalies } = check(ops);
  t.equal(anomalies.length, 1);
  t.match(anomalies[0].message, /no linearization once #\d+ c2 .* read \/d\/f ok = w1×5/);
  t.equal(anomalies[0].window.length, 3, 'the window holds the three operations on f');
});

t.test('two readers seeing two writes in opposite orders is not linearizable', async (t) => {
  const ops = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 1 }, 0, 10, 'ok'),
    op('c2', 'delete', { name: 'f' }, 0, 10, 'ok', { kind: 'deleted', deleted: true }),
    op('c3', 'read', { name: 'f' }, 1, 2, 'ok', content([1, 1])),
    op('c3', 'read', { name: 'f' }, 3, 4, 'fail', undefined, 'FileNotFound'),
    op('c4', 'read', { name: 'f' }, 5, 6, 'ok', content([1, 1])),
  ];
  t.equal(check(ops).anomalies.length, 1, 'the file cannot come back after it was seen deleted');
});

t.test('an undone delete or rename is caught', async (t) => {
  const undoneDelete = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 2 }, 0, 1, 'ok'),
    op('c1', 'delete', { name: 'f' }, 2, 3, 'ok', { kind: 'deleted', deleted: true }),
    op('c2', 'stat', { name: 'f' }, 4, 5, 'ok', { kind: 'length', records: 2 }),
  ];
  t.equal(check(undoneDelete).anomalies.length, 1);
  const undoneRename = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 2 }, 0, 1, 'ok'),
    op('c1', 'rename', { src: 'f', dst: 'g' }, 2, 3, 'ok'),
    op('c2', 'list', {}, 4, 5, 'ok', { kind: 'names', names: ['f'] }),
  ];
  t.equal(check(undoneRename).anomalies.length, 1);
});

t.test('a lost acknowledged write is caught; an unknown one may be lost or kept whole or by blocks', async (t) => {
  const lost = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 2 }, 0, 1, 'ok'),
    op('c1', 'append', { name: 'f', writeId: 2, records: 25 }, 2, 3, 'ok'),
    op('c2', 'read', { name: 'f' }, 4, 5, 'ok', content([1, 2], [2, 8])),
  ];
  t.equal(check(lost).anomalies.length, 1);
  for (const kept of [[], [[2, 8]], [[2, 18]], [[2, 25]]] as Run[][]) {
    const unknown = [
      op('c1', 'publish', { name: 'f', writeId: 1, records: 2 }, 0, 1, 'ok'),
      op('c1', 'append', { name: 'f', writeId: 2, records: 25 }, 2, null, 'unknown', undefined, 'Unavailable'),
      op('c2', 'read', { name: 'f' }, 40, 41, 'ok', content([1, 2], ...kept)),
      op('c2', 'read', { name: 'f' }, 42, 43, 'ok', content([1, 2], ...kept)),
    ];
    t.same(check(unknown).anomalies, [], `an unknown append keeping ${JSON.stringify(kept)}`);
  }
});

t.test('a read may see part of an append still running, not part of a finished one', async (t) => {
  const running = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 2 }, 0, 1, 'ok'),
    op('c1', 'append', { name: 'f', writeId: 2, records: 25 }, 2, 10, 'ok'),
    op('c2', 'read', { name: 'f' }, 4, 5, 'ok', content([1, 2], [2, 7])),
    op('c2', 'stat', { name: 'f' }, 5, 6, 'ok', { kind: 'length', records: 13 }),
  ];
  t.same(check(running).anomalies, []);
  const finished = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 2 }, 0, 1, 'ok'),
    op('c1', 'append', { name: 'f', writeId: 2, records: 25 }, 2, 3, 'ok'),
    op('c2', 'read', { name: 'f' }, 4, 5, 'ok', content([1, 2], [2, 7])),
  ];
  t.equal(check(finished).anomalies.length, 1);
});

t.test('definite failures must match the state: FileAlreadyExists needs the file', async (t) => {
  const ops = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 2 }, 0, 1, 'fail', undefined, 'FileAlreadyExists'),
  ];
  t.equal(check(ops).anomalies.length, 1);
  const ok = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 2 }, 0, 1, 'ok'),
    op('c2', 'publish', { name: 'f', writeId: 2, records: 2 }, 2, 3, 'fail', undefined, 'FileAlreadyExists'),
    op('c2', 'rename', { src: 'g', dst: 'h' }, 2, 3, 'fail', undefined, 'FileNotFound'),
  ];
  t.same(check(ok).anomalies, []);
});

t.test('memoization keeps a wide concurrent history tractable', async (t) => {
  // 14 concurrent mkdirs commute: 14! orders, but only 2^14 distinct (set, state) pairs. A list
  // that no order explains forces the search through all of them.
  const ops: Op[] = [];
  for (let i = 0; i < 14; i++) ops.push(op(`c${i}`, 'mkdir', { name: `s${i}` }, 0, 1, 'ok'));
  ops.push(op('c99', 'list', {}, 2, 3, 'ok', { kind: 'names', names: ['s0', 'ghost'] }));
  const { anomalies, partitions } = check(ops);
  t.equal(partitions[0].result, 'not-linearizable', 'decided, not given up');
  t.equal(anomalies.length, 1);
  t.ok(partitions[0].steps < 1_000_000, `search took ${partitions[0].steps} steps`);
});

t.test('a history is cut only where no operation with a known outcome is in flight', async (t) => {
  const ops = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 1 }, 0, 2, 'ok'),
    op('c2', 'read', { name: 'f' }, 1, 3, 'ok', content([1, 1])),
    // Unknown: never completes, yet it does not stop the cut at 3..4 (it is carried across instead).
    op('c3', 'delete', { name: 'f' }, 2.5, null, 'unknown'),
    op('c1', 'stat', { name: 'f' }, 4, 5, 'ok', { kind: 'length', records: 1 }),
    // Invoked exactly when the stat completes: concurrent with it, so no cut there.
    op('c2', 'list', {}, 5, 6, 'ok', { kind: 'names', names: ['f'] }),
    // An unknown read changes nothing: dropped.
    op('c2', 'read', { name: 'f' }, 7, null, 'unknown'),
  ];
  t.same(segmentsOf(ops).map((segment) => segment.map((o) => o.id)), [[ops[0].id, ops[1].id, ops[2].id], [ops[3].id, ops[4].id]]);
});

t.test('across cuts: an unknown publish may take effect after the cut, but nothing may undo it', async (t) => {
  const ops = [
    op('c0', 'mkdir', { name: 'sub' }, 0, 1, 'ok'),
    op('c1', 'publish', { name: 'f', writeId: 1, records: 5 }, 1.5, null, 'unknown'),
    op('c2', 'read', { name: 'f' }, 2, 3, 'fail', undefined, 'FileNotFound'),
    op('c2', 'read', { name: 'f' }, 4, 5, 'ok', content([1, 5])),
  ];
  const carried = searchSegmented(dirModel(ops, 10), ops);
  t.equal(carried.segments, 3, 'three quiescent segments');
  t.equal(carried.result, 'linearizable', 'the pending publish takes effect in the last segment');
  const undone = [...ops, op('c3', 'read', { name: 'f' }, 6, 7, 'fail', undefined, 'FileNotFound')];
  const result = searchSegmented(dirModel(undone, 10), undone);
  t.equal(result.result, 'not-linearizable', 'seen published, then seen gone with no delete');
  t.equal(result.failedSegment, 3, 'in the segment of the last read');
  t.equal(check(undone).anomalies.length, 1, 'and reported');
});

t.test('across cuts: every possible state is carried, and a stale read after a cut is caught', async (t) => {
  // Two concurrent publishes of f race: either may win; later reads must agree with one winner.
  const race = [
    op('c1', 'publish', { name: 'f', writeId: 1, records: 1 }, 0, 2, 'ok'),
    op('c2', 'delete', { name: 'f' }, 0, 2, 'ok', { kind: 'deleted', deleted: true }),
    op('c3', 'publish', { name: 'f', writeId: 3, records: 1 }, 0.5, 2, 'fail', undefined, 'FileAlreadyExists'),
  ];
  const seenGone = [...race, op('c1', 'read', { name: 'f' }, 3, 4, 'fail', undefined, 'FileNotFound')];
  t.equal(searchSegmented(dirModel(seenGone, 10), seenGone).result, 'linearizable');
  const stale = [...seenGone, op('c2', 'read', { name: 'f' }, 5, 6, 'ok', content([1, 1]))];
  const result = searchSegmented(dirModel(stale, 10), stale);
  t.equal(result.segments, 3);
  t.equal(result.result, 'not-linearizable', 'a file seen deleted after the cut cannot come back');
  const { anomalies } = check(stale);
  t.equal(anomalies.length, 1);
  t.match(anomalies[0].message, /no linearization once #\d+ c2 .* read \/d\/f ok = w1×1/);
});

t.test('an unknown write overwritten later does not multiply the configurations carried', async (t) => {
  const ops: Op[] = [];
  for (let i = 0; i < 60; i++) {
    const base = i * 10;
    ops.push(op('c1', 'publish', { name: 'f', writeId: 100 + i, records: 1 }, base, null, 'unknown'));
    ops.push(op('c2', 'delete', { name: 'f' }, base + 1, base + 2, 'ok'));
    ops.push(op('c2', 'read', { name: 'f' }, base + 3, base + 4, 'fail', undefined, 'FileNotFound'));
  }
  const result = searchSegmented(dirModel(ops, 10), ops);
  t.equal(result.result, 'linearizable');
  t.ok(result.configsPeak <= 60 + 1, `${result.configsPeak} configurations at most across a cut`);
});

t.test('the segmented search agrees with the plain search on random small histories', async (t) => {
  const names = ['f', 'g'];
  const arbOp = fc.record({
    kind: fc.constantFrom('publish', 'append', 'delete', 'rename', 'read', 'list') as fc.Arbitrary<OpKind>,
    name: fc.constantFrom(...names),
    writeId: fc.integer({ min: 1, max: 3 }),
    invoke: fc.integer({ min: 0, max: 30 }),
    length: fc.integer({ min: 1, max: 6 }),
    outcome: fc.constantFrom('ok', 'ok', 'fail', 'unknown') as fc.Arbitrary<Op['status']>,
    seen: fc.constantFrom('none', 'w1', 'w2', 'w1w2'),
  });
  let conclusive = 0;
  fc.assert(fc.property(fc.array(arbOp, { minLength: 1, maxLength: 9 }), (specs) => {
    const ops = specs.map((s, i) => {
      const complete = s.outcome === 'unknown' ? null : s.invoke + s.length;
      const other = names.find((n) => n !== s.name)!;
      const value: OpValue | undefined = s.outcome !== 'ok' ? undefined
        : s.kind === 'read' ? content(...(s.seen === 'none' ? [] : s.seen === 'w1' ? [[1, 1] as Run] : s.seen === 'w2' ? [[2, 1] as Run] : [[1, 1] as Run, [2, 1] as Run]))
        : s.kind === 'list' ? { kind: 'names', names: s.seen === 'none' ? [] : s.seen === 'w1' ? ['f'] : s.seen === 'w2' ? ['g'] : ['f', 'g'] }
        : s.kind === 'delete' ? { kind: 'deleted', deleted: s.seen !== 'none' } : undefined;
      const args: OpArgs = s.kind === 'rename' ? { src: s.name, dst: other } : { name: s.name, writeId: s.writeId, records: 1 };
      return { id: i, process: `c${i}`, kind: s.kind, dir: '/d', args, invokeNs: s.invoke, completeNs: complete, status: s.outcome, value, error: s.outcome === 'fail' ? 'FileNotFound' : undefined } satisfies Op;
    });
    const plain = searchLinearization(dirModel(ops, 2), ops).result;
    const segmented = searchSegmented(dirModel(ops, 2), ops).result;
    if (plain === 'linearizable') conclusive++;
    return plain === segmented;
  }), { seed: 20261123, numRuns: 3000 });
  t.ok(conclusive > 100, `${conclusive} of the random histories were linearizable: both outcomes are exercised`);
});
