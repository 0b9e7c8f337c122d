// HDFS trash (TrashPolicyDefault): with a trash interval configured, a deleted path moves under
// /user/<user>/.Trash/Current/<its absolute path> instead of being removed; `expunge` turns
// Current into a checkpoint named after the time (yyMMddHHmmss) and removes checkpoints older than
// the interval. Trash is off when the interval is 0, as HDFS ships.

import { DfsError, isDfsError } from '../shared/errors.js';
import { joinPath, parentPath } from '../shared/paths.js';
import type { DfsClient } from './dfs-client.js';

const TRASH_DIR_NAME = '.Trash';
const CURRENT_NAME = 'Current';
/** HDFS creates trash directories readable by their owner only. */
const TRASH_PERMISSION = 0o700;
const CHECKPOINT_PATTERN = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

const pad2 = (n: number) => String(n).padStart(2, '0');

/** The checkpoint name for `ms`: yyMMddHHmmss in local time, as TrashPolicyDefault names them. */
export function checkpointName(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getFullYear() % 100)}${pad2(d.getMonth() + 1)}${pad2(d.getDate())}${pad2(d.getHours())}${pad2(d.getMinutes())}${pad2(d.getSeconds())}`;
}

function checkpointTime(name: string): number | null {
  const m = CHECKPOINT_PATTERN.exec(name);
  if (!m) return null;
  const [, yy, mo, dd, hh, mi, ss] = m.map(Number);
  return new Date(2000 + yy, mo - 1, dd, hh, mi, ss).getTime();
}

export class Trash {
  constructor(
    private readonly client: DfsClient,
    /** fs.trash.interval: minutes a checkpoint is kept; 0 turns trash off. */
    readonly intervalMinutes: number,
  ) {}

  get enabled(): boolean {
    return this.intervalMinutes > 0;
  }

  get root(): string {
    return joinPath(this.client.homeDirectory, TRASH_DIR_NAME);
  }

  get current(): string {
    return joinPath(this.root, CURRENT_NAME);
  }

  /**
   * Moves `path` (absolute) into the trash and answers where it went, or null when trash does not
   * apply (off, or the path is already in the trash: deleting there removes for good).
   */
  async moveToTrash(path: string): Promise<string | null> {
    if (!this.enabled) return null;
    if (path === this.root || path.startsWith(this.root + '/')) return null;
    if (path === '/') throw new DfsError('IllegalArgument', 'Cannot move "/" to the trash, as it contains the trash');
    if (this.root.startsWith(path + '/')) throw new DfsError('IllegalArgument', `Cannot move "${path}" to the trash, as it contains the trash`);
    let target = this.current + path;
    await this.client.mkdir(parentPath(target), { recursive: true, permission: TRASH_PERMISSION });
    // A name already in the trash gets the time appended, as Hadoop does.
    if (await this.client.exists(target)) target = `${target}${Date.now()}`;
    await this.client.rename(path, target);
    return target;
  }

  /** -expunge: checkpoints Current, then removes checkpoints older than the interval (all with `immediate`). */
  async expunge(options: { immediate?: boolean; log?: (line: string) => void } = {}): Promise<void> {
    const log = options.log ?? (() => undefined);
    if (!(await this.client.exists(this.root))) return;
    const now = Date.now();
    if (await this.client.exists(this.current)) {
      let checkpoint = joinPath(this.root, checkpointName(now));
      if (await this.client.exists(checkpoint)) checkpoint = `${checkpoint}-${now}`;
      await this.client.rename(this.current, checkpoint);
      log(`Created trash checkpoint: ${checkpoint}`);
    }
    for (const name of await this.client.readdir(this.root)) {
      const time = checkpointTime(name.replace(/-\d+$/, ''));
      if (time === null) continue;
      if (!options.immediate && now - time < this.intervalMinutes * 60_000) continue;
      try {
        await this.client.rm(joinPath(this.root, name), { recursive: true, force: true });
        log(`Deleted trash checkpoint: ${joinPath(this.root, name)}`);
      } catch (error) {
        if (!isDfsError(error)) throw error;
        log(`Couldn't delete checkpoint: ${joinPath(this.root, name)} Ignoring.`);
      }
    }
  }
}
