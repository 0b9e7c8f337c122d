// Puts block tokens into the client RPC answers that hand out block locations: read tokens for the
// blocks a reader is sent to, write tokens for the blocks a writer fills, each for the caller.

import type { BlockAccessMode, BlockTokenKey } from '../../shared/block-token.js';
import type { ClientMethod, LocatedBlock } from '../../shared/protocol.js';

type Grants = Array<{ located: LocatedBlock | null | undefined; mode: BlockAccessMode }>;

/** The located blocks of an answer, with the access each needs. */
function grantsOf(method: ClientMethod, response: Record<string, unknown>): Grants {
  switch (method) {
    case 'getBlockLocations':
      return ((response.located as { blocks: LocatedBlock[] } | undefined)?.blocks ?? []).map((located) => ({ located, mode: 'read' }));
    case 'create': // with allocateBlock: the file's first block
    case 'addBlock':
    case 'updatePipeline':
      return [{ located: response.located as LocatedBlock | undefined, mode: 'write' }];
    case 'append':
      // The writer copies the old last block (read) into its continuation (write).
      return [
        { located: response.lastBlock as LocatedBlock | null, mode: 'read' },
        { located: response.continuation as LocatedBlock | null, mode: 'write' },
      ];
    default:
      return [];
  }
}

/** Signs a token for each located block of `response` that has none yet (a leader's answer relayed by a follower has them). */
export function grantBlockTokens(method: ClientMethod, response: unknown, user: string, key: BlockTokenKey): void {
  if (response === null || typeof response !== 'object') return;
  for (const { located, mode } of grantsOf(method, response as Record<string, unknown>)) {
    if (located && located.blockToken === undefined) located.blockToken = key.sign({ blockId: located.block.blockId, mode, user });
  }
}
