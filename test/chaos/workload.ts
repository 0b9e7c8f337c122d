// The clients of a chaos run. Writers (each with every namenode URL) publish files (written to a
// temporary name, then renamed into place, as `dfs -put` does), append, rename, delete, list,
// stat, read and create sub-directories, over a small pool of names in a few directories so that
// they collide. Pinned readers each know one namenode only and read, stat and list through it.
// Every operation goes into the History; a read whose bytes no write produced is an anomaly at once.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isDfsError } from '../../shared/errors.js';
import type { DfsClient } from '../../client/dfs-client.js';
import { Prng } from '../raft/sim/prng.js';
import type { Anomaly } from './checker.js';
import { History, type Op } from './history.js';
import { decodeContent, RECORD_BYTES, writeContent } from './records.js';

export const CHAOS_ROOT = '/chaos';
export const DIRS = ['d0', 'd1', 'd2'].map((d) => `${CHAOS_ROOT}/${d}`);
export const FILE_NAMES = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
const SUBDIR_NAMES = ['s0', 's1', 's2'];
export const TMP_PREFIX = '.tmp-';

export interface WorkloadOptions {
  blockSizeBytes: number;
  prng: Prng;
  history: History;
  anomalies: Anomaly[];
  /** Appends in the mix (true unless told otherwise). */
  appends?: boolean;
}

export const errorKind = (error: unknown): string => (isDfsError(error) ? error.kind : (error as Error).message.slice(0, 100));

type Picker = Array<[number, (client: DfsClient, process: string, prng: Prng) => Promise<unknown>]>;

export class Workload {
  private stopping = false;
  private readonly loops: Array<Promise<void>> = [];
  private nextWriteId = 1;
  /** Temporary files of publishes (they are checked at the end: closed, and intact). */
  readonly tmpFiles: string[] = [];

  constructor(private readonly options: WorkloadOptions) {}

  private get blockRecords(): number {
    return this.options.blockSizeBytes / RECORD_BYTES;
  }

  start(writers: Array<{ name: string; client: DfsClient }>, readers: Array<{ name: string; client: DfsClient }>): void {
    const writerOps: Picker = [
      [25, (c, p, r) => this.publish(c, p, r)],
      [this.options.appends === false ? 0 : 15, (c, p, r) => this.append(c, p, r)],
      [10, (c, p, r) => this.remove(c, p, r)],
      [12, (c, p, r) => this.rename(c, p, r)],
      [15, (c, p, r) => this.read(c, p, r.pick(DIRS), r.pick(FILE_NAMES))],
      [8, (c, p, r) => this.stat(c, p, r)],
      [8, (c, p, r) => this.list(c, p, r.pick(DIRS))],
      [4, (c, p, r) => this.mkdir(c, p, r)],
    ];
    const readerOps: Picker = [
      [50, (c, p, r) => this.read(c, p, r.pick(DIRS), r.pick(FILE_NAMES))],
      [25, (c, p, r) => this.stat(c, p, r)],
      [25, (c, p, r) => this.list(c, p, r.pick(DIRS))],
    ];
    for (const { name, client } of writers) this.loops.push(this.loop(name, client, writerOps, this.options.prng.fork()));
    for (const { name, client } of readers) this.loops.push(this.loop(name, client, readerOps, this.options.prng.fork()));
  }

  private async loop(process: string, client: DfsClient, ops: Picker, prng: Prng): Promise<void> {
    const total = ops.reduce((sum, [w]) => sum + w, 0);
    while (!this.stopping) {
      let roll = prng.int(total);
      const [, run] = ops.find(([w]) => (roll -= w) < 0)!;
      await run(client, process, prng);
      await new Promise((r) => setTimeout(r, prng.int(100)));
    }
  }

  /** Stops issuing operations and waits for the running ones to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private get history(): History {
    return this.options.history;
  }

  private async publish(client: DfsClient, process: string, prng: Prng): Promise<void> {
    const dir = prng.pick(DIRS);
    const name = prng.pick(FILE_NAMES);
    const writeId = this.nextWriteId++;
    // Half a block to three and a half blocks: most files span several blocks.
    const records = prng.range(this.blockRecords / 2, this.blockRecords * 3.5);
    const op = this.history.invoke(process, 'publish', dir, { name, writeId, records });
    const tmp = `${dir}/${TMP_PREFIX}w${writeId}`;
    this.tmpFiles.push(tmp);
    try {
      await client.writeFile(tmp, writeContent(writeId, records), { flag: 'wx' });
    } catch (error) {
      // The rename was never tried: the published name is untouched.
      this.history.complete(op, 'fail', undefined, `write ${errorKind(error)}`);
      return;
    }
    try {
      await client.rpc.call('rename', { src: tmp, dst: `${dir}/${name}` });
      this.history.complete(op, 'ok');
    } catch (error) {
      const kind = errorKind(error);
      if (kind === 'FileAlreadyExists') this.history.complete(op, 'fail', undefined, kind);
      else this.history.indeterminate(op, kind);
    }
  }

  private async append(client: DfsClient, process: string, prng: Prng): Promise<void> {
    const dir = prng.pick(DIRS);
    const name = prng.pick(FILE_NAMES);
    const writeId = this.nextWriteId++;
    const records = prng.range(16, Math.floor(this.blockRecords * 1.5));
    const op = this.history.invoke(process, 'append', dir, { name, writeId, records });
    try {
      await pipeline(Readable.from([writeContent(writeId, records)]), client.createAppendStream(`${dir}/${name}`));
      this.history.complete(op, 'ok');
    } catch (error) {
      this.history.indeterminate(op, errorKind(error));
    }
  }

  private async remove(client: DfsClient, process: string, prng: Prng): Promise<void> {
    const dir = prng.pick(DIRS);
    const name = prng.pick(FILE_NAMES);
    const op = this.history.invoke(process, 'delete', dir, { name });
    try {
      const deleted = await client.delete(`${dir}/${name}`);
      this.history.complete(op, 'ok', { kind: 'deleted', deleted });
    } catch (error) {
      this.history.indeterminate(op, errorKind(error));
    }
  }

  private async rename(client: DfsClient, process: string, prng: Prng): Promise<void> {
    const dir = prng.pick(DIRS);
    const src = prng.pick(FILE_NAMES);
    const dst = prng.pick(FILE_NAMES.filter((n) => n !== src));
    const op = this.history.invoke(process, 'rename', dir, { src, dst });
    try {
      await client.rpc.call('rename', { src: `${dir}/${src}`, dst: `${dir}/${dst}` });
      this.history.complete(op, 'ok');
    } catch (error) {
      const kind = errorKind(error);
      if (kind === 'FileNotFound' || kind === 'FileAlreadyExists') this.history.complete(op, 'fail', undefined, kind);
      else this.history.indeterminate(op, kind);
    }
  }

  /** Reads a file; `final` reads (after healing) must not fail for any reason but absence. */
  async read(client: DfsClient, process: string, dir: string, name: string, final = false): Promise<Op> {
    const op = this.history.invoke(process, 'read', dir, { name });
    let data: Buffer;
    try {
      data = await client.readFile(`${dir}/${name}`);
    } catch (error) {
      const kind = errorKind(error);
      if (kind === 'FileNotFound') this.history.complete(op, 'fail', undefined, kind);
      else {
        this.history.indeterminate(op, kind);
        if (final) this.options.anomalies.push({ kind: 'unreadable', message: `${dir}/${name} cannot be read after healing: ${kind}`, window: [] });
      }
      return op;
    }
    // A file being appended may end inside a record: judge the whole records (the model allows a prefix).
    const decoded = decodeContent(data.subarray(0, data.length - (data.length % RECORD_BYTES)));
    if (!decoded.ok) {
      this.history.indeterminate(op, 'corrupt');
      this.options.anomalies.push({ kind: 'corrupt-content', message: `${process} read ${dir}/${name}: ${decoded.reason}`, window: [] });
      return op;
    }
    this.history.complete(op, 'ok', { kind: 'content', runs: decoded.runs });
    return op;
  }

  private async stat(client: DfsClient, process: string, prng: Prng): Promise<void> {
    const dir = prng.pick(DIRS);
    const name = prng.pick(FILE_NAMES);
    const op = this.history.invoke(process, 'stat', dir, { name });
    try {
      const { status } = await client.rpc.call('getFileInfo', { path: `${dir}/${name}` });
      if (status === null) this.history.complete(op, 'fail', undefined, 'FileNotFound');
      else this.history.complete(op, 'ok', { kind: 'length', records: status.length / RECORD_BYTES });
    } catch (error) {
      this.history.indeterminate(op, errorKind(error));
    }
  }

  async list(client: DfsClient, process: string, dir: string): Promise<void> {
    const op = this.history.invoke(process, 'list', dir, {});
    try {
      const names = (await client.readdir(dir)).filter((n) => !n.startsWith(TMP_PREFIX));
      this.history.complete(op, 'ok', { kind: 'names', names });
    } catch (error) {
      this.history.indeterminate(op, errorKind(error));
    }
  }

  private async mkdir(client: DfsClient, process: string, prng: Prng): Promise<void> {
    const dir = prng.pick(DIRS);
    const name = prng.pick(SUBDIR_NAMES);
    const op = this.history.invoke(process, 'mkdir', dir, { name });
    try {
      await client.mkdir(`${dir}/${name}`, { recursive: true });
      this.history.complete(op, 'ok');
    } catch (error) {
      this.history.indeterminate(op, errorKind(error));
    }
  }
}
