// Structured logs: every line names its component and node, so a cluster's merged logs stay readable.

import { pino, type Logger, type LevelWithSilent } from 'pino';

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
    { level, base: { component: options.component, node: options.nodeId }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
