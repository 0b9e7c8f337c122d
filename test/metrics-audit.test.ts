// Operating dfs: Prometheus metrics on the namenode and the datanodes, the namenode's audit log,
// and request ids followed from the client through the namenode to the datanodes' logs.

import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { DfsClient } from '../client/dfs-client.js';
import { TestCluster, waitFor, type NodeProcess } from './helpers/processes.js';

const SUPERUSER = userInfo().username;
const BLOCK_SIZE = 64 * 1024;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition format strictly enough to catch a malformed line. */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') types.set(meta[2], meta[3]);
      continue;
    }
    // Prometheus reads NaN/Inf in any case; prom-client prints `Nan` while the event-loop histogram is empty.
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/i.exec(line);
    if (!sample) throw new Error(`not Prometheus text format: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[name] = value;
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return { samples, types };
}

async function scrape(url: string): Promise<{ samples: Sample[]; types: Map<string, string>; contentType: string }> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return { ...parsePrometheus(await response.text()), contentType: response.headers.get('content-type') ?? '' };
}

/** Sum of a metric's samples whose labels include `match`. */
function total(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

interface AuditLine {
  time: string;
  allowed: boolean;
  user: string;
  ip: string;
  cmd: string;
  src: string;
  dst: string | null;
  perm: string | null;
  proto: string;
  reqId: string | null;
}

function readAudit(namenode: NodeProcess): AuditLine[] {
  return readFileSync(join(namenode.dataDir, 'audit.log'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as AuditLine);
}

/** Log lines of `node` (JSON) carrying request id `id`. */
const linesWithId = (node: NodeProcess, id: string) => node.recentLog.map((line) => JSON.parse(line) as { reqId?: string; msg: string }).filter((line) => line.reqId === id);

const NAMENODE_METRICS = [
  'dfs_namenode_requests_total',
  'dfs_namenode_request_duration_seconds',
  'dfs_raft_term',
  'dfs_raft_role',
  'dfs_raft_commit_index',
  'dfs_raft_applied_index',
  'dfs_raft_last_index',
  'dfs_raft_snapshot_index',
  'dfs_raft_voters',
  'dfs_raft_log_save_duration_seconds',
  'dfs_raft_fsyncs_total',
  'dfs_raft_log_entries_saved_total',
  'dfs_namespace_objects',
  'dfs_datanodes',
  'dfs_datanodes_decommissioning',
  'dfs_cluster_capacity_bytes',
  'dfs_cluster_used_bytes',
  'dfs_cluster_remaining_bytes',
  'dfs_datanode_heartbeats_missed',
  'dfs_datanode_last_heartbeat_age_seconds',
  'dfs_replication_queue_blocks',
  'dfs_replication_pending_blocks',
  'dfs_namenode_audit_events_total',
  'process_cpu_seconds_total',
];

const DATANODE_METRICS = [
  'dfs_datanode_requests_total',
  'dfs_datanode_request_duration_seconds',
  'dfs_datanode_bytes_written_total',
  'dfs_datanode_blocks_written_total',
  'dfs_datanode_bytes_read_total',
  'dfs_datanode_block_reads_total',
  'dfs_datanode_checksum_failures_total',
  'dfs_datanode_pipeline_aborts_total',
  'dfs_datanode_capacity_bytes',
  'dfs_datanode_used_bytes',
  'dfs_datanode_remaining_bytes',
  'dfs_datanode_blocks',
  'dfs_datanode_transfers_in_progress',
  'dfs_datanode_scanner_bytes_total',
  'dfs_datanode_scanner_blocks_total',
  'process_resident_memory_bytes',
];

t.test('metrics, audit log and request ids on a running cluster', async (t) => {
  const cluster = await TestCluster.start({ datanodes: 2, replication: 2, blockSize: BLOCK_SIZE, heartbeatIntervalSeconds: 0.3 });
  t.teardown(() => cluster.stop());
  const namenodes = [cluster.namenode.url];
  const admin = new DfsClient({ namenodes, user: SUPERUSER });
  const mallory = new DfsClient({ namenodes, user: 'mallory' });
  t.teardown(() => Promise.all([admin.close(), mallory.close()]));
  const data = randomBytes(BLOCK_SIZE + 1000);

  const before = await scrape(cluster.namenode.url);
  await admin.mkdir('/locked', { mode: 0o755 });
  await admin.writeFile('/locked/file.bin', data);
  t.same(await admin.readFile('/locked/file.bin'), data, 'the file reads back');
  await admin.rename('/locked/file.bin', '/locked/renamed.bin');
  await t.rejects(mallory.mkdir('/locked/mine'), { code: 'EACCES' }, 'mallory may not write under a 755 directory of the superuser');
  const mkdirs = await fetch(`${cluster.namenode.url}/webhdfs/v1/tmp-bob?op=MKDIRS&user.name=${SUPERUSER}`, { method: 'PUT' });
  t.equal(mkdirs.status, 200, 'WebHDFS MKDIRS');

  t.test('/metrics on the namenode', async (t) => {
    const { samples, types, contentType } = await scrape(cluster.namenode.url);
    t.match(contentType, /^text\/plain/, 'Prometheus text format');
    for (const name of NAMENODE_METRICS) t.ok(types.has(name), `${name} is exported`);
    t.equal(types.get('dfs_namenode_requests_total'), 'counter');
    t.equal(types.get('dfs_namenode_request_duration_seconds'), 'histogram');
    const creates = (s: Sample[]) => total(s, 'dfs_namenode_requests_total', { api: 'rpc', op: 'create', status: '200' });
    t.equal(creates(samples) - creates(before.samples), 1, 'one create RPC counted');
    t.ok(total(samples, 'dfs_namenode_request_duration_seconds_count', { api: 'rpc', op: 'addBlock' }) >= 1, 'addBlock latencies observed (the second block; the first came with the create)');
    t.equal(total(samples, 'dfs_namenode_requests_total', { api: 'rpc', op: 'mkdirs', status: '403' }), 1, 'the refused mkdir counted with its status');
    t.equal(total(samples, 'dfs_namenode_requests_total', { api: 'webhdfs', op: 'MKDIRS', status: '200' }), 1, 'WebHDFS ops counted by op');
    t.ok(total(samples, 'dfs_raft_fsyncs_total') > total(before.samples, 'dfs_raft_fsyncs_total'), 'the Raft log fsyncs counted');
    t.ok(total(samples, 'dfs_raft_log_save_duration_seconds_count') > 0, 'Raft save latency observed');
    t.equal(total(samples, 'dfs_namespace_objects', { type: 'files' }), 1, 'one file in the namespace');
    t.equal(total(samples, 'dfs_namespace_objects', { type: 'blocks' }), 2, 'two blocks');
    t.ok(total(samples, 'dfs_namespace_objects', { type: 'directories' }) >= 3, 'root, /locked and /tmp-bob');
    t.equal(total(samples, 'dfs_datanodes', { state: 'live' }), 2, 'two live datanodes');
    t.equal(total(samples, 'dfs_datanodes', { state: 'dead' }), 0);
    t.ok(total(samples, 'dfs_cluster_capacity_bytes') > 0, 'capacity reported');
    t.equal(samples.filter((s) => s.name === 'dfs_datanode_heartbeats_missed').length, 2, 'heartbeat gauge per datanode');
    t.equal(total(samples, 'dfs_namenode_audit_events_total', { allowed: 'false' }), 1, 'one denied operation audited');
  });

  t.test('Raft gauges match /rpc/v1/admin/raft', async (t) => {
    const raft = (await (await fetch(`${cluster.namenode.url}/rpc/v1/admin/raft`)).json()) as { role: string; term: number; commit: number; applied: number; lastIndex: number };
    const { samples } = await scrape(cluster.namenode.url);
    t.equal(total(samples, 'dfs_raft_term'), raft.term, 'term');
    t.equal(total(samples, 'dfs_raft_commit_index'), raft.commit, 'commit index');
    t.equal(total(samples, 'dfs_raft_applied_index'), raft.applied, 'applied index');
    t.equal(total(samples, 'dfs_raft_last_index'), raft.lastIndex, 'last index');
    t.equal(total(samples, 'dfs_raft_role', { role: raft.role }), 1, `role ${raft.role} is 1`);
    t.equal(total(samples, 'dfs_raft_role'), 1, 'and no other role');
  });

  t.test('/metrics on the datanodes', async (t) => {
    const scrapes = await Promise.all(cluster.datanodes.map((node) => scrape(node.url)));
    for (const name of DATANODE_METRICS) t.ok(scrapes[0].types.has(name), `${name} is exported`);
    const sum = (name: string, match: Record<string, string> = {}) => scrapes.reduce((n, s) => n + total(s.samples, name, match), 0);
    t.equal(sum('dfs_datanode_bytes_written_total'), 2 * data.length, 'every replica byte written counted (replication 2)');
    t.equal(sum('dfs_datanode_blocks_written_total'), 4, 'two blocks, two replicas each');
    t.equal(sum('dfs_datanode_bytes_read_total'), data.length, 'bytes read counted');
    t.equal(sum('dfs_datanode_requests_total', { api: 'block', op: 'write', status: '200' }), 4, 'block writes counted per hop');
    t.equal(sum('dfs_datanode_requests_total', { api: 'block', op: 'read', status: '206' }), 2, 'block reads counted');
    t.equal(sum('dfs_datanode_blocks'), 4, 'replicas stored');
    t.equal(sum('dfs_datanode_checksum_failures_total'), 0, 'no checksum failure');
    t.ok(sum('dfs_datanode_capacity_bytes') >= sum('dfs_datanode_used_bytes'), 'capacity and used bytes');
  });

  t.test('audit log: one line per operation, HDFS fields, denials included', async (t) => {
    const lines = await waitFor('the denied mkdir in the audit log', () => {
      const all = readAudit(cluster.namenode);
      return all.some((line) => !line.allowed) ? all : undefined;
    });
    for (const line of lines) {
      t.same(Object.keys(line).sort(), ['allowed', 'cmd', 'dst', 'ip', 'perm', 'proto', 'reqId', 'src', 'time', 'user'], `fields of ${line.cmd}`);
      t.ok(!Number.isNaN(Date.parse(line.time)), 'ISO time');
    }
    const find = (cmd: string, src: string) => lines.filter((line) => line.cmd === cmd && line.src === src);
    const mkdir = find('mkdirs', '/locked');
    t.equal(mkdir.length, 1, 'one line for the mkdir');
    t.match(mkdir[0], { allowed: true, user: SUPERUSER, ip: '127.0.0.1', dst: null, perm: new RegExp(`^${SUPERUSER}:[^:]+:drwxr-xr-x$`), proto: 'rpc' });
    t.equal(find('create', '/locked/file.bin').length, 1, 'one line for the create');
    t.match(find('create', '/locked/file.bin')[0].perm, /:-rw-r--r--$/, 'the created file\'s permission');
    t.equal(find('open', '/locked/file.bin').length, 1, 'the read is audited as open');
    const rename = find('rename', '/locked/file.bin');
    t.equal(rename.length, 1, 'one line for the rename');
    t.equal(rename[0].dst, '/locked/renamed.bin');
    const denied = lines.filter((line) => !line.allowed);
    t.equal(denied.length, 1, 'one denied operation');
    t.match(denied[0], { cmd: 'mkdirs', src: '/locked/mine', user: 'mallory', allowed: false, perm: null });
    t.match(find('mkdirs', '/tmp-bob'), [{ allowed: true, proto: 'webhdfs', user: SUPERUSER }], 'WebHDFS ops are audited too');
    t.notOk(lines.some((line) => ['addBlock', 'complete', 'renewLease'].includes(line.cmd)), 'block and lease calls are not audited (as HDFS)');
  });

  t.test('a request id follows a write from the client to the namenode and the datanodes', async (t) => {
    const id = `write-${randomBytes(6).toString('hex')}`;
    await admin.rpc.withRequestId(() => admin.writeFile('/locked/traced.bin', randomBytes(1000)), id);
    const nnLines = await waitFor('the namenode logs the write', () => {
      const lines = linesWithId(cluster.namenode, id);
      return lines.some((line) => line.msg === 'DIR* completeFile: closed') ? lines : undefined;
    });
    t.ok(nnLines.some((line) => line.msg === 'BLOCK* allocate'), 'the namenode logged the block allocation with the id');
    const dnLines = cluster.datanodes.flatMap((node) => linesWithId(node, id));
    t.equal(dnLines.filter((line) => line.msg === 'replica finalized').length, 2, 'both pipeline datanodes logged the id');
    t.ok(readAudit(cluster.namenode).some((line) => line.cmd === 'create' && line.src === '/locked/traced.bin' && line.reqId === id), 'the audit line carries the id');
  });

  t.test('a WebHDFS CREATE carries the id through its redirect', async (t) => {
    const id = `webhdfs-${randomBytes(6).toString('hex')}`;
    const first = await fetch(`${cluster.namenode.url}/webhdfs/v1/locked/web.txt?op=CREATE&user.name=${SUPERUSER}`, { method: 'PUT', headers: { 'x-request-id': id }, redirect: 'manual' });
    t.equal(first.status, 307);
    const location = first.headers.get('location')!;
    t.match(location, `requestid=${id}`, 'the redirect names the id');
    const second = await fetch(location, { method: 'PUT', body: 'hello' });
    t.equal(second.status, 201);
    const dnLines = await waitFor('datanodes log the id', () => {
      const lines = cluster.datanodes.flatMap((node) => linesWithId(node, id));
      return lines.filter((line) => line.msg === 'replica finalized').length === 2 ? lines : undefined;
    });
    t.ok(dnLines.length >= 2, 'the datanodes logged the id');
    t.ok(linesWithId(cluster.namenode, id).some((line) => line.msg === 'BLOCK* allocate'), 'the namenode logged the datanode\'s calls under the same id');
    const fresh = await fetch(`${cluster.namenode.url}/webhdfs/v1/locked?op=GETFILESTATUS`, { headers: { 'x-request-id': 'bad id with spaces' } });
    t.equal(fresh.status, 200, 'a malformed id is replaced, not refused');
  });
});
