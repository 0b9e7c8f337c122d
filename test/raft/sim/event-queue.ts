// Virtual time for the simulator: a binary heap of events ordered by (time, insertion sequence),
// so simultaneous events run in a deterministic order.

import { assert } from '../../../shared/assert.js';

export interface Scheduled<E> {
  timeMs: number;
  seq: number;
  event: E;
}

export class EventQueue<E> {
  private heap: Scheduled<E>[] = [];
  private seq = 0;
  nowMs = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.heap.length;
  }

  schedule(delayMs: number, event: E): void {
    assert(delayMs >= 0, 'event queue: negative delay');
    assert(this.heap.length < this.capacity, 'event queue: capacity exceeded');
    const item = { timeMs: this.nowMs + delayMs, seq: this.seq++, event };
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = item;
  }

  /** Removes the earliest event and moves the clock to its time. */
  pop(): E | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop() as Scheduled<E>;
    if (heap.length > 0) {
      let i = 0;
      for (; ;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right], heap[left]) ? right : left;
        if (!before(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    assert(top.timeMs >= this.nowMs, 'event queue: time went backwards');
    this.nowMs = top.timeMs;
    return top.event;
  }
}

function before<E>(a: Scheduled<E>, b: Scheduled<E>): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}
