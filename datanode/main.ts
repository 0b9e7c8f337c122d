// Starts a datanode: identity, block store, HTTP server, namenode links, command execution.

import { Agent } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, type Logger } from '../shared/logger.js';
import { assert } from '../shared/assert.js';
import type { DatanodeCommand } from '../shared/protocol.js';
import { loadOrCreateIdentity } from './identity.js';
import { BlockStore } from './storage/block-store.js';
import { buildDatanodeServer } from './server.js';
import { NamenodeLinks } from './namenode-link.js';
import { Replicator } from './replicator.js';
import { BlockScanner, SCAN_PERIOD_MS_DEFAULT, SCAN_RATE_BYTES_PER_SECOND_DEFAULT } from './block-scanner.js';
import { nodeInfo, xceiverCount, type DatanodeContext } from './context.js';
import { withRequestIds } from '../shared/request-id.js';
import { TransferRegistry } from './transfers.js';
import { BlockTokenKey } from '../shared/block-token.js';
import { agentTlsOptions, schemeOf, type TlsFiles } from '../shared/tls.js';

export interface DatanodeOptions {
  host?: string;               // listen address, default '127.0.0.1'
  port: number;                // 0 = any free port
  dataDirs: string[];          // one or more volumes; created if missing
  namenodes: string[];         // namenode base URLs, e.g. ['http://127.0.0.1:9870']
  advertisedUrl?: string;      // what clients/peers use; default http://host:actualPort
  heartbeatIntervalMs?: number;
  blockReportIntervalMs?: number;
  reservedBytes?: number;
  capacityBytes?: number;      // cap for tests
  rack?: string;
  /** Block scanner: bytes verified per second at most, and how often each replica is re-verified. */
  scanRateBytesPerSecond?: number;
  scanPeriodMs?: number;
  /** Close a connection idle this long (a stalled upload or reader); default DATANODE_IDLE_TIMEOUT_MS_DEFAULT. */
  idleTimeoutMs?: number;
  logger?: Logger;             // from shared/logger.ts
  /** The cluster secret: presented to namenodes and peers, required of them and of clients' block tokens. */
  clusterSecret?: string;
  /** Serve HTTPS with this certificate and key. */
  tls?: TlsFiles;
}

export interface RunningDatanode {
  uuid: string;
  url: string;
  close(): Promise<void>;
}

/** How long close() waits for writes being torn down to remove their temporary files. */
const CLOSE_DRAIN_MS_MAX = 5_000;
const DEFAULT_RACK = '/default-rack';

export async function startDatanode(options: DatanodeOptions): Promise<RunningDatanode> {
  assert(options.dataDirs.length > 0, 'a datanode needs at least one data folder');
  const host = options.host ?? '127.0.0.1';
  const identity = await loadOrCreateIdentity(options.dataDirs[0]);
  const logger = options.logger ?? createLogger({ component: 'datanode', nodeId: identity.uuid });
  const store = await BlockStore.open(
    options.dataDirs,
    { reservedBytes: options.reservedBytes ?? 0, capacityBytes: options.capacityBytes },
    logger,
  );
  // Pipeline hops and calls to the namenodes carry the id of the request they serve.
  const dispatcher = withRequestIds(new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, ...agentTlsOptions() }));
  const ctx: DatanodeContext = {
    uuid: identity.uuid,
    url: '',
    rack: options.rack ?? DEFAULT_RACK,
    store,
    links: undefined,
    dispatcher,
    logger,
    transfers: new TransferRegistry(),
    secret: options.clusterSecret,
    namenodeUrls: options.namenodes.map((url) => url.replace(/\/+$/, '')),
    blockTokens: options.clusterSecret ? new BlockTokenKey(options.clusterSecret) : undefined,
  };
  const replicator = new Replicator(ctx);
  const scanner = new BlockScanner(ctx, {
    rateBytesPerSecond: options.scanRateBytesPerSecond ?? SCAN_RATE_BYTES_PER_SECOND_DEFAULT,
    periodMs: options.scanPeriodMs ?? SCAN_PERIOD_MS_DEFAULT,
  });
  ctx.scanner = scanner;
  let deletions = Promise.resolve();

  const executeCommand = (command: DatanodeCommand, namenodeUrl: string): void => {
    switch (command.type) {
      case 'delete':
        // One deletion batch at a time, in arrival order.
        deletions = deletions.then(async () => {
          for (const block of command.blocks) {
            try {
              const deleted = await store.delete(block);
              if (deleted) {
                ctx.links?.blockDeleted({ blockId: deleted.blockId, genStamp: deleted.genStamp, numBytes: deleted.numBytes });
                logger.info({ blockId: block.blockId, genStamp: deleted.genStamp, namenode: namenodeUrl }, 'deleted replica');
              }
            } catch (error) {
              logger.error({ err: error, blockId: block.blockId }, 'cannot delete replica');
            }
          }
        });
        break;
      case 'replicate':
        replicator.enqueue(command.block, command.targets);
        break;
      case 'reregister':
        break;
    }
  };

  const app = await buildDatanodeServer(ctx, { idleTimeoutMs: options.idleTimeoutMs, tls: options.tls });
  await app.listen({ host, port: options.port });
  const address = app.server.address();
  assert(address !== null && typeof address === 'object', 'server has no TCP address');
  ctx.url = (options.advertisedUrl ?? `${schemeOf(options.tls)}://${host.includes(':') ? `[${host}]` : host}:${address.port}`).replace(/\/+$/, '');

  const links = new NamenodeLinks(
    options.namenodes,
    {
      node: () => nodeInfo(ctx),
      storageReport: async () => {
        await store.refreshDiskStats();
        return store.storageReport(xceiverCount(ctx));
      },
      blockReport: () => store.blockReport(),
      executeCommand,
    },
    { heartbeatIntervalMs: options.heartbeatIntervalMs, blockReportIntervalMs: options.blockReportIntervalMs, dispatcher, logger, secret: options.clusterSecret },
  );
  ctx.links = links;
  links.start();
  scanner.start();
  if (!options.clusterSecret) logger.warn('no cluster secret configured: peers and block tokens are not checked (set DFS_CLUSTER_SECRET or --cluster-secret-file)');
  logger.info({ url: ctx.url, uuid: ctx.uuid, dataDirs: options.dataDirs, namenodes: options.namenodes }, 'datanode started');

  let closing: Promise<void> | undefined;
  return {
    uuid: ctx.uuid,
    url: ctx.url,
    close: () =>
      (closing ??= (async () => {
        await scanner.close();
        await links.close();
        await replicator.close();
        await app.close();
        const deadline = Date.now() + CLOSE_DRAIN_MS_MAX;
        while (ctx.transfers.writes > 0 && Date.now() < deadline) await sleep(10);
        await deletions;
        await dispatcher.close();
        logger.info('datanode stopped');
      })()),
  };
}
