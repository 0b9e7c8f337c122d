// `dfs namenode`, `dfs datanode` and `dfs cluster`: start servers in this process, or a whole local
// cluster as child processes with one folder per node (nn<i>/, dn<i>/) under one data folder.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { request } from 'undici';
import {
  BLOCK_SIZE_BYTES_DEFAULT,
  DATANODE_HTTP_PORT_DEFAULT,
  NAMENODE_HTTP_PORT_DEFAULT,
  REPLICATION_DEFAULT,
} from '../../shared/constants.js';
import { createLogger } from '../../shared/logger.js';
import { startNamenode } from '../../namenode/main.js';
import { verifyImage } from '../../namenode/namespace/image-format.js';
import { startDatanode } from '../../datanode/main.js';
import { peerHeaders } from '../../shared/peer-auth.js';
import { schemeOf, tlsFilesFrom, trustCa, type TlsFiles } from '../../shared/tls.js';

const CLI_ENTRY = fileURLToPath(new URL('./main.js', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
/** A poll of a namenode that is not answering yet gives up after this long (the port may be someone else's). */
const READY_POLL_TIMEOUT_MS = 2_000;
/** Log lines quoted when a node of `dfs cluster` fails to start. */
const LOG_TAIL_LINES = 5;
/**
 * A datanode moves its blocks through short-lived off-heap buffers (a new one per socket read),
 * and those still queued when a scavenge runs are promoted. With V8's default heap growth the old
 * generation's limit then sits about one new-space capacity above the live heap, so V8 marks the
 * whole heap every few hundred milliseconds under load: 12 to 65 full collections per GiB written
 * through a pipeline, against 2 with the limit at 4 times the live heap (a datanode's live heap is
 * about 20 MB). V8 reads the factor whenever it sets the limit, so setting it at start-up works.
 */
const DATANODE_V8_FLAGS = '--heap-growing-percent=300';

const int = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a non-negative integer: ${value}`);
  return n;
};
const seconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number of seconds: ${value}`);
  return Math.round(n * 1000);
};
/** Accepts plain bytes or a k/m/g suffix (64k, 128m), as Hadoop's size options do. */
export const byteSize = (value: string): number => {
  const match = /^(\d+)([kmg]?)b?$/i.exec(value.trim());
  if (!match) throw new Error(`not a size: ${value}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * unit;
};

/** The cluster secret from a file, else from DFS_CLUSTER_SECRET. */
function readClusterSecret(file: string | undefined): string | undefined {
  if (file) return readFileSync(file, 'utf8').trim();
  return process.env.DFS_CLUSTER_SECRET || undefined;
}

/** Stops `close` on SIGINT/SIGTERM, once, then exits. */
function closeOnSignals(close: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`error while stopping on ${signal}:`, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function registerServerCommands(program: Command): void {
  program
    .command('namenode')
    .description('Start a namenode (namespace metadata server); several form a Raft group')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'HTTP port (0: any free port)', int, NAMENODE_HTTP_PORT_DEFAULT)
    .option('--data <dir>', 'data folder for the namespace and the Raft log', './data/nn1')
    .option('--advertised-url <url>', 'URL peers and clients use to reach this namenode (default http://host:port)')
    .option('--peers <urls>', 'URLs of every namenode of the group, this one included, comma-separated')
    .option('--bootstrap', 'found a new group from --peers when the data folder is empty (otherwise an empty node joins the group)')
    .option('--cluster-secret-file <file>', 'file holding the cluster secret every namenode and datanode presents to its peers (or set DFS_CLUSTER_SECRET)')
    .option('--block-size <bytes>', 'default block size (e.g. 128m)', byteSize, BLOCK_SIZE_BYTES_DEFAULT)
    .option('--replication <n>', 'default replication', int, REPLICATION_DEFAULT)
    .option('--heartbeat-interval <seconds>', 'expected datanode heartbeat interval', seconds)
    .option('--dead-after <seconds>', 'declare a silent datanode dead after this long', seconds)
    .option('--snapshot-entries <n>', 'take a namespace snapshot and compact the Raft log every n entries', int)
    .option('--raft-tick <ms>', 'Raft tick (default 50); elections time out after 10 to 20 ticks', int)
    .option('--lease-soft-limit <seconds>', 'a silent writer loses its file to another writer after this long (default 60)', seconds)
    .option('--lease-hard-limit <seconds>', 'a silent writer has its file closed by the namenode after this long (default 1200)', seconds)
    .option('--stale-after <seconds>', 'read a silent datanode last and give it no new blocks after this long (default max(30 s, 10 heartbeats))', seconds)
    .option('--cluster-id <id>', 'cluster id written when the namespace is formatted', 'dfs-local')
    .option('--webhdfs-proxy', 'WebHDFS: stream file data through this namenode (HttpFS style) instead of redirecting to datanodes')
    .option('--webhdfs-user <name>', 'WebHDFS: the user of requests without user.name (Hadoop\'s static user)', 'dr.who')
    .option('--no-audit', 'do not write the audit log (<data>/audit.log)')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (or set DFS_TLS_CERT)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert (or set DFS_TLS_KEY)')
    .option('--tls-ca <file>', 'PEM CA certificate to trust when calling other nodes, e.g. a private CA or a self-signed certificate (or set DFS_TLS_CA)')
    .option('--require-token', 'refuse client requests without a valid bearer token (or set DFS_REQUIRE_TOKEN=1); needs a cluster secret')
    .option('--block-token-lifetime <seconds>', 'how long the block tokens this namenode signs stay valid (default 600)', seconds)
    .option('--restore <image>', 'found a new group from a namespace image (dfs dfsadmin -fetchImage); the data folder must be empty')
    .option('--orphan-block-grace <seconds>', 'keep replicas a restored namespace does not know this long before deleting them (default 86400)', seconds)
    .option('--idle-timeout <seconds>', 'close a connection that moved no byte this long, e.g. a stalled request body (default 150)', seconds)
    .action(async (opts) => {
      const tls = serverTls(opts);
      const namenode = await startNamenode({
        host: opts.host,
        port: opts.port,
        dataDir: resolve(opts.data),
        advertisedUrl: opts.advertisedUrl,
        peers: opts.peers ? String(opts.peers).split(',') : undefined,
        bootstrap: opts.bootstrap,
        clusterSecret: readClusterSecret(opts.clusterSecretFile),
        defaultBlockSize: opts.blockSize,
        defaultReplication: opts.replication,
        heartbeatIntervalMs: opts.heartbeatInterval,
        deadAfterMs: opts.deadAfter,
        staleAfterMs: opts.staleAfter,
        snapshotEveryEntries: opts.snapshotEntries,
        raftTickMs: opts.raftTick,
        leaseSoftLimitMs: opts.leaseSoftLimit,
        leaseHardLimitMs: opts.leaseHardLimit,
        clusterId: opts.clusterId,
        webhdfsProxy: opts.webhdfsProxy, webhdfsDefaultUser: opts.webhdfsUser,
        audit: opts.audit,
        requireToken: opts.requireToken === true || ['1', 'true'].includes(process.env.DFS_REQUIRE_TOKEN ?? ''),
        blockTokenLifetimeMs: opts.blockTokenLifetime,
        tls,
        restoreImage: opts.restore ? resolve(opts.restore) : undefined,
        orphanBlockGraceMs: opts.orphanBlockGrace,
        idleTimeoutMs: opts.idleTimeout,
      });
      closeOnSignals(() => namenode.close());
    });

  program
    .command('datanode')
    .description('Start a datanode (block storage server)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'HTTP port', int, DATANODE_HTTP_PORT_DEFAULT)
    .option('--data <dirs>', 'data folder(s), comma-separated, one per disk', './data/dn1')
    .option('--namenodes <urls>', 'namenode URLs, comma-separated', `http://127.0.0.1:${NAMENODE_HTTP_PORT_DEFAULT}`)
    .option('--advertised-url <url>', 'URL clients and peers use to reach this datanode')
    .option('--heartbeat-interval <seconds>', 'heartbeat interval', seconds)
    .option('--capacity <bytes>', 'cap the capacity this datanode reports and uses (e.g. 10g)', byteSize)
    .option('--reserved <bytes>', 'space kept free on each volume (e.g. 1g)', byteSize)
    .option('--rack <label>', 'rack label for rack-aware placement', '/default-rack')
    .option('--scan-rate <bytes>', 'block scanner: bytes verified per second at most (e.g. 1m)', byteSize)
    .option('--scan-period <seconds>', 'block scanner: re-verify each replica this often (default 3 weeks)', seconds)
    .option('--idle-timeout <seconds>', 'close a connection that moved no byte this long, e.g. a stalled upload (default 150)', seconds)
    .option('--cluster-secret-file <file>', 'file holding the cluster secret, presented to namenodes and peers (or set DFS_CLUSTER_SECRET)')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (or set DFS_TLS_CERT)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert (or set DFS_TLS_KEY)')
    .option('--tls-ca <file>', 'PEM CA certificate to trust when calling other nodes, e.g. a private CA or a self-signed certificate (or set DFS_TLS_CA)')
    .action(async (opts) => {
      const tls = serverTls(opts);
      // This process is the datanode's own (the library's startDatanode leaves its host's heap alone).
      setFlagsFromString(DATANODE_V8_FLAGS);
      const datanode = await startDatanode({
        host: opts.host,
        port: opts.port,
        dataDirs: String(opts.data).split(',').map((dir) => resolve(dir)),
        namenodes: String(opts.namenodes).split(','),
        advertisedUrl: opts.advertisedUrl,
        heartbeatIntervalMs: opts.heartbeatInterval,
        capacityBytes: opts.capacity,
        reservedBytes: opts.reserved,
        rack: opts.rack,
        scanRateBytesPerSecond: opts.scanRate,
        scanPeriodMs: opts.scanPeriod,
        idleTimeoutMs: opts.idleTimeout,
        clusterSecret: readClusterSecret(opts.clusterSecretFile),
        tls,
      });
      closeOnSignals(() => datanode.close());
    });

  program
    .command('cluster')
    .description('Start a local cluster: namenodes and datanodes as child processes under one data folder')
    .option('--data <dir>', 'data folder; each node keeps its files in nn<i>/ or dn<i>/', './data')
    .option('--namenodes <n>', 'number of namenodes (a Raft group; 3 or 5 survive 1 or 2 failures)', int, 3)
    .option('--datanodes <n>', 'number of datanodes', int, 3)
    .option('--namenode-port <port>', 'first namenode port (one more per further namenode)', int, NAMENODE_HTTP_PORT_DEFAULT)
    .option('--datanode-port <port>', 'first datanode port (one more per further datanode)', int, DATANODE_HTTP_PORT_DEFAULT)
    .option('--block-size <bytes>', 'default block size (e.g. 128m)', byteSize, BLOCK_SIZE_BYTES_DEFAULT)
    .option('--replication <n>', 'default replication', int, REPLICATION_DEFAULT)
    .option('--heartbeat-interval <seconds>', 'datanode heartbeat interval', seconds)
    .option('--dead-after <seconds>', 'declare a silent datanode dead after this long', seconds)
    .option('--restore <image>', 'a new cluster only: every namenode founds the group from this namespace image')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (or set DFS_TLS_CERT)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert (or set DFS_TLS_KEY)')
    .option('--tls-ca <file>', 'PEM CA certificate to trust when calling other nodes, e.g. a private CA or a self-signed certificate (or set DFS_TLS_CA)')
    .option('--require-token', 'namenodes refuse client requests without a valid bearer token')
    .action(async (opts) => {
      await runCluster({
        dataDir: resolve(opts.data),
        namenodes: opts.namenodes,
        datanodes: opts.datanodes,
        namenodePort: opts.namenodePort,
        datanodePort: opts.datanodePort,
        blockSize: opts.blockSize,
        replication: opts.replication,
        heartbeatIntervalMs: opts.heartbeatInterval,
        deadAfterMs: opts.deadAfter,
        restoreImage: opts.restore ? resolve(opts.restore) : undefined,
        tls: serverTls(opts),
        requireToken: opts.requireToken === true,
      });
    });
}

/** The TLS files of a server command; the CA (if any) is trusted by this process from now on. */
function serverTls(opts: { tlsCert?: string; tlsKey?: string; tlsCa?: string }): TlsFiles {
  const files = tlsFilesFrom(opts);
  const absolute = (file: string | undefined) => (file ? resolve(file) : undefined);
  if (files.ca) trustCa(files.ca);
  return { cert: absolute(files.cert), key: absolute(files.key), ca: absolute(files.ca) };
}

interface ClusterOptions {
  dataDir: string;
  namenodes: number;
  datanodes: number;
  namenodePort: number;
  datanodePort: number;
  blockSize: number;
  replication: number;
  heartbeatIntervalMs?: number;
  deadAfterMs?: number;
  restoreImage?: string;
  tls: TlsFiles;
  requireToken: boolean;
}

async function runCluster(options: ClusterOptions): Promise<void> {
  const log = createLogger({ component: 'cluster' });
  if (options.namenodes < 1) throw new Error('--namenodes must be at least 1');
  if (options.datanodes < 1) throw new Error('--datanodes must be at least 1');
  mkdirSync(options.dataDir, { recursive: true });
  const secretFile = join(options.dataDir, 'cluster-secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  // A brand-new cluster founds its namenode group; afterwards a namenode with an empty folder rejoins it.
  const isNewCluster = Array.from({ length: options.namenodes }, (_, i) => join(options.dataDir, `nn${i + 1}`, 'raft')).every((dir) => !existsSync(dir));
  if (options.restoreImage && !isNewCluster) throw new Error(`--restore needs a new cluster: ${options.dataDir} already holds namenode state`);
  // Refuse a bad image here, with its message, rather than as namenodes that fail to start.
  if (options.restoreImage) await verifyImage(options.restoreImage);
  const children: Array<{ name: string; child: ChildProcess }> = [];
  let stopping = false;
  // A node that exits before the cluster is up fails the start at once, with its last log lines.
  let failStart: (error: Error) => void = () => undefined;
  const startFailed = new Promise<never>((_, reject) => (failStart = reject));
  startFailed.catch(() => undefined);
  const spawnNode = (name: string, args: string[]) => {
    const dir = join(options.dataDir, name);
    mkdirSync(dir, { recursive: true });
    const logPath = join(dir, `${name}.log`);
    const logFile = createWriteStream(logPath, { flags: 'a' });
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      stdio: ['ignore', 'inherit', 'pipe'],
      env: {
        ...process.env,
        DFS_CLUSTER_SECRET: readClusterSecret(secretFile),
        ...(options.tls.cert ? { DFS_TLS_CERT: options.tls.cert, DFS_TLS_KEY: options.tls.key } : {}),
        ...(options.tls.ca ? { DFS_TLS_CA: options.tls.ca } : {}),
      },
    });
    child.stderr!.pipe(logFile);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      log.error({ node: name, code, signal }, `${name} exited unexpectedly; see ${logPath}`);
      // Once its last words are in its log (the pipe ends the file after the child's stderr closes).
      const fail = () => failStart(new Error(`${name} exited during start-up (${signal ?? `code ${code}`}); last lines of ${logPath}:\n${logTail(logPath)}`));
      if (logFile.closed) fail();
      else logFile.once('close', fail);
    });
    children.push({ name, child });
  };

  const scheme = schemeOf(options.tls);
  const namenodeUrls = Array.from({ length: options.namenodes }, (_, i) => `${scheme}://127.0.0.1:${options.namenodePort + i}`);
  for (let i = 1; i <= options.namenodes; i++) {
    const port = options.namenodePort + i - 1;
    spawnNode(`nn${i}`, [
      'namenode', '--port', String(port), '--data', join(options.dataDir, `nn${i}`),
      '--peers', namenodeUrls.join(','), ...(isNewCluster ? ['--bootstrap'] : []), ...(options.requireToken ? ['--require-token'] : []),
      ...(options.restoreImage ? ['--restore', options.restoreImage] : []),
      '--block-size', String(options.blockSize), '--replication', String(options.replication),
      ...(options.heartbeatIntervalMs ? ['--heartbeat-interval', String(options.heartbeatIntervalMs / 1000)] : []),
      ...(options.deadAfterMs ? ['--dead-after', String(options.deadAfterMs / 1000)] : []),
    ]);
  }
  const datanodeUrls: string[] = [];
  for (let i = 1; i <= options.datanodes; i++) {
    const port = options.datanodePort + i - 1;
    datanodeUrls.push(`${scheme}://127.0.0.1:${port}`);
    spawnNode(`dn${i}`, [
      'datanode', '--port', String(port), '--data', join(options.dataDir, `dn${i}`), '--namenodes', namenodeUrls.join(','),
      ...(options.heartbeatIntervalMs ? ['--heartbeat-interval', String(options.heartbeatIntervalMs / 1000)] : []),
    ]);
  }

  const stopAll = async () => {
    stopping = true;
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      ),
    );
  };
  closeOnSignals(stopAll);

  try {
    await Promise.race([waitForCluster(namenodeUrls[0], options.datanodes, readClusterSecret(secretFile)), startFailed]);
  } catch (error) {
    await stopAll();
    throw error;
  }
  const lines = [
    `dfs cluster is up (data in ${options.dataDir})`,
    ...namenodeUrls.map((url, i) => `  namenode nn${i + 1}: ${url}   (log: ${join(options.dataDir, `nn${i + 1}`, `nn${i + 1}.log`)})`),
    ...datanodeUrls.map((url, i) => `  datanode dn${i + 1}: ${url}   (log: ${join(options.dataDir, `dn${i + 1}`, `dn${i + 1}.log`)})`),
    '',
    'Try it from another terminal:',
    `  export DFS_NAMENODES=${namenodeUrls.join(',')}`,
    ...(options.tls.ca ? [`  export DFS_TLS_CA=${options.tls.ca}`] : []),
    ...(options.requireToken ? [`  export DFS_TOKEN=$(DFS_CLUSTER_SECRET=$(cat ${secretFile}) npx dfs dfsadmin -createToken $(whoami))`] : []),
    '  npx dfs -mkdir -p /demo && npx dfs -put README.md /demo/ && npx dfs -ls /demo',
    `Or open the web UI: ${namenodeUrls[0]}/ (each node serves one at its URL)`,
    '',
    'Press Ctrl-C to stop the cluster; a restart on the same folder keeps all data.',
  ];
  console.log(lines.join('\n'));
}

/** The last lines of a node's log, for an error that names why it stopped. */
function logTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Waits until the namespace answers (a leader is elected and has formatted it) and `count` datanodes are live. */
async function waitForCluster(namenodeUrl: string, count: number, secret: string | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const response = await request(`${namenodeUrl}/rpc/v1/admin/report`, { headersTimeout: READY_POLL_TIMEOUT_MS, bodyTimeout: READY_POLL_TIMEOUT_MS });
      const report = (await response.body.json()) as { totals?: { live: number } };
      const root = await request(`${namenodeUrl}/rpc/v1/client/getFileInfo`, {
        method: 'POST',
        // As a peer: it also gets in when the namenodes require tokens.
        headers: { 'content-type': 'application/json', ...peerHeaders(secret) },
        body: JSON.stringify({ path: '/' }),
        headersTimeout: READY_POLL_TIMEOUT_MS,
        bodyTimeout: READY_POLL_TIMEOUT_MS,
      });
      await root.body.dump();
      if (response.statusCode === 200 && root.statusCode === 200 && (report.totals?.live ?? 0) >= count) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`cluster did not become ready within ${READY_TIMEOUT_MS / 1000} s (namenode ${namenodeUrl})`);
}
