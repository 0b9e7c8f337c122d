// Errors of the Raft storage layer. Corruption stops the node: each error names the file and byte
// offset so an operator can inspect the bytes, and never lets the store guess its way past bad data.

export class StorageCorruptionError extends Error {
  override name = 'StorageCorruptionError';
  readonly file: string;
  readonly offsetBytes: number;

  constructor(file: string, offsetBytes: number, problem: string) {
    super(`raft storage corrupt: ${file} at offset ${offsetBytes}: ${problem}`);
    this.file = file;
    this.offsetBytes = offsetBytes;
  }
}

/** The index lies in the compacted prefix: the caller must use the snapshot instead. */
export class LogCompactedError extends Error {
  override name = 'LogCompactedError';
  constructor(readonly index: number, readonly firstIndex: number) {
    super(`raft log index ${index} is compacted (first index ${firstIndex})`);
  }
}

/** The index lies past the last entry. */
export class LogUnavailableError extends Error {
  override name = 'LogUnavailableError';
  constructor(readonly index: number, readonly lastIndex: number) {
    super(`raft log index ${index} is unavailable (last index ${lastIndex})`);
  }
}
