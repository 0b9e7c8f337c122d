// Commands that look without changing: -ls, -du, -df, -count, -stat, -test, -find, -checksum.

import { createHash } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import { CHECKSUM_CHUNK_BYTES } from '../../../shared/constants.js';
import type { FileStatus } from '../../../shared/protocol.js';
import { globToRegExp } from '../../glob.js';
import { CONTENT_SUMMARY_HEADER, ListingFormatter, QUOTA_HEADER, formatContentSummary, formatQuotaUsage, formatStat, formatTable, humanBytes } from '../format.js';
import { PathError, UsageError, type Item, type Parsed, type Shell } from '../shell-core.js';

export async function ls(shell: Shell, { flags, args }: Parsed): Promise<void> {
  const pathOnly = flags.has('C');
  const listDirs = !flags.has('d');
  const recursive = flags.has('R') && listDirs;
  const formatter = new ListingFormatter({ human: flags.has('h'), atime: flags.has('u') });
  const order = listingOrder(flags);
  const show = (items: Item[]) => {
    if (!pathOnly) formatter.adjust(items.map((item) => item.status));
    for (const item of items) shell.print(pathOnly ? item.display : formatter.line(item.status, item.display));
  };
  const walk = async (item: Item): Promise<void> => {
    await shell.forPath('ls', item.display, async () => {
      const children = await shell.children(item);
      // Hadoop sorts and counts only the top level of a non-recursive listing.
      if (!recursive && children.length > 0) {
        if (!pathOnly) shell.print(`Found ${children.length} items`);
        children.sort(order);
      }
      for (const child of children) {
        show([child]);
        if (recursive && child.status.type === 'DIRECTORY') await walk(child);
      }
    });
  };
  for (const item of await shell.expandAll('ls', args.length > 0 ? args : ['.'])) {
    if (listDirs && item.status.type === 'DIRECTORY') await walk(item);
    else show([item]);
  }
}

/** -t (newest first, by access time with -u), else -S (largest first), else by name; -r reverses. */
function listingOrder(flags: Set<string>): (a: Item, b: Item) => number {
  const sign = flags.has('r') ? -1 : 1;
  if (flags.has('t')) {
    const time = (i: Item) => (flags.has('u') ? i.status.accessTime : i.status.modificationTime);
    return (a, b) => sign * (time(b) - time(a));
  }
  if (flags.has('S')) return (a, b) => sign * (b.status.length - a.status.length);
  return (a, b) => sign * (a.display < b.display ? -1 : a.display > b.display ? 1 : 0);
}

async function contentSummary(shell: Shell, status: FileStatus) {
  return shell.client.rpc.call('getContentSummary', { path: status.path });
}

export async function du(shell: Shell, { flags, args }: Parsed): Promise<void> {
  const human = flags.has('h');
  const rows: string[][] = flags.has('v') ? [['SIZE', 'DISK_SPACE_CONSUMED_WITH_ALL_REPLICAS', 'FULL_PATH_NAME']] : [];
  const size = (n: number) => (human ? humanBytes(n) : String(n));
  for (const item of await shell.expandAll('du', args.length > 0 ? args : ['.'])) {
    await shell.forPath('du', item.display, async () => {
      // Without -s, a directory shows one row per child (one level deep), as Hadoop's Du.
      const targets = !flags.has('s') && item.status.type === 'DIRECTORY' ? await shell.children(item) : [item];
      for (const target of targets) {
        const summary = await contentSummary(shell, target.status);
        rows.push([size(summary.length), size(summary.spaceConsumed), target.display]);
      }
    });
  }
  if (rows.length > (flags.has('v') ? 1 : 0)) for (const line of formatTable(rows)) shell.print(line);
}

interface ClusterReport {
  totals: { capacityBytes: number; usedBytes: number; remainingBytes: number };
}

export async function df(shell: Shell, { flags, args }: Parsed): Promise<void> {
  const human = flags.has('h');
  const size = (n: number) => (human ? humanBytes(n) : String(n));
  const rows: string[][] = [['Filesystem', 'Size', 'Used', 'Available', 'Use%']];
  for (const item of await shell.expandAll('df', args.length > 0 ? args : ['/'])) {
    await shell.forPath('df', item.display, async () => {
      const namenode = shell.client.rpc.activeNamenode;
      const response = await fetch(`${namenode}/rpc/v1/admin/report`);
      if (!response.ok) throw new Error(`Cannot read the cluster report from ${namenode}: HTTP ${response.status}`);
      const { totals } = (await response.json()) as ClusterReport;
      const percent = totals.capacityBytes > 0 ? `${Math.round((100 * totals.usedBytes) / totals.capacityBytes)}%` : '0%';
      rows.push([namenode, size(totals.capacityBytes), size(totals.usedBytes), size(totals.remainingBytes), percent]);
    });
  }
  if (rows.length > 1) for (const line of formatTable(rows, [1, 2, 3, 4])) shell.print(line);
}

export async function count(shell: Shell, { flags, args }: Parsed): Promise<void> {
  const human = flags.has('h');
  const quotaOnly = flags.has('u');
  if (flags.has('v')) shell.print((quotaOnly ? QUOTA_HEADER : flags.has('q') ? QUOTA_HEADER + CONTENT_SUMMARY_HEADER : CONTENT_SUMMARY_HEADER) + 'PATHNAME');
  for (const item of await shell.expandAll('count', args.length > 0 ? args : ['.'])) {
    await shell.forPath('count', item.display, async () => {
      const summary = await contentSummary(shell, item.status);
      const columns = quotaOnly ? formatQuotaUsage(summary, human) : formatContentSummary(summary, { quota: flags.has('q'), human });
      shell.print(columns + item.display);
    });
  }
}

export async function stat(shell: Shell, { args }: Parsed): Promise<void> {
  const hasFormat = args.length > 1;
  const format = hasFormat ? args[0] : '%y';
  for (const item of await shell.expandAll('stat', hasFormat ? args.slice(1) : args)) shell.print(formatStat(format, item.status));
}

export async function test(shell: Shell, { flags, args }: Parsed): Promise<void> {
  if (flags.size !== 1) throw new UsageError('No test flag given');
  const status = await shell.statOrNull(args[0]);
  const [flag] = [...flags];
  const user = shell.client.user;
  const allowed = (bit: number) => {
    if (!status) return false;
    const shift = status.owner === user ? 6 : status.group === user ? 3 : 0;
    return ((status.permission >> shift) & bit) !== 0;
  };
  const answers: Record<string, boolean> = {
    e: status !== null,
    d: status?.type === 'DIRECTORY',
    f: status?.type === 'FILE',
    s: (status?.length ?? 0) > 0,
    z: status !== null && status.length === 0,
    r: allowed(4),
    w: allowed(2),
  };
  // -test answers by its exit code only, as in Hadoop.
  if (!answers[flag]) shell.failSilently();
}

/** -find <path> ... <expression>: -name / -iname patterns, -print / -print0, joined by -a / -and. */
export async function find(shell: Shell, { args }: Parsed): Promise<void> {
  const firstExpression = args.findIndex((arg) => arg.startsWith('-') && arg.length > 1);
  const paths = firstExpression < 0 ? args : args.slice(0, firstExpression);
  const expression = firstExpression < 0 ? [] : args.slice(firstExpression);
  const tests: Array<(item: Item) => boolean> = [];
  let terminator: string | null = null;
  for (let i = 0; i < expression.length; i++) {
    const token = expression[i];
    if (token === '-name' || token === '-iname') {
      const pattern = expression[++i];
      if (pattern === undefined) throw new UsageError(`Missing argument to ${token}`);
      const matcher = globToRegExp(pattern, { ignoreCase: token === '-iname' });
      tests.push((item) => matcher.test(item.status.path === '/' ? '' : item.status.path.slice(item.status.path.lastIndexOf('/') + 1)));
    } else if (token === '-print' || token === '-print0') terminator = token === '-print0' ? '\0' : '\n';
    else if (token === '-a' || token === '-and') continue;
    else throw new UsageError(`Unexpected argument: ${token}`);
  }
  const end = terminator ?? '\n';
  const visit = async (item: Item): Promise<void> => {
    if (tests.every((matches) => matches(item))) await shell.write(item.display + end);
    if (item.status.type === 'DIRECTORY') {
      await shell.forPath('find', item.display, async () => {
        for (const child of await shell.children(item)) await visit(child);
      });
    }
  };
  for (const item of await shell.expandAll('find', paths.length > 0 ? paths : ['.'])) await visit(item);
}

/**
 * -checksum: HDFS's MD5-of-MD5-of-CRC32C file checksum (the MD5 of each block's chunk CRCs, then
 * the MD5 of those), over dfs's checksum chunk size. Computed by reading the file.
 */
export async function checksum(shell: Shell, { flags, args }: Parsed): Promise<void> {
  for (const item of await shell.expandAll('checksum', args)) {
    await shell.forPath('checksum', item.display, async () => {
      if (item.status.type === 'DIRECTORY') throw new PathError(item.display, 'Is a directory');
      const { algorithm, bytes } = await fileChecksum(shell, item.status);
      const columns = [item.display, algorithm, bytes.toString('hex')];
      if (flags.has('v')) columns.push(`BlockSize=${item.status.blockSize}`);
      shell.print(columns.join('\t'));
    });
  }
}

async function fileChecksum(shell: Shell, status: FileStatus): Promise<{ algorithm: string; bytes: Buffer }> {
  const fileMd5 = createHash('md5');
  const blockCount = Math.max(1, Math.ceil(status.length / status.blockSize));
  let blockCrcs: Buffer[] = [];
  let blockFill = 0;
  let chunk: Buffer[] = [];
  let chunkFill = 0;
  const endChunk = () => {
    if (chunkFill === 0) return;
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32c(Buffer.concat(chunk)) >>> 0);
    blockCrcs.push(crc);
    chunk = [];
    chunkFill = 0;
  };
  const endBlock = () => {
    endChunk();
    if (blockCrcs.length === 0) return;
    fileMd5.update(createHash('md5').update(Buffer.concat(blockCrcs)).digest());
    blockCrcs = [];
    blockFill = 0;
  };
  for await (const data of shell.client.createReadStream(status.path)) {
    let buffer = data as Buffer;
    while (buffer.length > 0) {
      const room = Math.min(CHECKSUM_CHUNK_BYTES - chunkFill, status.blockSize - blockFill);
      const piece = buffer.subarray(0, room);
      chunk.push(piece);
      chunkFill += piece.length;
      blockFill += piece.length;
      buffer = buffer.subarray(piece.length);
      if (blockFill === status.blockSize) endBlock();
      else if (chunkFill === CHECKSUM_CHUNK_BYTES) endChunk();
    }
  }
  endBlock();
  const crcPerBlock = blockCount > 1 ? Math.floor(status.blockSize / CHECKSUM_CHUNK_BYTES) : 0;
  const header = Buffer.alloc(12);
  header.writeUInt32BE(CHECKSUM_CHUNK_BYTES, 0);
  header.writeBigUInt64BE(BigInt(crcPerBlock), 4);
  return { algorithm: `MD5-of-${crcPerBlock}MD5-of-${CHECKSUM_CHUNK_BYTES}CRC32C`, bytes: Buffer.concat([header, fileMd5.digest()]) };
}
