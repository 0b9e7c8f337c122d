// Starts one namenode: its namespace (SQLite) in the data folder, the Raft group that orders every
// change to it (a group of one for a single namenode), the namesystem over both, and the HTTP
// server. Used by `dfs namenode` and by tests.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { Agent } from 'undici';
import type { Logger } from 'pino';
import { createLogger } from '../shared/logger.js';
import { DfsError } from '../shared/errors.js';
import {
  BLOCK_SIZE_BYTES_DEFAULT,
  DEAD_AFTER_MS_DEFAULT,
  HEARTBEAT_INTERVAL_MS_DEFAULT,
  NAMENODE_HTTP_PORT_DEFAULT,
  LEASE_HARD_LIMIT_MS,
  LEASE_SOFT_LIMIT_MS,
  REPLICATION_DEFAULT,
  STALE_AFTER_MS_DEFAULT,
} from '../shared/constants.js';
import { startLeaseMonitor } from './lease-manager.js';
import { NamespaceStore } from './namespace/store.js';
import { extractImage, prepareRestoredDatabase } from './namespace/image-format.js';
import { NamespaceStateMachine } from './namespace/apply.js';
import { DatanodeManager } from './datanodes/datanode-manager.js';
import { Namesystem, namesystemDefaults } from './namesystem.js';
import { buildNamenodeServer } from './server.js';
import { NamenodeMetrics } from './metrics.js';
import { AuditLog } from './audit-log.js';
import { RaftNamespaceLog } from './raft-group/raft-namespace-log.js';
import { CLUSTER_SECRET_HEADER } from '../shared/peer-auth.js';
import { announceTestOnlyBug } from '../shared/test-only-bug.js';
import { agentTlsOptions, schemeOf, type TlsFiles } from '../shared/tls.js';

export interface NamenodeOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  dataDir: string;
  /** URL peers and clients use to reach this namenode; default http://host:port. */
  advertisedUrl?: string;
  /** URLs of every namenode of the group, this one included; default just this one. */
  peers?: string[];
  /** Create a new group from `peers` when this node's folder is empty (instead of joining one). */
  bootstrap?: boolean;
  /** Shared secret peers present to each other; required when there is more than one namenode. */
  clusterSecret?: string;
  clusterId?: string;
  defaultReplication?: number;
  defaultBlockSize?: number;
  heartbeatIntervalMs?: number;
  staleAfterMs?: number;
  deadAfterMs?: number;
  raftTickMs?: number;
  raftElectionTicks?: number;
  snapshotEveryEntries?: number;
  /** A writer silent this long loses its file to another writer (HDFS soft limit). */
  leaseSoftLimitMs?: number;
  /** A writer silent this long has its file closed by the namenode (HDFS hard limit). */
  leaseHardLimitMs?: number;
  /** The HDFS superuser: owner of `/`. Defaults to the user running the namenode. */
  superuser?: string;
  /** WebHDFS: stream CREATE/APPEND/OPEN data through this namenode instead of redirecting; the user of requests without user.name. */
  webhdfsProxy?: boolean;
  webhdfsDefaultUser?: string;
  /** Found a new group from this namespace image (an empty folder only): see namespace/image-format.ts. */
  restoreImage?: string;
  /** Replicas unknown to a restored namespace are deleted only after this long (and outside safe mode). */
  orphanBlockGraceMs?: number;
  /** Refuse client requests (RPC and WebHDFS) without a valid bearer token; needs a configured cluster secret. */
  requireToken?: boolean;
  /** How long a block token the namenode signs stays valid (default 10 minutes). */
  blockTokenLifetimeMs?: number;
  /** Serve HTTPS with this certificate and key (the CA to trust is set process-wide: shared/tls.ts). */
  tls?: TlsFiles;
  /** Write the audit log, <dataDir>/audit.log (default true; --no-audit turns it off). */
  audit?: boolean;
  /** Close a connection idle this long (a stalled request body); default NAMENODE_IDLE_TIMEOUT_MS_DEFAULT. */
  idleTimeoutMs?: number;
  logger?: Logger;
}

export interface RunningNamenode {
  id: string;
  url: string;
  namesystem: Namesystem;
  close(): Promise<void>;
}

const JOIN_RETRY_MS = 500;
const LEASE_MONITOR_INTERVAL_MS = 2_000;
const PEER_PROBE_TIMEOUT_MS = 1_000;

export async function startNamenode(options: NamenodeOptions): Promise<RunningNamenode> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port === 0 ? await freePort(host) : (options.port ?? NAMENODE_HTTP_PORT_DEFAULT);
  const url = (options.advertisedUrl ?? `${schemeOf(options.tls)}://${host}:${port}`).replace(/\/+$/, '');
  const peers = (options.peers ?? [url]).map((peer) => peer.replace(/\/+$/, ''));
  if (!peers.includes(url)) throw new DfsError('IllegalArgument', `--peers must include this namenode's own URL ${url}`);
  if (peers.length > 1 && !options.clusterSecret) {
    throw new DfsError('IllegalArgument', 'A namenode group needs a cluster secret: set DFS_CLUSTER_SECRET or --cluster-secret-file');
  }
  if (options.requireToken && !options.clusterSecret) {
    // Datanodes act for WebHDFS users with the secret: without a shared one they could not.
    throw new DfsError('IllegalArgument', '--require-token needs a cluster secret shared with the datanodes: set DFS_CLUSTER_SECRET or --cluster-secret-file');
  }
  // A group of one without a configured secret makes one up: no peer knows it, and datanodes
  // (which cannot know it either) are then not asked for it: security is off.
  const secret = options.clusterSecret ?? randomBytes(24).toString('hex');
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS_DEFAULT;
  mkdirSync(options.dataDir, { recursive: true });
  const raftDir = join(options.dataDir, 'raft');
  const fresh = !existsSync(raftDir);
  const earlyLogger = options.logger ?? createLogger({ component: 'namenode', nodeId: url });
  if (options.restoreImage) await restoreFromImage(options.restoreImage, options.dataDir, earlyLogger);
  const wantsBootstrap = fresh && (options.bootstrap === true || options.restoreImage !== undefined || (peers.length === 1 && options.bootstrap !== false));
  // --bootstrap on a node whose folder was wiped must not found a second group beside the running
  // one: when a peer already serves a group, this node joins it instead.
  const bootstrap = wantsBootstrap && !(await anyPeerRunsGroup(peers.filter((peer) => peer !== url)));
  const id = nodeId(options.dataDir, url, bootstrap);
  const logger = earlyLogger;
  announceTestOnlyBug(logger);

  const store = new NamespaceStore(join(options.dataDir, 'namespace.sqlite'));
  const stateMachine = new NamespaceStateMachine(store);
  const datanodes = new DatanodeManager({
    staleAfterMs: options.staleAfterMs ?? staleAfterDefaultMs(heartbeatIntervalMs, options.deadAfterMs ?? DEAD_AFTER_MS_DEFAULT),
    deadAfterMs: options.deadAfterMs ?? DEAD_AFTER_MS_DEFAULT,
  });
  if (options.orphanBlockGraceMs !== undefined) datanodes.orphans.graceMs = options.orphanBlockGraceMs;
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 32, ...agentTlsOptions() });
  const metrics = new NamenodeMetrics();
  // The Raft log starts first; the namesystem built on it is filled in before any election can end.
  const late: { namesystem?: Namesystem } = {};
  const raft = await RaftNamespaceLog.open({
    id,
    raftDir,
    stateMachine,
    bootstrapVoters: bootstrap ? peers.map((peer) => `${peer}#0`) : undefined,
    secret,
    dispatcher,
    logger,
    tickMs: options.raftTickMs,
    electionTicks: options.raftElectionTicks,
    snapshotEveryEntries: options.snapshotEveryEntries,
    onSave: metrics.onRaftSave,
    onLeaderReady: async () => {
      if (!late.namesystem) throw new DfsError('Unavailable', 'namenode still starting');
      await late.namesystem.becomeLeader();
    },
  });
  const superuser = options.superuser ?? userInfo().username;
  const namesystem = new Namesystem(
    store,
    stateMachine,
    raft,
    datanodes,
    {
      ...namesystemDefaults(superuser),
      ...(options.webhdfsDefaultUser ? { defaultUser: options.webhdfsDefaultUser } : {}),
      clusterId: options.clusterId ?? 'dfs-local',
      defaultReplication: options.defaultReplication ?? REPLICATION_DEFAULT,
      defaultBlockSize: options.defaultBlockSize ?? BLOCK_SIZE_BYTES_DEFAULT,
      leaseLimits: {
        softLimitMs: options.leaseSoftLimitMs ?? LEASE_SOFT_LIMIT_MS,
        hardLimitMs: options.leaseHardLimitMs ?? LEASE_HARD_LIMIT_MS,
      },
    },
    logger,
  );
  late.namesystem = namesystem;
  const stopLeaseMonitor = startLeaseMonitor(
    namesystem.leases,
    { isLeader: () => namesystem.log.isLeader, filesUnderConstruction: () => namesystem.filesUnderConstruction(), recoverLease: (path, holder) => namesystem.recoverLease(path, holder) },
    logger,
    Math.min(LEASE_MONITOR_INTERVAL_MS, namesystem.leases.limits.hardLimitMs / 2),
  );
  const audit = options.audit === false ? undefined : new AuditLog(options.dataDir, store, metrics.onAudit);
  const app = await buildNamenodeServer({ namesystem, raft, secret, secretConfigured: options.clusterSecret !== undefined, requireToken: options.requireToken, blockTokenLifetimeMs: options.blockTokenLifetimeMs, superuser, url, namenodeId: id, heartbeatIntervalMs, startedAtMs: Date.now(), logger, webhdfsProxy: options.webhdfsProxy, metrics, audit, idleTimeoutMs: options.idleTimeoutMs, tls: options.tls });
  await app.listen({ host, port });
  logger.info({ url, id, dataDir: options.dataDir, peers, appliedIndex: stateMachine.appliedIndex }, 'namenode started');

  let joining: NodeJS.Timeout | null = null;
  if (!bootstrap && raft.status().conf.voters.length === 0) {
    // An empty folder outside a new cluster: ask the group to take this node in.
    const askToJoin = async () => {
      if (raft.status().lead !== null || raft.status().conf.voters.includes(id)) return;
      for (const peer of peers.filter((p) => p !== url)) {
        try {
          const response = await fetch(`${peer}/rpc/v1/raft/join`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', [CLUSTER_SECRET_HEADER]: secret },
            body: JSON.stringify({ id }),
          });
          if (response.ok) {
            logger.info({ via: peer }, 'joined the namenode group');
            return;
          }
        } catch {
          // try the next peer
        }
      }
      joining = setTimeout(() => void askToJoin(), JOIN_RETRY_MS);
    };
    void askToJoin();
  }

  return {
    id,
    url,
    namesystem,
    async close() {
      if (joining) clearTimeout(joining);
      stopLeaseMonitor();
      await app.close();
      await raft.close();
      await dispatcher.close();
      audit?.close();
      store.close();
    },
  };
}

/**
 * This namenode's Raft id, `<url>#<incarnation>`, fixed when its folder is created. Founding
 * members use incarnation 0 so they can name each other in advance; a node that starts from an
 * empty folder later gets a fresh incarnation, so it can never be mistaken for the member it
 * replaces (which may have voted in terms the new one cannot remember).
 */
function nodeId(dataDir: string, url: string, bootstrap: boolean): string {
  const file = join(dataDir, 'node-id');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (!stored.startsWith(`${url}#`)) {
      throw new DfsError('IllegalArgument', `This data folder belongs to namenode ${stored}, not ${url}; start it with that address or use an empty folder`);
    }
    return stored;
  }
  const id = `${url}#${bootstrap ? '0' : randomBytes(4).toString('hex')}`;
  writeFileSync(file, id + '\n');
  return id;
}

/**
 * `--restore <image>`: verifies the image and writes its namespace as this node's database, which
 * the Raft bootstrap then turns into the founding snapshot of a new group (cluster id kept). Only
 * on a folder holding no namenode state; a refused image leaves the folder as it was.
 */
async function restoreFromImage(image: string, dataDir: string, logger: Logger): Promise<void> {
  const dbFile = join(dataDir, 'namespace.sqlite');
  const existing = ['raft', 'namespace.sqlite', 'node-id'].filter((name) => existsSync(join(dataDir, name)));
  if (existing.length > 0) {
    throw new DfsError('IllegalArgument', `Cannot restore into ${dataDir}: it already holds namenode state (${existing.join(', ')}); use an empty folder`);
  }
  const staged = `${dbFile}.restoring`;
  try {
    const header = await extractImage(image, staged);
    prepareRestoredDatabase(staged, header);
    renameSync(staged, dbFile);
    logger.info({ image, index: header.index, term: header.term, clusterId: header.clusterId, sizeBytes: header.sizeBytes }, 'namespace restored from image: founding a new group from it');
  } finally {
    rmSync(staged, { force: true });
  }
}

/**
 * HDFS marks a datanode stale after 30 s (10 heartbeats at least) of silence; with a short
 * --dead-after a node must still pass through stale first, so stale never exceeds half of it.
 */
function staleAfterDefaultMs(heartbeatIntervalMs: number, deadAfterMs: number): number {
  return Math.min(Math.max(STALE_AFTER_MS_DEFAULT, 10 * heartbeatIntervalMs), deadAfterMs / 2);
}

/** True when a peer answers with a group that already committed past its founding snapshot. */
async function anyPeerRunsGroup(peers: string[]): Promise<boolean> {
  const answers = await Promise.all(
    peers.map(async (peer) => {
      try {
        const response = await fetch(`${peer}/rpc/v1/admin/raft`, { signal: AbortSignal.timeout(PEER_PROBE_TIMEOUT_MS) });
        const status = (await response.json()) as { commit?: number };
        return (status.commit ?? 0) > 1;
      } catch {
        return false;
      }
    }),
  );
  return answers.some(Boolean);
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
