#!/usr/bin/env node
// Runs the tap suite with its normal output and closes with the plain line CI reads
// ("N passed, N failed, N skipped"), taken from tap's own final summary.
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, ['node_modules/tap/dist/esm/run.mjs', ...process.argv.slice(2)], {
  stdio: ['inherit', 'pipe', 'inherit'],
});
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4096);
});
child.on('close', (code, signal) => {
  const summary = [...tail.matchAll(/# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?(?:, skip: (\d+))?[^}]*\}/g)].pop();
  if (summary) {
    const [, , pass, fail = '0', skip = '0'] = summary;
    console.log(`${pass} passed, ${fail} failed${skip !== '0' ? `, ${skip} skipped` : ''}`);
  } else {
    console.log('0 passed, 1 failed (tap printed no summary)');
  }
  process.exit(code ?? (signal ? 1 : 0));
});
