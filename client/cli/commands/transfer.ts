// Commands that move bytes: -put/-copyFromLocal/-moveFromLocal, -get/-copyToLocal, -cp, -mv,
// -getmerge. Copies land under `<target>._COPYING_` and are renamed into place once complete
// (unless -d), as Hadoop's CommandWithDestination does, so a failed copy leaves no partial file.

import { createReadStream, createWriteStream, promises as fsp, type Stats } from 'node:fs';
import { basename, join as localJoin } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isDfsError } from '../../../shared/errors.js';
import { baseName, joinPath } from '../../../shared/paths.js';
import type { FileStatus } from '../../../shared/protocol.js';
import type { ReplayOrigin } from '../../blocks/replay-source.js';
import { startProgress, type Progress } from '../progress.js';
import { PathError, asPathError, childDisplay, type Item, type Parsed, type Shell } from '../shell-core.js';

const COPYING_SUFFIX = '._COPYING_';
const LOCAL_READ_CHUNK_BYTES = 1024 * 1024;

function counter(progress: Progress): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      progress.add(chunk.length);
      callback(null, chunk);
    },
  });
}

interface Destination {
  /** Absolute dfs path. */
  path: string;
  display: string;
  existing: FileStatus | null;
}

/** Where a copy of `name` into `dst` lands: inside it when it is an existing directory. */
async function dfsTarget(shell: Shell, dst: string, dstStatus: FileStatus | null, name: string): Promise<Destination> {
  if (dstStatus?.type === 'DIRECTORY') {
    const path = joinPath(dstStatus.path, name);
    return { path, display: childDisplay(dst, name), existing: await shell.statOrNull(path) };
  }
  return { path: shell.absolute(dst), display: dst, existing: dstStatus };
}

/** With several sources the destination must be an existing directory. */
async function requireDirectoryForMany(shell: Shell, dst: string, sources: number): Promise<FileStatus | null> {
  const status = await shell.statOrNull(dst);
  if (sources > 1 && status?.type !== 'DIRECTORY') throw new PathError(dst, status ? 'Is not a directory' : 'No such file or directory');
  return status;
}

interface CopyFlags {
  overwrite: boolean;
  direct: boolean;
  preserve: boolean;
  replication?: number;
}

const copyFlags = (flags: Set<string>): CopyFlags => ({
  overwrite: flags.has('f'),
  direct: flags.has('d'),
  preserve: [...flags].some((flag) => /^p[topax]*$/.test(flag)),
  replication: flags.has('l') ? 1 : undefined,
});

/** Writes `input` to the dfs file `target`, through `<target>._COPYING_` unless -d. */
async function writeDfsFile(
  shell: Shell,
  input: Readable | NodeJS.ReadableStream,
  target: Destination,
  size: number | undefined,
  options: CopyFlags & { like?: FileStatus; replayFrom?: ReplayOrigin },
): Promise<void> {
  if (target.existing?.type === 'DIRECTORY') throw new PathError(target.display, 'Is a directory');
  if (target.existing && !options.overwrite) throw new PathError(target.display, 'File exists');
  const temporary = options.direct ? target.path : `${target.path}${COPYING_SUFFIX}`;
  const progress = startProgress(baseName(target.path), size);
  try {
    const out = shell.client.createWriteStream(temporary, {
      overwrite: options.direct ? options.overwrite : true,
      createParent: false,
      replication: options.replication ?? (options.preserve ? options.like?.replication : undefined),
      blockSize: options.like?.blockSize,
      replayFrom: options.replayFrom,
    });
    await pipeline(input, counter(progress), out);
    if (!options.direct) {
      if (target.existing) await shell.client.rm(target.path, { force: true });
      await shell.client.rename(temporary, target.path);
    }
  } catch (error) {
    if (!options.direct) await shell.client.rm(temporary, { force: true }).catch(() => undefined);
    if (isDfsError(error, 'FileNotFound') || isDfsError(error, 'ParentNotDirectory')) throw asPathError(error, target.display);
    throw error;
  } finally {
    progress.stop();
  }
}

// ---- local -> dfs ----------------------------------------------------------------------------

export async function put(shell: Shell, { flags, args }: Parsed, command = 'put'): Promise<string[]> {
  const dst = args[args.length - 1];
  const sources = args.slice(0, -1);
  const options = copyFlags(flags);
  const copied: string[] = [];
  let dstStatus: FileStatus | null;
  try {
    dstStatus = await requireDirectoryForMany(shell, dst, sources.length);
  } catch (error) {
    shell.report(command, error);
    return copied;
  }
  for (const source of sources) {
    await shell.forPath(command, source, async () => {
      if (source === '-') {
        const target = await dfsTarget(shell, dst, dstStatus, baseName(shell.absolute(dst)));
        await writeDfsFile(shell, process.stdin, dstStatus?.type === 'DIRECTORY' ? target : { ...target, path: shell.absolute(dst), display: dst, existing: dstStatus }, undefined, options);
        return;
      }
      const local = await fsp.stat(source).catch(() => null);
      if (!local) throw new PathError(source, 'No such file or directory');
      const target = await dfsTarget(shell, dst, dstStatus, basename(source));
      await uploadLocal(shell, source, local, target, options);
      copied.push(source);
    });
  }
  return copied;
}

async function uploadLocal(shell: Shell, source: string, local: Stats, target: Destination, options: CopyFlags): Promise<void> {
  if (local.isDirectory()) {
    if (target.existing && target.existing.type !== 'DIRECTORY') throw new PathError(target.display, 'File exists');
    if (!target.existing) await shell.client.mkdir(target.path).catch((error) => Promise.reject(asPathError(error, target.display)));
    for (const name of (await fsp.readdir(source)).sort()) {
      const childSource = localJoin(source, name);
      const childPath = joinPath(target.path, name);
      await shell.forPath('put', childSource, async () => {
        const childLocal = await fsp.stat(childSource);
        await uploadLocal(shell, childSource, childLocal, { path: childPath, display: childDisplay(target.display, name), existing: await shell.statOrNull(childPath) }, options);
      });
    }
  } else {
    // A regular local file can be read again: pipeline recovery replays a block from it, no spill.
    const replayFrom: ReplayOrigin | undefined = local.isFile() ? { kind: 'file', path: source } : undefined;
    await writeDfsFile(shell, createReadStream(source, { highWaterMark: LOCAL_READ_CHUNK_BYTES }), target, local.size, { ...options, replayFrom });
  }
  if (options.preserve) {
    await shell.client.utimes(target.path, local.atime, local.mtime);
    await shell.client.chmod(target.path, local.mode & 0o1777);
  }
}

export async function moveFromLocal(shell: Shell, parsed: Parsed): Promise<void> {
  const copied = await put(shell, parsed, 'moveFromLocal');
  for (const source of copied) await fsp.rm(source, { recursive: true, force: true });
}

// ---- dfs -> local ----------------------------------------------------------------------------

export async function get(shell: Shell, { flags, args }: Parsed, command = 'get'): Promise<void> {
  const localDst = args[args.length - 1];
  const items = await shell.expandAll(command, args.slice(0, -1));
  const dstStat = await fsp.stat(localDst).catch(() => null);
  if (items.length > 1 && !dstStat?.isDirectory()) {
    shell.report(command, new PathError(localDst, dstStat ? 'Is not a directory' : 'No such file or directory'));
    return;
  }
  for (const item of items) {
    await shell.forPath(command, item.display, async () => {
      const target = dstStat?.isDirectory() ? localJoin(localDst, baseName(item.status.path) || 'root') : localDst;
      await download(shell, command, item, target, flags);
    });
  }
}

async function download(shell: Shell, command: string, item: Item, target: string, flags: Set<string>): Promise<void> {
  const existing = await fsp.stat(target).catch(() => null);
  if (item.status.type === 'DIRECTORY') {
    if (existing && !existing.isDirectory()) throw new PathError(target, 'File exists');
    if (!existing) await fsp.mkdir(target);
    for (const child of await shell.children(item)) {
      await shell.forPath(command, child.display, () => download(shell, command, child, localJoin(target, baseName(child.status.path)), flags));
    }
  } else {
    if (existing?.isDirectory()) throw new PathError(target, 'Is a directory');
    if (existing && !flags.has('f')) throw new PathError(target, 'File exists');
    const temporary = `${target}${COPYING_SUFFIX}`;
    const progress = startProgress(baseName(item.status.path), item.status.length);
    try {
      await pipeline(shell.client.createReadStream(item.status.path), counter(progress), createWriteStream(temporary));
      await fsp.rename(temporary, target);
    } catch (error) {
      await fsp.rm(temporary, { force: true });
      throw error;
    } finally {
      progress.stop();
    }
  }
  if (flags.has('p')) {
    await fsp.utimes(target, new Date(item.status.accessTime), new Date(item.status.modificationTime));
    await fsp.chmod(target, item.status.permission & 0o777);
  }
}

/** -getmerge [-nl] [-skip-empty-file] <src> <localdst>: the files of src (a directory's, one level) concatenated. */
export async function getmerge(shell: Shell, { flags, args }: Parsed): Promise<void> {
  const localDst = args[args.length - 1];
  const files: Item[] = [];
  for (const item of await shell.expandAll('getmerge', args.slice(0, -1))) {
    if (item.status.type === 'DIRECTORY') files.push(...(await shell.children(item)).filter((child) => child.status.type === 'FILE'));
    else files.push(item);
  }
  if (files.length === 0) return;
  const total = files.reduce((sum, item) => sum + item.status.length, 0);
  const progress = startProgress(basename(localDst), total);
  const out = createWriteStream(localDst);
  try {
    for (const item of files) {
      if (flags.has('skip-empty-file') && item.status.length === 0) continue;
      for await (const chunk of shell.client.createReadStream(item.status.path)) {
        progress.add((chunk as Buffer).length);
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      if (flags.has('nl')) out.write('\n');
    }
  } finally {
    progress.stop();
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}

// ---- dfs -> dfs ------------------------------------------------------------------------------

export async function cp(shell: Shell, { flags, args }: Parsed): Promise<void> {
  const dst = args[args.length - 1];
  const items = await shell.expandAll('cp', args.slice(0, -1));
  let dstStatus: FileStatus | null;
  try {
    dstStatus = await requireDirectoryForMany(shell, dst, items.length);
  } catch (error) {
    shell.report('cp', error);
    return;
  }
  const options = copyFlags(flags);
  for (const item of items) {
    await shell.forPath('cp', item.display, async () => {
      const target = await dfsTarget(shell, dst, dstStatus, baseName(item.status.path));
      if (target.path === item.status.path || target.path.startsWith(item.status.path + '/')) {
        throw new PathError(target.display, `is a subdirectory of itself`);
      }
      await copyDfs(shell, item, target, options);
    });
  }
}

async function copyDfs(shell: Shell, item: Item, target: Destination, options: CopyFlags): Promise<void> {
  if (item.status.type === 'DIRECTORY') {
    if (target.existing && target.existing.type !== 'DIRECTORY') throw new PathError(target.display, 'File exists');
    if (!target.existing) await shell.client.mkdir(target.path).catch((error) => Promise.reject(asPathError(error, target.display)));
    for (const child of await shell.children(item)) {
      const childPath = joinPath(target.path, baseName(child.status.path));
      await shell.forPath('cp', child.display, async () =>
        copyDfs(shell, child, { path: childPath, display: childDisplay(target.display, baseName(child.status.path)), existing: await shell.statOrNull(childPath) }, options),
      );
    }
  } else {
    await writeDfsFile(shell, shell.client.createReadStream(item.status.path), target, item.status.length, { ...options, like: item.status });
  }
  if (options.preserve) {
    await shell.client.utimes(target.path, new Date(item.status.accessTime), new Date(item.status.modificationTime));
    await shell.client.chmod(target.path, item.status.permission);
    await shell.client.chown(target.path, item.status.owner === shell.client.user ? undefined : item.status.owner, item.status.group).catch((error) => {
      throw asPathError(error, target.display);
    });
  }
}

export async function mv(shell: Shell, { args }: Parsed): Promise<void> {
  const dst = args[args.length - 1];
  const items = await shell.expandAll('mv', args.slice(0, -1));
  let dstStatus: FileStatus | null;
  try {
    dstStatus = await requireDirectoryForMany(shell, dst, items.length);
  } catch (error) {
    shell.report('mv', error);
    return;
  }
  for (const item of items) {
    await shell.forPath('mv', item.display, async () => {
      const target = await dfsTarget(shell, dst, dstStatus, baseName(item.status.path));
      if (target.existing && target.path !== item.status.path) throw new PathError(target.display, 'File exists');
      try {
        await shell.client.rename(item.status.path, target.path);
      } catch (error) {
        throw asPathError(error, dst);
      }
    });
  }
}

/** -appendToFile <localsrc> ... <dst>: appends local files (or stdin, `-`) to dst, creating it if missing. */
export async function appendToFile(shell: Shell, { args }: Parsed): Promise<void> {
  const dst = args[args.length - 1];
  const sources = args.slice(0, -1);
  for (const source of sources) {
    const local = source === '-' ? null : await fsp.stat(source).catch(() => null);
    if (source !== '-' && !local) throw new PathError(source, 'No such file or directory');
    if (local?.isDirectory()) throw new PathError(source, 'Is a directory');
  }
  const path = shell.absolute(dst);
  const status = await shell.statOrNull(dst);
  if (status?.type === 'DIRECTORY') throw new PathError(dst, 'Is a directory');
  const total = sources.every((s) => s !== '-') ? (await Promise.all(sources.map((s) => fsp.stat(s)))).reduce((sum, s) => sum + s.size, 0) : undefined;
  const progress = startProgress(baseName(path), total);
  const inputs = async function* () {
    for (const source of sources) yield* source === '-' ? process.stdin : createReadStream(source, { highWaterMark: LOCAL_READ_CHUNK_BYTES });
  };
  try {
    const out = status ? shell.client.createAppendStream(path) : shell.client.createWriteStream(path, { createParent: false });
    await pipeline(inputs, counter(progress), out);
  } catch (error) {
    throw asPathError(error, dst);
  } finally {
    progress.stop();
  }
}
