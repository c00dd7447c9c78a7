import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateChecks, validateRules } from '../../src/core/rule-schema.js';
import { HOLDING, verdict, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

/** Rules and checks written in YAML, as operators write them (and validated the same way). */
function escalation(rules: unknown, checks: unknown = {}) {
  const parsedRules = validateRules(rules, 'test.yaml');
  const parsedChecks = validateChecks(checks, 'test.yaml');
  if (!parsedRules.ok || !parsedChecks.ok) throw new Error([...parsedRules.problems, ...parsedChecks.problems].join('\n'));
  return { rules: parsedRules.value, checks: parsedChecks.value };
}

describe('escalation rules and draft checks in the pipeline', () => {
  const perTest = pipelinePerTest();

  it('a rule escalates a turn the critic approved; the draft waits for a human and the rule is named', async () => {
    const pipeline = await perTest.start({
      actor: () => ({ content: 'You will get your money back, promised.' }),
      configure: (config) => {
        config.escalation = escalation(parse('- { name: money-talk, when: { decision: approve, draft: money back }, then: escalate }'));
      },
    });
    await pipeline.send('rule-1', 'can I have my money?');
    const turns = await waitFor(async () => {
      const found = (await pipeline.reviewApi('GET', '/api/review/turns?status=pending')).body.turns as Array<Record<string, unknown>>;
      return found.length ? found : null;
    }, 'a pending review turn');
    expect(turns).toHaveLength(1);
    const escalated = turns[0]!.escalation as { source: string; rule: string; reason: string };
    expect(escalated.source).toBe('rule');
    expect(escalated.rule).toBe('money-talk');
    expect(escalated.reason).toContain('money back');
    expect(await pipeline.botTexts('rule-1')).toEqual([HOLDING]);
    expect(pipeline.criticRequests()).toHaveLength(1);
  });

  it('a check blocks a draft with a card number before the critic: the canned reply is posted, never the draft', async () => {
    const pipeline = await perTest.start({
      actor: () => ({ content: 'The card on file is 4111 1111 1111 1111.' }),
      configure: (config) => {
        config.escalation = escalation([], { personalData: { action: 'block', reply: 'I cannot share payment details here.' } });
      },
    });
    await pipeline.send('check-1', 'which card do you have?');
    const texts = await pipeline.waitForBot('check-1', 1);
    expect(texts).toEqual(['I cannot share payment details here.']);
    expect(pipeline.criticRequests()).toHaveLength(0);
    await pipeline.waitIdle('check-1');
    expect((await pipeline.botTexts('check-1')).join('\n')).not.toContain('4111');
  });

  it('rules never approve what the critic escalated', async () => {
    const pipeline = await perTest.start({
      critic: () => ({ content: verdict('escalate', { reason: 'needs a human' }) }),
      configure: (config) => {
        config.escalation = escalation(parse("- { name: web, when: { platform: web }, then: { action: escalate, holdingMessage: 'A rule holds this.' } }"));
      },
    });
    await pipeline.send('strict-1', 'hello');
    const texts = await pipeline.waitForBot('strict-1', 1);
    expect(texts).toEqual(['A rule holds this.']);
    const pending = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
    expect((pending.body.turns as unknown[]).length).toBe(1);
  });
});

describe("a rule's own reviewers", () => {
  const perTest = pipelinePerTest();

  it('only the reviewers a rule names decide its turns on a platform; token holders still can', async () => {
    const pipeline = await perTest.start({
      configure: (config) => {
        config.escalation = escalation(parse('- { name: vip, when: { userText: vip }, then: { action: escalate, reviewers: [U_LEAD] } }'));
      },
    });
    await pipeline.send('vip-1', 'I am a vip customer');
    await pipeline.send('vip-2', 'another vip question');
    const review = pipeline.service!.review;
    const pending = await waitFor(async () => {
      const turns = await review.list('pending');
      return turns.length === 2 ? turns : null;
    }, 'two pending turns');
    expect(pending[0]!.escalation?.reviewers).toEqual(['U_LEAD']);
    const first = pending.find((turn) => turn.conversation.id === 'vip-1')!;
    const second = pending.find((turn) => turn.conversation.id === 'vip-2')!;
    const refused = await review.approve(first.id, { reviewer: { via: 'slack', id: 'U_OTHER' } }).catch((error: unknown) => error);
    expect((refused as { code?: string }).code).toBe('review.forbidden');
    expect((await review.get(first.id))?.status).toBe('escalated');
    await review.approve(first.id, { reviewer: { via: 'slack', id: 'U_LEAD' } });
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${second.id}/reject`, {})).status).toBe(200);
  });
});
