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

/** Hadoop's StringUtils.TraditionalBinaryPrefix.long2String with one decimal, as -ls -h prints. */
export function humanBytes(bytes: number): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  let unit = 0;
  let value = bytes;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return String(bytes);
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Lines of `hdfs dfs -ls`, with Hadoop's column widths (replication 3, length 10 at least). */
export function formatListing(entries: FileStatus[], options: { human?: boolean } = {}): string[] {
  const size = (s: FileStatus) => (options.human ? humanBytes(s.length) : String(s.length));
  const repl = (s: FileStatus) => (s.type === 'DIRECTORY' ? '-' : String(s.replication));
  const widthRepl = Math.max(3, ...entries.map((s) => repl(s).length));
  const widthOwner = Math.max(0, ...entries.map((s) => s.owner.length));
  const widthGroup = Math.max(0, ...entries.map((s) => s.group.length));
  const widthLength = Math.max(10, ...entries.map((s) => size(s).length));
  return entries.map(
    (s) =>
      `${permissionString(s)} ${repl(s).padStart(widthRepl)} ${s.owner.padEnd(widthOwner)} ${s.group.padEnd(widthGroup)} ` +
      `${size(s).padStart(widthLength)} ${lsDate(s.modificationTime)} ${s.path}`,
  );
}

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
