// Output formatting shared by the shell commands, following Hadoop's FsShell layouts.

import type { FileStatus } from '../../shared/protocol.js';

export function permissionString(status: Pick<FileStatus, 'type' | 'permission'>): string {
  const p = status.permission;
  const bits = (shift: number, special: boolean, specialChar: string) => {
    const r = p & (4 << shift) ? 'r' : '-';
    const w = p & (2 << shift) ? 'w' : '-';
    const executable = (p & (1 << shift)) !== 0;
    const x = special ? (executable ? specialChar : specialChar.toUpperCase()) : executable ? 'x' : '-';
    return r + w + x;
  };
  const sticky = (p & 0o1000) !== 0;
  return (status.type === 'DIRECTORY' ? 'd' : '-') + bits(6, false, 's') + bits(3, false, 's') + bits(0, sticky, 't');
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `yyyy-MM-dd HH:mm` in local time, as `hdfs dfs -ls` prints. */
export function lsDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** `yyyy-MM-dd HH:mm:ss` in UTC, as `hdfs dfs -stat` prints. */
export function statDate(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * Hadoop's StringUtils.TraditionalBinaryPrefix.long2String(n, "", 1), as -ls -h, -du -h, -df -h
 * and -count -h print sizes: "1023", "64 M" (exact), "1.5 K".
 */
export function humanBytes(bytes: number): string {
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  if (bytes < 1024) return String(bytes);
  let unit = 0;
  while (unit + 1 < units.length && bytes >= 1024 ** (unit + 2)) unit += 1;
  const divisor = 1024 ** (unit + 1);
  if (bytes % divisor === 0) return `${bytes / divisor} ${units[unit]}`;
  let text = (bytes / divisor).toFixed(1);
  // A value that rounds up to 1024 moves to the next prefix, as Hadoop does.
  if (text.startsWith('1024') && unit + 1 < units.length) {
    unit += 1;
    text = (bytes / 1024 ** (unit + 1)).toFixed(1);
  }
  return `${text} ${units[unit]}`;
}

export interface ListingOptions {
  human?: boolean;
  /** -u: show the access time instead of the modification time. */
  atime?: boolean;
}

/**
 * Lines of `hdfs dfs -ls`: Hadoop's Ls keeps its column widths for the whole run and only widens
 * them (replication 3 and length 10 at least), so one formatter serves one command.
 */
export class ListingFormatter {
  private widthRepl = 3;
  private widthLength = 10;
  private widthOwner = 0;
  private widthGroup = 0;

  constructor(private readonly options: ListingOptions = {}) {}

  private size(s: FileStatus): string {
    return this.options.human ? humanBytes(s.length) : String(s.length);
  }

  /** Widens the columns for a batch of entries about to be printed (Ls.adjustColumnWidths). */
  adjust(entries: FileStatus[]): void {
    for (const s of entries) {
      this.widthRepl = Math.max(this.widthRepl, String(s.replication).length);
      this.widthLength = Math.max(this.widthLength, String(s.length).length);
      this.widthOwner = Math.max(this.widthOwner, s.owner.length);
      this.widthGroup = Math.max(this.widthGroup, s.group.length);
    }
  }

  line(s: FileStatus, display: string): string {
    const repl = s.type === 'DIRECTORY' ? '-' : String(s.replication);
    const owner = this.widthOwner > 0 ? s.owner.padEnd(this.widthOwner) + ' ' : s.owner;
    const group = this.widthGroup > 0 ? s.group.padEnd(this.widthGroup) + ' ' : s.group;
    const time = this.options.atime ? s.accessTime : s.modificationTime;
    return `${permissionString(s)} ${repl.padStart(this.widthRepl)} ${owner}${group}${this.size(s).padStart(this.widthLength)} ${lsDate(time)} ${display}`;
  }
}

/** Lines of `hdfs dfs -ls` for one batch of entries shown by their full path. */
export function formatListing(entries: FileStatus[], options: ListingOptions = {}): string[] {
  const formatter = new ListingFormatter(options);
  formatter.adjust(entries);
  return entries.map((s) => formatter.line(s, s.path));
}

/**
 * Hadoop's FsUsage.TableBuilder: columns as wide as their widest cell, two spaces apart, chosen
 * columns right-aligned, the last left-aligned column without trailing spaces.
 */
export function formatTable(rows: string[][], rightAligned: number[] = []): string[] {
  if (rows.length === 0) return [];
  const columns = rows[0].length;
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) =>
    row
      .map((cell, c) => (rightAligned.includes(c) ? cell.padStart(widths[c]) : c === columns - 1 ? cell : cell.padEnd(widths[c])))
      .join('  '),
  );
}

export interface ContentSummaryView {
  length: number;
  fileCount: number;
  directoryCount: number;
  quota: number;
  spaceQuota: number;
  spaceConsumed: number;
}

const countSize = (n: number, human: boolean) => (human ? humanBytes(n) : String(n));

/** ContentSummary.toString(qOption, hOption): the columns `-count` prints before the path. */
export function formatContentSummary(summary: ContentSummaryView, options: { quota?: boolean; human?: boolean } = {}): string {
  const human = options.human ?? false;
  let prefix = '';
  if (options.quota) prefix = formatQuotaUsage(summary, human);
  return (
    prefix +
    `${countSize(summary.directoryCount, human).padStart(12)} ${countSize(summary.fileCount, human).padStart(12)} ${countSize(summary.length, human).padStart(18)} `
  );
}

/** QuotaUsage columns (QUOTA REM_QUOTA SPACE_QUOTA REM_SPACE_QUOTA): "none" and "inf" without quotas. */
export function formatQuotaUsage(summary: ContentSummaryView, human: boolean): string {
  const quota = summary.quota >= 0 ? countSize(summary.quota, human) : 'none';
  const remaining = summary.quota >= 0 ? countSize(summary.quota - summary.directoryCount - summary.fileCount, human) : 'inf';
  const spaceQuota = summary.spaceQuota >= 0 ? countSize(summary.spaceQuota, human) : 'none';
  const spaceRemaining = summary.spaceQuota >= 0 ? countSize(summary.spaceQuota - summary.spaceConsumed, human) : 'inf';
  return `${quota.padStart(12)} ${remaining.padStart(15)} ${spaceQuota.padStart(15)} ${spaceRemaining.padStart(15)} `;
}

export const CONTENT_SUMMARY_HEADER = `${'DIR_COUNT'.padStart(12)} ${'FILE_COUNT'.padStart(12)} ${'CONTENT_SIZE'.padStart(18)} `;
export const QUOTA_HEADER = `${'QUOTA'.padStart(12)} ${'REM_QUOTA'.padStart(15)} ${'SPACE_QUOTA'.padStart(15)} ${'REM_SPACE_QUOTA'.padStart(15)} `;

/** Expands `hdfs dfs -stat` format specifiers. */
export function formatStat(format: string, s: FileStatus): string {
  const name = s.path === '/' ? '/' : s.path.slice(s.path.lastIndexOf('/') + 1);
  return format.replace(/%([a-zA-Z%])/g, (match, spec: string) => {
    switch (spec) {
      case 'a':
        return (s.permission & 0o1777).toString(8);
      case 'A':
        return permissionString(s).slice(1);
      case 'b':
        return String(s.length);
      case 'F':
        return s.type === 'DIRECTORY' ? 'directory' : s.length === 0 ? 'regular empty file' : 'regular file';
      case 'g':
        return s.group;
      case 'n':
        return name;
      case 'o':
        return String(s.blockSize);
      case 'r':
        return String(s.replication);
      case 'u':
        return s.owner;
      case 'x':
        return statDate(s.accessTime);
      case 'X':
        return String(s.accessTime);
      case 'y':
        return statDate(s.modificationTime);
      case 'Y':
        return String(s.modificationTime);
      case '%':
        return '%';
      default:
        return match;
    }
  });
}
