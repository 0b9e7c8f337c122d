// Operator commands, as in Hadoop: `dfs fsck <path> [-files] [-blocks] [-locations]`,
// `dfs dfsadmin -report | -decommission <datanode> | -recommission <datanode> | -fetchImage <file>`,
// `dfs oiv <image>` (client/cli/image.ts), `dfs lsSnapshottableDir`, `dfs snapshotDiff` and dfsadmin's
// `-allowSnapshot` / `-disallowSnapshot` (client/cli/commands/snapshot.ts), and the shell's
// `-setrep [-R] [-w] <rep> <path>...`. They speak the namenode's admin routes (namenode/routes/admin.ts).

import type { Command } from 'commander';
import { request } from 'undici';
import { DfsError } from '../../shared/errors.js';
import type { FileStatus } from '../../shared/protocol.js';
import { ClusterReport } from '../../shared/cluster-report.js';
import { DfsClient, defaultNamenodes } from '../dfs-client.js';
import { changeNamenodeGroup, namenodeReportLines } from './namenode-admin.js';

/** How often `-setrep -w` re-checks the replica counts. */
const SETREP_WAIT_POLL_MS = 500;

interface FsckBlockJson {
  blockId: number;
  genStamp: number;
  numBytes: number;
  expected: number;
  live: number;
  decommissioning: number;
  decommissioned: number;
  corrupt: number;
  health: string;
  locations: Array<{ url: string; replica: string }>;
}
interface FsckJson {
  path: string;
  status: 'HEALTHY' | 'CORRUPT';
  blocksQueuedForReplication: number;
  summary: Record<string, number>;
  files?: Array<{ path: string; length: number; replication: number; openForWrite: boolean; blocks: FsckBlockJson[] }>;
  truncated?: boolean;
  orphanBlocks?: { count: number; graceMs: number; deleted: number; oldestFirstSeenMs: number | null };
}

async function callNamenode(namenode: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let response;
  try {
    response = await request(`${namenode.replace(/\/+$/, '')}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new DfsError('Unavailable', `Cannot reach ${namenode}: ${(error as Error).message}`);
  }
  const json: unknown = await response.body.json().catch(() => ({}));
  if (response.statusCode >= 400) throw DfsError.fromRemoteException(json, response.statusCode);
  return json;
}

/** Splits `-fs <urls>` from the rest, as the shell's generic options. */
function namenodesFrom(args: string[]): { namenodes: string[]; rest: string[] } {
  const at = args.indexOf('-fs');
  if (at >= 0 && at + 1 < args.length) return { namenodes: args[at + 1].split(','), rest: [...args.slice(0, at), ...args.slice(at + 2)] };
  return { namenodes: defaultNamenodes(), rest: args };
}

/** Asks the namenodes in turn; the first answer wins (any namenode can answer fsck and reports). */
async function firstAnswer(namenodes: string[], method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let lastError: unknown;
  for (const namenode of namenodes) {
    try {
      return await callNamenode(namenode, method, path, body);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

const percent = (part: number, whole: number): string => `${whole === 0 ? '0.0' : ((100 * part) / whole).toFixed(1)} %`;

export function formatFsck(report: FsckJson, flags: { files: boolean; blocks: boolean; locations: boolean }): string {
  const lines: string[] = [];
  for (const file of report.files ?? []) {
    if (file.openForWrite) {
      lines.push(`${file.path} ${file.length} bytes, replicated: replication=${file.replication}, OPENFORWRITE:  OK`);
      continue;
    }
    const problems = file.blocks.filter((b) => b.health !== 'OK' && b.health !== 'OVER_REPLICATED');
    lines.push(`${file.path} ${file.length} bytes, replicated: replication=${file.replication}, ${file.blocks.length} block(s):  ${problems.length === 0 ? 'OK' : problems.map((b) => b.health).join(', ')}`);
    if (!flags.blocks) continue;
    file.blocks.forEach((b, i) => {
      let line = `${i}. blk_${b.blockId}_${b.genStamp} len=${b.numBytes} Live_repl=${b.live}`;
      if (b.decommissioning > 0) line += ` Decommissioning_repl=${b.decommissioning}`;
      if (b.corrupt > 0) line += ` Corrupt_repl=${b.corrupt}`;
      if (b.health !== 'OK') line += ` ${b.health}`;
      if (flags.locations) line += ` [${b.locations.map((l) => `${l.url}(${l.replica})`).join(', ')}]`;
      lines.push(line);
    });
    lines.push('');
  }
  const s = report.summary;
  const blocks = s.totalBlocks;
  lines.push(
    `Status: ${report.status}`,
    ` Number of data-nodes:\t${s.datanodes}`,
    ` Number of racks:\t\t${s.racks}`,
    ` Total dirs:\t\t\t${s.totalDirs}`,
    ` Total symlinks:\t\t0`,
    '',
    'Replicated Blocks:',
    ` Total size:\t${s.totalSize} B`,
    ` Total files:\t${s.totalFiles}${s.openFiles > 0 ? ` (Files currently being written: ${s.openFiles})` : ''}`,
    ` Total blocks (validated):\t${blocks}${blocks > 0 ? ` (avg. block size ${Math.round(s.totalSize / blocks)} B)` : ''}`,
    ` Minimally replicated blocks:\t${s.minimallyReplicated} (${percent(s.minimallyReplicated, blocks)})`,
    ` Over-replicated blocks:\t${s.overReplicated} (${percent(s.overReplicated, blocks)})`,
    ` Under-replicated blocks:\t${s.underReplicated} (${percent(s.underReplicated, blocks)})`,
    ` Mis-replicated blocks:\t\t${s.misReplicated} (${percent(s.misReplicated, blocks)})`,
    ` Average block replication:\t${blocks === 0 ? '0.0' : (s.totalLiveReplicas / blocks).toFixed(1)}`,
    ` Missing blocks:\t\t${s.missingBlocks}`,
    ` Corrupt blocks:\t\t${s.corruptBlocks}`,
    ` Missing replicas:\t\t${s.missingReplicas} (${percent(s.missingReplicas, s.totalExpectedReplicas)})`,
    ` Blocks queued for replication:\t${report.blocksQueuedForReplication}`,
    ...orphanLines(report.orphanBlocks),
    '',
    `The filesystem under path '${report.path}' is ${report.status}`,
  );
  return lines.join('\n') + '\n';
}

/** Replicas a restored namespace does not know, kept until the grace period ends (none: no line). */
function orphanLines(orphans: FsckJson['orphanBlocks']): string[] {
  if (!orphans || orphans.count === 0) return [];
  const deletableAt = orphans.oldestFirstSeenMs === null ? '' : `, first deletable at ${new Date(orphans.oldestFirstSeenMs + orphans.graceMs).toISOString()}`;
  return [` Orphan blocks (unknown to a restored namespace, kept ${orphans.graceMs / 1000} s):\t${orphans.count}${deletableAt}`];
}

async function runFsck(args: string[]): Promise<number> {
  const { namenodes, rest } = namenodesFrom(args);
  const flags = { files: false, blocks: false, locations: false };
  let path = '/';
  for (const arg of rest) {
    if (arg === '-files') flags.files = true;
    else if (arg === '-blocks') flags.files = flags.blocks = true;
    else if (arg === '-locations') flags.files = flags.blocks = flags.locations = true;
    else if (arg.startsWith('-')) throw new DfsError('IllegalArgument', `fsck: unknown option ${arg}`);
    else path = arg;
  }
  const query = `path=${encodeURIComponent(path)}&details=${flags.files ? 1 : 0}`;
  const report = (await firstAnswer(namenodes, 'GET', `/rpc/v1/admin/fsck?${query}`)) as FsckJson;
  process.stdout.write(`Connecting to namenode via ${namenodes[0]}\nFSCK started for path ${path} at ${new Date().toString()}\n\n`);
  process.stdout.write(formatFsck(report, flags));
  return report.status === 'HEALTHY' ? 0 : 1;
}

/** The cluster-wide figures `hdfs dfsadmin -report` opens with, as the namenode counted them. */
function clusterSummaryLines(report: ClusterReport): string[] {
  const { totals, namespace, safeMode } = report;
  return [
    ...(safeMode?.on ? [`Safe mode is ON: ${safeMode.reportedBlocks} of ${safeMode.totalBlocks} blocks reported`] : []),
    `Configured Capacity: ${totals.capacityBytes}`,
    `DFS Remaining: ${totals.remainingBytes}`,
    `DFS Used: ${totals.usedBytes}`,
    `DFS Used%: ${totals.usedPercent.toFixed(2)}%`,
    'Replicated Blocks:',
    `\tTotal blocks: ${namespace.blocks}`,
    `\tUnder replicated blocks: ${namespace.underReplicatedBlocks}`,
    `\tCorrupt blocks: ${namespace.corruptBlocks}`,
    `\tMissing blocks: ${namespace.missingBlocks}`,
    '',
    '-------------------------------------------------',
  ];
}

async function runDfsadmin(args: string[]): Promise<number> {
  const { namenodes, rest } = namenodesFrom(args);
  const [command, node] = rest;
  switch (command) {
    case '-report': {
      const report = ClusterReport.parse(await firstAnswer(namenodes, 'GET', '/rpc/v1/admin/report'));
      const lines = [...clusterSummaryLines(report), ...(await namenodeReportLines(namenodes)), `Live datanodes (${report.totals.live + report.totals.stale}):`, ''];
      for (const d of report.datanodes) {
        const admin = d.adminState === 'decommissioning' ? 'Decommission in progress' : d.adminState === 'decommissioned' ? 'Decommissioned' : 'Normal';
        lines.push(
          `Name: ${d.url} (${d.uuid})`,
          `Rack: ${d.rack}`,
          `State: ${d.state}`,
          `Decommission Status : ${admin}`,
          `Configured Capacity: ${d.capacityBytes}`,
          `DFS Used: ${d.usedBytes}`,
          `DFS Remaining: ${d.remainingBytes}${d.full ? ' (full)' : ''}`,
          `Xceivers: ${d.xceiverCount}`,
          `Blocks: ${d.blocks}`,
          '',
        );
      }
      process.stdout.write(lines.join('\n'));
      return 0;
    }
    case '-decommission':
    case '-recommission': {
      if (!node) throw new DfsError('IllegalArgument', `dfsadmin ${command} needs a datanode (uuid or URL)`);
      // Admin state is soft state on each namenode: tell every one, so a failover keeps it.
      const answers = await Promise.allSettled(namenodes.map((nn) => callNamenode(nn, 'POST', `/rpc/v1/admin/${command.slice(1)}`, { node })));
      const ok = answers.find((a): a is PromiseFulfilledResult<unknown> => a.status === 'fulfilled');
      if (!ok) throw (answers[0] as PromiseRejectedResult).reason;
      const state = ok.value as { url: string; uuid: string; adminState: string };
      process.stdout.write(`${command === '-decommission' ? 'Decommissioning' : 'Recommissioned'} ${state.url} (${state.uuid}): ${state.adminState}\n`);
      return 0;
    }
    case '-removeNamenode':
    case '-transferLeadership': {
      if (!node) throw new DfsError('IllegalArgument', `dfsadmin ${command} needs a namenode URL`);
      process.stdout.write(`${await changeNamenodeGroup(namenodes, command, node)}\n`);
      return 0;
    }
    case '-allowSnapshot':
    case '-disallowSnapshot': {
      const client = new DfsClient({ namenodes });
      try {
        return await (await import('./commands/snapshot.js')).changeSnapshottable(client, command, node);
      } finally {
        await client.close();
      }
    }
    case '-fetchImage': {
      if (!node) throw new DfsError('IllegalArgument', 'dfsadmin -fetchImage needs a local file to save the image to');
      return (await import('./image.js')).fetchImage(namenodes, node);
    }
    case '-createToken':
    case '-revokeToken':
    case '-listTokens':
      return (await import('./tokens.js')).runTokenCommand(namenodes, command, rest.slice(1));
    default:
      process.stderr.write(
        'Usage: dfs dfsadmin [-fs <url>] [-report] [-decommission <datanode>] [-recommission <datanode>] [-removeNamenode <url>] [-transferLeadership <url>] [-fetchImage <file>] [-allowSnapshot <dir>] [-disallowSnapshot <dir>] [-createToken <user> [-expires <duration>]] [-revokeToken <id>] [-listTokens]\n',
      );
      return 1;
  }
}

/** `-setrep [-R] [-w] <rep> <path> ...`: sets the replication of files (directories: every file below). */
export async function runSetrep(client: DfsClient, args: string[]): Promise<number> {
  let wait = false;
  const operands: string[] = [];
  for (const arg of args) {
    if (arg === '-w') wait = true;
    else if (arg === '-R') continue; // recursive is implied for directories, as in Hadoop
    else operands.push(arg);
  }
  const [rep, ...paths] = operands;
  const replication = Number(rep);
  if (!Number.isInteger(replication) || replication < 1 || paths.length === 0) {
    process.stderr.write('-setrep: Usage: dfs [generic options] -setrep [-R] [-w] <rep> <path> ...\n');
    return 1;
  }
  let failed = false;
  const files: string[] = [];
  for (const path of paths) {
    try {
      const status = await client.stat(path);
      const pending: FileStatus[] = [status];
      while (pending.length > 0) {
        const entry = pending.pop()!;
        if (entry.type === 'DIRECTORY') pending.push(...(await client.readdir(entry.path, { withFileTypes: true })).map((dirent) => dirent.status));
        else {
          await client.setReplication(entry.path, replication);
          process.stdout.write(`Replication ${replication} set: ${entry.path}\n`);
          files.push(entry.path);
        }
      }
    } catch (error) {
      failed = true;
      const reason = error instanceof DfsError && error.kind === 'FileNotFound' ? 'No such file or directory' : (error as Error).message;
      process.stderr.write(`setrep: \`${path}': ${reason}\n`);
    }
  }
  if (wait) {
    for (const path of files) {
      process.stdout.write(`Waiting for ${path} ...`);
      for (;;) {
        const { located } = await client.rpc.call('getBlockLocations', { path });
        if (located.blocks.every((b) => b.locations.length === replication)) break;
        process.stdout.write('.');
        await new Promise((resolve) => setTimeout(resolve, SETREP_WAIT_POLL_MS));
      }
      process.stdout.write(' done\n');
    }
  }
  return failed ? 1 : 0;
}

export function registerAdminCommands(program: Command): void {
  const passThrough = (name: string, description: string, run: (args: string[]) => Promise<number>) =>
    program
      .command(name)
      .description(description)
      .allowUnknownOption()
      .helpOption(false)
      .argument('[args...]')
      .action(async (args: string[]) => {
        try {
          process.exitCode = await run(args);
        } catch (error) {
          process.stderr.write(`${name}: ${(error as Error).message}\n`);
          process.exitCode = 1;
        }
      });
  passThrough('fsck', 'Check block health under a path: dfs fsck <path> [-files] [-blocks] [-locations]', runFsck);
  passThrough(
    'dfsadmin',
    'Administer the cluster: dfs dfsadmin [-report] [-decommission <datanode>] [-recommission <datanode>] [-removeNamenode <url>] [-transferLeadership <url>] [-fetchImage <file>] [-allowSnapshot <dir>] [-disallowSnapshot <dir>] [-createToken <user> [-expires 7d]] [-revokeToken <id>] [-listTokens]',
    runDfsadmin,
  );
  const snapshotTool = (tool: 'lsSnapshottableDir' | 'snapshotDiff') => async (args: string[]) => {
    const { namenodes, rest } = namenodesFrom(args);
    const client = new DfsClient({ namenodes });
    try {
      return await (await import('./commands/snapshot.js')).runSnapshotTool(client, tool, rest);
    } finally {
      await client.close();
    }
  };
  passThrough('lsSnapshottableDir', 'List the snapshottable directories the user owns (all of them for the superuser)', snapshotTool('lsSnapshottableDir'));
  passThrough('snapshotDiff', 'What changed under a snapshottable directory: dfs snapshotDiff <dir> <from> <to> ("." is the current state)', snapshotTool('snapshotDiff'));
  passThrough('oiv', 'Offline image viewer: verify a namespace image and list it: dfs oiv <image> [-ls] [-stats] (or -i <image> -p Ls|Tree|Stats)', async (args) =>
    (await import('./image.js')).runOfflineImageViewer(args),
  );
}
