/**
 * The action ledger's Redis scripts: one `<name>-<keys>.lua` file each, with a header giving
 * KEYS, ARGV and the output and named locals for the keys; and `npm run build` ships them in
 * dist (tsc compiles TypeScript only).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadLuaCommands } from '../../src/tools/ledger-scripts.js';
import { PROJECT_ROOT } from '../helpers/worker-process.js';

const COMMANDS = path.join(PROJECT_ROOT, 'src/tools/commands');
const files = readdirSync(COMMANDS).filter((file) => file.endsWith('.lua'));

describe('the ledger scripts', () => {
  it('are the four commands, named after their files, with their number of keys', () => {
    const commands = loadLuaCommands(pathToFileURL(`${COMMANDS}/`));
    expect(commands.map((command) => [command.name, command.numberOfKeys]).sort()).toEqual([
      ['csBeginAction', 1],
      ['csFinishAction', 1],
      ['csRecordAction', 1],
      ['csResolveAction', 1],
    ]);
  });

  it.each(files)('%s has a header naming KEYS, ARGV and the output, and reads its keys through named locals', (file) => {
    const text = readFileSync(path.join(COMMANDS, file), 'utf8');
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(text)?.[1] ?? '';
    const keys = Number(/-(\d+)\.lua$/.exec(file)![1]);
    expect(header).toMatch(/Input:/);
    expect(header).toMatch(/Output:/);
    for (let index = 1; index <= keys; index++) expect(header).toContain(`KEYS[${index}]`);
    expect(header).toContain('ARGV[1]');
    const code = text.slice(text.indexOf(']]') + 2);
    const keyUses = code.split('\n').filter((line) => line.includes('KEYS['));
    expect(keyUses).toHaveLength(keys);
    for (const line of keyUses) expect(line).toMatch(/^local [a-z][A-Za-z]* = KEYS\[\d+\]$/);
  });

  it('are copied into the build output by the build', () => {
    const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts.build).toContain('node scripts/copy-lua-scripts.mjs');
    const out = mkdtempSync(path.join(tmpdir(), 'countersign-build-'));
    execFileSync(process.execPath, ['scripts/copy-lua-scripts.mjs', '--out', out], { cwd: PROJECT_ROOT });
    for (const file of files) expect(existsSync(path.join(out, 'src/tools/commands', file))).toBe(true);
  });
});
