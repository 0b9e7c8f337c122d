// Raft storage group commit: entries/s and fsyncs/s when each save() carries 1, 10 or 100 small
// entries, with and without a hard state change (a leader advancing its commit index every Ready).
// Run: npx tsc -p . && node dist/bench/raft-storage.js [durationMsPerCase]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EntryType, type Entry } from '../namenode/raft/types.js';
import { RaftStorage } from '../namenode/raft/storage/index.js';

export const BENCH_ENTRY_BYTES = 200;
export const BENCH_BATCH_SIZES = [1, 10, 100] as const;
export const BENCH_DURATION_MS_DEFAULT = 2_000;

export interface RaftStorageBenchRow {
  entriesPerSave: number;
  withHardState: boolean;
  saves: number;
  entriesPerSecond: number;
  savesPerSecond: number;
  fsyncsPerSecond: number;
  fsyncsPerSave: number;
  meanSaveMs: number;
}

export async function runRaftStorageBench(options: { durationMsPerCase?: number; dir?: string } = {}): Promise<RaftStorageBenchRow[]> {
  const durationMs = options.durationMsPerCase ?? BENCH_DURATION_MS_DEFAULT;
  const root = fs.mkdtempSync(path.join(options.dir ?? os.tmpdir(), 'dfs-raft-bench-'));
  const rows: RaftStorageBenchRow[] = [];
  try {
    for (const withHardState of [false, true]) {
      for (const entriesPerSave of BENCH_BATCH_SIZES) {
        const storage = await RaftStorage.open({ dir: path.join(root, `${entriesPerSave}-${withHardState}`) });
        const data = new Uint8Array(BENCH_ENTRY_BYTES).fill(7);
        let next = 1;
        let saves = 0;
        let hardStateFsyncs = 0;
        const start = process.hrtime.bigint();
        const elapsedMs = (): number => Number(process.hrtime.bigint() - start) / 1e6;
        while (elapsedMs() < durationMs) {
          const entries: Entry[] = [];
          for (let i = 0; i < entriesPerSave; i++) entries.push({ index: next++, term: 1, type: EntryType.Normal, data });
          await storage.save({ entries, hardState: withHardState ? { term: 1, vote: 'nn1', commit: next - 1 } : undefined });
          if (withHardState) hardStateFsyncs++;
          saves++;
        }
        const seconds = elapsedMs() / 1000;
        const fsyncs = storage.stats.fsyncs + hardStateFsyncs;
        rows.push({
          entriesPerSave,
          withHardState,
          saves,
          entriesPerSecond: Math.round((saves * entriesPerSave) / seconds),
          savesPerSecond: Math.round(saves / seconds),
          fsyncsPerSecond: Math.round(fsyncs / seconds),
          fsyncsPerSave: Number((fsyncs / saves).toFixed(3)),
          meanSaveMs: Number(((seconds * 1000) / saves).toFixed(3)),
        });
        storage.close();
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const durationMsPerCase = process.argv[2] ? Number(process.argv[2]) : undefined;
  const rows = await runRaftStorageBench({ durationMsPerCase });
  console.log(`raft storage group commit (${BENCH_ENTRY_BYTES} B entries, ${os.tmpdir()})`);
  console.table(rows);
}
