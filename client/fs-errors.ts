// Errors the fs/promises-shaped API throws: DfsErrors (so `kind` and Hadoop's message stay) that
// also carry what Node's fs errors carry: `code` (ENOENT...), `errno`, `syscall` and `path`.

import { constants as osConstants } from 'node:os';
import { DfsError, isDfsError, type ErrorKind } from '../shared/errors.js';

export interface FsErrorFields {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly path: string;
  readonly dest?: string;
}

export type DfsFsError = DfsError & FsErrorFields;

const errnoOf = (code: string): number => -((osConstants.errno as Record<string, number>)[code] ?? 0);

/** Gives a DfsError Node's `syscall`, `path` (and `dest`) fields; other errors pass through unchanged. */
export function withFsContext(error: unknown, syscall: string, path: string, dest?: string): unknown {
  if (!isDfsError(error)) return error;
  const fields = { errno: errnoOf(error.code), syscall, path, ...(dest === undefined ? {} : { dest }) };
  for (const [key, value] of Object.entries(fields)) {
    Object.defineProperty(error, key, { value, enumerable: true, configurable: true, writable: true });
  }
  return error;
}

/** A new fs-style error of `kind` about `path`, for conditions the client detects itself. */
export function fsError(kind: ErrorKind, message: string, syscall: string, path: string, dest?: string): DfsFsError {
  return withFsContext(new DfsError(kind, message, { path }), syscall, path, dest) as DfsFsError;
}

/** Runs `action`, turning any DfsError it throws into an fs-style one. */
export async function fsCall<T>(syscall: string, path: string, action: () => Promise<T>, dest?: string): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw withFsContext(error, syscall, path, dest);
  }
}
