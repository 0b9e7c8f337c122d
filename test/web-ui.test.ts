// The web UIs in a real headless browser (Debian's chromium driven by playwright-core) against a real
// cluster: three namenodes, three datanodes. The overview's figures must be those `dfs dfsadmin
// -report` prints and follow the cluster without a reload; the file browser must list, show block
// locations, download identical bytes, and mkdir/upload exactly when the user has the right; a
// file name made of HTML must stay text; each datanode page must show its volumes and blocks. On a
// cluster requiring tokens, the file browser works with the token typed in its header, and only then.

import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RaftTestCluster } from './helpers/raft-cluster.js';
import { TestCluster, runCli, waitFor, type NodeProcess } from './helpers/processes.js';
import { TransferRegistry } from '../datanode/transfers.js';
import { DfsClient } from '../client/dfs-client.js';
import { peerHeaders } from '../shared/peer-auth.js';

const CHROMIUM = '/usr/bin/chromium';
const BLOCK_SIZE = 64 * 1024;
/** A cap keeps capacity and remaining still while other programs write to the same disk. */
const DATANODE_CAPACITY = '256m';
const UI_DEADLINE_MS = 30_000;
const XSS_NAME = '<img src=x onerror=alert(1)>.txt';
const SKIP_WITHOUT_CHROMIUM = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser tests`;

t.test('transfer registry: counts and lists what runs, each end counted once', async (t) => {
  let now = 1_000;
  const registry = new TransferRegistry(() => now);
  const endWrite = registry.begin('write', { blockId: 7, genStamp: 1001, targets: ['http://dn2'] });
  now = 1_500;
  const endRead = registry.begin('read', { path: '/a' });
  t.same([registry.reads, registry.writes, registry.replications], [1, 1, 0]);
  t.same(
    registry.list().map((x) => [x.type, x.blockId, x.path, x.startedAtMs]),
    [
      ['write', 7, undefined, 1_000],
      ['read', undefined, '/a', 1_500],
    ],
  );
  endWrite();
  endWrite();
  t.same([registry.reads, registry.writes], [1, 0], 'a second end of the same transfer changes nothing');
  endRead();
  t.same(registry.list(), []);
});

interface ReportFigures {
  capacity: number;
  used: number;
  remaining: number;
  live: number;
  blocks: number;
  underReplicated: number;
  corrupt: number;
  missing: number;
  usedPercent: string;
  terms: number[];
  roles: string[];
}

/** The figures `dfs dfsadmin -report` prints, read back from its text. */
async function dfsadminReport(namenodes: string[]): Promise<ReportFigures> {
  const run = await runCli(['dfsadmin', '-report'], namenodes);
  if (run.code !== 0) throw new Error(`dfsadmin -report failed: ${run.stderr}`);
  const text = run.stdout.toString();
  const number = (pattern: RegExp) => {
    const match = pattern.exec(text);
    if (!match) throw new Error(`dfsadmin -report has no ${pattern}:\n${text}`);
    return Number(match[1]);
  };
  return {
    capacity: number(/^Configured Capacity: (\d+)$/m),
    used: number(/^DFS Used: (\d+)$/m),
    remaining: number(/^DFS Remaining: (\d+)$/m),
    live: number(/^Live datanodes \((\d+)\):$/m),
    blocks: number(/^\tTotal blocks: (\d+)$/m),
    underReplicated: number(/^\tUnder replicated blocks: (\d+)$/m),
    corrupt: number(/^\tCorrupt blocks: (\d+)$/m),
    missing: number(/^\tMissing blocks: (\d+)$/m),
    usedPercent: /^DFS Used%: ([\d.]+)%$/m.exec(text)?.[1] ?? 'none',
    terms: [...text.matchAll(/^Term: (\d+)$/gm)].map((m) => Number(m[1])),
    roles: [...text.matchAll(/^Role: (\S+)$/gm)].map((m) => m[1]).sort(),
  };
}

/** The figures the overview shows (the exact numbers ride in data-value). */
async function overviewFigures(page: Page): Promise<Omit<ReportFigures, 'terms' | 'roles' | 'usedPercent'> & { dead: number }> {
  const value = async (field: string) => Number(await page.locator(`[data-field="${field}"]`).getAttribute('data-value', { timeout: 5_000 }));
  return {
    capacity: await value('capacity'),
    used: await value('used'),
    remaining: await value('remaining'),
    live: (await value('datanodes-live')) + (await value('datanodes-stale')),
    dead: await value('datanodes-dead'),
    blocks: await value('blocks'),
    underReplicated: await value('under-replicated'),
    corrupt: await value('corrupt'),
    missing: await value('missing'),
  };
}

/** Rows of a table as cell texts. */
async function rows(page: Page, selector: string): Promise<string[][]> {
  return page.locator(`${selector} tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}

/** Waits for `selector` (with `text`, if given); a timeout tells what the page showed instead. */
async function shows(page: Page, selector: string, text?: string): Promise<void> {
  try {
    await page.locator(selector, text === undefined ? {} : { hasText: text }).first().waitFor({ timeout: UI_DEADLINE_MS });
  } catch (error) {
    const shown = await page.locator('main').innerText().catch(() => '(no page)');
    throw new Error(`${selector}${text === undefined ? '' : ` with "${text}"`} did not show up (${(error as Error).message.split('\n')[0]}); the page shows:\n${shown}`);
  }
}

/** Sets the user the file browser acts as. */
async function actAs(page: Page, user: string): Promise<void> {
  await page.fill('#user', user);
  await page.locator('#user').dispatchEvent('change');
}

t.test('web UI in a real browser', { skip: SKIP_WITHOUT_CHROMIUM }, async (t) => {
  const cluster = await RaftTestCluster.start({
    blockSize: BLOCK_SIZE,
    replication: 2,
    namenodeArgs: ['--dead-after', '4'],
    datanodeArgs: ['--capacity', DATANODE_CAPACITY],
  });
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
  t.teardown(async () => {
    await browser.close();
    await cluster.stop();
  });
  const urls = cluster.urls;
  const admin = cluster.client();
  const sample = randomBytes(3 * BLOCK_SIZE + 1234);
  await admin.mkdir('/user/alice', { recursive: true });
  await admin.chown('/user/alice', 'alice', 'alice');
  await admin.mkdir('/data', { recursive: true });
  await admin.writeFile('/data/sample.bin', sample);
  await admin.writeFile(`/data/${XSS_NAME}`, 'not markup\n');
  await admin.close();

  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  /** Failed requests the browser logs while a test expects a refusal. */
  let expectedRefusal: RegExp | undefined;
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (expectedRefusal && expectedRefusal.test(message.text())) return;
    problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  const nn1 = urls[0];

  await t.test('the overview shows what dfsadmin -report prints', async (t) => {
    await page.goto(`${nn1}/`);
    await shows(page, '[data-field="cluster-id"]');
    t.equal(await page.locator('[data-field="cluster-id"]').textContent(), 'dfs-local');
    t.match(await page.locator('[data-field="version"]').textContent(), /^\d+\.\d+\.\d+/);
    const cli = await dfsadminReport(urls);
    t.equal(cli.live, 3, 'dfsadmin counts three datanodes');
    const wanted = { capacity: cli.capacity, used: cli.used, remaining: cli.remaining, live: cli.live, dead: 0, blocks: cli.blocks, underReplicated: cli.underReplicated, corrupt: cli.corrupt, missing: cli.missing };
    // The page refreshes on its own; the same figures must show up within the deadline.
    const shown = await waitFor('the overview to show the figures of dfsadmin -report', async () => {
      const figures = await overviewFigures(page);
      return JSON.stringify(figures) === JSON.stringify(wanted) ? figures : null;
    }, UI_DEADLINE_MS, 200).catch(async (error: Error) => {
      t.fail(`${error.message}: page ${JSON.stringify(await overviewFigures(page))}, dfsadmin ${JSON.stringify(wanted)}`);
      return null;
    });
    t.ok(shown, 'capacity, used, remaining, datanodes and block health match');
    t.equal(cli.blocks, 4 + 1, 'four blocks of sample.bin and one of the HTML-named file');
    t.equal(Number(await page.locator('#capacity-bar').getAttribute('aria-valuenow')).toFixed(2), cli.usedPercent, 'the bar shows DFS Used%');

    const namenodes = await rows(page, '#namenodes');
    t.equal(namenodes.length, 3, 'three namenodes listed');
    t.same(namenodes.map((row) => row[1]).sort(), cli.roles, 'roles as dfsadmin shows them');
    t.same(
      namenodes.map((row) => Number(row[2])),
      cli.terms,
      'terms as dfsadmin shows them',
    );
    const datanodes = await rows(page, '#datanodes');
    t.same(datanodes.map((row) => row[0]).sort(), cluster.datanodes.map((d) => d.url).sort(), 'every datanode listed by address');
    t.ok(datanodes.every((row) => row[1] === 'live'), 'all live');
    t.same(problems, [], 'no console errors');
  });

  await t.test('the overview follows a new file without a reload', async (t) => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const before = Number(await page.locator('[data-field="blocks"]').getAttribute('data-value'));
    const writer = cluster.client();
    await writer.writeFile('/data/more.bin', randomBytes(2 * BLOCK_SIZE));
    await writer.close();
    await waitFor('the block count to grow on the page', async () => Number(await page.locator('[data-field="blocks"]').getAttribute('data-value')) === before + 2, UI_DEADLINE_MS, 200);
    t.equal((await dfsadminReport(urls)).blocks, before + 2, 'dfsadmin agrees');
    t.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the page was not reloaded');
  });

  await t.test('browsing: a directory, a file with its block locations, a download', async (t) => {
    await page.goto(`${nn1}/#browse=%2F`);
    await page.locator('#listing a', { hasText: 'data/' }).click();
    await page.locator('#listing a', { hasText: 'sample.bin' }).click();
    await shows(page, '#blocks');
    t.equal(await page.locator('[data-field="length"]').getAttribute('data-value'), String(sample.length), 'the size');
    t.equal(await page.locator('[data-field="path"]').textContent(), '/data/sample.bin');
    const shown = await rows(page, '#blocks');
    const fsck = (await runCli(['fsck', '/data/sample.bin', '-files', '-blocks', '-locations'], urls)).stdout.toString();
    const fsckBlocks = [...fsck.matchAll(/blk_(\d+)_\d+ len=\d+ Live_repl=(\d+)/g)].map((m) => ({ id: m[1], live: Number(m[2]) }));
    t.same(shown.map((row) => row[1]), fsckBlocks.map((b) => b.id), 'the block ids fsck lists, in order');
    t.same(
      shown.map((row) => row[5].split(', ').length),
      fsckBlocks.map((b) => b.live),
      'as many locations as fsck counts live replicas',
    );
    const datanodeHosts = cluster.datanodes.map((d) => new URL(d.url).host);
    t.ok(shown.every((row) => row[5].split(', ').every((name) => datanodeHosts.includes(name))), 'locations name datanodes');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI_DEADLINE_MS }), page.click('#download')]);
    const saved = await download.path();
    t.ok(saved && readFileSync(saved).equals(sample), 'the downloaded bytes are the file');
    t.same(problems, [], 'no console errors');
  });

  await t.test('a file named with HTML is shown as text', async (t) => {
    await page.goto(`${nn1}/#browse=%2Fdata`);
    const link = page.locator('#listing a', { hasText: 'onerror' });
    await link.waitFor({ timeout: UI_DEADLINE_MS });
    t.equal(await link.textContent(), XSS_NAME, 'the name, character for character');
    t.equal(await page.locator('#listing img').count(), 0, 'no element was made from it');
    await link.click();
    await shows(page, '#file-name');
    t.equal(await page.locator('#file-name').textContent(), XSS_NAME);
    t.equal(await page.locator('main img').count(), 0);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI_DEADLINE_MS }), page.click('#download')]);
    t.equal(readFileSync((await download.path())!, 'utf8'), 'not markup\n', 'it downloads too');
    t.same(problems, [], 'no dialog, no console error');
  });

  await t.test('mkdir and upload as a user with the right', async (t) => {
    await actAs(page, 'alice');
    await page.goto(`${nn1}/#browse=${encodeURIComponent('/user/alice')}`);
    await page.locator('#listing-section').getByText('This directory is empty.').waitFor({ timeout: UI_DEADLINE_MS });
    await page.fill('#mkdir-name', 'docs');
    await page.click('#mkdir-form button');
    await shows(page, '#status', 'Created /user/alice/docs');
    await shows(page, '#listing a', 'docs/');
    const stat = await runCli(['-stat', '%u %F', '/user/alice/docs'], urls);
    t.equal(stat.stdout.toString().trim(), 'alice directory', 'created, owned by alice');

    const notes = randomBytes(BLOCK_SIZE + 4321);
    await page.setInputFiles('#upload-file', { name: 'notes.bin', mimeType: 'application/octet-stream', buffer: notes });
    await page.click('#upload-form button');
    await shows(page, '#status', 'Uploaded /user/alice/notes.bin');
    await shows(page, '#listing a', 'notes.bin');
    const cat = await runCli(['-cat', '/user/alice/notes.bin'], urls);
    t.ok(cat.stdout.equals(notes), 'the uploaded bytes are stored');
    t.equal((await runCli(['-stat', '%u', '/user/alice/notes.bin'], urls)).stdout.toString().trim(), 'alice', 'owned by alice');
    t.same(problems, [], 'no console errors');
  });

  await t.test('mkdir and upload as a user without the right: a clear error, nothing changes', async (t) => {
    await actAs(page, 'mallory');
    await page.goto(`${nn1}/#browse=${encodeURIComponent('/user/alice')}`);
    await shows(page, '#listing a', 'notes.bin');
    expectedRefusal = /403 \(Forbidden\)/;
    await page.fill('#mkdir-name', 'evil');
    await page.click('#mkdir-form button');
    const refusal = page.locator('#status [role="alert"]');
    await refusal.waitFor({ timeout: UI_DEADLINE_MS });
    t.match(await refusal.textContent(), /Permission denied: user=mallory, access=WRITE/);
    t.equal((await runCli(['-test', '-e', '/user/alice/evil'], urls)).code, 1, 'no folder was made');

    await page.setInputFiles('#upload-file', { name: 'evil.txt', mimeType: 'text/plain', buffer: Buffer.from('nope') });
    await page.click('#upload-form button');
    await shows(page, '#status [role="alert"]', 'Permission denied');
    t.match(await page.locator('#status').textContent(), /Permission denied: user=mallory, access=WRITE/);
    t.equal((await runCli(['-test', '-e', '/user/alice/evil.txt'], urls)).code, 1, 'no file was made');
    expectedRefusal = undefined;
    t.same(problems, [], 'no other console errors');
  });

  await t.test('each datanode page shows its volumes, blocks and namenodes', async (t) => {
    for (const datanode of cluster.datanodes) {
      const status = (await (await fetch(`${datanode.url}/dfs/v1/status`)).json()) as { blocks: number; volumes: Array<{ dir: string }> };
      await page.goto(`${datanode.url}/`);
      await shows(page, '#volumes');
      const volumes = await rows(page, '#volumes');
      t.same(volumes.map((row) => row[0]), [datanode.dataDir], `${datanode.name}: its one volume`);
      t.equal(volumes[0][4], String(status.blocks), 'the volume holds its blocks');
      t.equal(await page.locator('[data-field="blocks"]').getAttribute('data-value'), String(status.blocks), 'block count');
      t.ok(status.blocks > 0, 'it holds blocks');
      t.equal((await rows(page, '#block-list')).length, Math.min(20, status.blocks), 'a short list of them');
      const namenodes = await rows(page, '#namenodes');
      t.same(namenodes.map((row) => row[0]).sort(), [...urls].sort(), 'one line per namenode');
      t.ok(namenodes.every((row) => row[1] === 'yes' && row[3] !== 'never'), 'registered with each, heartbeats answered');
      t.same(namenodes.map((row) => row[2]).sort(), ['active', 'standby', 'standby'], 'one namenode active (the leader), two standbys');
      t.match(await page.locator('[data-field="transfers"]').textContent(), /^\d+ reads, \d+ writes, \d+ replications$/);
    }
    t.same(problems, [], 'no console errors');
  });

  await t.test('a datanode page lists a transfer while it runs', async (t) => {
    const datanode = cluster.datanodes[0];
    const redirect = (await (await fetch(`${nn1}/webhdfs/v1/data/slow.bin?op=CREATE&noredirect=true&user.name=${userInfo().username}`, { method: 'PUT' })).json()) as { Location: string };
    // Sent to this datanode whichever one the namenode picked, and held open until the page shows it.
    const target = new URL(redirect.Location);
    target.host = new URL(datanode.url).host;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const upload = fetch(target, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    controller.enqueue(randomBytes(1000));
    await page.goto(`${datanode.url}/`);
    await shows(page, '#transfers td', '/data/slow.bin');
    t.equal((await rows(page, '#transfers')).find((row) => row[2] === '/data/slow.bin')?.[0], 'write', 'a write of that file');
    controller.close();
    t.equal((await upload).status, 201, 'the upload completes');
    await shows(page, '#transfers', 'No transfer is running.');
    t.same(problems, [], 'no console errors');
  });

  await t.test('the overview follows a datanode dying', async (t) => {
    await page.goto(`${nn1}/`);
    await shows(page, '[data-field="datanodes-live"]');
    const victim: NodeProcess = cluster.datanodes[2];
    await victim.stop('SIGKILL');
    await waitFor('the page to count the dead datanode', async () => {
      const figures = await overviewFigures(page);
      return figures.dead === 1 && figures.live === 2;
    }, UI_DEADLINE_MS, 200);
    const row = (await rows(page, '#datanodes')).find((cells) => cells[0] === victim.url);
    t.equal(row?.[1], 'dead', 'its row says dead');
    t.equal((await dfsadminReport(urls)).live, 2, 'dfsadmin agrees');
    t.same(problems, [], 'no console errors');
  });
});

t.test('the file browser on a cluster requiring tokens', { skip: SKIP_WITHOUT_CHROMIUM }, async (t) => {
  const cluster = await TestCluster.start({ datanodes: 1, replication: 1, blockSize: BLOCK_SIZE, namenodeArgs: ['--require-token'] });
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
  t.teardown(async () => {
    await browser.close();
    await cluster.stop();
  });
  const nn = cluster.namenode.url;
  const superuser = userInfo().username;
  // The first token comes from someone holding the cluster secret, as on a real cluster.
  const created = await runCli(['dfsadmin', '-createToken', 'alice'], [nn], undefined, { DFS_CLUSTER_SECRET: cluster.secret, DFS_TOKEN: undefined });
  t.equal(created.code, 0, 'alice gets a token', { stderr: created.stderr });
  const token = created.stdout.toString().trim();
  const asAlice = (args: string[]) => runCli(args, [nn], undefined, { DFS_CLUSTER_SECRET: undefined, DFS_TOKEN: token });
  const admin = new DfsClient({ namenodes: [nn], user: superuser, headers: peerHeaders(cluster.secret, superuser) });
  await admin.mkdir('/user/alice', { recursive: true });
  await admin.chown('/user/alice', 'alice', 'alice');
  await admin.close();

  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // The browser logs each refused call; those are the ones this test provokes.
    if (message.type() === 'error' && !/401 \(Unauthorized\)/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const aliceDir = `${nn}/#browse=${encodeURIComponent('/user/alice')}`;

  await page.goto(aliceDir);
  await shows(page, '#listing-section [role="alert"]');
  t.match(await page.locator('#listing-section').textContent(), /Cannot list \/user\/alice: Authentication required/, 'without a token: the namenode\'s 401 message');
  t.equal(await page.locator('#listing').count(), 0, 'nothing listed');

  await page.fill('#token', token);
  await page.locator('#token').dispatchEvent('change');
  await page.locator('#listing-section').getByText('This directory is empty.').waitFor({ timeout: UI_DEADLINE_MS });
  t.ok(await page.locator('#user').isDisabled(), 'the user field has no say while a token is set');

  await page.fill('#mkdir-name', 'docs');
  await page.click('#mkdir-form button');
  await shows(page, '#status', 'Created /user/alice/docs');
  const notes = randomBytes(BLOCK_SIZE + 4321);
  await page.setInputFiles('#upload-file', { name: 'notes.bin', mimeType: 'application/octet-stream', buffer: notes });
  await page.click('#upload-form button');
  await shows(page, '#status', 'Uploaded /user/alice/notes.bin');
  await shows(page, '#listing a', 'notes.bin');
  const stat = await asAlice(['-stat', '%u %F %n', '/user/alice/docs', '/user/alice/notes.bin']);
  t.same(stat.stdout.toString().trim().split('\n'), ['alice directory docs', 'alice regular file notes.bin'], 'made as the token\'s user');

  // A reload keeps the token (localStorage), and the download carries it though a link has no header.
  await page.reload();
  await page.locator('#listing a', { hasText: 'notes.bin' }).click();
  await shows(page, '#download');
  t.notMatch(await page.locator('#download').getAttribute('href'), /delegation/, 'the link on the page holds no token');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI_DEADLINE_MS }), page.click('#download')]);
  t.ok(readFileSync((await download.path())!).equals(notes), 'the downloaded bytes are the uploaded ones');

  const secret = token.split('.')[1];
  t.notMatch(await page.locator('body').innerText(), secret, 'the token is not in the page text');
  t.notMatch(await page.content(), secret, 'nor anywhere in its markup');
  t.equal(await page.inputValue('#token'), token, 'only the password field holds it');
  t.same(problems, [], 'no other console errors');
});
