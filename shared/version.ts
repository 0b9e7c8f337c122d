// The version of dfs, read once from its package.json: the one found walking up from this module,
// which holds for the source tree (shared/), the build (dist/shared/) and the Docker image (/app).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'dfs';
/** Folders climbed at most: dist/shared/ is two levels below package.json. */
const PARENT_LEVELS_MAX = 4;

function readVersion(): string {
  let dir = import.meta.dirname;
  for (let level = 0; level <= PARENT_LEVELS_MAX; level++) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // no package.json here: look further up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export const DFS_VERSION = readVersion();
