// The datanode's side of its conversation with the namenodes. Each namenode gets an independent
// loop (register, full block report, heartbeats, incremental reports), so one namenode being down
// never delays the others. Commands the namenodes answer with are handed to the datanode.

import type { Dispatcher } from 'undici';
import { postJson } from '../shared/http.js';
import { DatanodeRpc, type HaState, type DatanodeCommand, type DatanodeInfo, type DatanodeMethod, type DatanodeRequest, type DatanodeResponse, type DatanodeStorageReport, type ExtendedBlock } from '../shared/protocol.js';
import type { Logger } from '../shared/logger.js';
import { HEARTBEAT_INTERVAL_MS_DEFAULT } from '../shared/constants.js';
import { peerHeaders } from '../shared/peer-auth.js';

export const BLOCK_REPORT_INTERVAL_MS_DEFAULT = 6 * 60 * 60_000;
/** Incremental reports wait this long so a burst of finalized blocks goes out as one RPC. */
export const INCREMENTAL_REPORT_DELAY_MS = 2;
/**
 * To a standby (a Raft follower) they wait longer: it needs the replicas only to be ready for a
 * failover, while the active namenode completes a file only once its last block is reported. With
 * 16 writers of small files, one report per replica to each standby was about a fifth of its CPU.
 */
export const STANDBY_INCREMENTAL_REPORT_DELAY_MS = 50;
/** Retry delay after a failed RPC, doubling up to the max. */
const RETRY_DELAY_MS_MIN = 200;
const RETRY_DELAY_MS_MAX = 10_000;
const RPC_TIMEOUT_MS = 15_000;
/** Incremental report entries kept per namenode while it is unreachable; beyond, a full report replaces them. */
const PENDING_REPORT_ENTRIES_MAX = 100_000;
/** Commands remembered per namenode for the status page. */
const RECENT_COMMANDS_MAX = 20;

/** A command as the status page shows it: its type and how many blocks it names. */
export interface CommandSummary {
  atMs: number;
  type: DatanodeCommand['type'];
  blocks: number;
}

/** This datanode's conversation with one namenode, for the status page. */
export interface NamenodeLinkStatus {
  url: string;
  registered: boolean;
  /** What the namenode last said it is; active until it says otherwise. */
  haState: HaState;
  /** When the last heartbeat was answered, and what the answer held (an empty list: nothing to do). */
  lastHeartbeat: { atMs: number; commands: CommandSummary[] } | null;
  lastFullReportMs: number | null;
  /** The last commands received, on heartbeats or block reports, newest last. */
  recentCommands: CommandSummary[];
  /** The last RPC failure since the last success, if any. */
  lastError: { atMs: number; message: string } | null;
}

export interface NamenodeLinkHost {
  node(): DatanodeInfo;
  storageReport(): Promise<DatanodeStorageReport>;
  blockReport(): ExtendedBlock[];
  executeCommand(command: DatanodeCommand, namenodeUrl: string): void;
}

export interface NamenodeLinkOptions {
  heartbeatIntervalMs?: number;
  blockReportIntervalMs?: number;
  dispatcher?: Dispatcher;
  logger: Logger;
  /** The cluster secret, presented on every call. */
  secret?: string;
}

export class NamenodeLinks {
  private readonly links: NamenodeConnection[];

  constructor(namenodes: string[], host: NamenodeLinkHost, options: NamenodeLinkOptions) {
    this.links = namenodes.map((url) => new NamenodeConnection(url.replace(/\/+$/, ''), host, options));
  }

  start(): void {
    for (const link of this.links) link.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.links.map((link) => link.close()));
  }

  blockReceived(block: ExtendedBlock): void {
    for (const link of this.links) link.queueIncremental('received', block);
  }

  blockDeleted(block: ExtendedBlock): void {
    for (const link of this.links) link.queueIncremental('deleted', block);
  }

  /** Sends a heartbeat now (e.g. the node just became full and must get no more blocks). */
  triggerHeartbeat(): void {
    for (const link of this.links) link.triggerHeartbeat();
  }

  /** Reports corrupt replicas to every namenode, in the background, with retries. */
  reportBadBlocks(blocks: ExtendedBlock[]): void {
    for (const link of this.links) link.queueBadBlocks(blocks);
  }

  status(): NamenodeLinkStatus[] {
    return this.links.map((link) => link.status());
  }
}

class NamenodeConnection {
  private readonly abort = new AbortController();
  private readonly logger: Logger;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private registered = false;
  private haState: HaState = 'active';
  private fullReportDue = true;
  private heartbeatIntervalMs: number;
  private nextHeartbeatAt = 0;
  private nextBlockReportAt = 0;
  private retryDelayMs = RETRY_DELAY_MS_MIN;
  private received: ExtendedBlock[] = [];
  private deleted: ExtendedBlock[] = [];
  private incrementalDueAt: number | undefined;
  private badBlocks: ExtendedBlock[] = [];
  private lastFailureLogged = '';
  private lastHeartbeat: NamenodeLinkStatus['lastHeartbeat'] = null;
  private lastFullReportMs: number | null = null;
  private readonly recentCommands: CommandSummary[] = [];
  private lastError: NamenodeLinkStatus['lastError'] = null;

  constructor(
    readonly url: string,
    private readonly host: NamenodeLinkHost,
    private readonly options: NamenodeLinkOptions,
  ) {
    this.logger = options.logger.child({ namenode: url });
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS_DEFAULT;
  }

  start(): void {
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  queueIncremental(what: 'received' | 'deleted', block: ExtendedBlock): void {
    const list = what === 'received' ? this.received : this.deleted;
    if (this.received.length + this.deleted.length >= PENDING_REPORT_ENTRIES_MAX) {
      // The namenode has been away long enough: a full report says the same in less.
      this.received = [];
      this.deleted = [];
      this.fullReportDue = true;
    } else {
      list.push(block);
    }
    this.incrementalDueAt ??= Date.now() + (this.haState === 'active' ? INCREMENTAL_REPORT_DELAY_MS : STANDBY_INCREMENTAL_REPORT_DELAY_MS);
    this.wake?.();
  }

  /** A namenode that has just become active gets the reports held for it at once. */
  private noteHaState(state: HaState | undefined): void {
    if (state === undefined || state === this.haState) return;
    this.haState = state;
    if (state === 'active' && this.incrementalDueAt !== undefined) this.incrementalDueAt = Date.now();
    this.logger.info({ haState: state }, 'namenode HA state changed');
  }

  triggerHeartbeat(): void {
    this.nextHeartbeatAt = 0;
    this.wake?.();
  }

  status(): NamenodeLinkStatus {
    return {
      url: this.url,
      registered: this.registered,
      haState: this.haState,
      lastHeartbeat: this.lastHeartbeat,
      lastFullReportMs: this.lastFullReportMs,
      recentCommands: [...this.recentCommands],
      lastError: this.lastError,
    };
  }

  queueBadBlocks(blocks: ExtendedBlock[]): void {
    this.badBlocks.push(...blocks);
    this.wake?.();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.step();
        this.retryDelayMs = RETRY_DELAY_MS_MIN;
        this.lastFailureLogged = '';
        this.lastError = null;
      } catch (error) {
        if (signal.aborted) break;
        const message = (error as Error).message;
        this.lastError = { atMs: Date.now(), message };
        // Log each distinct failure once, not every retry, so a namenode that is down does not flood the log.
        if (message !== this.lastFailureLogged) this.logger.warn({ err: error }, 'namenode RPC failed; retrying');
        this.lastFailureLogged = message;
        await this.sleep(this.retryDelayMs);
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_DELAY_MS_MAX);
        continue;
      }
      await this.sleep(this.msUntilNextDue());
    }
  }

  /** Does whatever is due, in order of importance; throws on the first failed RPC. */
  private async step(): Promise<void> {
    if (!this.registered) await this.register();
    if (this.fullReportDue || Date.now() >= this.nextBlockReportAt) await this.sendFullReport();
    if (this.received.length + this.deleted.length > 0 && Date.now() >= (this.incrementalDueAt ?? 0)) await this.sendIncremental();
    if (this.badBlocks.length > 0) await this.sendBadBlocks();
    if (Date.now() >= this.nextHeartbeatAt) await this.sendHeartbeat();
  }

  private msUntilNextDue(): number {
    const now = Date.now();
    let due = Math.min(this.nextHeartbeatAt, this.nextBlockReportAt);
    if (this.received.length + this.deleted.length > 0) due = Math.min(due, this.incrementalDueAt ?? now);
    if (this.badBlocks.length > 0 || this.fullReportDue || !this.registered) due = now;
    return Math.max(0, due - now);
  }

  private async sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.abort.signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }

  private async call<M extends DatanodeMethod>(method: M, body: DatanodeRequest<M>): Promise<DatanodeResponse<M>> {
    return postJson(`${this.url}/rpc/v1/datanode/${method}`, body, DatanodeRpc[method].response, {
      dispatcher: this.options.dispatcher,
      signal: this.abort.signal,
      timeoutMs: RPC_TIMEOUT_MS,
      headers: peerHeaders(this.options.secret),
    }) as Promise<DatanodeResponse<M>>;
  }

  private async register(): Promise<void> {
    const answer = await this.call('register', { node: this.host.node(), storage: await this.host.storageReport() });
    if (this.options.heartbeatIntervalMs === undefined) this.heartbeatIntervalMs = answer.heartbeatIntervalMs;
    this.registered = true;
    this.noteHaState(answer.haState);
    this.fullReportDue = true;
    this.nextHeartbeatAt = Date.now() + this.heartbeatIntervalMs;
    this.logger.info({ namenodeId: answer.namenodeId, clusterId: answer.clusterId }, 'registered with namenode');
  }

  private async sendFullReport(): Promise<void> {
    // Entries queued before the snapshot are covered by it.
    this.received = [];
    this.deleted = [];
    this.incrementalDueAt = undefined;
    const blocks = this.host.blockReport();
    const answer = await this.call('blockReport', { uuid: this.host.node().uuid, blocks });
    this.fullReportDue = false;
    this.nextBlockReportAt = Date.now() + (this.options.blockReportIntervalMs ?? BLOCK_REPORT_INTERVAL_MS_DEFAULT);
    this.lastFullReportMs = Date.now();
    this.logger.info({ blocks: blocks.length }, 'sent full block report');
    this.handleCommands(answer.commands);
  }

  private async sendIncremental(): Promise<void> {
    const received = this.received;
    const deleted = this.deleted;
    this.received = [];
    this.deleted = [];
    this.incrementalDueAt = undefined;
    try {
      const answer = await this.call('blockReceivedAndDeleted', { uuid: this.host.node().uuid, received, deleted });
      this.noteHaState(answer.haState);
    } catch (error) {
      this.received = received.concat(this.received);
      this.deleted = deleted.concat(this.deleted);
      this.incrementalDueAt = Date.now();
      throw error;
    }
  }

  private async sendBadBlocks(): Promise<void> {
    const blocks = this.badBlocks;
    this.badBlocks = [];
    try {
      await this.call('reportBadBlocks', { uuid: this.host.node().uuid, blocks });
    } catch (error) {
      this.badBlocks = blocks.concat(this.badBlocks);
      throw error;
    }
  }

  private async sendHeartbeat(): Promise<void> {
    this.nextHeartbeatAt = Date.now() + this.heartbeatIntervalMs;
    const answer = await this.call('heartbeat', { uuid: this.host.node().uuid, storage: await this.host.storageReport() });
    const atMs = Date.now();
    this.noteHaState(answer.haState);
    this.lastHeartbeat = { atMs, commands: answer.commands.map((command) => summarize(command, atMs)) };
    this.handleCommands(answer.commands);
  }

  private handleCommands(commands: DatanodeCommand[]): void {
    const atMs = Date.now();
    for (const command of commands) {
      this.recentCommands.push(summarize(command, atMs));
      if (this.recentCommands.length > RECENT_COMMANDS_MAX) this.recentCommands.shift();
      if (command.type === 'reregister') {
        this.logger.info('namenode asked to re-register');
        this.registered = false;
        this.fullReportDue = true;
        continue;
      }
      this.host.executeCommand(command, this.url);
    }
  }
}

function summarize(command: DatanodeCommand, atMs: number): CommandSummary {
  return { atMs, type: command.type, blocks: command.type === 'delete' ? command.blocks.length : command.type === 'replicate' ? 1 : 0 };
}
