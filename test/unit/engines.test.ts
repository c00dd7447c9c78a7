import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));

/**
 * `npm ci` warns EBADENGINE when an installed package's `engines.node` refuses the running Node.
 * Every Node version the project's own `engines` names must be one that every package of the lock
 * file accepts: checked at the lowest version of each range the project names (the oldest Node a
 * user is told works), where a package's newer floor would show first.
 */
describe('engines', () => {
  const projectRange: string = read('package.json').engines.node;
  const lock = read('package-lock.json') as { packages: Record<string, { engines?: { node?: string } | string[] }> };
  // "^20.19.0 || >=22.12.0" -> the oldest version of each alternative: 20.19.0, 22.12.0.
  const oldest = new semver.Range(projectRange).set.map((comparators) => semver.minVersion(new semver.Range(comparators.map(String).join(' ')))!.version);

  it('names Node 20 (the Node the Dockerfile and CI run), and the lock file agrees with package.json', () => {
    expect(oldest.some((version) => semver.major(version) === 20)).toBe(true);
    expect(lock.packages['']!.engines).toEqual({ node: projectRange });
  });

  it('every package in the lock file accepts the oldest Node of each range the project names (no EBADENGINE)', () => {
    const refusals: string[] = [];
    for (const [name, entry] of Object.entries(lock.packages)) {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!name || !range) continue;
      for (const version of oldest) if (!semver.satisfies(version, range)) refusals.push(`${name} wants node ${range}; the project says ${version} works`);
    }
    expect(refusals).toEqual([]);
  });
});
