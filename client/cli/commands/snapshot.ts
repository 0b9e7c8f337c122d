// Snapshot commands, as Hadoop prints them: the shell's `-createSnapshot`, `-deleteSnapshot`,
// `-renameSnapshot`; `dfs lsSnapshottableDir`, `dfs snapshotDiff`; and dfsadmin's
// `-allowSnapshot` / `-disallowSnapshot` (called from admin.ts). A snapshot is then read with the
// ordinary commands at `<dir>/.snapshot/<name>/...`.

import type { DiffEntry, SnapshotDiffReport } from '../../../shared/protocol.js';
import { DfsError } from '../../../shared/errors.js';
import type { DfsClient } from '../../dfs-client.js';
import { formatTable, lsDate, permissionString } from '../format.js';
import type { Parsed, Shell } from '../shell-core.js';

export async function createSnapshot(shell: Shell, { args }: Parsed): Promise<void> {
  const [dir, name] = args;
  const path = await shell.client.createSnapshot(dir, name);
  shell.print(`Created snapshot ${path}`);
}

export async function deleteSnapshot(shell: Shell, { args }: Parsed): Promise<void> {
  const [dir, name] = args;
  await shell.client.deleteSnapshot(dir, name);
}

export async function renameSnapshot(shell: Shell, { args }: Parsed): Promise<void> {
  const [dir, oldName, newName] = args;
  await shell.client.renameSnapshot(dir, oldName, newName);
}

/** dfsadmin -allowSnapshot / -disallowSnapshot <dir>, with Hadoop's confirmation line. */
export async function changeSnapshottable(client: DfsClient, command: '-allowSnapshot' | '-disallowSnapshot', dir: string | undefined): Promise<number> {
  if (!dir) throw new DfsError('IllegalArgument', `dfsadmin ${command} needs a directory`);
  if (command === '-allowSnapshot') {
    await client.allowSnapshot(dir);
    process.stdout.write(`Allowing snapshot on ${dir} succeeded\n`);
  } else {
    await client.disallowSnapshot(dir);
    process.stdout.write(`Disallowing snapshot on ${dir} succeeded\n`);
  }
  return 0;
}

/** `dfs lsSnapshottableDir`: HDFS's SnapshottableDirectoryStatus.print columns. */
export async function lsSnapshottableDir(client: DfsClient): Promise<string[]> {
  const directories = await client.getSnapshottableDirectoryList();
  const rows = directories.map(({ status, snapshotNumber, snapshotQuota }) => [
    permissionString(status),
    String(status.replication),
    status.owner,
    status.group,
    String(status.length),
    lsDate(status.modificationTime),
    String(snapshotNumber),
    String(snapshotQuota),
    status.path,
  ]);
  return formatTable(rows, [1, 4, 6, 7]);
}

const LABELS: Record<DiffEntry['type'], string> = { CREATE: '+', DELETE: '-', MODIFY: 'M', RENAME: 'R' };

/** HDFS's SnapshotDiffReport.toString: a header, then `M\t.`, `+\t./a`, `R\t./x -> ./y`. */
export function formatSnapshotDiff(report: SnapshotDiffReport): string[] {
  const side = (name: string) => (name === '' ? 'current directory' : `snapshot ${name}`);
  const show = (path: string) => (path === '' ? '.' : `./${path}`);
  return [
    `Difference between ${side(report.fromSnapshot)} and ${side(report.toSnapshot)} under directory ${report.snapshotRoot}:`,
    ...report.diffList.map((entry) => `${LABELS[entry.type]}\t${show(entry.sourcePath)}${entry.targetPath !== undefined ? ` -> ${show(entry.targetPath)}` : ''}`),
  ];
}

/** Runs `dfs lsSnapshottableDir` / `dfs snapshotDiff <dir> <from> <to>` with Hadoop's usage errors. */
export async function runSnapshotTool(client: DfsClient, tool: 'lsSnapshottableDir' | 'snapshotDiff', args: string[]): Promise<number> {
  if (tool === 'lsSnapshottableDir') {
    if (args.length > 0) {
      process.stderr.write('Usage: dfs lsSnapshottableDir [-fs <url>]\n');
      return 1;
    }
    for (const line of await lsSnapshottableDir(client)) process.stdout.write(`${line}\n`);
    return 0;
  }
  if (args.length !== 3) {
    process.stderr.write('Usage: dfs snapshotDiff [-fs <url>] <snapshotDir> <from> <to>:\n\tGet the difference between two snapshots,\n\tor between a snapshot and the current tree of a directory.\n\tFor <from>/<to>, users can use "." to present the current status,\n\tand use ".snapshot/snapshot_name" to present a snapshot,\n\twhere ".snapshot/" can be omitted\n');
    return 1;
  }
  const [dir, from, to] = args;
  const name = (arg: string) => arg.replace(/^\.snapshot\//, '');
  const report = await client.getSnapshotDiff(dir, name(from), name(to));
  for (const line of formatSnapshotDiff(report)) process.stdout.write(`${line}\n`);
  return 0;
}
