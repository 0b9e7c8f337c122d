// Small helpers every bench module shares: progress lines on stderr, waiting for a condition with a
// deadline (never a fixed sleep), a bounded worker pool, unit conversions and the median.

import { performance } from 'node:perf_hooks';

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
/** Throughputs are in MB/s with MB = 10^6 bytes, as dd and fio print them. */
export const BYTES_PER_MB = 1_000_000;

const startedAtMs = performance.now();

/** A progress line on stderr, stamped with the seconds since the suite started. */
export function progress(message: string): void {
  const elapsedS = ((performance.now() - startedAtMs) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${elapsedS}s] ${message}\n`);
}

export function nowMs(): number {
  return performance.now();
}

export function megabytesPerSecond(sizeBytes: number, durationMs: number): number {
  return sizeBytes / BYTES_PER_MB / (durationMs / 1000);
}

export function perSecond(count: number, durationMs: number): number {
  return count / (durationMs / 1000);
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function delay(durationMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, durationMs));
}

export const POLL_INTERVAL_MS_DEFAULT = 50;

/** Polls `condition` until it returns a truthy value; throws naming `what` once `timeoutMs` has passed. */
export async function waitFor<T>(what: string, condition: () => T | Promise<T>, timeoutMs: number, intervalMs = POLL_INTERVAL_MS_DEFAULT): Promise<NonNullable<T>> {
  const deadlineMs = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadlineMs) break;
    await delay(intervalMs);
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
}

/**
 * Runs `task(index, worker)` for index 0..count-1 on `concurrency` workers; each worker takes the
 * next index when its previous task settles. The first failure stops every worker and is thrown.
 */
export async function runPool(count: number, concurrency: number, task: (index: number, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async (id: number) => {
    while (failure === null && next < count) {
      const index = next++;
      try {
        await task(index, id);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, (_, id) => worker(id)));
  if (failure !== null) throw failure;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
