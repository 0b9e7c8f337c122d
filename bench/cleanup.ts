// Everything the suite starts or creates is registered here, so that it is undone on every way out:
// a normal end, a thrown error, Ctrl-C (SIGINT), SIGTERM or SIGHUP. Child processes are killed
// with SIGKILL (a benchmark cluster holds nothing worth a graceful stop) and temporary folders are
// removed synchronously, which also works inside the process 'exit' handler.

import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const folders = new Set<string>();
let installed = false;

export function trackChild(child: ChildProcess): ChildProcess {
  installSignalHandlers();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function trackFolder(folder: string): string {
  installSignalHandlers();
  folders.add(folder);
  return folder;
}

export function removeFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
  folders.delete(folder);
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Kills every tracked child and removes every tracked folder, synchronously. Safe to call twice. */
export function cleanUpEverything(): void {
  for (const child of children) {
    if (isRunning(child)) child.kill('SIGKILL');
  }
  children.clear();
  for (const folder of folders) {
    try {
      rmSync(folder, { recursive: true, force: true });
    } catch (error) {
      process.stderr.write(`bench: could not remove ${folder}: ${(error as Error).message}\n`);
    }
  }
  folders.clear();
}

function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  process.once('exit', cleanUpEverything);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal} received, stopping every process and removing temporary folders\n`);
      cleanUpEverything();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}
