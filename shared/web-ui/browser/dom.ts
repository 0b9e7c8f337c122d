// Browser-side helpers shared by the namenode and datanode pages. Runs in the browser: only DOM
// APIs, no Node modules, no imports but relative browser modules.
//
// Every value reaches the page through h(): strings become text nodes and attributes are set with
// setAttribute, never parsed as HTML, so a file named `<img src=x onerror=alert(1)>` is shown as text.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attribute = string | number | boolean | undefined | ((event: Event) => void);

/** Links the UI builds: in-page routes, this server's paths, or http(s) URLs of other nodes. */
const SAFE_HREF = /^(#|\/|https?:\/\/)/i;

export function h(tag: string, attributes: Record<string, Attribute> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') {
      element.addEventListener(name.replace(/^on/, ''), value);
      continue;
    }
    const text = value === true ? '' : String(value);
    if ((name === 'href' || name === 'src' || name === 'action') && !SAFE_HREF.test(text)) throw new Error(`refusing a ${name} of ${text}`);
    element.setAttribute(name, text);
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces what `parent` shows. */
export function show(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

/** A table with a header row; `numeric` names the columns aligned right. */
export function table(headers: string[], rows: Child[][], options: { numeric?: number[]; empty?: string; id?: string } = {}): HTMLElement {
  const numeric = new Set(options.numeric ?? []);
  const cell = (tag: string, index: number, content: Child) => h(tag, numeric.has(index) ? { class: 'num' } : {}, content);
  if (rows.length === 0) return h('p', { class: 'muted', id: options.id }, options.empty ?? 'None.');
  return h(
    'table',
    { id: options.id },
    h('thead', {}, h('tr', {}, headers.map((header, i) => cell('th', i, header)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, row.map((content, i) => cell('td', i, content))))),
  );
}

/** A definition list of facts; each value carries `data-field` (and `data-value`, the exact number) for scripts and tests. */
export function facts(entries: Array<[label: string, field: string, value: Child, exact?: number]>): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    entries.map(([label, field, value, exact]) => [h('dt', {}, label), h('dd', { 'data-field': field, 'data-value': exact, title: exact === undefined ? undefined : `${exact}` }, value)]),
  );
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Bytes as HDFS's UI shows them (powers of 1024, one decimal). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A duration as "3 d 4 h", "5 min 2 s", "1.2 s". */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  const parts: Array<[number, string]> = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'min'],
    [seconds % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(' ');
}

export const formatTime = (ms: number): string => new Date(ms).toLocaleString();

/** A failure of a JSON call, with the server's message (a WebHDFS RemoteException's, when it sent one). */
export class CallError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly exception?: string,
  ) {
    super(message);
  }
}

/** fetch() that answers parsed JSON, or throws a CallError naming what the server said. */
export async function fetchJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store', ...init });
  } catch (error) {
    throw new CallError(`Cannot reach ${new URL(url, location.href).host}: ${(error as Error).message}`, 0);
  }
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: the status says enough
  }
  if (!response.ok) {
    const remote = (body as { RemoteException?: { exception?: string; message?: string } } | undefined)?.RemoteException;
    throw new CallError(remote?.message ?? `HTTP ${response.status} ${response.statusText}`, response.status, remote?.exception);
  }
  return body as T;
}

/** Runs `refresh` now and every `intervalMs` while `isCurrent()` holds; one call at a time. */
export function poll(refresh: () => Promise<void>, intervalMs: number, isCurrent: () => boolean): void {
  const tick = async () => {
    if (!isCurrent()) return;
    await refresh();
    if (isCurrent()) setTimeout(() => void tick(), intervalMs);
  };
  void tick();
}
