// Small file-system primitives with the durability steps spelled out: positional writes that loop
// over short writes, fdatasync, and directory fsync (needed for creates, renames and unlinks).
// Writes and syncs are async so a slow disk does not stall the event loop (network I/O keeps flowing
// while the Raft loop waits for its fsync); reads are synchronous because the Raft core's storage
// interface is synchronous and they are served from the page cache.

import fs from 'node:fs';

export function writeAll(fd: number, data: Buffer, positionBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (written: number): void => {
      if (written === data.length) return resolve();
      fs.write(fd, data, written, data.length - written, positionBytes + written, (err, n) => {
        if (err) return reject(err);
        step(written + n);
      });
    };
    step(0);
  });
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

export function ftruncate(fd: number, lengthBytes: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, lengthBytes, (err) => (err ? reject(err) : resolve())));
}

/** Makes creates, renames and unlinks inside `dir` durable. */
export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function readExactSync(fd: number, lengthBytes: number, positionBytes: number): Buffer {
  const out = Buffer.allocUnsafe(lengthBytes);
  let done = 0;
  while (done < lengthBytes) {
    const n = fs.readSync(fd, out, done, lengthBytes - done, positionBytes + done);
    if (n === 0) break;
    done += n;
  }
  return done === lengthBytes ? out : out.subarray(0, done);
}
