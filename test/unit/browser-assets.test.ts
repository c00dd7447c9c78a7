/**
 * The pages' assets: a built file beside its module wins; without one the source is bundled
 * by esbuild (imports and @imports inlined, types erased), kept in memory and made again when
 * a file it was built from changes; neither is a clear error.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createBrowserAssets } from '../../src/core/browser-assets.js';

const root = mkdtempSync(path.join(tmpdir(), 'cs-browser-assets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder with a serving module and the given files; returns the module's URL. */
function fixture(name: string, files: Record<string, string>): string {
  const folder = path.join(root, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
    writeFileSync(path.join(folder, file), text);
  }
  return pathToFileURL(path.join(folder, 'serve.js')).href;
}

describe('createBrowserAssets', () => {
  it('bundles a TypeScript source and its imports into one script, erasing types, and a stylesheet with its @imports', async () => {
    const owner = fixture('bundle', {
      'browser/page.ts': "import { greet } from './greet.js';\nimport type { Shape } from '../types.js';\nconst shape: Shape = { name: 'x' };\ndocument.title = greet(shape.name);\n",
      'browser/greet.ts': "export const greet = (name: string): string => 'hello ' + name;\n",
      'types.ts': 'export interface Shape { name: string }\n',
      'browser/page.css': '@import "./theme.css";\n.page { color: var(--text); }\n',
      'browser/theme.css': ':root { --text: #123456; }\n',
    });
    const assets = createBrowserAssets({ owner, sources: { 'page.js': 'browser/page.ts', 'page.css': 'browser/page.css' } });
    const script = await assets.get('page.js');
    expect(script.contentType).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('"hello " + name');
    expect(script.body).toContain('document.title');
    expect(script.body).not.toMatch(/\bimport\b|: string|interface Shape/);
    // An IIFE: nothing leaks into the page's globals.
    expect(script.body.trim()).toMatch(/^"use strict";\s*\(\(\) => \{|^\(\(\) => \{/);
    const style = await assets.get('page.css');
    expect(style.contentType).toBe('text/css; charset=utf-8');
    expect(style.body).toContain('--text: #123456');
    expect(style.body).not.toContain('@import');
  });

  it('keeps a bundle in memory and makes it again when one of its files changed', async () => {
    const owner = fixture('rebuild', { 'browser/page.ts': "import { word } from './word.js';\ndocument.title = word;\n", 'browser/word.ts': "export const word = 'first';\n" });
    const assets = createBrowserAssets({ owner, sources: { 'page.js': 'browser/page.ts' } });
    expect((await assets.get('page.js')).body).toContain('first');
    const word = path.join(root, 'rebuild/browser/word.ts');
    writeFileSync(word, "export const word = 'second';\n");
    // A later modification time than the one the bundle was made from, whatever the clock's resolution.
    const later = new Date(Date.now() + 5000);
    utimesSync(word, later, later);
    expect((await assets.get('page.js')).body).toContain('second');
  });

  it('serves the built file beside the module when there is one (npm run build), not the source', async () => {
    const owner = fixture('built', { 'assets/page.js': 'console.log("built");\n', 'browser/page.ts': 'console.log("source");\n' });
    const assets = createBrowserAssets({ owner, sources: { 'page.js': 'browser/page.ts' } });
    expect((await assets.get('page.js')).body).toBe('console.log("built");\n');
  });

  it('writes minified bundles beside the module (the build), which are served from then on', async () => {
    const owner = fixture('build', { 'browser/page.ts': "const message: string = 'built by the build';\ndocument.title = message;\n" });
    const out = path.join(root, 'build', 'assets');
    const written = await createBrowserAssets({ owner, sources: { 'page.js': 'browser/page.ts' } }).build(out);
    expect(written).toEqual([path.join(out, 'page.js')]);
    const built = readFileSync(written[0]!, 'utf8');
    expect(built).toContain('"built by the build"');
    expect(built).not.toMatch(/: string|\n./);
    // The source changes after the build: a new process serves what was built.
    writeFileSync(path.join(root, 'build/browser/page.ts'), "document.title = 'changed since';\n");
    expect((await createBrowserAssets({ owner, sources: { 'page.js': 'browser/page.ts' } }).get('page.js')).body).toBe(built);
  });

  it('says what to do when neither the built file nor its source is there', async () => {
    const owner = fixture('missing', {});
    const assets = createBrowserAssets({ owner, sources: { 'page.js': 'browser/page.ts' } });
    await expect(assets.get('page.js')).rejects.toThrow(/neither .*assets\/page\.js nor its source .*browser\/page\.ts exists: run `npm run build`/);
  });

  it('refuses a file type it would not know how to serve, and a name it does not have', async () => {
    expect(() => createBrowserAssets({ owner: import.meta.url, sources: { 'page.html': 'browser/page.html' } })).toThrow(/only \.js and \.css/);
    const assets = createBrowserAssets({ owner: import.meta.url, sources: {} });
    await expect(assets.get('other.js')).rejects.toThrow(/no browser asset named other\.js/);
  });
});
