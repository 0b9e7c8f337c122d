// The simulated state machine: it keeps only the applied index and a running hash of every
// applied entry, which is enough to compare nodes, and is copied whole as the snapshot.

import { EntryType, type Entry } from '../../../namenode/raft/types.js';

export interface MachineState {
  index: number;
  hash: number;
}

/** A 32-bit digest of an entry's type and payload (FNV-1a). */
export function entryKey(entry: Entry): number {
  let h = 0x811c9dc5 ^ (entry.type === EntryType.ConfChange ? 0x5bd1e995 : 0);
  const data = entry.data;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function chainHash(previous: number, key: number): number {
  let h = Math.imul(previous ^ key, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Command payloads: 8 bytes carrying a unique command id. */
export function encodeCommand(id: number): Uint8Array {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setFloat64(0, id);
  return data;
}
