// A progress bar (bytes, rate, ETA) for long transfers when stderr is a terminal; silent otherwise.

import { SingleBar, Presets } from 'cli-progress';
import { humanBytes } from './format.js';

export interface Progress {
  add(bytes: number): void;
  stop(): void;
}

const silent: Progress = { add() {}, stop() {} };

export function startProgress(label: string, totalBytes: number | undefined): Progress {
  if (!process.stderr.isTTY) return silent;
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {done} / {size} | {rate}/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  let done = 0;
  const total = totalBytes && totalBytes > 0 ? totalBytes : 0;
  const fields = () => ({
    done: humanBytes(done),
    size: total ? humanBytes(total) : '?',
    rate: humanBytes(Math.round(done / Math.max((Date.now() - started) / 1000, 0.001))),
  });
  bar.start(total || 1, 0, fields());
  return {
    add(bytes) {
      done += bytes;
      bar.update(total ? done : 0, fields());
    },
    stop() {
      bar.update(total || 1, fields());
      bar.stop();
    },
  };
}
