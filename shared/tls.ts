// Optional TLS: a listener's certificate and key (fastify https), and the certificate authority
// every HTTP client of this process trusts besides the system's (a private CA, or a self-signed
// certificate). The CA is process-wide: set once at start-up, before any connection pool exists.

import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';
import { DfsError } from './errors.js';

export interface TlsFiles {
  /** PEM certificate (chain) this node's listener presents. */
  cert?: string;
  /** PEM private key of that certificate. */
  key?: string;
  /** PEM certificate(s) of a CA to trust when calling other nodes. */
  ca?: string;
}

let trusted: string[] | undefined;

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new DfsError('IllegalArgument', `Cannot read the TLS ${what} ${file}: ${(error as Error).message}`);
  }
}

/** The TLS files from options, else from DFS_TLS_CERT, DFS_TLS_KEY and DFS_TLS_CA. */
export function tlsFilesFrom(options: { tlsCert?: string; tlsKey?: string; tlsCa?: string }): TlsFiles {
  return {
    cert: options.tlsCert ?? (process.env.DFS_TLS_CERT || undefined),
    key: options.tlsKey ?? (process.env.DFS_TLS_KEY || undefined),
    ca: options.tlsCa ?? (process.env.DFS_TLS_CA || undefined),
  };
}

/** Makes every HTTP client of this process (undici pools, fetch) trust `caFile` besides the system CAs. */
export function trustCa(caFile: string): void {
  trusted = [...rootCertificates, readPem(caFile, 'CA certificate')];
  setGlobalDispatcher(new Agent(agentTlsOptions()));
}

/** Spread into `new Agent({...})`: the trusted CAs, when a private one was configured. */
export function agentTlsOptions(): { connect?: { ca: string[] } } {
  return trusted ? { connect: { ca: trusted } } : {};
}

/** Fastify's `https` option for a listener, or nothing for plain HTTP. Both files or neither. */
export function httpsServerOptions(files: TlsFiles | undefined): { https?: { cert: string; key: string } } {
  if (!files?.cert && !files?.key) return {};
  if (!files.cert || !files.key) throw new DfsError('IllegalArgument', 'TLS needs both a certificate and a key (--tls-cert and --tls-key)');
  return { https: { cert: readPem(files.cert, 'certificate'), key: readPem(files.key, 'key') } };
}

export const schemeOf = (files: TlsFiles | undefined): 'https' | 'http' => (files?.cert ? 'https' : 'http');
