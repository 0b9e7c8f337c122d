// Path globs as Hadoop's Globber expands them: `*` and `?` within one path component, `[abc]`,
// `[a-z]`, `[^a]` (or `[!a]`), `{a,b}` alternatives (nested, and spanning '/' as GlobExpander
// allows) and `\` to escape. Matches come back in each directory's listing order (by name).

import type { FileStatus } from '../shared/protocol.js';
import type { DfsClient } from './dfs-client.js';

/** Upper bound on the patterns one `{...}` expansion may produce, against runaway input. */
const BRACE_EXPANSIONS_MAX = 4096;

/** True when `text` holds an unescaped glob character. */
export function hasGlob(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if ('*?[{'.includes(text[i])) return true;
  }
  return false;
}

/** Removes glob escapes: `a\*b` names the file `a*b`. */
export function unescapeGlob(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/** The regular expression for one path component's pattern (throws on an unclosed `[` or `{`). */
export function globToRegExp(pattern: string, options: { ignoreCase?: boolean } = {}): RegExp {
  let out = '';
  let braceDepth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (i + 1 >= pattern.length) throw new SyntaxError(`Illegal file pattern: Expecting character after \\ in ${pattern}`);
      out += escapeRegExp(pattern[++i]);
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{') {
      out += '(?:';
      braceDepth++;
    } else if (c === '}' && braceDepth > 0) {
      out += ')';
      braceDepth--;
    } else if (c === ',' && braceDepth > 0) out += '|';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) throw new SyntaxError(`Illegal file pattern: Unclosed character class in ${pattern}`);
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('^') || body.startsWith('!');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\]\\^]/g, (m) => '\\' + m)}]`;
      i = close;
    } else out += escapeRegExp(c);
  }
  if (braceDepth > 0) throw new SyntaxError(`Illegal file pattern: Unclosed group in ${pattern}`);
  return new RegExp(`^${out}$`, options.ignoreCase ? 'i' : '');
}

const escapeRegExp = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Expands the `{...}` groups that contain a '/' into separate patterns (Hadoop's GlobExpander);
 * groups within one component stay for the component matcher.
 */
export function expandSlashBraces(pattern: string): string[] {
  const results: string[] = [];
  const pending = [pattern];
  while (pending.length > 0) {
    const current = pending.shift()!;
    const group = findSlashGroup(current);
    if (!group) {
      results.push(current);
      continue;
    }
    for (const alternative of splitAlternatives(current.slice(group.open + 1, group.close))) {
      pending.push(current.slice(0, group.open) + alternative + current.slice(group.close + 1));
      if (pending.length + results.length > BRACE_EXPANSIONS_MAX) throw new SyntaxError(`Illegal file pattern: too many alternatives in ${pattern}`);
    }
  }
  return results;
}

function findSlashGroup(text: string): { open: number; close: number } | null {
  const stack: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '{') stack.push(i);
    else if (text[i] === '}' && stack.length > 0) {
      const open = stack.pop()!;
      if (text.slice(open, i).includes('/')) return { open, close: i };
    }
  }
  return null;
}

function splitAlternatives(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === '{') depth++;
    else if (body[i] === '}') depth--;
    else if (body[i] === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/**
 * Every existing path matching `pattern` (absolute, or relative to the home directory), with its
 * status. A pattern without glob characters yields its path when it exists.
 */
export async function expandGlob(client: DfsClient, pattern: string): Promise<FileStatus[]> {
  const matches: FileStatus[] = [];
  for (const single of expandSlashBraces(pattern)) {
    const absolute = client.resolve(single);
    const components = absolute === '/' ? [] : absolute.slice(1).split('/');
    let current: Array<{ path: string; status: FileStatus | null }> = [{ path: '/', status: null }];
    for (const [index, component] of components.entries()) {
      const last = index === components.length - 1;
      const next: typeof current = [];
      if (!hasGlob(component)) {
        const name = unescapeGlob(component);
        for (const parent of current) next.push({ path: parent.path === '/' ? `/${name}` : `${parent.path}/${name}`, status: null });
      } else {
        const matcher = globToRegExp(component);
        for (const parent of current) {
          if (parent.status && parent.status.type !== 'DIRECTORY') continue;
          try {
            for await (const entry of client.opendir(parent.path)) {
              if (!matcher.test(entry.name)) continue;
              if (!last && !entry.isDirectory()) continue;
              next.push({ path: entry.status.path, status: entry.status });
            }
          } catch {
            // A parent that is missing or not a directory matches nothing, as in Hadoop.
          }
        }
      }
      current = next;
      if (current.length === 0) break;
    }
    for (const candidate of current) {
      const status = candidate.status ?? (await client.rpc.call('getFileInfo', { path: candidate.path })).status;
      if (status) matches.push(status);
    }
  }
  return matches;
}
