// Serving a dfs file as an HTTP response: status, headers (length, type, ETag, Last-Modified,
// Accept-Ranges) and a body stream, honouring single byte ranges (206 / 416), conditional GETs
// (304) and HEAD. `fileResponse` is framework-neutral (fastify: reply.code().headers().send(body));
// `serveFile` writes it to a Node ServerResponse (plain http, express).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isDfsError } from '../shared/errors.js';
import type { DfsClient } from './dfs-client.js';

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
};

export interface FileResponseOptions {
  method?: string;
  /** Request headers that matter: range, if-none-match, if-modified-since, if-range. */
  headers?: Record<string, string | string[] | undefined>;
  contentType?: string;
  cacheControl?: string;
  /** Sets Content-Disposition: attachment with this file name. */
  attachmentName?: string;
  signal?: AbortSignal;
}

export interface FileResponse {
  status: number;
  headers: Record<string, string>;
  /** The bytes to send; null for HEAD, 304, 404 and 416. */
  body: Readable | null;
}

const header = (headers: FileResponseOptions['headers'], name: string): string | undefined => {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
};

/** A single `bytes=` range against `size`: [start, end] inclusive, 'unsatisfiable', or null to send it all. */
export function parseRange(range: string | undefined, size: number): [number, number] | 'unsatisfiable' | null {
  if (!range) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  // Several ranges or another unit: RFC 9110 lets a server ignore the header and send everything.
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}

export async function fileResponse(client: DfsClient, path: string, options: FileResponseOptions = {}): Promise<FileResponse> {
  let status;
  try {
    status = await client.stat(path, { signal: options.signal });
  } catch (error) {
    if (isDfsError(error) && error.code === 'ENOENT') return { status: 404, headers: {}, body: null };
    throw error;
  }
  if (!status.isFile()) return { status: 404, headers: {}, body: null };
  const etag = `"${status.fileId.toString(16)}-${status.size.toString(16)}-${status.mtimeMs.toString(16)}"`;
  const lastModified = status.mtime.toUTCString();
  const headers: Record<string, string> = {
    'accept-ranges': 'bytes',
    etag,
    'last-modified': lastModified,
    'content-type': options.contentType ?? CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
  };
  if (options.cacheControl) headers['cache-control'] = options.cacheControl;
  if (options.attachmentName) headers['content-disposition'] = `attachment; filename="${options.attachmentName.replace(/["\\]/g, '_')}"`;

  const ifNoneMatch = header(options.headers, 'if-none-match');
  const ifModifiedSince = header(options.headers, 'if-modified-since');
  const notModified = ifNoneMatch
    ? ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')
    : ifModifiedSince !== undefined && Math.floor(status.mtimeMs / 1000) <= Math.floor(Date.parse(ifModifiedSince) / 1000);
  if (notModified) return { status: 304, headers, body: null };

  const ifRange = header(options.headers, 'if-range');
  const rangeApplies = ifRange === undefined || ifRange === etag || ifRange === lastModified;
  const range = rangeApplies ? parseRange(header(options.headers, 'range'), status.size) : null;
  if (range === 'unsatisfiable') return { status: 416, headers: { ...headers, 'content-range': `bytes */${status.size}` }, body: null };
  const [start, end] = range ?? [0, status.size - 1];
  const length = status.size === 0 ? 0 : end - start + 1;
  headers['content-length'] = String(length);
  if (range) headers['content-range'] = `bytes ${start}-${end}/${status.size}`;
  const isHead = (options.method ?? 'GET').toUpperCase() === 'HEAD';
  const body = isHead || length === 0 ? null : client.createReadStream(status.path, { start, end, signal: options.signal });
  return { status: range ? 206 : 200, headers, body };
}

/**
 * Answers `req` with the dfs file at `path` (express: `app.get('/files/*', (req, res, next) =>
 * serveFile(dfs, path, req, res).catch(next))`). A client that goes away stops the read.
 */
export async function serveFile(client: DfsClient, path: string, req: IncomingMessage, res: ServerResponse, options: Omit<FileResponseOptions, 'method' | 'headers'> = {}): Promise<void> {
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  const answer = await fileResponse(client, path, { ...options, method: req.method, headers: req.headers, signal: abort.signal });
  res.writeHead(answer.status, answer.headers);
  if (!answer.body) {
    res.end();
    return;
  }
  try {
    await pipeline(answer.body, res);
  } catch (error) {
    // The client leaving mid-transfer is not a server error.
    if (!abort.signal.aborted) throw error;
  }
}
