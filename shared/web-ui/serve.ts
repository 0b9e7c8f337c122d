// Serving a node's web UI: one HTML page at `/`, one stylesheet, and the browser modules. The browser
// code is TypeScript under <area>/web-ui/browser/, compiled by the project's own `tsc` build into
// dist/<area>/web-ui/browser/*.js as plain ES modules; they are read into memory when the server
// starts and served at /ui/<area>/web-ui/browser/<name>.js, a URL tree that mirrors the source tree so
// the modules' relative imports resolve in the browser as they do for tsc. Nothing else is served:
// no file-system path is ever built from a request.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DfsError } from '../errors.js';
import { WEB_UI_CSS } from './style.js';

export const UI_PREFIX = '/ui';
const STYLE_URL = `${UI_PREFIX}/style.css`;
/** The browser modules shared by every node type, next to this file once compiled. */
const SHARED_BROWSER_DIR = join(import.meta.dirname, 'browser');

/**
 * Scripts only from this server; data from this server and, for uploads, from datanodes (another
 * origin); nothing inline, so even markup that slipped into the page could not run.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' http: https:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface WebUiOptions {
  /** The page's title, e.g. "dfs namenode". A constant: the page shell never holds data. */
  title: string;
  /** The node type's compiled browser folder and its URL area ('namenode' or 'datanode'). */
  area: string;
  browserDir: string;
  /** The module that starts the page, in `browserDir`. */
  entry: string;
}

/** Compiled browser modules of a folder: URL -> source. Empty when the folder was not built (running from the TypeScript sources). */
function loadModules(dir: string, urlDir: string): Map<string, Buffer> {
  const modules = new Map<string, Buffer>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return modules;
  }
  for (const name of names) if (name.endsWith('.js')) modules.set(`${urlDir}/${name}`, readFileSync(join(dir, name)));
  return modules;
}

/** Registers `/`, the stylesheet and the browser modules of one node type. */
export function serveWebUi(app: FastifyInstance, options: WebUiOptions): void {
  const modules = new Map([
    ...loadModules(SHARED_BROWSER_DIR, `${UI_PREFIX}/shared/web-ui/browser`),
    ...loadModules(options.browserDir, `${UI_PREFIX}/${options.area}/web-ui/browser`),
  ]);
  const entryUrl = `${UI_PREFIX}/${options.area}/web-ui/browser/${options.entry}`;
  const page = pageShell(options.title, entryUrl);

  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CONTENT_SECURITY_POLICY).header('cache-control', 'no-cache').send(page),
  );
  app.get(STYLE_URL, async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(WEB_UI_CSS));
  app.get(`${UI_PREFIX}/*`, async (request, reply) => {
    const source = modules.get(request.url.split('?')[0]);
    if (!source) throw new DfsError('FileNotFound', `No such web UI file: ${request.url.split('?')[0]}${modules.size === 0 ? ' (the web UI is not built: run npm run build)' : ''}`);
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(source);
  });
}

/** The static page: a header the modules fill in, and the entry module. */
function pageShell(title: string, entryUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLE_URL}">
<script type="module" src="${escapeHtml(entryUrl)}"></script>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><nav id="nav"></nav><div id="header-extra"></div></header>
<main id="main"><p class="muted">Loading…</p><noscript>This page needs JavaScript.</noscript></main>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
