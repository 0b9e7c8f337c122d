// HTTP on a bare TCP socket, for requests no well-behaved client library sends: a body shorter or
// longer than its Content-Length, an upload that trickles and stops, huge header blocks.

import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';

export interface RawAnswer {
  /** The status of the first answer, or undefined when the server closed without one. */
  status: number | undefined;
  /** Everything received. */
  text: string;
  /** The server closed the connection (before our deadline). */
  closedByServer: boolean;
  elapsedMs: number;
}

export interface RawOptions {
  /** Pause before each later piece (a trickle). */
  pieceDelayMs?: number;
  /** After sending: 'end' half-closes, 'destroy' resets, 'keep' leaves the socket open for the server to act. */
  after: 'end' | 'destroy' | 'keep';
  /** Give up (and fail the caller's expectation) after this long. */
  deadlineMs: number;
}

/** Sends `pieces` over one connection to `origin` and collects the answer until the server closes or the deadline passes. */
export function rawExchange(origin: string, pieces: Array<string | Buffer>, options: RawOptions): Promise<RawAnswer> {
  const { hostname, port } = new URL(origin);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const received: Buffer[] = [];
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : undefined, text, closedByServer, elapsedMs: Date.now() - started });
    };
    const deadline = setTimeout(() => finish(false), options.deadlineMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.once('connect', async () => {
      for (const [i, piece] of pieces.entries()) {
        if (i > 0 && options.pieceDelayMs) await new Promise((r) => setTimeout(r, options.pieceDelayMs));
        if (settled || socket.destroyed) return;
        socket.write(piece);
      }
      if (options.after === 'end') socket.end();
      else if (options.after === 'destroy') socket.resetAndDestroy();
    });
  });
}

/** A request head with the given headers (CRLFs, blank line included). */
export function requestHead(method: string, target: string, origin: string, headers: Record<string, string | number>): string {
  const host = new URL(origin).host;
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One request with the target sent byte for byte (fetch and undici normalise URLs: they would
 * resolve `..` and `%2E%2E` segments before the server ever saw them).
 */
export function httpCall(origin: string, method: string, target: string, options: { headers?: Record<string, string>; body?: Buffer | string; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port: Number(port), method, path: target, headers: options.headers, agent, timeout: options.timeoutMs ?? 20_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${target.slice(0, 200)} within ${options.timeoutMs ?? 20_000} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** Closes the pooled sockets (the suite's fd accounting must not count them). */
export function closeHttpAgent(): void {
  agent.destroy();
}
