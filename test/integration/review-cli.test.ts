
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { criticInput, HOLDING, type Pipeline, startPipeline, verdict, } from '../helpers/pipeline.js';

let pipeline: Pipeline;
const user = (() => {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
})();

const cli = (...args: string[]) => runCli(args, pipeline.env);

beforeAll(async () => {
  pipeline = await startPipeline({
    critic: (request) =>
      criticInput(request).draft.includes('lawyer')
        ? { content: verdict('escalate', { reason: 'a legal threat', categories: ['legal'], confidence: 0.8 }) }
        : { content: verdict('approve') },
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('countersign review (terminal)', () => {
  let approveId: string;
  let editId: string;
  let rejectId: string;

  it('lists, shows and refuses bad input', async () => {
    await pipeline.send('cli-approve', 'My lawyer will call you.');
    approveId = await pipeline.waitForPendingTurn('cli-approve');
    await pipeline.send('cli-edit', 'My lawyer wants a refund. \u001b[2J\u001b]0;pwned\u0007');
    editId = await pipeline.waitForPendingTurn('cli-edit');
    await pipeline.send('cli-reject', 'Talk to my lawyer.');
    rejectId = await pipeline.waitForPendingTurn('cli-reject');

    const [table, json, show, missing, badStatus, badId, badConfig] = await Promise.all([
      cli('review', 'list'),
      cli('review', 'list', '--json'),
      cli('review', 'show', editId),
      cli('review', 'show', 'no-such-turn'),
      cli('review', 'list', '--status', 'bogus'),
      cli('review', 'approve', 'not a turn id'),
      runCli(['review', 'list'], { ...pipeline.env, REDIS_PREFIX: 'not a prefix!' }),
    ]);

    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+AGE\s+PLATFORM\s+CONVERSATION\s+WHY\s+REASON$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual([approveId, editId, rejectId]);
    expect(lines[1]).toMatch(/\bweb\s+web:cli-approve\s+critic\s+a legal threat$/);

    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(listed.map((turn) => turn.id)).toEqual([approveId, editId, rejectId]);
    expect(listed[0]).toMatchObject({ status: 'pending', platform: 'web', draft: 'reply to: My lawyer will call you.', verdict: { decision: 'escalate' }, escalation: { source: 'critic' } });

    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`Turn ${editId}  [pending]  web:cli-edit`);
    expect(show.stdout).toContain('Why:      critic: a legal threat');
    expect(show.stdout).toContain('Verdict:  escalate (confidence 0.8; legal)');
    expect(show.stdout).toContain('Draft:\n    reply to: My lawyer wants a refund.');
    // Terminal control sequences from users are shown, not obeyed.
    expect(show.stdout).not.toMatch(/[\u001b\u0007]/);
    expect(show.stdout).toContain('\\x1b[2J');

    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('countersign: no escalated turn no-such-turn');
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain("argument 'bogus' is invalid");
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('is not a turn id');
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/REDIS_PREFIX|redis\.prefix/);
    expect(badConfig.stderr).not.toContain('    at ');
  });

  it('approves, approves with text and rejects; the service posts the decisions; a second decision fails', async () => {
    const [approved, edited, rejected] = await Promise.all([
      cli('review', 'approve', approveId),
      cli('review', 'approve', editId, '--text', 'Our legal team will contact you.'),
      cli('review', 'reject', rejectId),
    ]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout.trim()).toBe(`approved ${approveId}: the draft will be posted to web:cli-approve`);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout.trim()).toBe(`edited ${editId}: your text will be posted to web:cli-edit`);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout.trim()).toBe(`rejected ${rejectId}: nothing more will be posted for it in web:cli-reject`);

    expect(await pipeline.waitForBot('cli-approve', 2)).toEqual([HOLDING, 'reply to: My lawyer will call you.']);
    expect(await pipeline.waitForBot('cli-edit', 2)).toEqual([HOLDING, 'Our legal team will contact you.']);
    await pipeline.waitIdle();
    expect(await pipeline.botTexts('cli-reject')).toEqual([HOLDING]);

    const [again, emptyText, list, pending] = await Promise.all([
      cli('review', 'reject', approveId),
      cli('review', 'approve', editId, '--text', '  '),
      cli('review', 'list', '--status', 'resolved', '--json'),
      cli('review', 'list'),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(`countersign: turn ${approveId} is already resolved (approved)`);
    expect(emptyText.code).toBe(2);
    expect(pending.stdout.trim()).toBe('No turns waiting for review.');

    const resolved = JSON.parse(list.stdout) as Array<{ id: string; status: string; resolution: { decision: string; reviewer: unknown } }>;
    expect(resolved.map((turn) => [turn.id, turn.status, turn.resolution.decision]).sort()).toEqual(
      [
        [approveId, 'approved', 'approved'],
        [editId, 'approved', 'edited'],
        [rejectId, 'rejected', 'rejected'],
      ].sort(),
    );
    for (const turn of resolved) expect(turn.resolution.reviewer).toEqual({ via: 'cli', id: user });

    const table = await cli('review', 'list', '--status', 'approved');
    expect(table.stdout).toMatch(new RegExp(`${editId}\\s+\\S+ ago\\s+edited\\s+${user} \\(cli\\)\\s+web:cli-edit\\s+Our legal team will contact you\\.`));

    const audit = (await pipeline.service!.audit.read()).filter((entry) => entry.type === 'review');
    expect(audit.map((entry) => [entry.turnId, entry.decision, entry.actor]).sort()).toEqual(
      [
        [approveId, 'approved', `cli:${user}`],
        [editId, 'edited', `cli:${user}`],
        [rejectId, 'rejected', `cli:${user}`],
      ].sort(),
    );
  });

  it('fails with exit 1 and a clear message when Redis cannot be reached, without printing its password', async () => {
    const result = await runCli(['review', 'list'], { ...pipeline.env, REDIS_URL: 'redis://:hunter2-secret@127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach Redis at redis://:***@127.0.0.1:1');
    expect(result.stderr).not.toContain('hunter2-secret');
  });

  it('an empty answer says where it looked: under a prefix with no data at all, the likely reason', async () => {
    const empty = await runCli(['review', 'list'], { ...pipeline.env, REDIS_PREFIX: `${pipeline.prefix}-nothing` });
    expect(empty.code).toBe(0);
    expect(empty.stdout.trim()).toBe('No turns waiting for review.');
    expect(empty.stderr).toContain(`Nothing at all is stored under the prefix "${pipeline.prefix}-nothing"`);
    expect(empty.stderr).toContain('another REDIS_PREFIX or REDIS_URL');
  });
});
