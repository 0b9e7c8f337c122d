// WebHDFS against real processes: every op over plain HTTP with Hadoop's statuses and JSON
// (redirect dance and errors included), the `webhdfs` npm client driven unchanged, the curl
// examples of Hadoop's WebHDFS.md run as printed, and the namenode's proxy mode.

import t from 'tap';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import { crc32c } from '@node-rs/crc32';
import { NodeProcess, TestCluster, temporaryDirectory, waitFor } from './helpers/processes.js';

const BLOCK = 64 * 1024;
const SUPERUSER = userInfo().username;
const run = promisify(execFile);

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function http(method: string, url: string, body?: Buffer | string): Promise<Answer> {
  const response = await fetch(url, { method, body: body as BodyInit | undefined, redirect: 'manual' });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const remote = (exception: string, javaClassName: string, message: string) => ({ RemoteException: { exception, javaClassName, message } });

/** HDFS's MD5-of-MD5-of-CRC32C over 64 KiB chunks, computed locally for comparison. */
function expectedChecksum(data: Buffer, blockSize: number): string {
  const blockMd5s: Buffer[] = [];
  for (let b = 0; b < Math.max(1, Math.ceil(data.length / blockSize)); b++) {
    const block = data.subarray(b * blockSize, (b + 1) * blockSize);
    const crcs = Buffer.alloc(Math.ceil(block.length / BLOCK) * 4);
    for (let c = 0; c * BLOCK < block.length; c++) crcs.writeUInt32BE(crc32c(block.subarray(c * BLOCK, (c + 1) * BLOCK)), c * 4);
    blockMd5s.push(createHash('md5').update(crcs).digest());
  }
  const blocks = Math.ceil(data.length / blockSize);
  const out = Buffer.alloc(28);
  out.writeInt32BE(BLOCK, 0);
  out.writeBigInt64BE(BigInt(blocks > 1 ? blockSize / BLOCK : 0), 4);
  createHash('md5').update(Buffer.concat(blockMd5s)).digest().copy(out, 12);
  return out.toString('hex');
}

t.test('WebHDFS', async (t) => {
  const cluster = await TestCluster.start({ datanodes: 2, replication: 2, blockSize: BLOCK, heartbeatIntervalSeconds: 0.3 });
  t.teardown(() => cluster.stop());
  const nn = cluster.namenode.url;
  const url = (path: string, query: string) => `${nn}/webhdfs/v1${path}?${query}`;
  const asRoot = `user.name=${SUPERUSER}`;
  const datanodeUrls = cluster.datanodes.map((d) => d.url);
  await waitFor('the namespace', async () => (await http('GET', url('/', 'op=GETFILESTATUS'))).status === 200);

  /** CREATE (or APPEND) in two steps, checking the redirect on the way. */
  async function write(op: 'CREATE' | 'APPEND', path: string, data: Buffer, query = ''): Promise<Answer> {
    const first = await http(op === 'CREATE' ? 'PUT' : 'POST', url(path, `op=${op}${query}`));
    if (first.status !== 307) return first;
    return http(op === 'CREATE' ? 'PUT' : 'POST', first.headers.get('location')!, data);
  }
  async function read(path: string, query = ''): Promise<Answer & { bytes: Buffer }> {
    const first = await http('GET', url(path, `op=OPEN${query}`));
    if (first.status !== 307) return { ...first, bytes: Buffer.alloc(0) };
    const response = await fetch(first.headers.get('location')!);
    const bytes = Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, text: '', json: undefined, bytes };
  }

  await t.test('file and directory ops over plain HTTP', async (t) => {
    const root = await http('GET', url('/', 'op=GETFILESTATUS'));
    t.equal(root.status, 200);
    t.match(root.headers.get('content-type'), /^application\/json/);
    const rootStatus = (root.json as { FileStatus: Record<string, unknown> }).FileStatus;
    t.same(Object.keys(rootStatus), ['accessTime', 'blockSize', 'childrenNum', 'fileId', 'group', 'length', 'modificationTime', 'owner', 'pathSuffix', 'permission', 'replication', 'storagePolicy', 'type'], 'FileStatus has Hadoop\'s fields');
    t.match(rootStatus, { owner: SUPERUSER, group: 'supergroup', permission: '755', pathSuffix: '', type: 'DIRECTORY', length: 0, replication: 0, blockSize: 0, storagePolicy: 0 });

    // The default user (dr.who) may not write under the superuser's 755 root.
    const denied = await http('PUT', url('/w', 'op=MKDIRS'));
    t.equal(denied.status, 403);
    t.same(denied.json, remote('AccessControlException', 'org.apache.hadoop.security.AccessControlException', `Permission denied: user=dr.who, access=WRITE, inode="/":${SUPERUSER}:supergroup:drwxr-xr-x`));

    const mkdir = await http('PUT', url('/w', `op=mkdirs&permission=777&${asRoot}`));
    t.equal(mkdir.status, 200);
    t.same(mkdir.json, { boolean: true }, 'MKDIRS answers {"boolean": true}');
    t.same((await http('PUT', url('/w', `op=MKDIRS&${asRoot}`))).json, { boolean: true }, 'MKDIRS of an existing directory is still true');
    t.equal(((await http('GET', url('/w', 'op=GETFILESTATUS'))).json as { FileStatus: { permission: string } }).FileStatus.permission, '777');

    // CREATE, step 1: a redirect to a datanode, no file yet.
    const step1 = await http('PUT', url('/w/f.txt', 'op=CREATE&overwrite=false&blocksize=65536&replication=2&permission=640&buffersize=4096'));
    t.equal(step1.status, 307);
    t.equal(step1.headers.get('content-length'), '0');
    const location = new URL(step1.headers.get('location')!);
    t.ok(datanodeUrls.includes(location.origin), `redirected to a datanode (${location.origin})`);
    t.equal(location.pathname, '/webhdfs/v1/w/f.txt');
    t.equal(location.searchParams.get('op'), 'CREATE');
    t.equal(location.searchParams.get('namenoderpcaddress'), new URL(nn).host);
    t.equal((await http('GET', url('/w/f.txt', 'op=GETFILESTATUS'))).status, 404, 'step 1 creates nothing');
    const noredirect = await http('PUT', url('/w/f.txt', 'op=CREATE&noredirect=true'));
    t.equal(noredirect.status, 200);
    t.match(noredirect.json, { Location: /^http:\/\/127\.0\.0\.1:\d+\/webhdfs\/v1\/w\/f\.txt\?op=CREATE&/ });

    // A body sent straight to the namenode gets Hadoop's answer: the same redirect, nothing written.
    const direct = await http('PUT', url('/w/f.txt', 'op=CREATE'), 'data sent to the namenode');
    t.equal(direct.status, 307);
    t.equal((await http('GET', url('/w/f.txt', 'op=GETFILESTATUS'))).status, 404);

    // CREATE, step 2.
    const content = Buffer.from('Hello, webhdfs user!\n');
    const step2 = await http('PUT', location.toString(), content);
    t.equal(step2.status, 201);
    t.equal(step2.headers.get('location'), `webhdfs://${new URL(nn).host}/w/f.txt`);
    t.equal(step2.headers.get('content-length'), '0');
    const fileStatus = (await http('GET', url('/w/f.txt', 'op=GETFILESTATUS'))).json as { FileStatus: Record<string, unknown> };
    t.match(fileStatus.FileStatus, { owner: 'dr.who', group: 'supergroup', permission: '640', length: content.length, replication: 2, blockSize: BLOCK, type: 'FILE', pathSuffix: '', childrenNum: 0 });

    const again = await write('CREATE', '/w/f.txt', content);
    t.equal(again.status, 403);
    t.equal((again.json as { RemoteException: { exception: string } }).RemoteException.exception, 'FileAlreadyExistsException');

    // OPEN: redirect, then the bytes; offset and length.
    const open1 = await http('GET', url('/w/f.txt', 'op=OPEN'));
    t.equal(open1.status, 307);
    t.ok(datanodeUrls.includes(new URL(open1.headers.get('location')!).origin));
    const whole = await read('/w/f.txt');
    t.equal(whole.status, 200);
    t.equal(whole.headers.get('content-type'), 'application/octet-stream');
    t.equal(whole.headers.get('content-length'), String(content.length));
    t.same(whole.bytes, content);
    t.same((await read('/w/f.txt', '&offset=7&length=7')).bytes, content.subarray(7, 14), 'offset and length');
    t.same((await read('/w/f.txt', '&offset=7')).bytes, content.subarray(7));

    // A multi-block file, then APPEND continuing its partial last block and adding blocks.
    const big = randomBytes(BLOCK * 2 + 1000);
    t.equal((await write('CREATE', '/w/big.bin', big, '&overwrite=true')).status, 201);
    t.same((await read('/w/big.bin')).bytes, big);
    const more = randomBytes(BLOCK + 5000);
    const append1 = await http('POST', url('/w/big.bin', 'op=APPEND&buffersize=4096'));
    t.equal(append1.status, 307);
    const append2 = await http('POST', append1.headers.get('location')!, more);
    t.equal(append2.status, 200);
    t.equal(append2.headers.get('content-length'), '0');
    const appended = Buffer.concat([big, more]);
    t.same((await read('/w/big.bin')).bytes, appended, 'APPEND continues the last block and adds new ones');
    t.same((await read('/w/big.bin', `&offset=${BLOCK - 10}&length=${BLOCK + 20}`)).bytes, appended.subarray(BLOCK - 10, BLOCK * 2 + 10), 'a range across blocks');
    t.equal((await write('APPEND', '/w/none.bin', more)).status, 404, 'APPEND to a missing file');

    // GETFILECHECKSUM: redirect, then HDFS's MD5-of-MD5-of-CRC32C.
    const sum1 = await http('GET', url('/w/big.bin', 'op=GETFILECHECKSUM'));
    t.equal(sum1.status, 307);
    const sum2 = await http('GET', sum1.headers.get('location')!);
    t.same(sum2.json, { FileChecksum: { algorithm: 'MD5-of-1MD5-of-65536CRC32C', bytes: expectedChecksum(appended, BLOCK), length: 28 } });

    // Listings.
    t.equal((await http('PUT', url('/w/sub', 'op=MKDIRS&permission=755'))).status, 200);
    const list = (await http('GET', url('/w', 'op=LISTSTATUS'))).json as { FileStatuses: { FileStatus: Array<Record<string, unknown>> } };
    t.same(list.FileStatuses.FileStatus.map((s) => [s.pathSuffix, s.type]), [['big.bin', 'FILE'], ['f.txt', 'FILE'], ['sub', 'DIRECTORY']], 'sorted, with path suffixes');
    t.match(list.FileStatuses.FileStatus[0], { length: appended.length, owner: 'dr.who', permission: '644', replication: 2 });
    const listFile = (await http('GET', url('/w/f.txt', 'op=LISTSTATUS'))).json as { FileStatuses: { FileStatus: Array<Record<string, unknown>> } };
    t.match(listFile.FileStatuses.FileStatus, [{ pathSuffix: '', type: 'FILE', length: content.length }], 'LISTSTATUS of a file lists the file');
    const batch = (await http('GET', url('/w', 'op=LISTSTATUS_BATCH&startAfter=big.bin'))).json as {
      DirectoryListing: { partialListing: { FileStatuses: { FileStatus: Array<{ pathSuffix: string }> } }; remainingEntries: number };
    };
    t.same(batch.DirectoryListing.partialListing.FileStatuses.FileStatus.map((s) => s.pathSuffix), ['f.txt', 'sub']);
    t.equal(batch.DirectoryListing.remainingEntries, 0);

    t.same((await http('GET', url('/w', 'op=GETCONTENTSUMMARY'))).json, {
      ContentSummary: { directoryCount: 2, fileCount: 2, length: appended.length + content.length, quota: -1, spaceConsumed: 2 * (appended.length + content.length), spaceQuota: -1 },
    });
    t.same((await http('GET', url('/', 'op=GETHOMEDIRECTORY&user.name=alice'))).json, { Path: '/user/alice' });
    t.same((await http('GET', url('/', 'op=GETHOMEDIRECTORY'))).json, { Path: '/user/dr.who' });
    t.same((await http('GET', url('/w', 'op=GETTRASHROOT&user.name=alice'))).json, { Path: '/user/alice/.Trash' });

    const locations = (await http('GET', url('/w/big.bin', 'op=GETFILEBLOCKLOCATIONS'))).json as { BlockLocations: { BlockLocation: Array<Record<string, unknown>> } };
    t.same(locations.BlockLocations.BlockLocation.map((b) => [b.offset, b.length]), [[0, BLOCK], [BLOCK, BLOCK], [2 * BLOCK, BLOCK], [3 * BLOCK, appended.length - 3 * BLOCK]]);
    t.match(locations.BlockLocations.BlockLocation[0], { cachedHosts: [], corrupt: false, hosts: ['127.0.0.1', '127.0.0.1'], storageTypes: ['DISK', 'DISK'], topologyPaths: [/^\/default-rack\/127\.0\.0\.1:\d+$/, /./] });
    const located = (await http('GET', url('/w/big.bin', `op=GET_BLOCK_LOCATIONS&offset=${BLOCK}&length=1`))).json as { LocatedBlocks: Record<string, unknown> & { locatedBlocks: Array<Record<string, unknown>> } };
    t.match(located.LocatedBlocks, { fileLength: appended.length, isUnderConstruction: false, isLastBlockComplete: true });
    t.match(located.LocatedBlocks.locatedBlocks, [{ startOffset: BLOCK, isCorrupt: false, block: { numBytes: BLOCK, blockId: Number, generationStamp: Number } }]);

    // Attributes.
    t.same((await http('PUT', url('/w/f.txt', 'op=SETREPLICATION&replication=1'))).json, { boolean: true });
    t.same((await http('PUT', url('/w/sub', 'op=SETREPLICATION&replication=1'))).json, { boolean: false }, 'not on a directory');
    const chmod = await http('PUT', url('/w/f.txt', 'op=SETPERMISSION&permission=600'));
    t.equal(chmod.status, 200);
    t.equal(chmod.text, '');
    t.equal((await http('PUT', url('/w/f.txt', 'op=SETOWNER&owner=alice&group=staff'))).status, 403, 'only the superuser gives files away');
    t.equal((await http('PUT', url('/w/f.txt', 'op=SETOWNER&group=staff'))).status, 200, 'the owner may change the group');
    t.same((await http('PUT', url('/w/f.txt', 'op=SETOWNER'))).json, remote('IllegalArgumentException', 'java.lang.IllegalArgumentException', 'Both owner and group are empty.'));
    t.equal((await http('PUT', url('/w/f.txt', `op=SETOWNER&owner=alice&${asRoot}`))).status, 200);
    t.equal((await http('PUT', url('/w/f.txt', 'op=SETTIMES&modificationtime=1000&accesstime=2000&user.name=alice'))).status, 200);
    t.match(((await http('GET', url('/w/f.txt', 'op=GETFILESTATUS'))).json as { FileStatus: unknown }).FileStatus, {
      owner: 'alice', group: 'staff', permission: '600', replication: 1, modificationTime: 1000, accessTime: 2000,
    });
    // Owners and modes are enforced: dr.who cannot read alice's 600 file, alice can.
    const forbidden = await http('GET', url('/w/f.txt', 'op=OPEN'));
    t.equal(forbidden.status, 403);
    t.match((forbidden.json as { RemoteException: { message: string } }).RemoteException.message, 'Permission denied: user=dr.who, access=READ, inode="/w/f.txt":alice:staff:-rw-------');
    t.same((await read('/w/f.txt', '&user.name=alice')).bytes, content);
    t.equal((await http('PUT', url('/w/sub', `op=SETPERMISSION&permission=711&${asRoot}`))).status, 200);
    t.equal((await http('PUT', url('/w/sub', `op=SETOWNER&owner=${SUPERUSER}&${asRoot}`))).status, 200);
    t.equal((await http('GET', url('/w/sub', 'op=LISTSTATUS'))).status, 403, 'listing needs READ and EXECUTE');
    t.equal((await http('GET', url('/w/sub', 'op=GETFILESTATUS'))).status, 200, 'a status needs only traversal');

    // Rename, concat, truncate, delete.
    t.same((await http('PUT', url('/w/big.bin', 'op=RENAME&destination=/w/big2.bin'))).json, { boolean: true });
    t.same((await http('PUT', url('/w/missing', 'op=RENAME&destination=/w/x'))).json, { boolean: false }, 'HDFS rename answers false');
    t.same((await http('PUT', url('/w/big2.bin', 'op=RENAME'))).json, remote('IllegalArgumentException', 'java.lang.IllegalArgumentException', 'Invalid value for webhdfs parameter "destination": null'));
    const partA = randomBytes(BLOCK);
    const partB = randomBytes(BLOCK + 123);
    const partC = randomBytes(77);
    await write('CREATE', '/w/a', partA);
    await write('CREATE', '/w/b', partB);
    await write('CREATE', '/w/c', partC);
    t.equal((await http('POST', url('/w/a', 'op=CONCAT&sources=/w/c,/w/b'))).status, 400, 'only the last source may end in a partial block');
    t.equal((await http('POST', url('/w/a', 'op=CONCAT&sources=/w/sub/x'))).status, 400, 'sources must be in the target directory');
    const concat = await http('POST', url('/w/a', 'op=CONCAT&sources=/w/b,/w/c'));
    t.equal(concat.status, 400, 'the last block of b is partial, so b must come last');
    const concatOk = await http('POST', url('/w/a', 'op=CONCAT&sources=/w/c'));
    t.equal(concatOk.status, 200);
    t.equal(concatOk.text, '');
    t.same((await read('/w/a')).bytes, Buffer.concat([partA, partC]));
    t.equal((await http('GET', url('/w/c', 'op=GETFILESTATUS'))).status, 404, 'sources are gone');

    const truncateLarger = await http('POST', url('/w/b', 'op=TRUNCATE&newlength=999999'));
    t.equal(truncateLarger.status, 400);
    t.same((await http('POST', url('/w/b', `op=TRUNCATE&newlength=${BLOCK}`))).json, { boolean: true }, 'on a block boundary');
    t.same((await read('/w/b')).bytes, partB.subarray(0, BLOCK));
    t.same((await http('POST', url('/w/b', 'op=TRUNCATE&newlength=1000'))).json, { boolean: true }, 'inside a block');
    t.same((await read('/w/b')).bytes, partB.subarray(0, 1000));
    t.equal(((await http('GET', url('/w/b', 'op=GETFILESTATUS'))).json as { FileStatus: { length: number } }).FileStatus.length, 1000);
    t.equal((await write('APPEND', '/w/b', partC)).status, 200, 'a truncated file takes appends');
    t.same((await read('/w/b')).bytes, Buffer.concat([partB.subarray(0, 1000), partC]));

    const notEmpty = await http('DELETE', url('/w', `op=DELETE&${asRoot}`));
    t.equal(notEmpty.status, 403);
    t.equal((notEmpty.json as { RemoteException: { exception: string } }).RemoteException.exception, 'PathIsNotEmptyDirectoryException');
    t.same((await http('DELETE', url('/w/nope', 'op=DELETE'))).json, { boolean: false });
    t.same((await http('DELETE', url('/w/b', 'op=DELETE&recursive=false'))).json, { boolean: true });
    t.equal((await http('GET', url('/w/b', 'op=GETFILESTATUS'))).status, 404);
  });

  await t.test('errors read as Hadoop writes them', async (t) => {
    const missing = await http('GET', url('/no/such', 'op=GETFILESTATUS'));
    t.equal(missing.status, 404);
    t.same(missing.json, remote('FileNotFoundException', 'java.io.FileNotFoundException', 'File does not exist: /no/such'));
    t.same((await http('GET', url('/', 'op=NOSUCHOP'))).json, remote('IllegalArgumentException', 'java.lang.IllegalArgumentException', 'Invalid value for webhdfs parameter "op": No enum constant org.apache.hadoop.hdfs.web.resources.GetOpParam.Op.NOSUCHOP'));
    const wrongMethod = await http('GET', url('/x', 'op=MKDIRS'));
    t.equal(wrongMethod.status, 400, 'an op under the wrong HTTP method is unknown');
    t.match(wrongMethod.json, { RemoteException: { message: /GetOpParam\.Op\.MKDIRS/ } });
    t.equal((await http('PUT', url('/', 'op=MKDIRS&permission=999'))).status, 400);
    t.match((await http('PUT', url('/', 'op=MKDIRS&permission=999'))).json, { RemoteException: { exception: 'IllegalArgumentException', message: /^Invalid value for webhdfs parameter "permission"/ } });
    t.equal((await http('GET', url('/', 'op=LISTSTATUS&recursive=maybe'))).status, 400, 'malformed booleans are refused');
    t.equal((await http('GET', url('/', 'op=GETFILESTATUS&foo=bar&overwrite=true&permission=0755'))).status, 200, 'parameters an op does not use are tolerated');
    t.equal((await http('GET', `${nn}/webhdfs/v1?OP=GetFileStatus`)).status, 200, 'names and ops are case-insensitive; the bare prefix is /');
    t.equal((await http('GET', url('/', 'op=GETFILESTATUS&user.name=bad%20name'))).status, 400);
    const datanode = datanodeUrls[0];
    const onDatanode = await http('GET', `${datanode}/webhdfs/v1/?op=GETFILESTATUS&namenoderpcaddress=${new URL(nn).host}`);
    t.same(onDatanode.json, remote('UnsupportedOperationException', 'java.lang.UnsupportedOperationException', 'GETFILESTATUS is not supported'));
    t.same((await http('GET', `${datanode}/webhdfs/v1/w/a?op=OPEN`)).json, remote('IllegalArgumentException', 'java.lang.IllegalArgumentException', 'namenoderpcaddress is not specified.'));
  });

  await t.test('the webhdfs npm client works unchanged', async (t) => {
    t.equal((await http('PUT', url('/npm', `op=MKDIRS&${asRoot}`))).status, 200);
    t.equal((await http('PUT', url('/npm', `op=SETOWNER&owner=tester&${asRoot}`))).status, 200);
    const require = createRequire(import.meta.url);
    const WebHDFS = require('webhdfs') as { createClient(options: Record<string, unknown>): Record<string, (...args: unknown[]) => unknown> };
    const { hostname, port } = new URL(nn);
    const hdfs = WebHDFS.createClient({ user: 'tester', host: hostname, port, path: '/webhdfs/v1' });
    const call = <T>(method: string, ...args: unknown[]) =>
      new Promise<T>((resolve, reject) => hdfs[method](...args, (error: Error | null, value: T) => (error ? reject(error) : resolve(value))));
    await call('mkdir', '/npm/dir');
    const data = randomBytes(BLOCK + 4321);
    await call('writeFile', '/npm/dir/file.bin', data);
    const extra = Buffer.from('appended by the npm client\n');
    await call('appendFile', '/npm/dir/file.bin', extra);
    const back = await call<Buffer>('readFile', '/npm/dir/file.bin');
    t.same(back, Buffer.concat([data, extra]), 'write, append, read');
    const status = await call<{ length: number; owner: string; type: string }>('stat', '/npm/dir/file.bin');
    t.match(status, { length: data.length + extra.length, owner: 'tester', type: 'FILE' });
    await call('rename', '/npm/dir/file.bin', '/npm/dir/renamed.bin');
    const listing = await call<Array<{ pathSuffix: string }>>('readdir', '/npm/dir');
    t.same(listing.map((s) => s.pathSuffix), ['renamed.bin']);
    await call('unlink', '/npm/dir', true);
    t.same(await call<unknown[]>('readdir', '/npm'), [], 'deleted');
    const error = await call('readFile', '/npm/missing').then(() => null, (e: Error) => e);
    t.match(error?.message, /\/npm\/missing does not exist/, 'errors carry the RemoteException message');
    const denied = await call('mkdir', '/not-mine').then(() => null, (e: Error) => e);
    t.match(denied?.message, /^Permission denied: user=tester, access=WRITE/);
  });

  await t.test("the curl examples of Hadoop's WebHDFS.md", async (t) => {
    t.equal((await http('PUT', url('/curl', `op=MKDIRS&permission=777&${asRoot}`))).status, 200);
    const dir = temporaryDirectory('curl');
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const localFile = join(dir, 'hello.txt');
    writeFileSync(localFile, 'Hello, webhdfs user!\n');
    const HOST = '127.0.0.1';
    const PORT = new URL(nn).port;
    /** Runs a documented command line with <HOST>, <PORT>, <PATH>... substituted; parses the last response. */
    const curl = async (commandLine: string, values: Record<string, string>) => {
      let line = commandLine.replace(/<HOST>/g, HOST).replace(/<PORT>/g, PORT);
      for (const [name, value] of Object.entries(values)) line = line.replaceAll(`<${name}>`, value);
      const args = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(1);
      const { stdout } = await run('curl', ['-s', ...args], { encoding: 'buffer' });
      const text = stdout.toString('latin1');
      const responses = text.split(/(?=^HTTP\/1\.1 \d{3})/m).filter((r) => !/^HTTP\/1\.1 100/.test(r));
      const last = responses[responses.length - 1];
      const [head, ...rest] = last.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(headerLines.map((h) => [h.slice(0, h.indexOf(':')).toLowerCase(), h.slice(h.indexOf(':') + 1).trim()]));
      const body = rest.join('\r\n\r\n');
      let json: unknown;
      if (headers['content-type']?.startsWith('application/json')) json = JSON.parse(body);
      return { status: Number(statusLine.split(' ')[1]), headers, body, json, count: responses.length };
    };

    // Create and Write to a File: step 1, then step 2 on the Location.
    const create1 = await curl('curl -i -X PUT "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=CREATE"', { PATH: 'curl/hello.txt' });
    t.equal(create1.status, 307);
    t.equal(create1.headers['content-length'], '0');
    t.match(create1.headers.location, /^http:\/\/127\.0\.0\.1:\d+\/webhdfs\/v1\/curl\/hello\.txt\?op=CREATE/);
    const create1n = await curl('curl -i -X PUT "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=CREATE&noredirect=true"', { PATH: 'curl/hello.txt' });
    t.equal(create1n.status, 200);
    t.match(create1n.json, { Location: /\/webhdfs\/v1\/curl\/hello\.txt\?op=CREATE/ });
    const create2 = await curl('curl -i -X PUT -T <LOCAL_FILE> "<LOCATION>"', { LOCAL_FILE: localFile, LOCATION: create1.headers.location });
    t.equal(create2.status, 201);
    t.equal(create2.headers.location, `webhdfs://${HOST}:${PORT}/curl/hello.txt`);
    t.equal(create2.headers['content-length'], '0');

    // Append to a File.
    const append1 = await curl('curl -i -X POST "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=APPEND"', { PATH: 'curl/hello.txt' });
    t.equal(append1.status, 307);
    const append2 = await curl('curl -i -X POST -T <LOCAL_FILE> "<LOCATION>"', { LOCAL_FILE: localFile, LOCATION: append1.headers.location });
    t.equal(append2.status, 200);
    t.equal(append2.headers['content-length'], '0');

    // Open and Read a File (following the redirect).
    const open = await curl('curl -i -L "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=OPEN"', { PATH: 'curl/hello.txt' });
    t.equal(open.count, 2, 'a redirect, then the data');
    t.equal(open.status, 200);
    t.equal(open.headers['content-type'], 'application/octet-stream');
    t.equal(open.body, 'Hello, webhdfs user!\n'.repeat(2));
    t.equal(open.headers['content-length'], '42');

    const mkdirs = await curl('curl -i -X PUT "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=MKDIRS&permission=711"', { PATH: 'curl/foo2' });
    t.equal(mkdirs.status, 200);
    t.same(mkdirs.json, { boolean: true });
    const rename = await curl('curl -i -X PUT "<HOST>:<PORT>/webhdfs/v1/<PATH>?op=RENAME&destination=<DEST>"', { PATH: 'curl/foo2', DEST: '/curl/foo3' });
    t.same(rename.json, { boolean: true });
    const status = await curl('curl -i  "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=GETFILESTATUS"', { PATH: 'curl/foo3' });
    t.match(status.json, { FileStatus: { pathSuffix: '', permission: '711', type: 'DIRECTORY', owner: 'dr.who' } });
    const list = await curl('curl -i  "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=LISTSTATUS"', { PATH: 'curl' });
    t.same((list.json as { FileStatuses: { FileStatus: Array<{ pathSuffix: string }> } }).FileStatuses.FileStatus.map((s) => s.pathSuffix), ['foo3', 'hello.txt']);
    const batch = await curl('curl -i  "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=LISTSTATUS_BATCH&startAfter=<CHILD>"', { PATH: 'curl', CHILD: 'foo3' });
    t.match(batch.json, { DirectoryListing: { partialListing: { FileStatuses: { FileStatus: [{ pathSuffix: 'hello.txt' }] } }, remainingEntries: 0 } });
    const summary = await curl('curl -i "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=GETCONTENTSUMMARY"', { PATH: 'curl' });
    t.same(summary.json, { ContentSummary: { directoryCount: 2, fileCount: 1, length: 42, quota: -1, spaceConsumed: 84, spaceQuota: -1 } });
    const checksum = await curl('curl -i "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=GETFILECHECKSUM"', { PATH: 'curl/hello.txt' });
    t.equal(checksum.status, 307, 'usually redirected to a datanode');
    const checksumFollowed = await curl('curl -i -L "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=GETFILECHECKSUM"', { PATH: 'curl/hello.txt' });
    t.same(checksumFollowed.json, { FileChecksum: { algorithm: 'MD5-of-0MD5-of-65536CRC32C', bytes: expectedChecksum(Buffer.from('Hello, webhdfs user!\n'.repeat(2)), BLOCK), length: 28 } });
    t.same((await curl('curl -i "http://<HOST>:<PORT>/webhdfs/v1/?op=GETHOMEDIRECTORY"', {})).json, { Path: '/user/dr.who' });
    t.same((await curl('curl -i "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=GETTRASHROOT"', { PATH: 'curl' })).json, { Path: '/user/dr.who/.Trash' });
    const auth = await curl('curl -i "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?user.name=<USER>&op=GETHOMEDIRECTORY"', { PATH: 'curl', USER: 'webuser' });
    t.same(auth.json, { Path: '/user/webuser' }, 'authentication when security is off');
    for (const [line, values] of [
      ['curl -i -X PUT "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=SETPERMISSION&permission=<OCTAL>"', { OCTAL: '640' }],
      ['curl -i -X PUT "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=SETOWNER&group=<GROUP>"', { GROUP: 'staff' }],
      ['curl -i -X PUT "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=SETTIMES&modificationtime=<TIME>&accesstime=<TIME>"', { TIME: '1320173277227' }],
    ] as const) {
      const answer = await curl(line, { PATH: 'curl/hello.txt', ...values });
      t.equal(answer.status, 200, line);
      t.equal(answer.headers['content-length'], '0', `${line}: zero content length`);
    }
    t.same((await curl('curl -i -X PUT "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=SETREPLICATION&replication=<SHORT>"', { PATH: 'curl/hello.txt', SHORT: '1' })).json, { boolean: true });
    t.match((await curl('curl -i  "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=GETFILESTATUS"', { PATH: 'curl/hello.txt' })).json, {
      FileStatus: { permission: '640', group: 'staff', replication: 1, modificationTime: 1320173277227, accessTime: 1320173277227 },
    });
    const blocks = await curl('curl -i "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=GETFILEBLOCKLOCATIONS"', { PATH: 'curl/hello.txt' });
    t.match(blocks.json, { BlockLocations: { BlockLocation: [{ offset: 0, length: 42, corrupt: false }] } });

    await curl('curl -i -X PUT -L -T <LOCAL_FILE> "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=CREATE"', { LOCAL_FILE: localFile, PATH: 'curl/more.txt' });
    const concat = await curl('curl -i -X POST "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=CONCAT&sources=<PATHS>"', { PATH: 'curl/foo3', PATHS: '/curl/more.txt' });
    t.equal(concat.status, 400, 'the target must be a file');
    const truncate = await curl('curl -i -X POST "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=TRUNCATE&newlength=<LONG>"', { PATH: 'curl/more.txt', LONG: '5' });
    t.same(truncate.json, { boolean: true });
    t.equal((await curl('curl -i -L "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=OPEN"', { PATH: 'curl/more.txt' })).body, 'Hello');
    const del = await curl('curl -i -X DELETE "http://<host>:<port>/webhdfs/v1/<path>?op=DELETE&recursive=<BOOL>"', { host: HOST, port: PORT, path: 'curl/foo3', BOOL: 'true' });
    t.same(del.json, { boolean: true });
    const notFound = await curl('curl -i  "http://<HOST>:<PORT>/webhdfs/v1/<PATH>?op=GETFILESTATUS"', { PATH: 'curl/foo3' });
    t.equal(notFound.status, 404);
    t.same(notFound.json, remote('FileNotFoundException', 'java.io.FileNotFoundException', 'File does not exist: /curl/foo3'));
  });
});

t.test('proxy mode: the namenode streams the data itself (HttpFS style)', async (t) => {
  const root = temporaryDirectory('webhdfs-proxy');
  const namenode = new NodeProcess('nn-proxy', 'namenode', join(root, 'nn'), () => ['--webhdfs-proxy', '--block-size', String(BLOCK), '--replication', '1', '--heartbeat-interval', '0.3']);
  const datanode = new NodeProcess('dn-proxy', 'datanode', join(root, 'dn'), () => ['--namenodes', namenode.url, '--heartbeat-interval', '0.3']);
  t.teardown(async () => {
    await Promise.all([datanode.stop('SIGKILL'), namenode.stop('SIGKILL')]);
    rmSync(root, { recursive: true, force: true });
  });
  await namenode.start();
  await datanode.start();
  const url = (path: string, query: string) => `${namenode.url}/webhdfs/v1${path}?${query}`;
  await waitFor('a live datanode', async () => {
    const report = (await (await fetch(`${namenode.url}/rpc/v1/admin/report`)).json()) as { totals: { live: number } };
    return report.totals.live >= 1;
  });
  await waitFor('the namespace', async () => (await http('PUT', url('/p', `op=MKDIRS&permission=777&user.name=${SUPERUSER}`))).status === 200);

  const create1 = await http('PUT', url('/p/f', 'op=CREATE'));
  t.equal(create1.status, 307);
  const location = new URL(create1.headers.get('location')!);
  t.equal(location.origin, namenode.url, 'redirected to the namenode itself');
  t.equal(location.searchParams.get('data'), 'true');
  const data = randomBytes(BLOCK * 2 + 10);
  t.equal((await http('PUT', location.toString(), data)).status, 201);
  const append1 = await http('POST', url('/p/f', 'op=APPEND'));
  t.equal(new URL(append1.headers.get('location')!).origin, namenode.url);
  t.equal((await http('POST', append1.headers.get('location')!, Buffer.from('tail'))).status, 200);
  const open = await fetch(url('/p/f', 'op=OPEN&offset=5'), { redirect: 'manual' });
  t.equal(open.status, 200, 'OPEN answers the data, no redirect');
  t.same(Buffer.from(await open.arrayBuffer()), Buffer.concat([data, Buffer.from('tail')]).subarray(5));
  const checksum = await http('GET', url('/p/f', 'op=GETFILECHECKSUM'));
  t.equal(checksum.status, 200);
  t.same(checksum.json, { FileChecksum: { algorithm: 'MD5-of-1MD5-of-65536CRC32C', bytes: expectedChecksum(Buffer.concat([data, Buffer.from('tail')]), BLOCK), length: 28 } });
});
