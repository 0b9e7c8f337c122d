#!/usr/bin/env node
// The `dfs` command: `dfs -<cmd> ...` (or `dfs dfs -<cmd>`) is the file-system shell, as `hdfs dfs`;
// `dfs namenode|datanode|cluster` start servers.

import { Command } from 'commander';
import { DfsClient } from '../dfs-client.js';
import { FsShell, helpText, usageLines } from './fs-shell.js';
import { loadConfiguration } from './config.js';
import { DFS_VERSION } from '../../shared/version.js';

/** Hadoop's generic options, accepted before the shell command: -fs <uri>, -D key=value. */
function parseGenericOptions(argv: string[]): { rest: string[]; namenodes?: string[]; token?: string; conf: Map<string, string> } {
  const conf = new Map<string, string>();
  let namenodes: string[] | undefined;
  let token: string | undefined;
  let i = 0;
  while (i < argv.length) {
    if (argv[i] === '-fs' && i + 1 < argv.length) {
      namenodes = argv[i + 1].split(',');
      i += 2;
    } else if ((argv[i] === '-token' || argv[i] === '--token') && i + 1 < argv.length) {
      token = argv[i + 1];
      i += 2;
    } else if (argv[i] === '-D' && i + 1 < argv.length) {
      const [key, ...value] = argv[i + 1].split('=');
      conf.set(key, value.join('='));
      i += 2;
    } else if (argv[i].startsWith('-D') && argv[i].includes('=')) {
      const [key, ...value] = argv[i].slice(2).split('=');
      conf.set(key, value.join('='));
      i += 1;
    } else break;
  }
  return { rest: argv.slice(i), namenodes, token, conf };
}

async function runShell(argv: string[]): Promise<number> {
  const { rest, namenodes, token, conf } = parseGenericOptions(argv);
  if (rest.length === 0 || (rest.length === 1 && (rest[0] === '-help' || rest[0] === '-usage'))) {
    const stream = rest.length === 0 ? process.stderr : process.stdout;
    stream.write(`Usage: dfs [generic options]\n${usageLines().join('\n')}\n`);
    if (rest[0] === '-help') stream.write(`\n${helpText()}`);
    stream.write('\nGeneric options:\n-fs <url[,url...]>  namenode URL(s) (default: $DFS_NAMENODES or http://127.0.0.1:9870)\n-D <key=value>      set a configuration value (e.g. -D fs.trash.interval=60)\n-token <token>      authenticate with a bearer token (default: $DFS_TOKEN)\n');
    return rest.length === 0 ? 1 : 0;
  }
  const client = new DfsClient({ namenodes, token });
  try {
    if (rest[0] === '-setrep') return await (await import('./admin.js')).runSetrep(client, rest.slice(1));
    return await new FsShell(client, { conf: loadConfiguration(conf) }).run(rest);
  } finally {
    await client.close();
  }
}

async function main(argv: string[]): Promise<void> {
  // A private CA (or self-signed certificate) for https:// namenodes and datanodes.
  if (process.env.DFS_TLS_CA) (await import('../../shared/tls.js')).trustCa(process.env.DFS_TLS_CA);
  const args = argv[0] === 'dfs' ? argv.slice(1) : argv;
  if (args.length === 0 || args[0].startsWith('-') && args[0] !== '--help' && args[0] !== '-h' && args[0] !== '--version') {
    process.exitCode = await runShell(args);
    return;
  }
  const program = new Command('dfs')
    .description('dfs: a distributed file system in the spirit of HDFS.\nFile-system shell: dfs -<command> [args] (dfs -help lists the commands).')
    .version(DFS_VERSION);
  // Loaded only here: the server code costs a shell command half a second of start-up.
  const [{ registerServerCommands }, { registerAdminCommands }] = await Promise.all([import('./servers.js'), import('./admin.js')]);
  registerServerCommands(program);
  registerAdminCommands(program);
  await program.parseAsync(args, { from: 'user' });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`dfs: ${error instanceof Error ? error.message : String(error)}`);
  // Exit now: a server that failed half-way through its start (its port taken, say) may hold
  // timers and open files that would keep a process alive that serves nothing.
  process.exit(1);
});
