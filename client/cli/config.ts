// The shell's configuration: key/value settings as Hadoop's core-site.xml holds them (e.g.
// fs.trash.interval), read from a JSON file ($DFS_CONF, else ~/.config/dfs/dfs-site.json) and
// overridden by the generic option -D key=value.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function configurationFile(): string {
  return process.env.DFS_CONF ?? join(homedir(), '.config', 'dfs', 'dfs-site.json');
}

/** Settings from the configuration file (none when it is missing), then `overrides` on top. */
export function loadConfiguration(overrides: Map<string, string> = new Map()): Map<string, string> {
  const conf = new Map<string, string>();
  let text: string | null = null;
  try {
    text = readFileSync(configurationFile(), 'utf8');
  } catch {
    // No configuration file: defaults apply.
  }
  if (text !== null) {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') for (const [key, value] of Object.entries(parsed)) conf.set(key, String(value));
  }
  for (const [key, value] of overrides) conf.set(key, value);
  return conf;
}
