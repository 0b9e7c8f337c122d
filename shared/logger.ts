// Structured logs: every line names its component and node, so a cluster's merged logs stay readable.

import { pino, type Logger, type LevelWithSilent } from 'pino';
import { currentRequestId } from './request-id.js';

export type { Logger };

export interface LoggerOptions {
  component: 'namenode' | 'datanode' | 'client' | 'cluster' | 'raft' | 'bench' | 'test';
  nodeId?: string;
  level?: LevelWithSilent;
  /** File descriptor or path; defaults to stderr so stdout stays free for command output. */
  destination?: number | string;
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? ((process.env.DFS_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info');
  const destination = pino.destination({ dest: options.destination ?? 2, sync: true });
  return pino(
    // Lines logged while serving a request carry its id (shared/request-id.ts), whichever logger writes them.
    { level, base: { component: options.component, node: options.nodeId }, timestamp: pino.stdTimeFunctions.isoTime, mixin: requestIdMixin },
    destination,
  );
}

/** A fresh object each time: pino merges the line's own fields into it. */
function requestIdMixin(): object {
  const reqId = currentRequestId();
  return reqId === undefined ? {} : { reqId };
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
