// ReadIndex bookkeeping on the leader (etcd's read_only.go): each request records the commit
// index at arrival; a heartbeat round tagged with the request's context confirms leadership; once
// a quorum acknowledges a context, it and every request queued before it are released.

import { assert } from '../../../shared/assert.js';
import type { NodeId } from '../types.js';

export interface ReadIndexRequest {
  context: string;
  /** Who asked: the leader itself or the follower that forwarded it. */
  from: NodeId;
  /** Leader's commit index when the request arrived. */
  index: number;
  acks: Set<NodeId>;
}

export class ReadOnlyQueue {
  private readonly byContext = new Map<string, ReadIndexRequest>();
  private queue: ReadIndexRequest[] = [];

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.queue.length;
  }

  /** Queues a request; false when full or the context is already queued. */
  add(context: string, from: NodeId, index: number, self: NodeId): boolean {
    if (this.byContext.has(context) || this.queue.length >= this.capacity) return false;
    const request: ReadIndexRequest = { context, from, index, acks: new Set([self]) };
    this.byContext.set(context, request);
    this.queue.push(request);
    return true;
  }

  /** Records `from`'s acknowledgement of `context`; returns the request's acks (if queued). */
  recordAck(from: NodeId, context: string): ReadonlySet<NodeId> | undefined {
    const request = this.byContext.get(context);
    if (request === undefined) return undefined;
    request.acks.add(from);
    return request.acks;
  }

  /** Removes and returns every request up to and including `context`. */
  release(context: string): ReadIndexRequest[] {
    const position = this.queue.findIndex((request) => request.context === context);
    assert(position >= 0, 'read-only: releasing an unknown context');
    const released = this.queue.slice(0, position + 1);
    this.queue = this.queue.slice(position + 1);
    for (const request of released) this.byContext.delete(request.context);
    return released;
  }

  lastContext(): string | null {
    return this.queue.length === 0 ? null : this.queue[this.queue.length - 1].context;
  }

  clear(): void {
    this.queue = [];
    this.byContext.clear();
  }
}
