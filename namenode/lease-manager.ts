// Leases on files being written, as in HDFS: one writer (clientName) per file, recorded in the
// replicated namespace (`inodes.lease_holder`); renewals are soft state on the leader. After the
// soft limit another client may take the file over; after the hard limit the leader closes it
// itself (lease recovery), keeping every block a datanode finalized and dropping an unfinished one.

import type { Logger } from 'pino';
import { LEASE_HARD_LIMIT_MS, LEASE_SOFT_LIMIT_MS } from '../shared/constants.js';

export interface LeaseLimits {
  softLimitMs: number;
  hardLimitMs: number;
}

export const leaseLimitsDefault = (): LeaseLimits => ({ softLimitMs: LEASE_SOFT_LIMIT_MS, hardLimitMs: LEASE_HARD_LIMIT_MS });

/** Files recovered per monitor pass at most, so one pass never floods the log. */
const RECOVERIES_PER_PASS_MAX = 100;

export class LeaseManager {
  private readonly renewedAtMs = new Map<string, number>();
  private leaderSinceMs: number;

  constructor(
    readonly limits: LeaseLimits,
    private readonly clock: () => number = Date.now,
  ) {
    this.leaderSinceMs = clock();
  }

  renew(holder: string): void {
    this.renewedAtMs.set(holder, this.clock());
  }

  /** A new leader cannot know when holders last renewed: every lease starts afresh, as HDFS does. */
  restartAll(): void {
    this.renewedAtMs.clear();
    this.leaderSinceMs = this.clock();
  }

  private silentMs(holder: string): number {
    return this.clock() - (this.renewedAtMs.get(holder) ?? this.leaderSinceMs);
  }

  softLimitExpired(holder: string): boolean {
    return this.silentMs(holder) > this.limits.softLimitMs;
  }

  hardLimitExpired(holder: string): boolean {
    return this.silentMs(holder) > this.limits.hardLimitMs;
  }

  forget(holder: string): void {
    this.renewedAtMs.delete(holder);
  }
}

export interface LeaseRecoveryTarget {
  isLeader(): boolean;
  filesUnderConstruction(): Array<{ path: string; holder: string }>;
  recoverLease(path: string, holder: string): Promise<void>;
}

/** Checks leases on the leader every `intervalMs`; returns a function that stops the monitor. */
export function startLeaseMonitor(leases: LeaseManager, target: LeaseRecoveryTarget, logger: Logger, intervalMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running || !target.isLeader()) return;
    running = true;
    void (async () => {
      const expired = target.filesUnderConstruction().filter((file) => leases.hardLimitExpired(file.holder)).slice(0, RECOVERIES_PER_PASS_MAX);
      for (const file of expired) {
        try {
          await target.recoverLease(file.path, file.holder);
          logger.info({ path: file.path, holder: file.holder }, 'lease recovered: the writer went silent past the hard limit');
        } catch (error) {
          logger.warn({ path: file.path, holder: file.holder, err: error }, 'lease recovery failed; will retry');
        }
      }
    })().finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
