import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';

const directory = mkdtempSync(path.join(tmpdir(), 'countersign-cli-'));
function yamlFile(name: string, text: string): string {
  const file = path.join(directory, name);
  writeFileSync(file, text);
  return file;
}

/** Run the CLI as operators do, in a minimal environment. */
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, env, { inherit: false });

const PROBLEM_LINE = /^(environment [A-Z_]+|\/\S+): (line \d+ column \d+|\(root\)|\(file\)|[A-Za-z]\w*(\.\w+|\[\d+\])*): \S.*$/;

function expectProblems(result: CliResult, expected: string[]) {
  expect(result.code).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  for (const line of lines) expect(line).toMatch(PROBLEM_LINE);
  for (const part of expected) expect(lines.some((line) => line.startsWith(part)), `a line starting with ${part} in\n${result.stderr}`).toBe(true);
  // No stack trace, no logger noise.
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/Error:|node:internal/);
  expect(result.stdout).not.toContain('ok');
}

describe('configuration errors from the CLI', () => {
  const bad = yamlFile('bad.yaml', 'port: 99999\nfoo: 1\nactor:\n  baseUrl: http://127.0.0.1:1/v1\n  bar: true\ncritic:\n  timeoutMs: soon\n');
  const syntax = yamlFile('syntax.yaml', 'port: 3000\nactor: [unclosed\n  model: x\n');
  const fine = yamlFile('fine.yaml', 'actor:\n  baseUrl: http://127.0.0.1:1/v1\n');

  it('check-config: a bad file lists every problem as "file: path.to.field: message", exit 2', async () => {
    expectProblems(await cli(['check-config', '--config', bad]), [`${bad}: port: `, `${bad}: (root): unknown field "foo"`, `${bad}: actor: unknown field "bar"`, `${bad}: critic.timeoutMs: `]);
  });

  it('check-config: a YAML syntax error, exit 2', async () => {
    expectProblems(await cli(['check-config', '--config', syntax]), [`${syntax}: line 2 column`]);
  });

  it('check-config: a missing named file, exit 2', async () => {
    expectProblems(await cli(['check-config', '--config', path.join(directory, 'missing.yaml')]), [`${path.join(directory, 'missing.yaml')}: (file): `]);
  });

  it('start: a bad file and a bad environment stop start-up with every problem, exit 2', async () => {
    const result = await cli(['start', '--config', bad], { PORT: 'abc', REDIS_URL: 'http://x', ADAPTERS: 'web,teams', REVIEW_TOKEN: 'x9qz' });
    expectProblems(result, [
      'environment PORT: port: ',
      'environment REDIS_URL: redis.url: must start with redis:// or rediss://',
      'environment ADAPTERS: adapters[1]: ',
      'environment REVIEW_TOKEN: review.token: ',
      `${bad}: (root): unknown field "foo"`,
      `${bad}: critic.timeoutMs: `,
    ]);
    expect(result.stderr).not.toContain('x9qz');
  });

  it('start: a YAML syntax error stops start-up, exit 2', async () => {
    expectProblems(await cli(['start', '--config', syntax], { PORT: '0' }), [`${syntax}: line 2 column`]);
  });

  it('start: a bad environment with a good file, exit 2', async () => {
    expectProblems(await cli(['start', '--config', fine], { PORT: '-1', CRITIC_TIMEOUT_MS: '0', WORKER_CONCURRENCY: 'ten' }), [
      'environment PORT: port: ',
      'environment CRITIC_TIMEOUT_MS: critic.timeoutMs: ',
      'environment WORKER_CONCURRENCY: queue.concurrency: ',
    ]);
  });

  it('check-config prints ok for a good file and for the shipped countersign.example.yaml', async () => {
    const good = await cli(['check-config', '--config', fine]);
    expect(good).toMatchObject({ code: 0, stdout: 'ok\n', stderr: '' });
    const example = await cli(['check-config', '--config', 'countersign.example.yaml'], { OPENAI_API_KEY: 'sk-test' });
    expect(example).toMatchObject({ code: 0, stdout: 'ok\n', stderr: '' });
  });
});
