// The datanode's identity: a uuid generated once and kept in the first data folder's VERSION file,
// so a restarted datanode is the same node to the namenodes (its replicas stay attributed to it).

import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DfsError } from '../shared/errors.js';
import { fsyncDir } from './storage/replica-writer.js';

export const LAYOUT_VERSION = 1;

const VersionFile = z.object({ uuid: z.string().min(1), layoutVersion: z.number().int(), createdAt: z.string() });
type VersionFile = z.infer<typeof VersionFile>;

export async function loadOrCreateIdentity(dataDir: string): Promise<VersionFile> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, 'VERSION');
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const parsed = VersionFile.safeParse(JSON.parse(text));
    if (!parsed.success) throw new DfsError('Io', `Unreadable datanode VERSION file ${path}`, { path });
    if (parsed.data.layoutVersion !== LAYOUT_VERSION) {
      throw new DfsError('Io', `Unsupported layout version ${parsed.data.layoutVersion} in ${path}`, { path });
    }
    return parsed.data;
  }
  const identity: VersionFile = { uuid: randomUUID(), layoutVersion: LAYOUT_VERSION, createdAt: new Date().toISOString() };
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(identity, null, 2) + '\n', { flush: true });
  await rename(tmp, path);
  await fsyncDir(dataDir);
  return identity;
}
