// The dfs shell as a user runs it: every command a subprocess against a real cluster (1 namenode,
// 3 datanodes), its output compared with the layouts `hdfs dfs` prints (Hadoop's Ls, FsUsage,
// ContentSummary, Stat, Delete/TrashPolicyDefault, CommandFormat messages), its errors and exit codes.

import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CLI, TestCluster, runCli, temporaryDirectory, waitFor } from './helpers/processes.js';
import { freePort } from './helpers/raft-cluster.js';

const BLOCK_SIZE = 64 * 1024;
const USER = userInfo().username;
const HOME = `/user/${USER}`;
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const LS_LINE = (perm: string, repl: string, size: number | string, path: string) =>
  new RegExp(`^${perm.replace(/[-]/g, '\\-')} +${repl} ${USER} +supergroup +${size} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d ${path.replace(/[.*+?]/g, '\\$&')}$`);

// A configuration file that does not exist: the user's own must not leak into the tests.
process.env.DFS_CONF = '/nonexistent/dfs-site.json';

t.test('dfs shell commands against a real cluster', async (t) => {
  const cluster = await TestCluster.start({ datanodes: 3, blockSize: BLOCK_SIZE, replication: 2 });
  t.teardown(() => cluster.stop());
  const local = temporaryDirectory('cli');
  t.teardown(() => rmSync(local, { recursive: true, force: true }));
  const dfs = (...args: string[]) => cluster.dfs(args);
  const out = async (...args: string[]) => {
    const run = await dfs(...args);
    t.equal(run.code, 0, `dfs ${args.join(' ')} exits 0: ${run.stderr}`);
    return run.stdout.toString();
  };
  const fails = async (args: string[], stderr: string | RegExp) => {
    const run = await cluster.dfs(args);
    t.equal(run.code, 1, `dfs ${args.join(' ')} exits 1`);
    if (typeof stderr === 'string') t.equal(run.stderr.split('\n')[0], stderr, `message of dfs ${args.join(' ')}`);
    else t.match(run.stderr, stderr, `message of dfs ${args.join(' ')}`);
  };

  const big = randomBytes(Math.round(BLOCK_SIZE * 2.5));
  writeFileSync(join(local, 'big.bin'), big);
  writeFileSync(join(local, 'a.txt'), 'alpha\n');
  writeFileSync(join(local, 'b.txt'), 'bravo\n');
  mkdirSync(join(local, 'tree/inner'), { recursive: true });
  writeFileSync(join(local, 'tree/one.txt'), '1\n');
  writeFileSync(join(local, 'tree/inner/two.txt'), '22\n');

  await t.test('-mkdir, -put (several sources, a directory, stdin), -ls layouts', async (t) => {
    await out('-mkdir', '-p', '/data/sub', HOME);
    await out('-put', join(local, 'a.txt'), join(local, 'b.txt'), join(local, 'big.bin'), '/data');
    await out('-put', join(local, 'tree'), '/data');
    t.equal((await cluster.dfs(['-put', '-', '/data/stdin.txt'], Buffer.from('from stdin\n'))).code, 0);
    const ls = (await out('-ls', '/data')).split('\n');
    t.equal(ls[0], 'Found 6 items');
    t.match(ls[1], LS_LINE('-rw-r--r--', '2', 6, '/data/a.txt'));
    t.match(ls[3], LS_LINE('-rw-r--r--', '2', big.length, '/data/big.bin'));
    t.match(ls[4], LS_LINE('-rw-r--r--', '2', 11, '/data/stdin.txt'));
    t.match(ls[5], LS_LINE('drwxr-xr-x', '-', 0, '/data/sub'));
    t.same(ls.slice(1, 7).map((line) => line.slice(line.lastIndexOf(' ') + 1)), ['/data/a.txt', '/data/b.txt', '/data/big.bin', '/data/stdin.txt', '/data/sub', '/data/tree']);
    t.equal(await out('-ls', '-C', '/data/tree'), '/data/tree/inner\n/data/tree/one.txt\n', '-C prints paths only');
    t.equal(await out('-ls', '-d', '-C', '/data'), '/data\n');
    const recursive = await out('-ls', '-R', '-C', '/data/tree');
    t.equal(recursive, '/data/tree/inner\n/data/tree/inner/two.txt\n/data/tree/one.txt\n', '-R walks depth first, no "Found" lines');
    const bySize = (await out('-ls', '-S', '-C', '/data')).split('\n');
    t.equal(bySize[0], '/data/big.bin', '-S: largest first');
    t.equal((await out('-ls', '-S', '-r', '-C', '/data')).split('\n').filter(Boolean).at(-1), '/data/big.bin', '-r reverses');
    t.match(await out('-ls', '-h', '/data/big.bin'), / 160 K \d{4}-/, '-h prints Hadoop\'s "160 K" for an exact multiple');
    // Relative paths resolve under the home directory and print as typed.
    await out('-put', join(local, 'a.txt'), 'mine.txt');
    t.match(await out('-ls'), /^Found 1 items\n.* mine\.txt\n$/);
  });

  await t.test('globs expand as HDFS expands them', async (t) => {
    t.equal(await out('-ls', '-C', '/data/*.txt'), '/data/a.txt\n/data/b.txt\n/data/stdin.txt\n', '*');
    t.equal(await out('-ls', '-C', '/data/?.txt'), '/data/a.txt\n/data/b.txt\n', '?');
    t.equal(await out('-ls', '-C', '/data/[ab].txt'), '/data/a.txt\n/data/b.txt\n', '[ab]');
    t.equal(await out('-ls', '-C', '/data/[^a].txt'), '/data/b.txt\n', '[^a]');
    t.equal(await out('-ls', '-C', '/data/{b,a}.txt'), '/data/a.txt\n/data/b.txt\n', '{b,a} in listing order');
    t.equal(await out('-ls', '-d', '-C', '/data/{tree/one,sub}*'), '/data/tree/one.txt\n/data/sub\n', '{...} spanning a slash');
    t.equal(await out('-cat', '/data/*/one.txt'), '1\n', 'a glob in a middle component');
    await fails(['-ls', '/data/zz*'], "ls: `/data/zz*': No such file or directory");
    await fails(['-cat', '/nothing/*'], "cat: `/nothing/*': No such file or directory");
  });

  await t.test('-cat, -head, -tail, -text, -get, -copyToLocal, -getmerge', async (t) => {
    t.equal(md5((await dfs('-cat', '/data/big.bin')).stdout), md5(big));
    t.same((await dfs('-head', '/data/big.bin')).stdout, big.subarray(0, 1024), '-head: the first kilobyte');
    t.same((await dfs('-tail', '/data/big.bin')).stdout, big.subarray(big.length - 1024), '-tail: the last kilobyte');
    writeFileSync(join(local, 'z.gz'), gzipSync('compressed text\n'));
    await out('-put', join(local, 'z.gz'), '/data/sub/z.gz');
    t.equal(await out('-text', '/data/sub/z.gz'), 'compressed text\n', '-text decompresses gzip');
    t.equal(await out('-text', '/data/a.txt'), 'alpha\n');
    const got = join(local, 'got');
    mkdirSync(got);
    await out('-get', '/data/big.bin', '/data/tree', got);
    t.equal(md5(readFileSync(join(got, 'big.bin'))), md5(big));
    t.equal(readFileSync(join(got, 'tree/inner/two.txt'), 'utf8'), '22\n', 'directories come down recursively');
    await fails(['-get', '/data/a.txt', join(got, 'big.bin')], `get: \`${join(got, 'big.bin')}': File exists`);
    await out('-copyToLocal', '-f', '-p', '/data/a.txt', join(got, 'big.bin'));
    t.equal(readFileSync(join(got, 'big.bin'), 'utf8'), 'alpha\n', '-f overwrites');
    await out('-getmerge', '-nl', '/data/[ab].txt', join(local, 'merged.txt'));
    t.equal(readFileSync(join(local, 'merged.txt'), 'utf8'), 'alpha\n\nbravo\n\n');
    await fails(['-cat', '/data'], "cat: `/data': Is a directory");
    t.notOk(existsSync(join(got, 'a.txt._COPYING_')), 'no temporary file left');
  });

  await t.test('-cp, -mv, -moveFromLocal', async (t) => {
    await out('-cp', '/data/a.txt', '/data/c.txt');
    t.equal(await out('-cat', '/data/c.txt'), 'alpha\n');
    await fails(['-cp', '/data/a.txt', '/data/c.txt'], "cp: `/data/c.txt': File exists");
    await out('-cp', '-f', '/data/b.txt', '/data/c.txt');
    t.equal(await out('-cat', '/data/c.txt'), 'bravo\n');
    await out('-cp', '-p', '/data/tree', '/copy');
    t.equal(await out('-ls', '-R', '-C', '/copy'), '/copy/inner\n/copy/inner/two.txt\n/copy/one.txt\n');
    t.equal(await out('-stat', '%Y', '/copy/one.txt'), await out('-stat', '%Y', '/data/tree/one.txt'), '-p keeps times');
    await fails(['-cp', '/data/a.txt', '/data/b.txt', '/data/c.txt'], "cp: `/data/c.txt': Is not a directory");
    await out('-mv', '/data/c.txt', '/copy/c.txt');
    await out('-mv', '/copy/*.txt', '/data/sub');
    t.equal(await out('-ls', '-C', '/data/sub'), '/data/sub/c.txt\n/data/sub/one.txt\n/data/sub/z.gz\n');
    writeFileSync(join(local, 'moving.txt'), 'moving\n');
    await out('-moveFromLocal', join(local, 'moving.txt'), '/data/sub');
    t.notOk(existsSync(join(local, 'moving.txt')), 'the local source is gone');
    t.equal(await out('-cat', '/data/sub/moving.txt'), 'moving\n');
  });

  await t.test('-du, -df, -count layouts (FsUsage.TableBuilder, ContentSummary)', async (t) => {
    t.equal(
      await out('-du', '/data/tree'),
      '3  6  /data/tree/inner\n2  4  /data/tree/one.txt\n',
      'one row per child: size, size with replicas, path',
    );
    const header = 'DISK_SPACE_CONSUMED_WITH_ALL_REPLICAS';
    t.equal(await out('-du', '-s', '-v', '/data/tree'), `SIZE  ${header}  FULL_PATH_NAME\n${'5'.padEnd(4)}  ${'10'.padEnd(header.length)}  /data/tree\n`);
    t.match(await out('-du', '-s', '-h', '/data/big.bin'), /^160 K {2}320 K {2}\/data\/big\.bin\n$/);
    const df = (await out('-df', '-h')).split('\n');
    t.match(df[0], /^Filesystem +Size +Used +Available +Use%$/);
    t.match(df[1], new RegExp(`^${cluster.namenode.url} +[\\d.]+ [KMGT]? *[\\d.]+ ?[KMGT]? +[\\d.]+ ?[KMGT]? +\\d+%$`));
    t.equal(await out('-count', '/data/tree'), `${'2'.padStart(12)} ${'2'.padStart(12)} ${'5'.padStart(18)} /data/tree\n`);
    t.equal(
      await out('-count', '-q', '-v', '/data/tree'),
      `${'QUOTA'.padStart(12)} ${'REM_QUOTA'.padStart(15)} ${'SPACE_QUOTA'.padStart(15)} ${'REM_SPACE_QUOTA'.padStart(15)} ${'DIR_COUNT'.padStart(12)} ${'FILE_COUNT'.padStart(12)} ${'CONTENT_SIZE'.padStart(18)} PATHNAME\n` +
        `${'none'.padStart(12)} ${'inf'.padStart(15)} ${'none'.padStart(15)} ${'inf'.padStart(15)} ${'2'.padStart(12)} ${'2'.padStart(12)} ${'5'.padStart(18)} /data/tree\n`,
    );
    t.match(await out('-count', '-h', '/data/big.bin'), /^ +0 +1 +160 K \/data\/big\.bin\n$/);
  });

  await t.test('-stat, -test, -find, -checksum', async (t) => {
    t.equal(await out('-stat', '%F %a %A %b %n %r %o %u %g', '/data/a.txt'), `regular file 644 rw-r--r-- 6 a.txt 2 ${BLOCK_SIZE} ${USER} supergroup\n`);
    t.match(await out('-stat', '/data/a.txt'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/, 'default %y');
    for (const [flag, path, code] of [['-e', '/data', 0], ['-e', '/nope', 1], ['-d', '/data', 0], ['-d', '/data/a.txt', 1], ['-f', '/data/a.txt', 0], ['-s', '/data/a.txt', 0], ['-z', '/data/a.txt', 1], ['-w', '/data/a.txt', 0]] as const) {
      const run = await dfs('-test', flag, path);
      t.equal(run.code, code, `-test ${flag} ${path}`);
      t.equal(run.stdout.length + run.stderr.length, 0, '-test prints nothing');
    }
    t.equal(await out('-find', '/data/tree', '-name', '*.txt', '-print'), '/data/tree/inner/two.txt\n/data/tree/one.txt\n');
    t.equal(await out('-find', '/data/tree', '-iname', 'ONE*'), '/data/tree/one.txt\n');
    t.equal(await out('-find', '/data/tree'), '/data/tree\n/data/tree/inner\n/data/tree/inner/two.txt\n/data/tree/one.txt\n');
    const small = await out('-checksum', '/data/a.txt');
    t.match(small, /^\/data\/a\.txt\tMD5-of-0MD5-of-65536CRC32C\t000100000000000000000000[0-9a-f]{32}\n$/);
    t.match(await out('-checksum', '/data/big.bin'), /^\/data\/big\.bin\tMD5-of-1MD5-of-65536CRC32C\t000100000000000000000001[0-9a-f]{32}\n$/);
    t.equal((await out('-checksum', '/data/b.txt')) === small.replace('a.txt', 'b.txt'), false, 'different bytes, different checksum');
    await fails(['-checksum', '/data'], "checksum: `/data': Is a directory");
  });

  await t.test('-chmod (octal, symbolic), -chown, -chgrp, -touch, -touchz', async (t) => {
    await out('-chmod', '600', '/data/a.txt');
    await out('-chmod', '-R', 'go+w,u-x', '/data/tree');
    await out('-chmod', 'a+X,+t', '/data/sub');
    t.equal(await out('-stat', '%a', '/data/a.txt', '/data/tree', '/data/tree/one.txt', '/data/sub'), '600\n677\n666\n1755\n');
    await fails(['-chmod', 'q+z', '/data/a.txt'], "-chmod: chmod : mode 'q+z' does not match the expected pattern.");
    await out('-chgrp', '-R', 'staff', '/data/tree');
    await out('-chown', ':ops', '/data/b.txt');
    t.equal(await out('-stat', '%g', '/data/tree/inner/two.txt', '/data/b.txt'), 'staff\nops\n');
    await out('-touch', '-t', '20200102:030405', '/data/touched');
    t.equal(await out('-stat', '%b', '/data/touched'), '0\n');
    t.equal(Number(await out('-stat', '%Y', '/data/touched')), new Date(2020, 0, 2, 3, 4, 5).getTime());
    await out('-touch', '-a', '-t', '20210102:030405', '/data/touched');
    t.equal(Number(await out('-stat', '%X', '/data/touched')), new Date(2021, 0, 2, 3, 4, 5).getTime(), '-a changes the access time');
    t.equal(Number(await out('-stat', '%Y', '/data/touched')), new Date(2020, 0, 2, 3, 4, 5).getTime(), 'and only it');
    await out('-touch', '-c', '/data/never');
    t.equal((await dfs('-test', '-e', '/data/never')).code, 1, '-c creates nothing');
    await out('-touchz', '/data/empty');
    await fails(['-touchz', '/data/big.bin'], "touchz: `/data/big.bin': Not a zero-length file");
    await fails(['-touch', '-t', 'yesterday', '/data/x'], /^-touch: Unable to parse the specified timestamp yesterday\n/);
  });

  await t.test('-rm, -rmdir, trash and -expunge', async (t) => {
    await fails(['-rm', '/data/tree'], "rm: `/data/tree': Is a directory");
    t.equal(await out('-rm', '/data/empty'), 'Deleted /data/empty\n', 'trash is off by default');
    t.equal(await out('-rm', '-f', '/nope', '/nope*'), '', '-f: nothing to say about missing paths');
    const trashed = await out('-D', 'fs.trash.interval=60', '-rm', '/data/touched');
    t.equal(trashed, `Moved: '/data/touched' to trash at: ${HOME}/.Trash/Current\n`);
    t.equal((await dfs('-test', '-f', `${HOME}/.Trash/Current/data/touched`)).code, 0, 'the file is in the trash under its full path');
    t.equal(await out('-Dfs.trash.interval=60', '-rm', '-skipTrash', '/data/stdin.txt'), 'Deleted /data/stdin.txt\n');
    const expunge = await dfs('-D', 'fs.trash.interval=60', '-expunge');
    t.match(expunge.stderr, /Created trash checkpoint: \/user\/.*\/\.Trash\/\d{12}/);
    t.match(await out('-ls', '-C', `${HOME}/.Trash`), new RegExp(`^${HOME}/\\.Trash/\\d{12}\\n$`), 'Current became a checkpoint');
    await dfs('-D', 'fs.trash.interval=60', '-expunge', '-immediate');
    t.equal(await out('-ls', '-C', `${HOME}/.Trash`), '', '-immediate empties the trash');
    await fails(['-rmdir', '/data/tree'], "rmdir: `/data/tree': Directory is not empty");
    await out('-rmdir', '--ignore-fail-on-non-empty', '/data/tree');
    await fails(['-rmdir', '/data/a.txt'], "rmdir: `/data/a.txt': Is not a directory");
    await out('-mkdir', '/data/gone');
    await out('-rmdir', '/data/gone');
    t.equal(await out('-rm', '-r', '/data/tree*'), 'Deleted /data/tree\n');
  });

  await t.test('-appendToFile, -truncate, -concat', async (t) => {
    await out('-appendToFile', join(local, 'a.txt'), join(local, 'b.txt'), '/data/appended.txt');
    t.equal(await out('-cat', '/data/appended.txt'), 'alpha\nbravo\n', 'created, then both sources appended');
    t.equal((await cluster.dfs(['-appendToFile', '-', '/data/appended.txt'], Buffer.from('stdin\n'))).code, 0);
    t.equal(await out('-cat', '/data/appended.txt'), 'alpha\nbravo\nstdin\n', '- appends stdin');
    await fails(['-appendToFile', join(local, 'nope'), '/data/appended.txt'], `appendToFile: \`${join(local, 'nope')}': No such file or directory`);
    t.equal(await out('-truncate', '-w', '6', '/data/appended.txt'), 'Truncated /data/appended.txt to length: 6\n');
    t.equal(await out('-cat', '/data/appended.txt'), 'alpha\n');
    await fails(['-truncate', '6', '/data'], "truncate: `/data': Is a directory");
    // HDFS concat wants whole blocks before the last source's data.
    const whole = [randomBytes(BLOCK_SIZE), randomBytes(BLOCK_SIZE)];
    writeFileSync(join(local, 'whole0'), whole[0]);
    writeFileSync(join(local, 'whole1'), whole[1]);
    await out('-put', join(local, 'whole0'), '/data/target');
    await out('-put', join(local, 'whole1'), '/data/part2');
    await out('-cp', '/data/b.txt', '/data/part3');
    await fails(['-concat', '/data/appended.txt', '/data/part2'], /^concat: The last block in \/data\/appended\.txt is not full/);
    await out('-concat', '/data/target', '/data/part2', '/data/part3');
    t.equal(md5((await dfs('-cat', '/data/target')).stdout), md5(Buffer.concat([...whole, Buffer.from('bravo\n')])), 'blocks moved in order');
    t.equal((await dfs('-test', '-e', '/data/part2')).code, 1, 'the sources are gone');
  });

  await t.test('-tail -f follows a growing file', async (t) => {
    await out('-put', join(local, 'a.txt'), '/data/log.txt');
    const child = spawn(process.execPath, [CLI, '-tail', '-f', '-s', '200', '/data/log.txt'], { env: { ...process.env, DFS_NAMENODES: cluster.namenode.url } });
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    t.teardown(() => child.kill('SIGKILL'));
    await waitFor('the first tail', () => seen === 'alpha\n', 10_000);
    // Replacing the file with a longer one shows the new bytes past the old end.
    writeFileSync(join(local, 'longer.txt'), 'alpha\nmore\n');
    await out('-put', '-f', join(local, 'longer.txt'), '/data/log.txt');
    await waitFor('the appended bytes', () => seen === 'alpha\nmore\n', 10_000);
    t.pass('tail -f printed the new bytes');
  });

  await t.test('usage errors, -help, -usage, -fs', async (t) => {
    await fails(['-ls', '-z', '/'], '-ls: Illegal option -z');
    const usage = await dfs('-ls', '-z', '/');
    t.equal(usage.stderr.split('\n')[1], 'Usage: dfs [generic options] -ls [-C] [-d] [-h] [-q] [-R] [-t] [-S] [-r] [-u] [<path> ...]');
    await fails(['-mkdir'], '-mkdir: Not enough arguments: expected 1 but got 0');
    await fails(['-head', '/a', '/b'], '-head: Too many arguments: expected 1 but got 2');
    await fails(['-frobnicate'], '-frobnicate: Unknown command');
    t.equal(await out('-usage', 'du'), 'Usage: dfs [generic options] -du [-s] [-h] [-v] <path> ...\n');
    const help = await out('-help', 'rm');
    t.match(help, /^-rm \[-f\] \[-r\|-R\] \[-skipTrash\] <src> \.\.\. :\n {2}Delete all files/);
    const all = await out('-help');
    for (const command of ['appendToFile', 'cat', 'checksum', 'chgrp', 'chmod', 'chown', 'count', 'cp', 'df', 'du', 'expunge', 'find', 'get', 'getmerge', 'head', 'ls', 'mkdir', 'moveFromLocal', 'mv', 'put', 'rm', 'rmdir', 'setrep', 'stat', 'tail', 'test', 'text', 'touch', 'touchz', 'truncate', 'concat']) {
      if (!all.includes(`[-${command}`)) t.comment(`-help does not list -${command}`);
    }
    t.match(all, /\t\[-ls \[-C\]/);
    const viaFs = await runWithoutEnv(['-fs', cluster.namenode.url, '-ls', '-C', '/data/a.txt']);
    t.equal(viaFs.stdout, '/data/a.txt\n', '-fs names the namenode');
  });
});

t.test('a server that cannot start exits with status 1 and says why', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolveListen) => taken.listen(0, '127.0.0.1', resolveListen));
  t.teardown(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  const dir = temporaryDirectory('cli-port-taken');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = await runCli(['namenode', '--port', String(port), '--host', '127.0.0.1', '--data', join(dir, 'nn'), '--bootstrap'], []);
  t.equal(run.code, 1, 'exit status 1, not a process left running');
  t.match(run.stderr, /EADDRINUSE/, 'the error names the cause');
  t.notMatch(run.stderr, /sonic boom|\n\s+at /, 'and nothing else: no stack trace from the exit');
});

t.test('dfs cluster whose namenode cannot start fails at once, names the node and the cause, and stops the rest', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolveListen) => taken.listen(0, '127.0.0.1', resolveListen));
  t.teardown(() => taken.close());
  const namenodePort = (taken.address() as AddressInfo).port;
  const datanodePort = await freePort();
  const dir = temporaryDirectory('cli-cluster-port-taken');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const startedMs = Date.now();
  const run = await runCli(['cluster', '--data', dir, '--namenodes', '1', '--datanodes', '1', '--namenode-port', String(namenodePort), '--datanode-port', String(datanodePort)], []);
  t.equal(run.code, 1, 'exit status 1');
  t.match(run.stderr, /nn1 exited during start-up \(code 1\)/, 'the node that failed');
  t.match(run.stderr, /EADDRINUSE/, 'and why, from its log');
  t.ok(Date.now() - startedMs < 30_000, 'without waiting for the start-up deadline');
  t.notOk(await accepts(datanodePort), 'the datanode it had started is stopped');
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
  });
}

/** Runs the CLI with no DFS_NAMENODES in its environment. */
function runWithoutEnv(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.DFS_NAMENODES;
    const child = spawn(process.execPath, [CLI, ...args], { env });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout }));
  });
}
