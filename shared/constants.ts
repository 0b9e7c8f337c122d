// Cluster-wide defaults and hard limits. Every limit is a named constant with its unit in the name,
// so a reader can find and reason about the bounds of the system in one place.

export const NAMENODE_HTTP_PORT_DEFAULT = 9870;
export const DATANODE_HTTP_PORT_DEFAULT = 9864;

export const MiB = 1024 * 1024;
export const BLOCK_SIZE_BYTES_DEFAULT = 128 * MiB;
/** Smallest block size accepted: one checksum chunk, so a block always holds whole chunks but the last. */
export const BLOCK_SIZE_BYTES_MIN = 64 * 1024;
export const BLOCK_SIZE_BYTES_MAX = 4 * 1024 * MiB;
export const REPLICATION_DEFAULT = 3;
export const REPLICATION_MAX = 512;

/**
 * Bytes covered by one CRC32C. HDFS uses 512 B, but a native CRC32C call costs about as much as
 * checksumming several KiB, so small chunks make the checksum the bottleneck. 64 KiB keeps the
 * checksum under 2% of the data path's CPU while a ranged read re-reads at most 64 KiB to verify.
 */
export const CHECKSUM_CHUNK_BYTES = 64 * 1024;
export const CHECKSUM_BYTES = 4;

// Heartbeats follow HDFS: 3 s interval; a node is stale after 30 s of silence and dead after
// 2 * recheck (5 min) + 10 * interval = 630 s. Both are settable because tests and small clusters want them short.
export const HEARTBEAT_INTERVAL_MS_DEFAULT = 3_000;
export const STALE_AFTER_MS_DEFAULT = 30_000;
export const DEAD_AFTER_MS_DEFAULT = 630_000;

// HDFS path limits (dfs.namenode.fs-limits.max-component-length and max path depth).
export const PATH_COMPONENT_BYTES_MAX = 255;
export const PATH_DEPTH_MAX = 1000;
export const PATH_BYTES_MAX = 8000;

export const LISTING_PAGE_ENTRIES_DEFAULT = 1000;
export const LISTING_PAGE_ENTRIES_MAX = 10_000;

export const PERMISSION_DIR_DEFAULT = 0o755;
export const PERMISSION_FILE_DEFAULT = 0o644;
export const SUPERGROUP_DEFAULT = 'supergroup';

/** A client's lease on a file it writes: renewed well inside the soft limit; recovered after the hard limit. */
export const LEASE_SOFT_LIMIT_MS = 60_000;
export const LEASE_HARD_LIMIT_MS = 20 * 60_000;

/** Largest JSON body accepted by any RPC endpoint (block reports of big datanodes are the largest). */
export const RPC_BODY_BYTES_MAX = 64 * MiB;
