// Simulation campaign CLI: runs many seeds and prints seeds, steps, faults injected by kind, the
// worst election and recovery times, and for a failure the one command that replays it plus the
// trace of its last events.
//   node dist/test/raft/sim/campaign.js --seeds N --steps M [--nodes 3|5] [--seed S] [--plant-bug NAME]
// Without --nodes, seeds alternate between 3- and 5-node clusters.

import { BUG_NAMES, TICK_MS, runSimulation, type BugName, type SimResult } from './simulator.js';

export interface CampaignOptions {
  seeds: number;
  steps: number;
  nodes: 3 | 5 | null;
  firstSeed: number;
  plantBug?: BugName;
  traceEvents?: number;
  electionTicksMax?: number;
  /** Stop at the first failing seed. */
  stopOnFailure: boolean;
  onProgress?: (done: number, result: SimResult) => void;
}

export interface CampaignSummary {
  seeds: number;
  steps: number;
  settleSteps: number;
  failures: SimResult[];
  faults: Record<string, number>;
  worstElectionTicks: number;
  worstElectionSeed: number | null;
  worstRecoveryTicks: number;
  worstLeaderReadyTicks: number;
  committedEntries: number;
  ackedCommands: number;
  simulatedMs: number;
  wallMs: number;
}

export function runCampaign(options: CampaignOptions): CampaignSummary {
  const started = performance.now();
  const summary: CampaignSummary = {
    seeds: 0, steps: 0, settleSteps: 0, failures: [], faults: {}, worstElectionTicks: 0, worstElectionSeed: null,
    worstRecoveryTicks: 0, worstLeaderReadyTicks: 0, committedEntries: 0, ackedCommands: 0, simulatedMs: 0, wallMs: 0,
  };
  for (let i = 0; i < options.seeds; i++) {
    const seed = options.firstSeed + i;
    const nodes = options.nodes ?? (seed % 2 === 0 ? 3 : 5);
    const result = runSimulation({
      seed, steps: options.steps, nodes, plantBug: options.plantBug, traceEvents: options.traceEvents,
      electionTicksMax: options.electionTicksMax,
    });
    summary.seeds++;
    summary.steps += result.steps;
    summary.settleSteps += result.settleSteps;
    summary.committedEntries += result.committedIndex;
    summary.ackedCommands += result.ackedCommands;
    summary.simulatedMs += result.simulatedMs;
    for (const [kind, count] of Object.entries(result.faults)) summary.faults[kind] = (summary.faults[kind] ?? 0) + count;
    if (result.electionTicks !== null && result.electionTicks > summary.worstElectionTicks) {
      summary.worstElectionTicks = result.electionTicks;
      summary.worstElectionSeed = seed;
    }
    if (result.leaderReadyTicks !== null) summary.worstLeaderReadyTicks = Math.max(summary.worstLeaderReadyTicks, result.leaderReadyTicks);
    if (result.recoveryTicks !== null) summary.worstRecoveryTicks = Math.max(summary.worstRecoveryTicks, result.recoveryTicks);
    options.onProgress?.(summary.seeds, result);
    if (!result.ok) {
      summary.failures.push(result);
      if (options.stopOnFailure) break;
    }
  }
  summary.wallMs = performance.now() - started;
  return summary;
}

export function formatSummary(summary: CampaignSummary): string {
  const faults = Object.entries(summary.faults).sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind}=${count}`).join(' ');
  const lines = [
    `seeds: ${summary.seeds}  steps: ${summary.steps} (+${summary.settleSteps} settle)  wall: ${(summary.wallMs / 1000).toFixed(1)} s  simulated: ${(summary.simulatedMs / 3_600_000).toFixed(2)} h`,
    `faults: ${faults}`,
    `worst election after leader crash: ${summary.worstElectionTicks} ticks = ${summary.worstElectionTicks * TICK_MS} ms (seed ${summary.worstElectionSeed ?? '-'}; tick = ${TICK_MS} ms, election timeout 10 ticks)`,
    `worst time from leader crash to the new leader committing in its term: ${summary.worstLeaderReadyTicks} ticks = ${summary.worstLeaderReadyTicks * TICK_MS} ms`,
    `worst recovery after final heal: ${summary.worstRecoveryTicks} ticks = ${summary.worstRecoveryTicks * TICK_MS} ms`,
    `committed entries: ${summary.committedEntries}  acknowledged commands: ${summary.ackedCommands}`,
    `failures: ${summary.failures.length}`,
  ];
  for (const failure of summary.failures.slice(0, 5)) {
    lines.push('', `FAILED seed ${failure.seed} (${failure.nodes} nodes): ${failure.violation ?? ''}`);
    lines.push(`replay: ${failure.replay}`);
    lines.push('last events:', ...failure.trace.map((line) => `  ${line}`));
  }
  return lines.join('\n');
}

function parseArgs(argv: string[]): CampaignOptions {
  const options: CampaignOptions = { seeds: 100, steps: 10_000, nodes: null, firstSeed: 1, stopOnFailure: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case '--seeds': options.seeds = Number(value); i++; break;
      case '--steps': options.steps = Number(value); i++; break;
      case '--nodes':
        if (value !== '3' && value !== '5') throw new Error('--nodes must be 3 or 5');
        options.nodes = value === '3' ? 3 : 5; i++; break;
      case '--seed': options.firstSeed = Number(value); options.seeds = 1; i++; break;
      case '--first-seed': options.firstSeed = Number(value); i++; break;
      case '--plant-bug':
        if (!(BUG_NAMES as readonly string[]).includes(value)) throw new Error(`--plant-bug must be one of ${BUG_NAMES.join(', ')}`);
        options.plantBug = value as BugName; i++; break;
      case '--trace': options.traceEvents = Number(value); i++; break;
      case '--election-ticks-max': options.electionTicksMax = Number(value); i++; break;
      case '--stop-on-failure': options.stopOnFailure = true; break;
      default: throw new Error(`unknown argument ${flag}`);
    }
  }
  if (!Number.isInteger(options.seeds) || options.seeds < 1) throw new Error('--seeds must be a positive integer');
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new Error('--steps must be a positive integer');
  return options;
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const progressEvery = Math.max(1, Math.floor(options.seeds / 20));
  const summary = runCampaign({
    ...options,
    onProgress: (done, result) => {
      if (!result.ok) process.stderr.write(`seed ${result.seed} FAILED: ${result.violation ?? ''}\n  replay: ${result.replay}\n`);
      if (done % progressEvery === 0) process.stderr.write(`  ${done}/${options.seeds} seeds\n`);
    },
  });
  process.stdout.write(`${formatSummary(summary)}\n`);
  process.exitCode = summary.failures.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
