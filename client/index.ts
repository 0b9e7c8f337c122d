// Public entry point of `dfs/client`.
export { DfsClient, DfsWriteStream, defaultNamenodes, parseMode, type DfsClientOptions, type ReadOptions, type WriteOptions } from './dfs-client.js';
export { NamenodeClient } from './namenode-client.js';
export { DfsStats, DfsDirent } from './stats.js';
export { withFsContext, type DfsFsError, type FsErrorFields } from './fs-errors.js';
export { expandGlob, globToRegExp, hasGlob } from './glob.js';
export { Trash } from './trash.js';
export { fileResponse, serveFile, parseRange, type FileResponse, type FileResponseOptions } from './http-serve.js';
export { dfsStorage, type DfsStorageOptions, type DfsStoredFile } from './multer-storage.js';
export { DfsError, type ErrorKind } from '../shared/errors.js';
export { trustCa } from '../shared/tls.js';
export type { FileStatus, LocatedBlock, ExtendedBlock, DatanodeInfo } from '../shared/protocol.js';
