import { readFileSync } from 'node:fs';

/**
 * countersign's own version, from its package.json: two directories up from the sources
 * (src/core) and three from the compiled code (dist/src/core), whichever is the package's.
 */
export function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'countersign' && manifest.version) return manifest.version;
    } catch {
      // not there: try the next candidate
    }
  }
  return 'unknown';
}
