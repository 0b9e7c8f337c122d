// Namespace backup tools: `dfs dfsadmin -fetchImage <file>` saves a consistent copy of the namespace
// (namenode/routes/image.ts) atomically, and `dfs oiv` (HDFS's offline image viewer) verifies an
// image and lists its files and totals without a cluster. The format is namespace/image-format.ts.

import Database from 'better-sqlite3';
import { createWriteStream, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { request } from 'undici';
import { DfsError } from '../../shared/errors.js';
import { extractImage, verifyImage, type ImageHeader } from '../../namenode/namespace/image-format.js';
import { INODE_DIRECTORY, ROOT_INODE_ID } from '../../namenode/namespace/schema.js';
import { lsDate, permissionString } from './format.js';

const FETCH_TIMEOUT_MS = 10 * 60_000;
const LISTING_BATCH_LINES = 1_000;

export function imageHeaderLines(header: ImageHeader, fileBytes: number): string[] {
  return [
    `Index: ${header.index}`,
    `Term: ${header.term}`,
    `Cluster id: ${header.clusterId}`,
    `Schema version: ${header.schemaVersion}`,
    `Taken at: ${new Date(header.createdAtMs).toISOString()}`,
    `Size: ${fileBytes} bytes (namespace ${header.sizeBytes} bytes)`,
    `SHA-256: ${header.sha256}`,
  ];
}

/** Downloads an image from the first namenode that serves one, to a temporary file renamed over `file` once verified. */
export async function fetchImage(namenodes: string[], file: string): Promise<number> {
  const target = resolve(file);
  const staged = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.part`);
  let lastError: unknown = new DfsError('IllegalArgument', 'no namenode given');
  for (const namenode of namenodes) {
    const startedMs = Date.now();
    try {
      const response = await request(`${namenode.replace(/\/+$/, '')}/rpc/v1/admin/image?user=${encodeURIComponent(userInfo().username)}`, {
        headersTimeout: FETCH_TIMEOUT_MS,
        bodyTimeout: FETCH_TIMEOUT_MS,
      });
      if (response.statusCode >= 400) {
        const json: unknown = await response.body.json().catch(() => ({}));
        throw DfsError.fromRemoteException(json, response.statusCode);
      }
      const out = createWriteStream(staged, { flags: 'wx' });
      try {
        for await (const chunk of response.body) if (!out.write(chunk)) await once(out, 'drain');
        out.end();
        await once(out, 'finish');
        const { header, fileBytes } = await verifyImage(staged);
        renameSync(staged, target);
        process.stdout.write([`Saved namespace image to ${target} from ${namenode} in ${Date.now() - startedMs} ms`, ...imageHeaderLines(header, fileBytes)].join('\n') + '\n');
        return 0;
      } catch (error) {
        out.destroy();
        rmSync(staged, { force: true });
        throw error;
      }
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

interface TreeRow {
  id: number;
  path: string;
  type: number;
  owner: string;
  grp: string;
  perm: number;
  mtime: number;
  replication: number;
  length: number;
  lease_holder: string | null;
  blocks: number;
}

const TREE_SQL = `WITH RECURSIVE tree(id, path) AS (
    SELECT id, '/' FROM inodes WHERE id = ${ROOT_INODE_ID}
    UNION ALL
    SELECT i.id, CASE WHEN t.path = '/' THEN '/' || i.name ELSE t.path || '/' || i.name END
      FROM inodes i JOIN tree t ON i.parent = t.id JOIN inodes p ON p.id = t.id
      WHERE p.type = ${INODE_DIRECTORY} AND i.id <> ${ROOT_INODE_ID})
  SELECT i.id, tree.path, i.type, i.owner, i.grp, i.perm, i.mtime, i.replication, i.length, i.lease_holder,
         (SELECT count(*) FROM blocks b WHERE b.inode = i.id) AS blocks
  FROM tree JOIN inodes i ON i.id = tree.id ORDER BY tree.path`;

/** `dfs oiv <image> [-ls] [-stats]` or HDFS's `dfs oiv -i <image> -p Ls|Tree|Stats`. */
export async function runOfflineImageViewer(args: string[]): Promise<number> {
  let image: string | undefined;
  let list = false;
  let stats = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-i' || arg === '--inputFile') image = args[++i];
    else if (arg === '-p' || arg === '--processor') {
      const processor = (args[++i] ?? '').toLowerCase();
      if (processor === 'ls' || processor === 'tree') list = true;
      else if (processor === 'stats') stats = true;
      else throw new DfsError('IllegalArgument', `oiv: unknown processor ${args[i]} (Ls, Tree or Stats)`);
    } else if (arg === '-ls') list = true;
    else if (arg === '-stats') stats = true;
    else if (arg.startsWith('-')) throw new DfsError('IllegalArgument', `oiv: unknown option ${arg}`);
    else image = arg;
  }
  if (!image) {
    process.stderr.write('Usage: dfs oiv <image> [-ls] [-stats]   (or: dfs oiv -i <image> -p Ls|Tree|Stats)\n');
    return 1;
  }
  if (!list && !stats) stats = true;
  const { header, fileBytes } = await verifyImage(image);
  const scratch = mkdtempSync(join(tmpdir(), 'dfs-oiv-'));
  try {
    const dbFile = join(scratch, 'namespace.sqlite');
    await extractImage(image, dbFile);
    const db = new Database(dbFile, { readonly: true });
    try {
      const out: string[] = [`Image ${image}: checksum OK`, ...imageHeaderLines(header, fileBytes), ''];
      const totals = { directories: 0, files: 0, openFiles: 0, blocks: 0, bytes: 0, replicatedBytes: 0 };
      for (const row of db.prepare(TREE_SQL).iterate() as Iterable<TreeRow>) {
        const isDirectory = row.type === INODE_DIRECTORY;
        if (isDirectory) totals.directories++;
        else {
          totals.files++;
          totals.blocks += row.blocks;
          totals.bytes += row.length;
          totals.replicatedBytes += row.length * row.replication;
          if (row.lease_holder !== null) totals.openFiles++;
        }
        if (list) {
          const mode = permissionString({ type: isDirectory ? 'DIRECTORY' : 'FILE', permission: row.perm });
          out.push(
            `${mode} ${isDirectory ? '-' : String(row.replication)} ${row.owner} ${row.grp} ${String(isDirectory ? 0 : row.length).padStart(12)} ${lsDate(row.mtime)} ${String(row.blocks).padStart(5)} ${row.path}${row.lease_holder !== null ? ' (open for write)' : ''}`,
          );
          // Listed in batches: a namespace of millions of files never sits in memory as text.
          if (out.length >= LISTING_BATCH_LINES) process.stdout.write(out.splice(0).join('\n') + '\n');
        }
      }
      if (list) out.push('');
      if (stats) {
        out.push(
          `Directories: ${totals.directories}`,
          `Files: ${totals.files}${totals.openFiles > 0 ? ` (open for write: ${totals.openFiles})` : ''}`,
          `Blocks: ${totals.blocks}`,
          `Total size: ${totals.bytes} bytes`,
          `Total size with replicas: ${totals.replicatedBytes} bytes`,
        );
      }
      process.stdout.write(out.join('\n') + '\n');
    } finally {
      db.close();
    }
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
