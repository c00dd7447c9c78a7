/**
 * The layering of docs/architecture.md, checked on every source file: a module imports only
 * its own folder and the folders below it, never one beside it (config and escalation, say),
 * never one above it; the conversation, the agents and the escalation rules never touch a
 * platform SDK or the queue library; adapters import only src/core and their own SDK.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/worker-process.js';

/** What each folder of src/ may import besides itself. The composition layer (main, cli, demo, index) is free. */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  config: ['core'],
  agents: ['core'],
  escalation: ['core', 'tools'],
  delivery: ['core'],
  observability: ['core'],
  conversation: ['core', 'config', 'delivery', 'tools'],
  tools: ['core', 'config'],
  queue: ['core'],
  review: ['core', 'config', 'agents', 'delivery', 'tools'],
  http: ['core', 'config', 'observability', 'review'],
  'tau-bench': ['core'],
  adapters: ['core'],
};
const COMPOSITION = new Set(['main.ts', 'cli.ts', 'index.ts', 'cli', 'demo', 'service']);

/** Packages some folders must never import. */
const FORBIDDEN_PACKAGES: Record<string, RegExp> = {
  conversation: /^(@slack\/|discord\.js|@discordjs\/|bullmq)/,
  agents: /^(@slack\/|discord\.js|@discordjs\/|bullmq)/,
  escalation: /^(@slack\/|discord\.js|@discordjs\/|bullmq)/,
  core: /^(@slack\/|discord\.js|@discordjs\/|bullmq|fastify)/,
};
/** The SDKs each adapter may use (and only it). */
const ADAPTER_SDKS: Record<string, RegExp> = { slack: /^@slack\//, discord: /^(discord\.js|@discordjs\/)/, web: /^$/ };
const PLATFORM_SDK = /^(@slack\/|discord\.js|@discordjs\/)/;

function sourceFiles(directory: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, directory), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.relative(PROJECT_ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** `src/conversation/turn/x.ts` -> `conversation`; `src/main.ts` -> `main.ts`; `adapters/slack/x.ts` -> `adapters`. */
function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'adapters') return 'adapters';
  return parts.length === 2 ? parts[1]! : parts[1]!;
}

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(path.join(PROJECT_ROOT, file), 'utf8'), true, true);
  return info.importedFiles.map((imported) => imported.fileName);
}

const files = [...sourceFiles('src'), ...sourceFiles('adapters')].filter((file) => !file.includes('/browser/'));

describe('import rules', () => {
  it('every folder of src/ and adapters/ has a rule (a new folder must be placed in the layers)', () => {
    const folders = new Set(files.map(folderOf));
    const unplaced = [...folders].filter((folder) => !(folder in ALLOWED) && !COMPOSITION.has(folder));
    expect(unplaced).toEqual([]);
  });

  it('a module imports only its own folder and the folders below it', () => {
    const broken: string[] = [];
    for (const file of files) {
      const folder = folderOf(file);
      if (COMPOSITION.has(folder)) continue;
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
        const targetFolder = folderOf(target);
        if (targetFolder === folder || ALLOWED[folder]!.includes(targetFolder)) continue;
        broken.push(`${file} imports ${specifier} (${folder} may not import ${targetFolder})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the conversation, the agents, the escalation rules and core touch no platform SDK or queue library', () => {
    const broken: string[] = [];
    for (const file of files) {
      const rule = FORBIDDEN_PACKAGES[folderOf(file)];
      if (!rule) continue;
      for (const specifier of importsOf(file)) if (rule.test(specifier)) broken.push(`${file} imports ${specifier}`);
    }
    expect(broken).toEqual([]);
  });

  it("adapters import only src/core and their own platform's SDK", () => {
    const broken: string[] = [];
    for (const file of files.filter((name) => name.startsWith('adapters/'))) {
      const platform = file.split('/')[1]!;
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
          if (!target.startsWith(`adapters/${platform}/`) && !target.startsWith('src/core/')) broken.push(`${file} imports ${specifier}`);
        } else if (PLATFORM_SDK.test(specifier) && !ADAPTER_SDKS[platform]!.test(specifier)) {
          broken.push(`${file} imports ${specifier}, another platform's SDK`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('the check itself finds a violation (a rule that cannot fail proves nothing)', () => {
    const folder = 'escalation';
    const target = folderOf('src/config/schema.ts');
    expect(ALLOWED[folder]!.includes(target)).toBe(false);
    expect(FORBIDDEN_PACKAGES.conversation!.test('bullmq')).toBe(true);
  });
});
