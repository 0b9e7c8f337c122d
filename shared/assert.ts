// Invariant checks that stay on in production: a broken invariant in a storage system must stop
// the operation loudly rather than let it write wrong state.

export class AssertionFailure extends Error {
  override name = 'AssertionFailure';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}

export function unreachable(value: never, what: string): never {
  throw new AssertionFailure(`unreachable ${what}: ${JSON.stringify(value)}`);
}
