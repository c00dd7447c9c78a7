import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { headingAnchor, headingAnchors, linkProblems } from '../helpers/markdown-links.js';

/** README and every page of docs/: the documentation a clone of the repository has. */
const pages = [path.join(ROOT, 'README.md'), ...readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => path.join(ROOT, 'docs', name))];

describe('the documentation', () => {
  it('every relative link resolves, and every #anchor into a markdown page names one of its headings', () => {
    const problems = linkProblems(pages);
    expect(problems).toEqual([]);
  });

  it('refers to nothing outside the repository: no ../shared, CONTRACT.md or DESIGN.md', () => {
    const found: string[] = [];
    for (const page of pages) {
      for (const [index, line] of readFileSync(page, 'utf8').split('\n').entries()) {
        if (/\.\.\/shared|CONTRACT\.md|DESIGN\.md|section for the lead/i.test(line)) found.push(`${path.relative(ROOT, page)}:${index + 1}: ${line.trim()}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('README opens with the two commands: the demo and the tests', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('\n## '));
    expect(firstBlock).toMatch(/^npm ci && npm run demo\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
  });

  it("README's dependency table gives a reason for every dependency of package.json", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const explained = new Set([...readme.matchAll(/^\| ([^|]+) \| [^|]+ \|$/gm)].flatMap((row) => [...row[1]!.matchAll(/`([^`]+)`/g)].map((name) => name[1]!)));
    const missing = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)].filter((name) => !explained.has(name));
    expect(missing).toEqual([]);
  });
});

describe('the link checker', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'docs-links-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('names GitHub anchors the way GitHub does', () => {
    expect(headingAnchor("A reviewer's text: `review.checkReviewerText`")).toBe('a-reviewers-text-reviewcheckreviewertext');
    expect(headingAnchor('Who reviewed: named tokens, the shared token')).toBe('who-reviewed-named-tokens-the-shared-token');
    expect(headingAnchor("τ-bench's airline environment")).toBe('τ-benchs-airline-environment');
    expect([...headingAnchors('# Limits\n\n```sh\n# not a heading\n```\n## Limits\n')]).toEqual(['limits', 'limits-1']);
  });

  it('fails on a missing file, a missing anchor and a missing anchor in the same page; ignores code and other sites', () => {
    const page = path.join(directory, 'page.md');
    writeFileSync(path.join(directory, 'other.md'), '# Other page\n\n## Real section\n');
    writeFileSync(
      page,
      [
        '# Page',
        '[fine](other.md#real-section) [fine too](#page) [site](https://example.com/missing.md)',
        '[gone](missing.md) [no anchor](other.md#imaginary) [no local anchor](#nowhere)',
        '`[in code](missing-in-code.md)`',
        '```md',
        '[in a fence](missing-in-fence.md)',
        '```',
      ].join('\n'),
    );
    expect(linkProblems([page]).map((problem) => problem.replace(`${page}:`, ''))).toEqual([
      '3: missing.md: no such file',
      '3: other.md#imaginary: no heading with this anchor in other.md',
      '3: #nowhere: no heading with this anchor in page.md',
    ]);
  });
});
