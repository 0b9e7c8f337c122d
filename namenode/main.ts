// Starts one namenode: opens its namespace in the data folder, builds the namesystem over the
// namespace log, and serves HTTP. Used by `dfs namenode` and by tests.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { createLogger } from '../shared/logger.js';
import {
  BLOCK_SIZE_BYTES_DEFAULT,
  DEAD_AFTER_MS_DEFAULT,
  HEARTBEAT_INTERVAL_MS_DEFAULT,
  NAMENODE_HTTP_PORT_DEFAULT,
  REPLICATION_DEFAULT,
  STALE_AFTER_MS_DEFAULT,
} from '../shared/constants.js';
import { NamespaceStore } from './namespace/store.js';
import { NamespaceStateMachine } from './namespace/apply.js';
import { LocalNamespaceLog } from './namespace-log.js';
import { DatanodeManager } from './datanodes/datanode-manager.js';
import { Namesystem, namesystemDefaults } from './namesystem.js';
import { buildNamenodeServer } from './server.js';

export interface NamenodeOptions {
  host?: string;
  port?: number;
  dataDir: string;
  clusterId?: string;
  defaultReplication?: number;
  defaultBlockSize?: number;
  heartbeatIntervalMs?: number;
  staleAfterMs?: number;
  deadAfterMs?: number;
  /** The HDFS superuser: owner of `/`. Defaults to the user running the namenode. */
  superuser?: string;
  logger?: Logger;
}

export interface RunningNamenode {
  id: string;
  url: string;
  namesystem: Namesystem;
  close(): Promise<void>;
}

export async function startNamenode(options: NamenodeOptions): Promise<RunningNamenode> {
  const host = options.host ?? '127.0.0.1';
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS_DEFAULT;
  mkdirSync(options.dataDir, { recursive: true });
  const store = new NamespaceStore(join(options.dataDir, 'namespace.sqlite'));
  const stateMachine = new NamespaceStateMachine(store);
  const log = new LocalNamespaceLog(stateMachine);
  const namenodeId = `nn-${options.port ?? NAMENODE_HTTP_PORT_DEFAULT}`;
  const logger = options.logger ?? createLogger({ component: 'namenode', nodeId: namenodeId });
  const datanodes = new DatanodeManager({
    staleAfterMs: options.staleAfterMs ?? Math.max(STALE_AFTER_MS_DEFAULT, 10 * heartbeatIntervalMs),
    deadAfterMs: options.deadAfterMs ?? DEAD_AFTER_MS_DEFAULT,
  });
  const superuser = options.superuser ?? userInfo().username;
  const namesystem = new Namesystem(
    store,
    stateMachine,
    log,
    datanodes,
    {
      ...namesystemDefaults(superuser),
      clusterId: options.clusterId ?? 'dfs-local',
      defaultReplication: options.defaultReplication ?? REPLICATION_DEFAULT,
      defaultBlockSize: options.defaultBlockSize ?? BLOCK_SIZE_BYTES_DEFAULT,
    },
    logger,
  );
  await namesystem.becomeLeader();
  const app = await buildNamenodeServer({ namesystem, namenodeId, heartbeatIntervalMs, startedAtMs: Date.now(), logger });
  await app.listen({ host, port: options.port ?? NAMENODE_HTTP_PORT_DEFAULT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${host}:${port}`;
  logger.info({ url, dataDir: options.dataDir, appliedIndex: stateMachine.appliedIndex }, 'namenode started');
  return {
    id: namenodeId,
    url,
    namesystem,
    async close() {
      await app.close();
      await log.close();
      store.close();
    },
  };
}
