// What every shell command shares: the path a user typed and what it names (Hadoop's PathData),
// glob expansion, hdfs-style errors ("cmd: `path': reason"), the configuration (-D) and output.

import { DfsError, isDfsError } from '../../shared/errors.js';
import type { FileStatus } from '../../shared/protocol.js';
import { DfsClient } from '../dfs-client.js';
import { expandGlob, hasGlob, unescapeGlob } from '../glob.js';

/** A failure tied to one path, printed the way Hadoop's PathIOException prints. */
export class PathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`\`${path}': ${reason}`);
  }
}

/** A usage problem (bad mode, bad number...): printed as "-cmd: message" plus the command's usage. */
export class UsageError extends Error {}

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
export function asPathError(error: unknown, path: string): unknown {
  if (isDfsError(error) && REASONS[error.kind]) return new PathError(path, REASONS[error.kind]!);
  return error;
}

/** One path as the user wrote it (`display`, relative paths stay relative) and its status. */
export interface Item {
  display: string;
  status: FileStatus;
}

/** The display form of a child of `parent`, as Hadoop's PathData.getStringForChildPath. */
export function childDisplay(parent: string, name: string): string {
  if (parent === '.') return name;
  return parent.endsWith('/') ? parent + name : `${parent}/${name}`;
}

export interface ShellOptions {
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  /** Generic options `-D key=value`, over the configuration file's. */
  conf?: Map<string, string>;
}

export class Shell {
  private failed = false;
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  readonly conf: Map<string, string>;

  constructor(
    readonly client: DfsClient,
    options: ShellOptions = {},
  ) {
    this.out = options.out ?? process.stdout;
    this.err = options.err ?? process.stderr;
    this.conf = options.conf ?? new Map();
  }

  get hasFailed(): boolean {
    return this.failed;
  }

  print(line: string): void {
    this.out.write(line + '\n');
  }

  /** Writes raw bytes to stdout, waiting when the pipe is full. */
  async write(chunk: Uint8Array | string): Promise<void> {
    if (!this.out.write(chunk)) await new Promise((resolve) => this.out.once('drain', resolve));
  }

  /** Runs `action`; a failure is reported and the shell goes on with the next path. */
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
    const message = error instanceof Error ? error.message : String(error);
    this.err.write(`${command}: ${message}\n`);
  }

  /** Marks the run failed without a message (-test answers by the exit code alone). */
  failSilently(): void {
    this.failed = true;
  }

  /** The absolute path for what the user typed; `.` and `./x` are the home directory and below it. */
  absolute(path: string): string {
    return this.client.resolve(path === '.' ? '' : path.replace(/^(\.\/)+/, ''));
  }

  async statOrNull(path: string): Promise<FileStatus | null> {
    const { status } = await this.client.rpc.call('getFileInfo', { path: this.absolute(path) });
    return status;
  }

  async requireStat(path: string): Promise<FileStatus> {
    const status = await this.statOrNull(path);
    if (!status) throw new PathError(path, 'No such file or directory');
    return status;
  }

  /**
   * The items an argument names: its glob matches, or the path itself. Nothing matching is
   * "No such file or directory", as Hadoop's PathData.expandAsGlob says.
   */
  async expand(arg: string): Promise<Item[]> {
    if (!hasGlob(arg)) {
      const status = await this.statOrNull(unescapeGlob(arg));
      if (!status) throw new PathError(arg, 'No such file or directory');
      return [{ display: arg, status }];
    }
    let matches: FileStatus[];
    try {
      matches = await expandGlob(this.client, arg === '.' ? '' : arg.replace(/^(\.\/)+/, ''));
    } catch (error) {
      if (error instanceof SyntaxError) throw new PathError(arg, error.message);
      throw error;
    }
    if (matches.length === 0) throw new PathError(arg, 'No such file or directory');
    return matches.map((status) => ({ display: this.displayFor(arg, status.path), status }));
  }

  /** Expands every argument, reporting the ones that match nothing; returns the rest in order. */
  async expandAll(command: string, args: string[], options: { ignoreMissing?: boolean } = {}): Promise<Item[]> {
    const items: Item[] = [];
    for (const arg of args) {
      try {
        items.push(...(await this.expand(arg)));
      } catch (error) {
        if (options.ignoreMissing && error instanceof PathError && error.reason === 'No such file or directory') continue;
        this.report(command, asPathError(error, arg));
      }
    }
    return items;
  }

  /** A match of a relative pattern is shown relative to the home directory, as Hadoop shows it. */
  displayFor(pattern: string, absolute: string): string {
    if (pattern.startsWith('/')) return absolute;
    const home = this.client.homeDirectory;
    return absolute.startsWith(home + '/') ? absolute.slice(home.length + 1) : absolute;
  }

  /** Every entry of a directory, sorted by name (the namenode lists in name order). */
  async children(item: Item): Promise<Item[]> {
    const entries = await this.client.readdir(item.status.path, { withFileTypes: true });
    return entries.map((entry) => ({ display: childDisplay(item.display, entry.name), status: entry.status }));
  }
}

/** A parsed command line: flags (`-x`), flags with a value (`-t <v>`) and the remaining arguments. */
export interface Parsed {
  flags: Set<string>;
  values: Map<string, string>;
  args: string[];
}

export interface CommandSpec {
  usage: string;
  description: string;
  /** Flags without a value, space separated, as Hadoop's CommandFormat takes them. */
  flags: string;
  /** Flags followed by a value. */
  valueFlags?: string;
  minArgs: number;
  maxArgs: number;
  /** Commands that parse their own arguments (e.g. -find's expressions) set this. */
  rawArgs?: boolean;
  run(shell: Shell, parsed: Parsed): Promise<void>;
}

/** Parses options up to the first argument, as CommandFormat; throws UsageError on an unknown one. */
export function parseCommandLine(spec: CommandSpec, argv: string[]): Parsed {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const known = spec.flags.split(' ').filter(Boolean);
  const withValue = (spec.valueFlags ?? '').split(' ').filter(Boolean);
  let i = 0;
  if (!spec.rawArgs) {
    for (; i < argv.length; i++) {
      const arg = argv[i];
      if (arg === '--') {
        i++;
        break;
      }
      if (!arg.startsWith('-') || arg.length < 2) break;
      const name = arg.slice(1);
      if (withValue.includes(name)) {
        if (i + 1 >= argv.length) throw new UsageError(`Illegal option ${arg}`);
        values.set(name, argv[++i]);
      } else if (known.includes(name)) flags.add(name);
      else if (known.some((flag) => flag.endsWith('*') && name.startsWith(flag.slice(0, -1)))) flags.add(name);
      else if (/^-?\d/.test(name)) break;
      else throw new UsageError(`Illegal option ${arg}`);
    }
  }
  const args = argv.slice(i);
  if (args.length < spec.minArgs) throw new UsageError(`Not enough arguments: expected ${spec.minArgs} but got ${args.length}`);
  if (args.length > spec.maxArgs) throw new UsageError(`Too many arguments: expected ${spec.maxArgs} but got ${args.length}`);
  return { flags, values, args };
}
