// `dfs -<command>`: the file-system shell, following `hdfs dfs` syntax, output and messages.
// Each command parses its own flags (Hadoop's CommandFormat), reports errors as
// "<cmd>: `<path>': <reason>" on stderr, and makes the process exit 1 when any path failed.

import { createReadStream, createWriteStream, promises as fsp, statSync } from 'node:fs';
import { basename, join as localJoin } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DfsError, isDfsError } from '../../shared/errors.js';
import { baseName, joinPath } from '../../shared/paths.js';
import type { FileStatus } from '../../shared/protocol.js';
import { DfsClient } from '../dfs-client.js';
import { formatListing, formatStat } from './format.js';
import { startProgress } from './progress.js';

interface CommandSpec {
  usage: string;
  description: string;
  flags: string;
  minArgs: number;
  maxArgs: number;
  run(shell: FsShell, flags: Set<string>, args: string[]): Promise<void>;
}

/** A failure tied to one path, printed the way Hadoop's PathIOException prints. */
export class PathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`\`${path}': ${reason}`);
  }
}

const REASONS: Partial<Record<DfsError['kind'], string>> = {
  FileNotFound: 'No such file or directory',
  FileAlreadyExists: 'File exists',
  PathIsDirectory: 'Is a directory',
  PathIsNotDirectory: 'Is not a directory',
  ParentNotDirectory: 'Is not a directory',
  PathIsNotEmptyDirectory: 'Directory is not empty',
  AccessControl: 'Permission denied',
};

/** Rewrites a namenode error about `path` into the shell's wording. */
function asPathError(error: unknown, path: string): unknown {
  if (isDfsError(error) && REASONS[error.kind]) return new PathError(path, REASONS[error.kind]!);
  return error;
}

export class FsShell {
  private failed = false;

  constructor(
    readonly client: DfsClient,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  print(line: string): void {
    this.out.write(line + '\n');
  }

  /** Runs `action` for one path; a failure is reported and the shell goes on with the next path. */
  async forPath(command: string, path: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.report(command, asPathError(error, path));
    }
  }

  report(command: string, error: unknown): void {
    this.failed = true;
    if ((error as { silent?: boolean }).silent) return;
    const message = error instanceof PathError || isDfsError(error) ? error.message : `${(error as Error).message ?? error}`;
    this.err.write(`${command}: ${message}\n`);
  }

  async statOrNull(path: string): Promise<FileStatus | null> {
    const { status } = await this.client.rpc.call('getFileInfo', { path: this.client.resolve(path) });
    return status;
  }

  async requireStat(path: string): Promise<FileStatus> {
    const status = await this.statOrNull(path);
    if (!status) throw new PathError(path, 'No such file or directory');
    return status;
  }

  /** Runs one shell command line (without the generic options); returns the exit code. */
  async run(argv: string[]): Promise<number> {
    const [commandArg, ...rest] = argv;
    const name = commandArg.replace(/^-/, '');
    const spec = COMMANDS[name];
    if (!spec) {
      this.err.write(`${commandArg}: Unknown command\nUsage: dfs [generic options]\n${usageLines().join('\n')}\n`);
      return 1;
    }
    const flags = new Set<string>();
    const args: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i];
      if (args.length === 0 && arg.startsWith('-') && arg.length > 1 && arg !== '-') {
        const flag = arg.slice(1);
        if (!spec.flags.split(' ').includes(flag)) {
          this.err.write(`-${name}: Illegal option ${arg}\nUsage: dfs [generic options] -${name} ${spec.usage}\n`);
          return 1;
        }
        flags.add(flag);
        continue;
      }
      args.push(arg);
    }
    if (args.length < spec.minArgs || args.length > spec.maxArgs) {
      const problem = args.length < spec.minArgs ? 'Not enough arguments' : 'Too many arguments';
      this.err.write(`-${name}: ${problem}: expected ${spec.minArgs} but got ${args.length}\nUsage: dfs [generic options] -${name} ${spec.usage}\n`);
      return 1;
    }
    try {
      await spec.run(this, flags, args);
    } catch (error) {
      this.report(name, error);
    }
    return this.failed ? 1 : 0;
  }
}

// ---- commands ---------------------------------------------------------------------------------

async function ls(shell: FsShell, flags: Set<string>, args: string[]): Promise<void> {
  const paths = args.length > 0 ? args : ['.'];
  for (const path of paths) {
    await shell.forPath('ls', path, async () => {
      const status = await shell.requireStat(path);
      if (status.type === 'FILE' || flags.has('d')) {
        for (const line of formatListing([status], { human: flags.has('h') })) shell.print(line);
        return;
      }
      await listDirectory(shell, status.path, flags, true);
    });
  }
}

async function listDirectory(shell: FsShell, dir: string, flags: Set<string>, top: boolean): Promise<void> {
  const entries = await shell.client.readdir(dir);
  if (top && !flags.has('R')) shell.print(`Found ${entries.length} items`);
  for (const entry of entries) {
    for (const line of formatListing([entry], { human: flags.has('h') })) shell.print(line);
    if (flags.has('R') && entry.type === 'DIRECTORY') await listDirectory(shell, entry.path, flags, false);
  }
}

async function mkdir(shell: FsShell, flags: Set<string>, args: string[]): Promise<void> {
  for (const path of args) {
    await shell.forPath('mkdir', path, async () => {
      const existing = await shell.statOrNull(path);
      if (existing) {
        if (existing.type !== 'DIRECTORY') throw new PathError(path, 'Is not a directory');
        if (!flags.has('p')) throw new PathError(path, 'File exists');
        return;
      }
      await shell.client.mkdir(path, { recursive: flags.has('p') });
    });
  }
}

/** Where a copy into `dst` lands: inside it when it is an existing directory. */
async function copyTarget(shell: FsShell, dst: string, name: string): Promise<{ path: string; existing: FileStatus | null }> {
  const status = await shell.statOrNull(dst);
  if (status?.type === 'DIRECTORY') {
    const path = joinPath(status.path, name);
    return { path, existing: await shell.statOrNull(path) };
  }
  return { path: shell.client.resolve(dst), existing: status };
}

async function put(shell: FsShell, flags: Set<string>, args: string[], command = 'put'): Promise<void> {
  const dst = args[args.length - 1];
  const sources = args.slice(0, -1);
  if (sources.length > 1) {
    const status = await shell.statOrNull(dst);
    if (status?.type !== 'DIRECTORY') throw new PathError(dst, status ? 'Is not a directory' : 'No such file or directory');
  }
  for (const source of sources) {
    await shell.forPath(command, source, async () => {
      let size: number | undefined;
      if (source !== '-') {
        const local = await fsp.stat(source).catch(() => null);
        if (!local) throw new PathError(source, 'No such file or directory');
        if (local.isDirectory()) throw new PathError(source, 'Is a directory');
        size = local.size;
      }
      const target = await copyTarget(shell, dst, source === '-' ? baseName(dst) : basename(source));
      if (target.existing?.type === 'DIRECTORY') throw new PathError(target.path, 'Is a directory');
      if (target.existing && !flags.has('f')) throw new PathError(target.path, 'File exists');
      const input = source === '-' ? process.stdin : createReadStream(source, { highWaterMark: 1024 * 1024 });
      await uploadAtomically(shell, input, target.path, size, flags.has('f'));
    });
  }
}

/**
 * Writes to `<dst>._COPYING_` and renames it into place only when every byte is acknowledged, as
 * `hdfs dfs -put` does, so an interrupted upload never leaves a partial file under the real name.
 */
async function uploadAtomically(shell: FsShell, input: NodeJS.ReadableStream, dst: string, size: number | undefined, overwrite: boolean) {
  const temporary = `${dst}._COPYING_`;
  const progress = startProgress(baseName(dst), size);
  try {
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        progress.add(chunk.length);
        callback(null, chunk);
      },
    });
    await pipeline(input, counter, shell.client.createWriteStream(temporary, { overwrite: true, createParent: false }));
    if (overwrite) await shell.client.delete(dst, { recursive: false }).catch(() => undefined);
    await shell.client.rename(temporary, dst);
  } catch (error) {
    await shell.client.delete(temporary).catch(() => undefined);
    if (isDfsError(error, 'FileNotFound')) throw new PathError(dst, 'No such file or directory');
    throw error;
  } finally {
    progress.stop();
  }
}

async function get(shell: FsShell, flags: Set<string>, args: string[], command = 'get'): Promise<void> {
  const localDst = args[args.length - 1];
  const sources = args.slice(0, -1);
  for (const source of sources) {
    await shell.forPath(command, source, async () => {
      const status = await shell.requireStat(source);
      if (status.type === 'DIRECTORY') throw new PathError(source, 'Is a directory');
      let target = localDst;
      if (statSync(localDst, { throwIfNoEntry: false })?.isDirectory()) target = localJoin(localDst, baseName(status.path));
      if (statSync(target, { throwIfNoEntry: false }) && !flags.has('f')) throw new PathError(target, 'File exists');
      const temporary = `${target}._COPYING_`;
      const progress = startProgress(baseName(status.path), status.length);
      try {
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            progress.add(chunk.length);
            callback(null, chunk);
          },
        });
        await pipeline(shell.client.createReadStream(status.path), counter, createWriteStream(temporary));
        await fsp.rename(temporary, target);
      } catch (error) {
        await fsp.rm(temporary, { force: true });
        throw error;
      } finally {
        progress.stop();
      }
    });
  }
}

async function cat(shell: FsShell, _flags: Set<string>, args: string[]): Promise<void> {
  for (const path of args) {
    await shell.forPath('cat', path, async () => {
      const status = await shell.requireStat(path);
      if (status.type === 'DIRECTORY') throw new PathError(path, 'Is a directory');
      for await (const chunk of shell.client.createReadStream(status.path)) {
        if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
    });
  }
}

async function rm(shell: FsShell, flags: Set<string>, args: string[]): Promise<void> {
  const recursive = flags.has('r') || flags.has('R');
  for (const path of args) {
    await shell.forPath('rm', path, async () => {
      const status = await shell.statOrNull(path);
      if (!status) {
        if (flags.has('f')) return;
        throw new PathError(path, 'No such file or directory');
      }
      if (status.type === 'DIRECTORY' && !recursive) throw new PathError(path, 'Is a directory');
      await shell.client.delete(status.path, { recursive });
      shell.print(`Deleted ${path}`);
    });
  }
}

async function rmdir(shell: FsShell, flags: Set<string>, args: string[]): Promise<void> {
  for (const path of args) {
    await shell.forPath('rmdir', path, async () => {
      const status = await shell.requireStat(path);
      if (status.type !== 'DIRECTORY') throw new PathError(path, 'Is not a directory');
      if (status.childrenNum > 0) {
        if (flags.has('-ignore-fail-on-non-empty')) return;
        throw new PathError(path, 'Directory is not empty');
      }
      await shell.client.delete(status.path, { recursive: false });
    });
  }
}

async function mv(shell: FsShell, _flags: Set<string>, args: string[]): Promise<void> {
  const dst = args[args.length - 1];
  const sources = args.slice(0, -1);
  const dstStatus = await shell.statOrNull(dst);
  if (sources.length > 1 && dstStatus?.type !== 'DIRECTORY') {
    throw new PathError(dst, dstStatus ? 'Is not a directory' : 'No such file or directory');
  }
  for (const source of sources) {
    await shell.forPath('mv', source, async () => {
      const status = await shell.requireStat(source);
      const target = await copyTarget(shell, dst, baseName(status.path));
      if (target.existing && target.path !== status.path) throw new PathError(target.path, 'File exists');
      try {
        await shell.client.rename(status.path, target.path);
      } catch (error) {
        throw asPathError(error, dst);
      }
    });
  }
}

async function stat(shell: FsShell, _flags: Set<string>, args: string[]): Promise<void> {
  const hasFormat = args.length > 1;
  const format = hasFormat ? args[0] : '%y';
  for (const path of hasFormat ? args.slice(1) : args) {
    await shell.forPath('stat', path, async () => {
      shell.print(formatStat(format, await shell.requireStat(path)));
    });
  }
}

async function test(shell: FsShell, flags: Set<string>, args: string[]): Promise<void> {
  const status = await shell.statOrNull(args[0]);
  const checks: Record<string, boolean> = {
    e: status !== null,
    d: status?.type === 'DIRECTORY',
    f: status?.type === 'FILE',
    s: (status?.length ?? 0) > 0,
    z: status !== null && status.length === 0,
  };
  const [flag] = [...flags];
  if (flags.size !== 1) throw new DfsError('IllegalArgument', 'No test flag given');
  // -test answers by its exit code only, as in Hadoop.
  if (!checks[flag]) throw Object.assign(new Error(''), { silent: true });
}

async function touchz(shell: FsShell, _flags: Set<string>, args: string[]): Promise<void> {
  for (const path of args) {
    await shell.forPath('touchz', path, async () => {
      const status = await shell.statOrNull(path);
      if (status && status.length > 0) throw new PathError(path, 'Not a zero-length file');
      if (status?.type === 'DIRECTORY') throw new PathError(path, 'Is a directory');
      if (status) return;
      await shell.client.writeFile(path, Buffer.alloc(0), { createParent: false, overwrite: false }).catch((error) => {
        throw asPathError(error, path);
      });
    });
  }
}

const COMMANDS: Record<string, CommandSpec> = {
  ls: { usage: '[-d] [-h] [-R] [<path> ...]', description: 'List the contents that match the specified file pattern.', flags: 'd h R', minArgs: 0, maxArgs: Infinity, run: ls },
  mkdir: { usage: '[-p] <path> ...', description: 'Create a directory in specified location.', flags: 'p', minArgs: 1, maxArgs: Infinity, run: mkdir },
  put: { usage: '[-f] <localsrc> ... <dst>', description: 'Copy files from the local file system into dfs.', flags: 'f p d', minArgs: 2, maxArgs: Infinity, run: put },
  copyFromLocal: { usage: '[-f] <localsrc> ... <dst>', description: 'Identical to the -put command.', flags: 'f p d', minArgs: 2, maxArgs: Infinity, run: (s, f, a) => put(s, f, a, 'copyFromLocal') },
  get: { usage: '[-f] <src> ... <localdst>', description: 'Copy files that match the file pattern <src> to the local name.', flags: 'f p', minArgs: 2, maxArgs: Infinity, run: get },
  copyToLocal: { usage: '[-f] <src> ... <localdst>', description: 'Identical to the -get command.', flags: 'f p', minArgs: 2, maxArgs: Infinity, run: (s, f, a) => get(s, f, a, 'copyToLocal') },
  cat: { usage: '<src> ...', description: 'Fetch all files that match the file pattern <src> and display their content on stdout.', flags: '', minArgs: 1, maxArgs: Infinity, run: cat },
  rm: { usage: '[-f] [-r|-R] <src> ...', description: 'Delete all files that match the specified file pattern.', flags: 'f r R skipTrash', minArgs: 1, maxArgs: Infinity, run: rm },
  rmdir: { usage: '[--ignore-fail-on-non-empty] <dir> ...', description: 'Removes the directory entry specified by each directory argument, provided it is empty.', flags: '-ignore-fail-on-non-empty', minArgs: 1, maxArgs: Infinity, run: rmdir },
  mv: { usage: '<src> ... <dst>', description: 'Move files that match the specified file pattern <src> to a destination <dst>.', flags: '', minArgs: 2, maxArgs: Infinity, run: mv },
  stat: { usage: '[format] <path> ...', description: 'Print statistics about the file/directory at <path> in the specified format (%a %A %b %F %g %n %o %r %u %x %X %y %Y).', flags: '', minArgs: 1, maxArgs: Infinity, run: stat },
  test: { usage: '-[defsz] <path>', description: 'Answer various questions about <path>, with result via exit status.', flags: 'd e f s z', minArgs: 1, maxArgs: 1, run: test },
  touchz: { usage: '<path> ...', description: 'Creates a file of zero length at <path>.', flags: '', minArgs: 1, maxArgs: Infinity, run: touchz },
};

export function usageLines(): string[] {
  return Object.entries(COMMANDS).map(([name, spec]) => `\t[-${name} ${spec.usage}]`);
}

export function helpText(): string {
  return Object.entries(COMMANDS)
    .map(([name, spec]) => `-${name} ${spec.usage} :\n  ${spec.description}\n`)
    .join('\n');
}

export const isShellCommand = (arg: string): boolean => arg.startsWith('-') && Object.hasOwn(COMMANDS, arg.slice(1));
