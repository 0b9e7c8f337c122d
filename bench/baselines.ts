// The figures that bound every dfs figure, measured in the same run on the same machine:
// - disk write: one sequential file of the case's size in the cluster's own folder, written in
//   1 MiB pieces with an fsync every block (128 MiB) and at the end, as a datanode does;
// - disk read: the same file read back sequentially after the page cache is dropped (when root);
// - HTTP PUT and GET: an undici client streaming to and from a fastify server in another process
//   over loopback, with no disk on either side.

import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { trackChild } from './cleanup.js';
import { profileFlags } from './cluster.js';
import { MiB, megabytesPerSecond, nowMs } from './support.js';

export const DISK_WRITE_PIECE_BYTES = MiB;
export const HTTP_PIECE_BYTES = MiB;
export const FSYNC_APPEND_BYTES = 4096;
const HTTP_SERVER_START_TIMEOUT_MS = 30_000;

export interface ThroughputResult {
  sizeBytes: number;
  durationMs: number;
  MBps: number;
}

/** Writes `sizeBytes` of random data to `file`, fsyncing every `fsyncEveryBytes` and at the end. */
export async function measureDiskWrite(file: string, sizeBytes: number, fsyncEveryBytes: number): Promise<ThroughputResult> {
  const piece = randomFillSync(Buffer.alloc(DISK_WRITE_PIECE_BYTES));
  const handle = await open(file, 'w');
  const startedMs = nowMs();
  try {
    let sinceSyncBytes = 0;
    for (let writtenBytes = 0; writtenBytes < sizeBytes; ) {
      const length = Math.min(piece.length, sizeBytes - writtenBytes);
      const { bytesWritten } = await handle.write(piece, 0, length);
      writtenBytes += bytesWritten;
      sinceSyncBytes += bytesWritten;
      if (sinceSyncBytes >= fsyncEveryBytes) {
        await handle.sync();
        sinceSyncBytes = 0;
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  const durationMs = nowMs() - startedMs;
  return { sizeBytes, durationMs, MBps: megabytesPerSecond(sizeBytes, durationMs) };
}

/**
 * Writes back dirty pages and drops the page cache, so the next read comes from the disk. Needs
 * root; returns whether it happened.
 */
export function dropPageCache(): boolean {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

export async function measureDiskRead(file: string): Promise<ThroughputResult & { cacheDropped: boolean }> {
  const cacheDropped = dropPageCache();
  const piece = Buffer.alloc(DISK_WRITE_PIECE_BYTES);
  const handle = await open(file, 'r');
  const startedMs = nowMs();
  let sizeBytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(piece, 0, piece.length, null);
      if (bytesRead === 0) break;
      sizeBytes += bytesRead;
    }
  } finally {
    await handle.close();
  }
  const durationMs = nowMs() - startedMs;
  return { sizeBytes, durationMs, MBps: megabytesPerSecond(sizeBytes, durationMs), cacheDropped };
}

/**
 * Small durable appends: a 4 KiB write plus fdatasync, repeated for `durationMs`. Every durable
 * metadata operation costs at least one such append on a majority of namenodes, and every small
 * file one more on each datanode, so this bounds them when nothing is batched.
 */
export async function measureFsyncRate(file: string, durationMs: number): Promise<{ perSecond: number; meanMs: number }> {
  const piece = Buffer.alloc(FSYNC_APPEND_BYTES, 0x5a);
  const handle = await open(file, 'w');
  const startedMs = nowMs();
  let syncs = 0;
  try {
    while (nowMs() - startedMs < durationMs) {
      await handle.write(piece);
      await handle.datasync();
      syncs++;
    }
  } finally {
    await handle.close();
  }
  const elapsedMs = nowMs() - startedMs;
  return { perSecond: syncs / (elapsedMs / 1000), meanMs: elapsedMs / syncs };
}

async function* repeatPiece(piece: Buffer, totalBytes: number): AsyncGenerator<Buffer> {
  for (let sentBytes = 0; sentBytes < totalBytes; sentBytes += piece.length) {
    yield totalBytes - sentBytes >= piece.length ? piece : piece.subarray(0, totalBytes - sentBytes);
  }
}

/** Starts the baseline HTTP server process, runs PUT then GET of `sizeBytes`, stops it. */
/** Rounds of the HTTP baseline; the fastest counts. */
const HTTP_ROUNDS = 3;

export async function measureHttp(sizeBytes: number, profileDir?: string): Promise<{ put: ThroughputResult; get: ThroughputResult }> {
  const serverPath = resolve(import.meta.dirname, 'http-baseline-server.js');
  const child = trackChild(spawn(process.execPath, [...profileFlags(profileDir, 'http-baseline-server'), serverPath], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const dispatcher = new Agent({ connections: 1 });
  try {
    const port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error('the HTTP baseline server did not start')), HTTP_SERVER_START_TIMEOUT_MS);
      createInterface({ input: child.stdout! }).once('line', (line) => {
        clearTimeout(timer);
        resolvePort((JSON.parse(line) as { port: number }).port);
      });
      child.once('exit', (code) => reject(new Error(`the HTTP baseline server exited (code ${code})`)));
    });
    const base = `http://127.0.0.1:${port}`;
    // One small exchange first so connection set-up is not timed.
    await (await request(`${base}/source/1`, { dispatcher })).body.dump();

    const piece = Buffer.alloc(HTTP_PIECE_BYTES, 0x5a);
    const putOnce = async (): Promise<number> => {
      const startedMs = nowMs();
      const putResponse = await request(`${base}/sink`, {
        method: 'PUT',
        dispatcher,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(sizeBytes) },
        body: Readable.from(repeatPiece(piece, sizeBytes), { objectMode: false }),
      });
      const { receivedBytes } = (await putResponse.body.json()) as { receivedBytes: number };
      if (receivedBytes !== sizeBytes) throw new Error(`HTTP baseline PUT: server received ${receivedBytes} of ${sizeBytes} bytes`);
      return nowMs() - startedMs;
    };
    const getOnce = async (): Promise<number> => {
      const startedMs = nowMs();
      const getResponse = await request(`${base}/source/${sizeBytes}`, { dispatcher });
      let gotBytes = 0;
      for await (const chunk of getResponse.body) gotBytes += (chunk as Buffer).length;
      if (gotBytes !== sizeBytes) throw new Error(`HTTP baseline GET: received ${gotBytes} of ${sizeBytes} bytes`);
      return nowMs() - startedMs;
    };
    // The best of a few rounds: a fresh process's first large transfer pays for growing its heap
    // (page faults are dear on a virtual machine), which would understate the machine's bound.
    let putMs = Infinity;
    let getMs = Infinity;
    for (let round = 0; round < HTTP_ROUNDS; round++) {
      putMs = Math.min(putMs, await putOnce());
      getMs = Math.min(getMs, await getOnce());
    }
    return {
      put: { sizeBytes, durationMs: putMs, MBps: megabytesPerSecond(sizeBytes, putMs) },
      get: { sizeBytes, durationMs: getMs, MBps: megabytesPerSecond(sizeBytes, getMs) },
    };
  } finally {
    await dispatcher.close();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
      child.kill(profileDir ? 'SIGTERM' : 'SIGKILL');
      await exited;
    }
  }
}
