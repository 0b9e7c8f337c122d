// Commands that print file contents: -cat, -text, -head, -tail [-f].

import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import type { FileStatus } from '../../../shared/protocol.js';
import { PathError, UsageError, type Parsed, type Shell } from '../shell-core.js';

/** -head and -tail show one kilobyte, as Hadoop's Head and Tail. */
const HEAD_TAIL_BYTES = 1024;
/** -tail -f polls the file this often unless -s says otherwise (Hadoop's default is 5 s). */
const TAIL_FOLLOW_INTERVAL_MS_DEFAULT = 5_000;
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

function requireFile(display: string, status: FileStatus): void {
  if (status.type === 'DIRECTORY') throw new PathError(display, 'Is a directory');
}

async function copyToStdout(shell: Shell, stream: AsyncIterable<Buffer | string>): Promise<void> {
  for await (const chunk of stream) await shell.write(chunk);
}

export async function cat(shell: Shell, { args }: Parsed): Promise<void> {
  for (const item of await shell.expandAll('cat', args)) {
    await shell.forPath('cat', item.display, async () => {
      requireFile(item.display, item.status);
      await copyToStdout(shell, shell.client.createReadStream(item.status.path));
    });
  }
}

/** -text: like -cat, but gzip data (detected by its magic bytes) is shown decompressed. */
export async function text(shell: Shell, { args }: Parsed): Promise<void> {
  for (const item of await shell.expandAll('text', args)) {
    await shell.forPath('text', item.display, async () => {
      requireFile(item.display, item.status);
      const head = item.status.length >= 2 ? await readRange(shell, item.status.path, 0, 1) : Buffer.alloc(0);
      const stream = shell.client.createReadStream(item.status.path);
      await copyToStdout(shell, head.equals(GZIP_MAGIC) ? stream.pipe(createGunzip()) : stream);
    });
  }
}

async function readRange(shell: Shell, path: string, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of shell.client.createReadStream(path, { start, end })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function head(shell: Shell, { args }: Parsed): Promise<void> {
  const [item] = await shell.expandAll('head', args);
  if (!item) return;
  await shell.forPath('head', item.display, async () => {
    requireFile(item.display, item.status);
    if (item.status.length > 0) await shell.write(await readRange(shell, item.status.path, 0, Math.min(item.status.length, HEAD_TAIL_BYTES) - 1));
  });
}

export async function tail(shell: Shell, { flags, values, args }: Parsed): Promise<void> {
  const intervalMs = values.has('s') ? Number(values.get('s')) : TAIL_FOLLOW_INTERVAL_MS_DEFAULT;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new UsageError(`Invalid sleep interval: ${values.get('s')}`);
  const [item] = await shell.expandAll('tail', args);
  if (!item) return;
  await shell.forPath('tail', item.display, async () => {
    requireFile(item.display, item.status);
    let offset = Math.max(0, item.status.length - HEAD_TAIL_BYTES);
    for (;;) {
      const status = await shell.requireStat(item.status.path);
      if (status.length > offset) {
        await copyToStdout(shell, Readable.from([await readRange(shell, status.path, offset, status.length - 1)]));
        offset = status.length;
      }
      if (!flags.has('f')) return;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  });
}
