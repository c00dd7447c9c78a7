/**
 * Every Redis script of the project is a `.lua` file of one script: a header that names each of
 * its KEYS, its ARGV and what it returns; its keys read once, through named locals; its includes
 * resolved when loaded; and `npm run build` ships it in dist beside the module that loads it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadLua } from '../../src/core/redis-scripts.js';
import { PROJECT_ROOT } from '../helpers/worker-process.js';

const scripts = ['src', 'adapters'].flatMap((top) =>
  readdirSync(path.join(PROJECT_ROOT, top), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.lua'))
    .map((entry) => path.relative(PROJECT_ROOT, path.join(entry.parentPath, entry.name))),
);
const mains = scripts.filter((file) => !file.includes(`${path.sep}include${path.sep}`));

describe('the Redis scripts', () => {
  it('are found (the conversation protocol, delivery, adapter storage, review notices, the action ledger)', () => {
    for (const folder of ['src/conversation/scripts', 'src/delivery/scripts', 'src/queue/scripts', 'src/review/scripts', 'src/tools/scripts']) {
      expect(mains.some((file) => file.startsWith(folder)), folder).toBe(true);
    }
  });

  it.each(mains)('%s: a header names every key, the arguments and the result; the keys are read through named locals', (file) => {
    const text = readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(text)?.[1];
    expect(header, 'a --[[ header ]] first').toBeDefined();
    const code = text.slice(text.indexOf(']]') + 2);
    const used = [...new Set([...code.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1])))];
    for (const index of used) expect(header).toContain(`KEYS[${index}]`);
    if (/ARGV\[/.test(code)) expect(header).toMatch(/ARGV\[1\]/);
    expect(header).toMatch(/Returns /);
    // Fixed keys are named once, at the top (`local name = KEYS[1]`), never used inline; a
    // script with a variable number of keys walks them in a loop.
    const inline = code.split('\n').filter((line) => /KEYS\[\d+\]/.test(line) && !/^local [a-zA-Z, ]+ = KEYS\[/.test(line));
    expect(inline).toEqual([]);
  });

  it('resolve their includes when loaded, each once', () => {
    const beginTurn = loadLua(pathToFileURL(path.join(PROJECT_ROOT, 'src/conversation/scripts/begin-turn.lua')));
    expect(beginTurn).not.toContain('--- @include');
    for (const name of ['history_tail', 'retain_conversation', 'took_from_inbox']) expect(beginTurn).toContain(`local function ${name}(`);
  });

  it('are shipped in dist by the build, beside the modules that load them', () => {
    const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts.build).toContain('node scripts/copy-assets.mjs');
    // The copy script run on a copy of the sources: it writes the Lua files into dist/.
    const copy = mkdtempSync(path.join(tmpdir(), 'countersign-build-'));
    for (const folder of ['src', 'adapters', 'scripts']) cpSync(path.join(PROJECT_ROOT, folder), path.join(copy, folder), { recursive: true });
    execFileSync(process.execPath, ['scripts/copy-assets.mjs'], { cwd: copy });
    for (const file of scripts) expect(existsSync(path.join(copy, 'dist', file)), file).toBe(true);
  });
});
