// `dfs -<command>`: the file-system shell, following `hdfs dfs` syntax, output and messages.
// Each command parses its own flags (Hadoop's CommandFormat), reports errors as
// "<cmd>: `<path>': <reason>" on stderr, and makes the process exit 1 when any path failed.
// The commands live in ./commands by family; this file is their table and the dispatcher.

import { DfsClient } from '../dfs-client.js';
import { cat, head, tail, text } from './commands/content.js';
import { checksum, count, df, du, find, ls, stat, test } from './commands/listing.js';
import { chgrp, chmod, chown, concat, expunge, mkdir, rm, rmdir, touch, touchz, truncate } from './commands/modify.js';
import { appendToFile, cp, get, getmerge, moveFromLocal, mv, put } from './commands/transfer.js';
import { createSnapshot, deleteSnapshot, renameSnapshot } from './commands/snapshot.js';
import { Shell, UsageError, parseCommandLine, type CommandSpec, type ShellOptions } from './shell-core.js';

export { PathError } from './shell-core.js';

const MANY = Infinity;

const COMMANDS: Record<string, CommandSpec> = {
  appendToFile: { usage: '<localsrc> ... <dst>', description: 'Appends the contents of all the given local files to the given dst file. The dst file will be created if it does not exist. If <localSrc> is -, then the input is read from stdin.', flags: '', minArgs: 2, maxArgs: MANY, run: appendToFile },
  concat: { usage: '<target path> <src path> <src path> ...', description: 'Concatenate existing source files into the target file. Target file and source files should be in the same directory.', flags: '', minArgs: 2, maxArgs: MANY, run: concat },
  cat: { usage: '[-ignoreCrc] <src> ...', description: 'Fetch all files that match the file pattern <src> and display their content on stdout.', flags: 'ignoreCrc', minArgs: 1, maxArgs: MANY, run: cat },
  checksum: { usage: '[-v] <src> ...', description: 'Dump checksum information for files that match the file pattern <src> to stdout.\n-v: Display the block size of the file.', flags: 'v', minArgs: 1, maxArgs: MANY, run: checksum },
  chgrp: { usage: '[-R] GROUP PATH...', description: 'This is equivalent to -chown ... :GROUP ...', flags: 'R', minArgs: 2, maxArgs: MANY, run: chgrp },
  chmod: { usage: '[-R] <MODE[,MODE]... | OCTALMODE> PATH...', description: 'Changes permissions of a file. MODE is [ugoa]*[+-=][rwxXt]*; OCTALMODE is up to four octal digits.\n-R: modifies the files recursively.', flags: 'R', minArgs: 2, maxArgs: MANY, run: chmod },
  chown: { usage: '[-R] [OWNER][:[GROUP]] PATH...', description: 'Changes owner and group of a file. Only the superuser may change the owner.\n-R: modifies the files recursively.', flags: 'R', minArgs: 2, maxArgs: MANY, run: chown },
  copyFromLocal: { usage: '[-f] [-p] [-l] [-d] <localsrc> ... <dst>', description: 'Identical to the -put command.', flags: 'f p l d', minArgs: 2, maxArgs: MANY, run: (s, p) => put(s, p, 'copyFromLocal').then(() => undefined) },
  copyToLocal: { usage: '[-f] [-p] [-ignoreCrc] <src> ... <localdst>', description: 'Identical to the -get command.', flags: 'f p ignoreCrc', minArgs: 2, maxArgs: MANY, run: (s, p) => get(s, p, 'copyToLocal') },
  count: { usage: '[-q] [-h] [-v] [-u] <path> ...', description: 'Count the number of directories, files and bytes under the paths that match the specified file pattern. The output columns are:\nDIR_COUNT FILE_COUNT CONTENT_SIZE PATHNAME\nor, with the -q option:\nQUOTA REM_QUOTA SPACE_QUOTA REM_SPACE_QUOTA DIR_COUNT FILE_COUNT CONTENT_SIZE PATHNAME\n-h: Shows file sizes in human readable format.\n-v: Displays a header line.\n-u: Shows the quota and its usage only.', flags: 'q h v u', minArgs: 0, maxArgs: MANY, run: count },
  createSnapshot: { usage: '<snapshotDir> [<snapshotName>]', description: 'Create a snapshot on a snapshottable directory. Without a name it is s<yyyyMMdd-HHmmss.SSS> (the namenode\'s clock, UTC).', flags: '', minArgs: 1, maxArgs: 2, run: createSnapshot },
  deleteSnapshot: { usage: '<snapshotDir> <snapshotName>', description: 'Delete a snapshot from a snapshottable directory.', flags: '', minArgs: 2, maxArgs: 2, run: deleteSnapshot },
  renameSnapshot: { usage: '<snapshotDir> <oldName> <newName>', description: 'Rename a snapshot of a snapshottable directory.', flags: '', minArgs: 3, maxArgs: 3, run: renameSnapshot },
  cp: { usage: '[-f] [-p | -p[topax]] [-d] <src> ... <dst>', description: 'Copy files that match the file pattern <src> to a destination. When copying multiple files, the destination must be a directory.\n-f: Overwrites the destination if it already exists.\n-p: Preserves timestamps, ownership and permission.\n-d: Skip creation of temporary file(<dst>._COPYING_).', flags: 'f d p*', minArgs: 2, maxArgs: MANY, run: cp },
  df: { usage: '[-h] [<path> ...]', description: 'Shows the capacity, free and used space of the filesystem.\n-h: Formats the sizes of files in a human-readable fashion rather than a number of bytes.', flags: 'h', minArgs: 0, maxArgs: MANY, run: df },
  du: { usage: '[-s] [-h] [-v] <path> ...', description: 'Show the amount of space, in bytes, used by the files that match the specified file pattern.\n-s: Rather than showing the size of each individual file that matches the pattern, shows the total (summary) size.\n-h: Formats the sizes of files in a human-readable fashion rather than a number of bytes.\n-v: option displays a header line.', flags: 's h v x', minArgs: 0, maxArgs: MANY, run: du },
  expunge: { usage: '[-immediate]', description: 'Delete files from the trash that are older than the retention threshold', flags: 'immediate', minArgs: 0, maxArgs: 0, run: expunge },
  find: { usage: '<path> ... <expression> ...', description: 'Finds all files that match the specified expression and applies selected actions to them. If no <path> is specified then defaults to the current working directory. If no expression is specified then defaults to -print.\nExpressions: -name pattern, -iname pattern, -print, -print0, expression -a expression.', flags: '', rawArgs: true, minArgs: 0, maxArgs: MANY, run: find },
  get: { usage: '[-f] [-p] [-ignoreCrc] <src> ... <localdst>', description: 'Copy files that match the file pattern <src> to the local name. <src> is kept. When copying multiple files, the destination must be a directory.\n-p: Preserves access and modification times, ownership and the mode.\n-f: Overwrites the destination if it already exists.', flags: 'f p ignoreCrc', minArgs: 2, maxArgs: MANY, run: (s, p) => get(s, p) },
  getmerge: { usage: '[-nl] [-skip-empty-file] <src> <localdst>', description: 'Get all the files in the directories that match the source file pattern and merge and sort them to only one file on local fs. <src> is kept.\n-nl: Add a newline character at the end of each file.\n-skip-empty-file: Do not add new line character for empty file.', flags: 'nl skip-empty-file', minArgs: 2, maxArgs: MANY, run: getmerge },
  head: { usage: '<file>', description: 'Show the first 1KB of the file.', flags: '', minArgs: 1, maxArgs: 1, run: head },
  ls: { usage: '[-C] [-d] [-h] [-q] [-R] [-t] [-S] [-r] [-u] [<path> ...]', description: 'List the contents that match the specified file pattern. If path is not specified, the contents of /user/<currentUser> will be listed. For a directory a list of its direct children is returned (unless -d option is specified).\n-C: Display the paths of files and directories only.\n-d: Directories are listed as plain files.\n-h: Formats the sizes of files in a human-readable fashion rather than a number of bytes.\n-q: Print ? instead of non-printable characters.\n-R: Recursively list the contents of directories.\n-t: Sort files by modification time (most recent first).\n-S: Sort files by size.\n-r: Reverse the order of the sort.\n-u: Use time of last access instead of modification for display and sorting.', flags: 'C d h q R t S r u', minArgs: 0, maxArgs: MANY, run: ls },
  mkdir: { usage: '[-p] <path> ...', description: 'Create a directory in specified location.\n-p: Do not fail if the directory already exists', flags: 'p', minArgs: 1, maxArgs: MANY, run: mkdir },
  moveFromLocal: { usage: '[-f] [-p] [-l] [-d] <localsrc> ... <dst>', description: 'Same as -put, except that the source is deleted after it\'s copied.', flags: 'f p l d', minArgs: 2, maxArgs: MANY, run: moveFromLocal },
  mv: { usage: '<src> ... <dst>', description: 'Move files that match the specified file pattern <src> to a destination <dst>. When moving multiple files, the destination must be a directory.', flags: '', minArgs: 2, maxArgs: MANY, run: mv },
  put: { usage: '[-f] [-p] [-l] [-d] <localsrc> ... <dst>', description: 'Copy files from the local file system into fs. Copying fails if the file already exists, unless the -f flag is given.\n-p: Preserves timestamps and permission.\n-f: Overwrites the destination if it already exists.\n-l: Allow DataNode to lazily persist the file to disk. Forces replication factor of 1.\n-d: Skip creation of temporary file(<dst>._COPYING_).', flags: 'f p l d', minArgs: 2, maxArgs: MANY, run: (s, p) => put(s, p).then(() => undefined) },
  rm: { usage: '[-f] [-r|-R] [-skipTrash] <src> ...', description: 'Delete all files that match the specified file pattern. Equivalent to the Unix command "rm <src>"\n-f: If the file does not exist, do not display a diagnostic message or modify the exit status to reflect an error.\n-[rR]: Recursively deletes directories.\n-skipTrash: option bypasses trash, if enabled, and immediately deletes <src>.', flags: 'f r R skipTrash safely', minArgs: 1, maxArgs: MANY, run: rm },
  rmdir: { usage: '[--ignore-fail-on-non-empty] <dir> ...', description: 'Removes the directory entry specified by each directory argument, provided it is empty.', flags: '-ignore-fail-on-non-empty', minArgs: 1, maxArgs: MANY, run: rmdir },
  stat: { usage: '[format] <path> ...', description: 'Print statistics about the file/directory at <path> in the specified format. Format accepts permissions in octal (%a) and symbolic (%A), filesize in bytes (%b), type (%F), group name of owner (%g), name (%n), block size (%o), replication (%r), user name of owner (%u), access date (%x, %X), and modification date (%y, %Y). %x and %y show UTC date as "yyyy-MM-dd HH:mm:ss" and %X and %Y show milliseconds since January 1, 1970 UTC. If the format is not specified, %y is used by default.', flags: '', minArgs: 1, maxArgs: MANY, run: stat },
  tail: { usage: '[-f] [-s <sleep interval>] <file>', description: 'Show the last 1KB of the file.\n-f: Shows appended data as the file grows.\n-s: With -f, defines the sleep interval between iterations in milliseconds.', flags: 'f', valueFlags: 's', minArgs: 1, maxArgs: 1, run: tail },
  test: { usage: '-[defswrz] <path>', description: 'Answer various questions about <path>, with result via exit status.\n-d: return 0 if <path> is a directory.\n-e: return 0 if <path> exists.\n-f: return 0 if <path> is a file.\n-s: return 0 if file <path> is greater than zero bytes in size.\n-w: return 0 if file <path> exists and write permission is granted.\n-r: return 0 if file <path> exists and read permission is granted.\n-z: return 0 if file <path> is zero bytes in size, else return 1.', flags: 'd e f s w r z', minArgs: 1, maxArgs: 1, run: test },
  text: { usage: '[-ignoreCrc] <src> ...', description: 'Takes a source file and outputs the file in text format. The allowed formats are plain text and gzip.', flags: 'ignoreCrc', minArgs: 1, maxArgs: MANY, run: text },
  touch: { usage: '[-a] [-m] [-t TIMESTAMP (yyyyMMdd:HHmmss) ] [-c] <path> ...', description: 'Updates the access and modification times of the file specified by the <path> to the current time. If the file does not exist, then a zero length file is created at <path> with current time as the timestamp of that <path>.\n-a Change only the access time\n-m Change only the modification time\n-t TIMESTAMP Use specified timestamp instead of current time\n-c Do not create any files', flags: 'a m c', valueFlags: 't', minArgs: 1, maxArgs: MANY, run: touch },
  touchz: { usage: '<path> ...', description: 'Creates a file of zero length at <path> with current time as the timestamp of that <path>. An error is returned if the file exists with non-zero length', flags: '', minArgs: 1, maxArgs: MANY, run: touchz },
  truncate: { usage: '[-w] <length> <path> ...', description: 'Truncate all files that match the specified file pattern to the specified length.\n-w: Requests that the command wait for block recovery to complete, if necessary.', flags: 'w', minArgs: 2, maxArgs: MANY, run: truncate },
  usage: { usage: '[cmd ...]', description: 'Displays the usage for given command or all commands if none is specified.', flags: '', minArgs: 0, maxArgs: MANY, run: async (s, p) => printUsage(s, p.args) },
  help: { usage: '[cmd ...]', description: 'Displays help for given command or all commands if none is specified.', flags: '', minArgs: 0, maxArgs: MANY, run: async (s, p) => printHelp(s, p.args) },
};

/** Commands handled outside this table (admin.ts) but listed in the usage. */
const EXTERNAL_USAGE: Record<string, string> = { setrep: '[-R] [-w] <rep> <path> ...' };

function usageOf(name: string): string {
  return `-${name} ${COMMANDS[name]?.usage ?? EXTERNAL_USAGE[name] ?? ''}`.trimEnd();
}

function commandNames(): string[] {
  return [...Object.keys(COMMANDS), ...Object.keys(EXTERNAL_USAGE)].sort((a, b) => a.localeCompare(b));
}

export function usageLines(): string[] {
  return commandNames().map((name) => `\t[${usageOf(name)}]`);
}

export function helpText(): string {
  return commandNames()
    .filter((name) => COMMANDS[name])
    .map((name) => helpFor(name))
    .join('\n');
}

function helpFor(name: string): string {
  const description = COMMANDS[name].description.split('\n').map((line) => `  ${line}`).join('\n');
  return `${usageOf(name)} :\n${description}\n`;
}

function printUsage(shell: Shell, names: string[]): void {
  if (names.length === 0) {
    shell.print(`Usage: dfs [generic options]\n${usageLines().join('\n')}`);
    return;
  }
  for (const name of names.map((n) => n.replace(/^-/, ''))) {
    if (!COMMANDS[name] && !EXTERNAL_USAGE[name]) shell.report('usage', new Error(`Unknown command: ${name}`));
    else shell.print(`Usage: dfs [generic options] ${usageOf(name)}`);
  }
}

function printHelp(shell: Shell, names: string[]): void {
  if (names.length === 0) {
    shell.print(`Usage: dfs [generic options]\n${usageLines().join('\n')}\n\n${helpText()}`);
    return;
  }
  for (const name of names.map((n) => n.replace(/^-/, ''))) {
    if (!COMMANDS[name]) shell.report('help', new Error(`Unknown command: ${name}`));
    else shell.print(helpFor(name));
  }
}

export class FsShell {
  private readonly shell: Shell;

  constructor(client: DfsClient, options: ShellOptions = {}) {
    this.shell = new Shell(client, options);
  }

  /** Runs one shell command line (without the generic options); returns the exit code. */
  async run(argv: string[]): Promise<number> {
    const [commandArg, ...rest] = argv;
    const name = commandArg.replace(/^-/, '');
    const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!spec || !commandArg.startsWith('-')) {
      this.shell.err.write(`${commandArg}: Unknown command\nUsage: dfs [generic options]\n${usageLines().join('\n')}\n`);
      return 1;
    }
    try {
      await spec.run(this.shell, parseCommandLine(spec, rest));
    } catch (error) {
      if (error instanceof UsageError) {
        this.shell.err.write(`-${name}: ${error.message}\nUsage: dfs [generic options] ${usageOf(name)}\n`);
        return 1;
      }
      this.shell.report(name, error);
    }
    return this.shell.hasFailed ? 1 : 0;
  }
}

export const isShellCommand = (arg: string): boolean => arg.startsWith('-') && Object.hasOwn(COMMANDS, arg.slice(1));
