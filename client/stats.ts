// fs-shaped views of namenode file statuses: `DfsStats` (what `fs.promises.stat` returns, plus the
// HDFS fields) and `DfsDirent` (what `readdir(path, { withFileTypes: true })` returns).

import { constants as fsConstants } from 'node:fs';
import type { FileStatus } from '../shared/protocol.js';

const S_IFDIR = fsConstants.S_IFDIR;
const S_IFREG = fsConstants.S_IFREG;
/** fs.Stats reports sizes in blocks of 512 bytes, whatever the file system's block size. */
const STAT_BLOCK_BYTES = 512;

/** An `fs.Stats` look-alike that also carries every HDFS FileStatus field (replication, owner...). */
export class DfsStats implements FileStatus {
  readonly path!: string;
  readonly fileId!: number;
  readonly type!: FileStatus['type'];
  readonly length!: number;
  readonly owner!: string;
  readonly group!: string;
  readonly permission!: number;
  readonly modificationTime!: number;
  readonly accessTime!: number;
  readonly replication!: number;
  readonly blockSize!: number;
  readonly childrenNum!: number;
  readonly underConstruction!: boolean;

  constructor(status: FileStatus) {
    Object.assign(this, status);
  }

  // fs.Stats fields. Users and groups are names in HDFS: uid and gid have no meaning and read 0.
  get dev(): number { return 0; }
  get ino(): number { return this.fileId; }
  get mode(): number { return (this.type === 'DIRECTORY' ? S_IFDIR : S_IFREG) | this.permission; }
  get nlink(): number { return 1; }
  get uid(): number { return 0; }
  get gid(): number { return 0; }
  get rdev(): number { return 0; }
  get size(): number { return this.length; }
  get blksize(): number { return this.blockSize; }
  get blocks(): number { return Math.ceil(this.length / STAT_BLOCK_BYTES); }
  get atimeMs(): number { return this.accessTime; }
  get mtimeMs(): number { return this.modificationTime; }
  /** HDFS keeps no change time: the modification time stands in, as WebHDFS clients assume. */
  get ctimeMs(): number { return this.modificationTime; }
  get birthtimeMs(): number { return this.modificationTime; }
  get atime(): Date { return new Date(this.accessTime); }
  get mtime(): Date { return new Date(this.modificationTime); }
  get ctime(): Date { return new Date(this.modificationTime); }
  get birthtime(): Date { return new Date(this.modificationTime); }

  isFile(): boolean { return this.type === 'FILE'; }
  isDirectory(): boolean { return this.type === 'DIRECTORY'; }
  isSymbolicLink(): boolean { return false; }
  isBlockDevice(): boolean { return false; }
  isCharacterDevice(): boolean { return false; }
  isFIFO(): boolean { return false; }
  isSocket(): boolean { return false; }

  toJSON(): FileStatus {
    const { path, fileId, type, length, owner, group, permission, modificationTime, accessTime, replication, blockSize, childrenNum, underConstruction } = this;
    return { path, fileId, type, length, owner, group, permission, modificationTime, accessTime, replication, blockSize, childrenNum, underConstruction };
  }
}

/** An `fs.Dirent` look-alike; `status` holds the entry's full FileStatus (no extra round trip). */
export class DfsDirent {
  readonly name: string;
  readonly parentPath: string;
  constructor(readonly status: FileStatus) {
    const slash = status.path.lastIndexOf('/');
    this.name = status.path.slice(slash + 1);
    this.parentPath = slash <= 0 ? '/' : status.path.slice(0, slash);
  }
  /** Node 20's older name for parentPath. */
  get path(): string { return this.parentPath; }
  isFile(): boolean { return this.status.type === 'FILE'; }
  isDirectory(): boolean { return this.status.type === 'DIRECTORY'; }
  isSymbolicLink(): boolean { return false; }
  isBlockDevice(): boolean { return false; }
  isCharacterDevice(): boolean { return false; }
  isFIFO(): boolean { return false; }
  isSocket(): boolean { return false; }
}
