// Damaging stored replicas on purpose, for tests of checksum verification and repair.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/** Inverts the byte at `offset` of `file` in place, as a bit-rotted disk would. */
export function flipByte(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, offset);
    byte[0] ^= 0xff;
    writeSync(fd, byte, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}
