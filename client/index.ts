// Public entry point of `dfs/client`.
export { DfsClient, DfsWriteStream, defaultNamenodes, type DfsClientOptions, type ReadOptions, type WriteOptions } from './dfs-client.js';
export { NamenodeClient } from './namenode-client.js';
export { DfsError, type ErrorKind } from '../shared/errors.js';
export type { FileStatus, LocatedBlock, ExtendedBlock, DatanodeInfo } from '../shared/protocol.js';
