// What every datanode surface shares: identity, the block store, the namenode links, the HTTP
// client for the next pipeline hop, and the transfers in progress.

import type { Dispatcher } from 'undici';
import type { Logger } from '../shared/logger.js';
import type { DatanodeInfo } from '../shared/protocol.js';
import type { BlockStore } from './storage/block-store.js';
import type { NamenodeLinks } from './namenode-link.js';
import type { BlockScanner } from './block-scanner.js';
import type { TransferRegistry } from './transfers.js';
import type { BlockTokenKey } from '../shared/block-token.js';

export interface DatanodeContext {
  readonly uuid: string;
  /** Set once the server listens; how clients and peers reach this node. */
  url: string;
  readonly rack: string;
  readonly store: BlockStore;
  links: NamenodeLinks | undefined;
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
  readonly transfers: TransferRegistry;
  /** The namenodes this datanode serves (base URLs): the only ones a WebHDFS redirect may name. */
  readonly namenodeUrls: readonly string[];
  /** The cluster secret, when configured: sent on peer requests, and required of peers and block tokens. */
  readonly secret?: string;
  /** Verifies block tokens (derived from the secret); undefined when no secret is configured. */
  readonly blockTokens?: BlockTokenKey;
  /** Set once started; its counters show in the status route. */
  scanner?: BlockScanner;
}

export const nodeInfo = (ctx: DatanodeContext): DatanodeInfo => ({ uuid: ctx.uuid, url: ctx.url, rack: ctx.rack });

export const xceiverCount = (ctx: DatanodeContext): number => ctx.transfers.reads + ctx.transfers.writes + ctx.transfers.replications;
