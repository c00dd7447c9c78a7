/**
 * `countersign rules test` as an operator runs it: a made-up turn through the configured checks
 * and rules, with a verdict file that needs only the decision, and every problem of a bad
 * verdict file at once. It calls no model, so it needs no key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cs-rules-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const target = path.join(dir, name);
  writeFileSync(target, text);
  return target;
};
const config = file(
  'countersign.yaml',
  ['rules:', '  - name: refunds-need-a-human', '    when:', '      all:', '        - decision: [approve, edit]', '        - categories: [refund]', '    then: escalate', ''].join('\n'),
);
const cli = (...args: string[]) => runCli(['rules', 'test', '--config', config, ...args], {}, { inherit: false });

describe('countersign rules test', () => {
  it('a verdict file with only some fields: the rest default, and the rule decides', async () => {
    const edit = file('edit.json', JSON.stringify({ decision: 'edit', categories: ['refund'], revised_text: 'We will look into a refund.' }));
    const result = await cli('-m', 'Can I get my money back?', '-d', 'Sure, refund coming!', '--verdict', edit);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Verdict: edit');
    expect(result.stdout).toContain('refunds-need-a-human');
    expect(result.stdout).toMatch(/Decision: escalate/);
    const approve = file('approve.json', '{"decision": "approve"}');
    const plain = await cli('-m', 'Where is my bag?', '--verdict', approve);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/Decision: approve/);
  });

  it('every problem of a verdict file at once, exit 2', async () => {
    const bad = file('bad.json', JSON.stringify({ decision: 'edit', confidence: 7, categories: 'refund' }));
    const result = await cli('-m', 'hi', '--verdict', bad);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${bad.replace(/[.]/g, '\\.')}: confidence: `)), expect.stringMatching(/: categories: /)]));
    const noText = file('no-text.json', '{"decision": "edit"}');
    const missing = await cli('-m', 'hi', '--verdict', noText);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`${noText}: revised_text: required for edit`);
  });
});
