
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetLineSchema } from '../../src/review/dataset-export.js';
import { runCli } from '../helpers/cli.js';
import { criticInput, type Pipeline, startPipeline, verdict, } from '../helpers/pipeline.js';

let pipeline: Pipeline;
let dir: string;
let startedAt: number;
const cli = (...args: string[]) => runCli(args, pipeline.env);

/** Every non-empty line of a JSONL file, parsed and checked against the dataset line schema. */
function readDataset(file: string) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  expect(lines.at(-1), 'the file ends with a newline').toBe('');
  return lines.slice(0, -1).map((line, index) => {
    const parsed = datasetLineSchema.safeParse(JSON.parse(line));
    expect(parsed.success, `line ${index + 1}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`).toBe(true);
    const messages = (parsed.data as { messages: Array<{ role: string; content: string }> }).messages;
    return { messages, verdict: JSON.parse(messages.at(-1)!.content) as Record<string, unknown>, user: messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n') };
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cs-export-'));
  startedAt = Date.now();
  // While turns are made, the critic escalates everything that mentions a lawyer or a refund.
  pipeline = await startPipeline({
    critic: (request) => {
      const draft = criticInput(request).draft;
      return draft.includes('lawyer') || draft.includes('refund') ? { content: verdict('escalate', { reason: 'needs a human', categories: ['legal'] }) } : { content: verdict('approve') };
    },
  });
  // Reviewed three ways, and one left pending (not exported).
  await pipeline.send('ex-approve', 'Hello there');
  await pipeline.waitForBot('ex-approve', 1);
  await pipeline.send('ex-approve', 'My lawyer is jane.doe@example.com, write to her.');
  const approveId = await pipeline.waitForPendingTurn('ex-approve');
  await pipeline.send('ex-edit', 'I want a refund, call me on +1 415 555 0100.');
  const editId = await pipeline.waitForPendingTurn('ex-edit');
  await pipeline.send('ex-reject', 'Tell my lawyer you are guilty.');
  const rejectId = await pipeline.waitForPendingTurn('ex-reject');
  await pipeline.send('ex-pending', 'My lawyer again.');
  await pipeline.waitForPendingTurn('ex-pending');
  expect((await pipeline.reviewApi('POST', `/api/review/turns/${approveId}/approve`, {})).status).toBe(200);
  expect((await pipeline.reviewApi('POST', `/api/review/turns/${editId}/approve`, { text: 'Refunds are handled by our billing team; they will email you.' })).status).toBe(200);
  expect((await pipeline.reviewApi('POST', `/api/review/turns/${rejectId}/reject`, {})).status).toBe(200);
});

afterAll(async () => {
  await pipeline?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('countersign export', () => {
  it('writes the reviewed turns as a fine-tuning set labelled by the human decision, every line valid', async () => {
    const out = path.join(dir, 'set.jsonl');
    const since = new Date(startedAt - 60_000).toISOString();
    const result = await cli('export', '--since', since, '--out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trim()).toBe(`wrote 3 lines to ${out}: approve 1, edit 1, escalate 1`);
    const lines = readDataset(out);
    expect(lines).toHaveLength(3);
    // Oldest resolution first: approve, edit, reject.
    expect(lines.map((line) => line.verdict.decision)).toEqual(['approve', 'edit', 'escalate']);
    expect(lines[0]!.verdict).toMatchObject({ confidence: 1, revised_text: null, feedback: null });
    expect(lines[1]!.verdict).toMatchObject({ decision: 'edit', revised_text: 'Refunds are handled by our billing team; they will email you.' });
    // The critic's own prompt: the system message with the configured policy, the data block with the fixed boundary, the draft last.
    for (const line of lines) {
      expect(line.messages[0]!.role).toBe('system');
      expect(line.messages[0]!.content).toContain(`Operator policy:\n${pipeline.config.critic.policy}`);
      expect(line.user).toContain('<<<REVIEW-DATA dataset>>>');
    }
    expect(lines[0]!.user).toContain('jane.doe@example.com');
    expect(lines[0]!.user).toContain('reply to: Hello there'); // the conversation's history
    expect(lines[0]!.user).toContain('"draft": "reply to: My lawyer is jane.doe@example.com, write to her."');

    // Stdout, a later --since (nothing), and the same export again (identical bytes).
    const [stdout, later, again] = await Promise.all([
      cli('export', '--since', since, '--out', '-'),
      cli('export', '--since', new Date(Date.now() + 3600_000).toISOString(), '--out', path.join(dir, 'empty.jsonl')),
      cli('export', '--since', '1d', '--out', path.join(dir, 'again.jsonl')),
    ]);
    expect(stdout.stdout).toBe(readFileSync(out, 'utf8'));
    expect(later.code).toBe(0);
    // An export of nothing says so, and where it looked (data exists under this prefix).
    expect(later.stderr).toContain('nothing to export: no reviewed turns in that time range');
    expect(later.stderr).toContain(`(prefix "${pipeline.prefix}" in Redis at`);
    expect(readFileSync(path.join(dir, 'empty.jsonl'), 'utf8')).toBe('');
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'again.jsonl'), 'utf8')).toBe(readFileSync(out, 'utf8'));
  });

  it('masks personal data and user names with --mask-personal-data', async () => {
    const out = path.join(dir, 'masked.jsonl');
    const result = await cli('export', '--since', '2000-01-01', '--out', out, '--mask-personal-data');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('personal data masked');
    const lines = readDataset(out);
    expect(lines).toHaveLength(3);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain('jane.doe@example.com');
    expect(text).not.toContain('415 555 0100');
    expect(text).not.toContain('tester');
    expect(lines[0]!.user).toContain('[email]');
    expect(lines[1]!.user).toContain('[phone]');
    expect(lines[0]!.user).toContain('user-1');
  });

  it('refuses bad dates and unwritable files with exit 2', async () => {
    const [badDate, badRange, unwritable, noOut] = await Promise.all([
      cli('export', '--since', 'last tuesday', '--out', path.join(dir, 'x.jsonl')),
      cli('export', '--since', '2025-02-01', '--until', '2025-01-01', '--out', path.join(dir, 'x.jsonl')),
      cli('export', '--out', path.join(dir, 'missing-dir', 'x.jsonl')),
      cli('export'),
    ]);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr.trim()).toBe('countersign: --since: "last tuesday" is not a date (2025-01-31, 2025-01-31T09:00Z) or an age (12h, 30d)');
    expect(badRange.code).toBe(2);
    expect(badRange.stderr).toContain('--until must be after --since');
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toContain('cannot write');
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain("required option '-o, --out <file>' not specified");
  });
});

describe('countersign eval', () => {
  it('runs the configured critic over the set: confusion matrix, escalation precision and recall, latency, progress', async () => {
    const dataset = path.join(dir, 'eval.jsonl');
    expect((await cli('export', '--since', '2000-01-01', '--out', dataset)).code).toBe(0);
    // The critic under evaluation: escalates lawyers (right for the rejected turn, wrong for the
    // approved one), edits refunds (right).
    const before = pipeline.criticRequests().length;
    pipeline.critic.setScript((request) => {
      const draft = criticInput(request).draft;
      if (draft.includes('refund')) return { content: verdict('edit', { revised_text: 'Billing will email you.' }) };
      if (draft.includes('lawyer')) return { content: verdict('escalate') };
      return { content: verdict('approve') };
    });
    const result = await cli('eval', '--dataset', dataset, '--concurrency', '2');
    expect(result.code, result.stderr).toBe(0);
    expect(pipeline.criticRequests().length - before).toBe(3);
    for (const request of pipeline.criticRequests().slice(before)) {
      expect(request.model).toBe('test-critic');
      expect(request.raw).toContain('<<<REVIEW-DATA dataset>>>');
    }
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Critic evaluation: 3 examples, 3 answered, 0 failed');
    expect(lines).toContain('label \\ critic  approve  edit  revise  escalate  failed  total');
    expect(lines).toContain('approve               0     0       0         1       0      1');
    expect(lines).toContain('edit                  0     1       0         0       0      1');
    expect(lines).toContain('revise                0     0       0         0       0      0');
    expect(lines).toContain('escalate              0     0       0         1       0      1');
    expect(result.stdout).toContain('Agreement:  66.7% (2/3 answered)');
    expect(result.stdout).toContain('Escalation: precision 50.0% (1/2), recall 100.0% (1/1)');
    expect(result.stdout).toMatch(/Latency: {4}p50 \d+ ms, p95 \d+ ms \(3 calls\)/);
    // Progress on stderr, the report alone on stdout.
    expect(result.stderr).toContain('Evaluating test-critic at 127.0.0.1:');
    expect(result.stderr).toContain('[##############################] 3/3');
    expect(result.stdout).not.toContain('[#');

    const json = await cli('eval', '--dataset', dataset, '--json');
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { total: number; confusion: Record<string, Record<string, number>>; escalation: { precision: number; recall: number } };
    expect(report.total).toBe(3);
    expect(report.confusion.approve!.escalate).toBe(1);
    expect(report.escalation).toMatchObject({ precision: 0.5, recall: 1 });
  });

  it('reports every problem of an invalid dataset with its line, exit 2', async () => {
    const bad = path.join(dir, 'bad.jsonl');
    const good = readFileSync(path.join(dir, 'set.jsonl'), 'utf8').split('\n')[0]!;
    const noReason = JSON.parse(good) as { messages: Array<{ role: string; content: string }> };
    const target = JSON.parse(noReason.messages.at(-1)!.content) as Record<string, unknown>;
    delete target.reason;
    noReason.messages.at(-1)!.content = JSON.stringify(target);
    writeFileSync(bad, `${good}\nnot json\n\n${JSON.stringify(noReason)}\n`);
    const [result, empty, missing] = await Promise.all([
      cli('eval', '--dataset', bad),
      (async () => {
        writeFileSync(path.join(dir, 'blank.jsonl'), '\n\n');
        return cli('eval', '--dataset', path.join(dir, 'blank.jsonl'));
      })(),
      cli('eval', '--dataset', path.join(dir, 'nope.jsonl')),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the dataset has 2 problems');
    expect(result.stderr).toContain(`${bad}:2: not valid JSON`);
    expect(result.stderr).toContain(`${bad}:4: messages[2].content: the assistant verdict: reason:`);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('has no examples');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the dataset');
  });

  it('a line with too few messages is a problem with its line, not a crash; without a key it blames the critic, not a file', async () => {
    const short = path.join(dir, 'short.jsonl');
    writeFileSync(short, '{"messages":[]}\n{"messages":[{"role":"user","content":"hi"}]}\n');
    const shortResult = await cli('eval', '--dataset', short);
    expect(shortResult.code).toBe(2);
    expect(shortResult.stderr).toContain(`${short}:1: messages: needs the prompt and the assistant verdict`);
    expect(shortResult.stderr).toContain(`${short}:2: messages: needs the prompt and the assistant verdict`);
    expect(shortResult.stderr).not.toMatch(/Cannot read properties|TypeError/);
    // No key anywhere and OpenAI's endpoint: the critic's missing key, with no file to blame.
    const noKey = await runCli(['eval', '--dataset', short], { REDIS_URL: pipeline.env.REDIS_URL! }, { inherit: false });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr.trim()).toBe("critic.apiKey: the critic uses OpenAI's API and has no key (set CRITIC_API_KEY or OPENAI_API_KEY, or CRITIC_BASE_URL / critic.baseUrl for a local server)");
  });

  it('exits 1 when the critic answers none of the examples', async () => {
    const result = await runCli(['eval', '--dataset', path.join(dir, 'set.jsonl')], { ...pipeline.env, CRITIC_BASE_URL: 'http://127.0.0.1:1/v1' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('3 failed');
    expect(result.stderr).toContain('the critic answered none of the 3 examples');
  });
});
