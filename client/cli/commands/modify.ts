// Commands that change the namespace: -mkdir, -rm (with trash), -rmdir, -touch, -touchz, -chmod,
// -chown, -chgrp, -expunge.

import { isDfsError } from '../../../shared/errors.js';
import type { FileStatus } from '../../../shared/protocol.js';
import { Trash } from '../../trash.js';
import { PathError, UsageError, asPathError, type Item, type Parsed, type Shell } from '../shell-core.js';

export async function mkdir(shell: Shell, { flags, args }: Parsed): Promise<void> {
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

/** fs.trash.interval from -D or the configuration; trash is off (0) unless set. */
export function trashFor(shell: Shell): Trash {
  const minutes = Number(shell.conf.get('fs.trash.interval') ?? 0);
  return new Trash(shell.client, Number.isFinite(minutes) ? minutes : 0);
}

export async function rm(shell: Shell, { flags, args }: Parsed): Promise<void> {
  const recursive = flags.has('r') || flags.has('R');
  const trash = trashFor(shell);
  for (const item of await shell.expandAll('rm', args, { ignoreMissing: flags.has('f') })) {
    await shell.forPath('rm', item.display, async () => {
      if (item.status.type === 'DIRECTORY' && !recursive) throw new PathError(item.display, 'Is a directory');
      if (!flags.has('skipTrash')) {
        let moved: string | null;
        try {
          moved = await trash.moveToTrash(item.status.path);
        } catch (error) {
          throw new Error(`${(error as Error).message}. Consider using -skipTrash option`);
        }
        if (moved) {
          shell.print(`Moved: '${item.status.path}' to trash at: ${trash.current}`);
          return;
        }
      }
      await shell.client.rm(item.status.path, { recursive });
      shell.print(`Deleted ${item.display}`);
    });
  }
}

export async function rmdir(shell: Shell, { flags, args }: Parsed): Promise<void> {
  for (const item of await shell.expandAll('rmdir', args)) {
    await shell.forPath('rmdir', item.display, async () => {
      if (item.status.type !== 'DIRECTORY') throw new PathError(item.display, 'Is not a directory');
      if (item.status.childrenNum > 0) {
        if (flags.has('-ignore-fail-on-non-empty')) return;
        throw new PathError(item.display, 'Directory is not empty');
      }
      await shell.client.rmdir(item.status.path);
    });
  }
}

export async function expunge(shell: Shell, { flags }: Parsed): Promise<void> {
  await trashFor(shell).expunge({ immediate: flags.has('immediate'), log: (line) => shell.err.write(`INFO fs.TrashPolicyDefault: ${line}\n`) });
}

export async function touchz(shell: Shell, { args }: Parsed): Promise<void> {
  for (const path of args) {
    await shell.forPath('touchz', path, async () => {
      const status = await shell.statOrNull(path);
      if (status?.type === 'DIRECTORY') throw new PathError(path, 'Is a directory');
      if (status && status.length > 0) throw new PathError(path, 'Not a zero-length file');
      if (status) return;
      await shell.client.writeFile(path, Buffer.alloc(0), { createParent: false, flag: 'wx' }).catch((error) => {
        throw asPathError(error, path);
      });
    });
  }
}

/** -touch -t takes yyyyMMdd:HHmmss (local time), as Hadoop's Touch. */
function parseTouchTime(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2}):(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) throw new UsageError(`Unable to parse the specified timestamp ${text}`);
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

export async function touch(shell: Shell, { flags, values, args }: Parsed): Promise<void> {
  const time = values.has('t') ? parseTouchTime(values.get('t')!) : Date.now();
  const onlyAccess = flags.has('a') && !flags.has('m');
  const onlyModification = flags.has('m') && !flags.has('a');
  for (const path of args) {
    await shell.forPath('touch', path, async () => {
      const status = await shell.statOrNull(path);
      if (!status) {
        if (flags.has('c')) return;
        await shell.client.writeFile(path, Buffer.alloc(0), { createParent: false, flag: 'wx' }).catch((error) => {
          throw asPathError(error, path);
        });
      }
      await shell.client.rpc.call('setTimes', {
        path: shell.absolute(path),
        modificationTime: onlyAccess ? -1 : time,
        accessTime: onlyModification ? -1 : time,
      });
    });
  }
}

/** Applies `change` to each item, and with -R to everything below it. */
async function forEachRecursive(shell: Shell, command: string, items: Item[], recursive: boolean, change: (status: FileStatus) => Promise<void>): Promise<void> {
  const visit = async (item: Item): Promise<void> => {
    await shell.forPath(command, item.display, async () => {
      try {
        await change(item.status);
      } catch (error) {
        if (isDfsError(error, 'AccessControl')) throw new Error(`changing ${command === 'chmod' ? 'permissions' : 'ownership'} of '${item.display}': ${error.message}`);
        throw error;
      }
      if (recursive && item.status.type === 'DIRECTORY') for (const child of await shell.children(item)) await visit(child);
    });
  };
  for (const item of items) await visit(item);
}

/**
 * A chmod mode: octal (`755`, `1777`) or symbolic (`u+x,go-w`, `a=rX`, `+t`), as Hadoop's
 * ChmodParser; answers the new permission for a given old one and file type.
 */
export function parseChmod(mode: string): (old: number, isDirectory: boolean) => number {
  if (/^[0-7]{1,4}$/.test(mode)) {
    const value = parseInt(mode, 8);
    return () => value;
  }
  const clauses = mode.split(',');
  const pattern = /^([ugoa]*)([+\-=])([rwxXt]*)$/;
  if (!clauses.every((clause) => pattern.test(clause))) throw new UsageError(`chmod : mode '${mode}' does not match the expected pattern.`);
  return (old, isDirectory) => {
    let permission = old;
    for (const clause of clauses) {
      const [, whoText, op, perms] = pattern.exec(clause)!;
      const who = whoText === '' || whoText.includes('a') ? 'ugo' : whoText;
      let bits = 0;
      for (const p of perms) {
        const value = p === 'r' ? 4 : p === 'w' ? 2 : p === 'x' || (p === 'X' && (isDirectory || (old & 0o111) !== 0)) ? 1 : 0;
        for (const w of who) bits |= value << (w === 'u' ? 6 : w === 'g' ? 3 : 0);
      }
      if (perms.includes('t')) bits |= 0o1000;
      let mask = 0;
      for (const w of who) mask |= 0o7 << (w === 'u' ? 6 : w === 'g' ? 3 : 0);
      if (op === '+') permission |= bits;
      else if (op === '-') permission &= ~bits;
      else permission = (permission & ~mask & ~(perms.includes('t') ? 0o1000 : 0)) | bits;
    }
    return permission & 0o1777;
  };
}

export async function chmod(shell: Shell, { flags, args }: Parsed): Promise<void> {
  const compute = parseChmod(args[0]);
  const items = await shell.expandAll('chmod', args.slice(1));
  await forEachRecursive(shell, 'chmod', items, flags.has('R'), async (status) => {
    await shell.client.chmod(status.path, compute(status.permission, status.type === 'DIRECTORY'));
  });
}

const OWNER_GROUP = /^\s*([-a-zA-Z0-9_@.$]+)?\s*(?::\s*([-a-zA-Z0-9_@.$]+)?)?\s*$/;

export async function chown(shell: Shell, { flags, args }: Parsed): Promise<void> {
  const m = OWNER_GROUP.exec(args[0]);
  if (!m || (!m[1] && !m[2])) throw new UsageError(`'${args[0]}' does not match expected pattern for [owner][:group].`);
  const [, owner, group] = m;
  const items = await shell.expandAll('chown', args.slice(1));
  await forEachRecursive(shell, 'chown', items, flags.has('R'), (status) => shell.client.chown(status.path, owner, group));
}

export async function chgrp(shell: Shell, { flags, args }: Parsed): Promise<void> {
  if (!/^[-a-zA-Z0-9_@.$]+$/.test(args[0])) throw new UsageError(`'${args[0]}' does not match expected pattern for group`);
  const items = await shell.expandAll('chgrp', args.slice(1));
  await forEachRecursive(shell, 'chgrp', items, flags.has('R'), (status) => shell.client.chown(status.path, undefined, args[0]));
}

/** -truncate [-w] <length> <paths>: dfs finishes before answering, so -w has nothing to wait for. */
export async function truncate(shell: Shell, { args }: Parsed): Promise<void> {
  const length = Number(args[0]);
  if (!/^\d+$/.test(args[0]) || !Number.isSafeInteger(length)) throw new UsageError(`Illegal length: ${args[0]}`);
  for (const item of await shell.expandAll('truncate', args.slice(1))) {
    await shell.forPath('truncate', item.display, async () => {
      if (item.status.type === 'DIRECTORY') throw new PathError(item.display, 'Is a directory');
      await shell.client.truncate(item.status.path, length);
      shell.print(`Truncated ${item.display} to length: ${length}`);
    });
  }
}

/** -concat <target> <sources>: the sources' blocks move to the end of the target; the sources go. */
export async function concat(shell: Shell, { args }: Parsed): Promise<void> {
  const [target] = await shell.expandAll('concat', [args[0]]);
  if (!target) return;
  const sources = await shell.expandAll('concat', args.slice(1));
  if (sources.length === 0) return;
  try {
    await shell.client.concat(target.status.path, sources.map((source) => source.status.path));
  } catch (error) {
    throw asPathError(error, target.display);
  }
}
