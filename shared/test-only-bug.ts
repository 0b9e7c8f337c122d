// TEST ONLY, NEVER IN PRODUCTION: planted bugs that let the chaos suite (test/chaos) prove its
// checker catches what it claims to. DFS_TEST_ONLY_BUG is read once, at start-up; unset (always, in
// production) every node behaves correctly.
//   stale-read: a namenode answers linearizable reads from its own applied state without the Raft
//               read barrier (ReadIndex on a follower, the lease check on a leader).

import type { Logger } from 'pino';

export const TEST_ONLY_BUGS = ['stale-read'] as const;
export type TestOnlyBug = (typeof TEST_ONLY_BUGS)[number];

const requested = process.env.DFS_TEST_ONLY_BUG || null;

export const testOnlyBug: TestOnlyBug | null = TEST_ONLY_BUGS.find((bug) => bug === requested) ?? null;

/** Says loudly that a bug is planted; refuses to start on a name it does not know. */
export function announceTestOnlyBug(logger: Logger): void {
  if (requested !== null && testOnlyBug === null) {
    throw new Error(`DFS_TEST_ONLY_BUG=${requested} is not a known test-only bug (${TEST_ONLY_BUGS.join(', ')})`);
  }
  if (testOnlyBug) logger.warn({ testOnlyBug }, `DFS_TEST_ONLY_BUG=${testOnlyBug}: this node misbehaves ON PURPOSE (test only, never use in production)`);
}
