// Reads the .cpuprofile files `npm run bench -- --profile <dir>` leaves and prints, per process,
// where its CPU time went: idle and GC shares, then the functions with the most self time and the
// most inclusive time (file:line, paths shortened to the repository or the package).
//   node dist/bench/profile-summary.js <dir or file>... [--top N] [--match text]

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  durationMs: number;
  idleShare: number;
  gcShare: number;
  self: Array<{ frame: string; ms: number; share: number }>;
  inclusive: Array<{ frame: string; ms: number; share: number }>;
}

const TOP_DEFAULT = 25;

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  const path = url.replace(/^file:\/\//, '');
  const short = path.includes('/node_modules/')
    ? path.slice(path.lastIndexOf('/node_modules/') + '/node_modules/'.length)
    : path.replace(/^.*\/dist\//, '');
  return `${name} ${short}:${lineNumber + 1}`;
}

export function summarize(file: string, top = TOP_DEFAULT): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMs = new Map<string, number>();
  const inclusiveMs = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  let gcMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // The delta after a sample is the time it stands for.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    totalMs += ms;
    const name = frameName(node);
    if (name === '(idle)') idleMs += ms;
    if (name === '(garbage collector)') gcMs += ms;
    selfMs.set(name, (selfMs.get(name) ?? 0) + ms);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = frameName(byId.get(id)!);
      if (seen.has(frame)) continue;
      seen.add(frame);
      inclusiveMs.set(frame, (inclusiveMs.get(frame) ?? 0) + ms);
    }
  }
  const busyMs = Math.max(totalMs - idleMs, 1e-9);
  const rank = (map: Map<string, number>) =>
    [...map.entries()]
      .filter(([frame]) => !['(idle)', '(root)', '(program)'].includes(frame))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, ms]) => ({ frame, ms, share: ms / busyMs }));
  return { file, durationMs: totalMs, idleShare: idleMs / Math.max(totalMs, 1e-9), gcShare: gcMs / busyMs, self: rank(selfMs), inclusive: rank(inclusiveMs) };
}

function printSummary(summary: ProfileSummary, match: string | undefined): void {
  const busyMs = summary.durationMs * (1 - summary.idleShare);
  process.stdout.write(
    `\n== ${basename(summary.file)}: ${(summary.durationMs / 1000).toFixed(1)} s profiled, busy ${(busyMs / 1000).toFixed(1)} s (${((1 - summary.idleShare) * 100).toFixed(0)}%), GC ${(summary.gcShare * 100).toFixed(1)}% of busy\n`,
  );
  const rows = (title: string, list: ProfileSummary['self']) => {
    process.stdout.write(`  -- ${title} (share of busy time)\n`);
    for (const row of list.filter((r) => !match || r.frame.includes(match))) {
      process.stdout.write(`  ${(row.share * 100).toFixed(1).padStart(5)}% ${row.ms.toFixed(0).padStart(7)} ms  ${row.frame}\n`);
    }
  };
  rows('self time', summary.self);
  rows('inclusive time', summary.inclusive);
}

function profileFiles(paths: string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith('.cpuprofile'))
          .sort()
          .map((name) => join(path, name))
      : [path],
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : TOP_DEFAULT;
  const matchIndex = args.indexOf('--match');
  const match = matchIndex >= 0 ? args.splice(matchIndex, 2)[1] : undefined;
  for (const file of profileFiles(args)) printSummary(summarize(file, top), match);
}
