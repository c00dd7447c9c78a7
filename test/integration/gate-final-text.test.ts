/**
 * Every check and every rule applies to the text that is posted, whoever wrote it: the actor's
 * draft, the critic's edit, a redraft, and a reviewer's text. Each check (personal data, links,
 * mass mentions, length) and a draft rule, against each author, in one service whose scripted
 * models put the hostile text where the case says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readRevisionData } from '../../src/agents/actor-prompt.js';
import { validateChecks, validateRules } from '../../src/core/rule-schema.js';
import { criticInput, HOLDING, type Pipeline, startPipeline, turnMessages, verdict, waitFor } from '../helpers/pipeline.js';

/** Rules and checks written in YAML, as operators write them (and validated the same way). */
function escalation(rules: unknown, checks: unknown) {
  const parsedRules = validateRules(rules, 'test.yaml');
  const parsedChecks = validateChecks(checks, 'test.yaml');
  if (!parsedRules.ok || !parsedChecks.ok) throw new Error([...parsedRules.problems, ...parsedChecks.problems].join('\n'));
  return { rules: parsedRules.value, checks: parsedChecks.value };
}

const CHECKS = parse(`
personalData: escalate
links: { action: escalate, allowDomains: [example.com] }
massMentions: escalate
length: { action: escalate, maxChars: 300 }
`);
const RULES = parse(`
- { name: wire-money, when: { draft: 'wire the money' }, then: escalate }
`);

/** Per gate: a text that only it stops, and the rule name the escalation must carry. */
const HOSTILE: Record<string, { text: string; rule: string; source: 'check' | 'rule' }> = {
  'personal-data': { text: 'Mail your card 4111 1111 1111 1111 to us.', rule: 'check:personal-data', source: 'check' },
  links: { text: 'Reset your password at http://evil.example/reset today.', rule: 'check:links', source: 'check' },
  'mass-mentions': { text: 'Hey @everyone, free upgrades for all.', rule: 'check:mass-mentions', source: 'check' },
  length: { text: `Long answer: ${'very '.repeat(80)}long.`, rule: 'check:length', source: 'check' },
  rule: { text: 'Please wire the money to the usual account.', rule: 'wire-money', source: 'rule' },
};
const AUTHORS = ['actor', 'critic', 'redraft', 'reviewer'] as const;
const CLEAN = 'Happy to help with that.';

/** The case a user message names: `case <gate> <author>`. */
function caseOf(text: string): { gate: string; author: (typeof AUTHORS)[number] } | null {
  const found = /case (\S+) (\S+)/.exec(text);
  return found ? { gate: found[1]!, author: found[2] as (typeof AUTHORS)[number] } : null;
}

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline({
    actor: (request) => {
      const found = caseOf(turnMessages(request).at(-1) ?? '');
      if (!found) return { content: CLEAN };
      const redraft = readRevisionData(request.messages[0]?.content ?? '') !== null;
      if (found.author === 'actor' || (found.author === 'redraft' && redraft)) return { content: HOSTILE[found.gate]!.text };
      return { content: CLEAN };
    },
    critic: (request) => {
      const input = criticInput(request);
      const found = caseOf(input.conversation.at(-1)?.text ?? '');
      if (!found) return { content: verdict('approve') };
      if (found.author === 'critic') return { content: verdict('edit', { revised_text: HOSTILE[found.gate]!.text }) };
      if (found.author === 'redraft' && input.draft === CLEAN) return { content: verdict('revise', { feedback: 'Be more specific.' }) };
      if (found.author === 'reviewer') return { content: verdict('escalate', { reason: 'a human should answer' }) };
      return { content: verdict('approve') };
    },
    configure: (config) => {
      config.escalation = escalation(RULES, CHECKS);
    },
  });
});
afterAll(async () => {
  await pipeline?.stop();
});

interface PendingTurn {
  id: string;
  conversation: string;
  escalation: { source: string; rule?: string; reason: string };
}

async function pendingTurn(conversation: string): Promise<PendingTurn> {
  return waitFor(async () => {
    const turns = (await pipeline.reviewApi('GET', '/api/review/turns?status=pending')).body.turns as PendingTurn[];
    return turns.find((turn) => turn.conversation === `web:${conversation}`) ?? null;
  }, `a pending review turn in ${conversation}`);
}

describe('every gate applies to the text about to be posted, whoever wrote it', () => {
  for (const gate of Object.keys(HOSTILE)) {
    for (const author of AUTHORS.filter((name) => name !== 'reviewer')) {
      it(`${gate}: the ${author === 'actor' ? "actor's draft" : author === 'critic' ? "critic's edit" : 'redraft'} is escalated, never posted`, async () => {
        const conversation = `gate-${gate}-${author}`;
        await pipeline.send(conversation, `case ${gate} ${author}`);
        const turn = await pendingTurn(conversation);
        expect(turn.escalation).toMatchObject({ source: HOSTILE[gate]!.source, rule: HOSTILE[gate]!.rule });
        await pipeline.waitIdle(conversation);
        expect(await pipeline.botTexts(conversation)).toEqual([HOLDING]);
      });
    }

    it(`${gate}: a reviewer's text that fails it is refused with 422 naming it; the turn stays pending`, async () => {
      const conversation = `gate-${gate}-reviewer`;
      await pipeline.send(conversation, `case ${gate} reviewer`);
      const turn = await pendingTurn(conversation);
      expect(turn.escalation.source).toBe('critic');
      const refused = await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, { text: HOSTILE[gate]!.text });
      expect(refused.status).toBe(422);
      const named = HOSTILE[gate]!.source === 'check' ? `the ${gate} check` : `rule "${HOSTILE[gate]!.rule}"`;
      expect(refused.body.error).toContain(`the reviewer's text is refused by ${named}`);
      expect((await pipeline.reviewApi('GET', `/api/review/turns/${turn.id}`)).body).toMatchObject({ turn: { status: 'pending' } });
      // A clean text from the same reviewer then goes out.
      expect((await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, { text: 'A teammate wrote this.' })).status).toBe(200);
      await pipeline.waitForBot(conversation, 2);
      await pipeline.waitIdle(conversation);
      expect(await pipeline.botTexts(conversation)).toEqual([HOLDING, 'A teammate wrote this.']);
    });
  }

  it('the issue reproduction: a critic edit with a forbidden link, a card, an email and @everyone is escalated exactly like the same actor draft', async () => {
    const hostile = 'Reset your password at http://evil.example/reset and mail your card 4111 1111 1111 1111 to pay@evil.example @everyone';
    const repro = await startPipeline({
      actor: (request) => ({ content: (turnMessages(request).at(-1) ?? '').includes('actor') ? hostile : CLEAN }),
      critic: (request) => ({ content: criticInput(request).draft === CLEAN ? verdict('edit', { revised_text: hostile }) : verdict('approve') }),
      configure: (config) => {
        config.escalation = escalation(parse(String.raw`[{ name: evil, when: { draft: 'evil\.example' }, then: escalate }]`), parse('links: { action: escalate, allowDomains: [example.com] }'));
      },
    });
    try {
      await repro.send('repro-critic', 'please help (critic)');
      await repro.send('repro-actor', 'please help (actor)');
      const turns = await waitFor(async () => {
        const found = (await repro.reviewApi('GET', '/api/review/turns?status=pending')).body.turns as PendingTurn[];
        return found.length === 2 ? found : null;
      }, 'two pending turns');
      const byConversation = Object.fromEntries(turns.map((turn) => [turn.conversation, turn.escalation]));
      expect(byConversation['web:repro-critic']).toEqual({ ...byConversation['web:repro-actor'], at: expect.any(Number) });
      expect(byConversation['web:repro-critic']).toMatchObject({ source: 'check', rule: 'check:links', reason: 'links: link to evil.example' });
      await repro.waitIdle();
      for (const conversation of ['repro-critic', 'repro-actor']) expect(await repro.botTexts(conversation)).toEqual([HOLDING]);
    } finally {
      await repro.stop();
    }
  });

  it('a block check stops a critic edit like an actor draft: the canned reply goes out instead', async () => {
    const blocked = await startPipeline({
      actor: () => ({ content: CLEAN }),
      critic: () => ({ content: verdict('edit', { revised_text: 'Our number is +1 415 555 0100, call now.' }) }),
      configure: (config) => {
        config.escalation = escalation([], parse("personalData: { action: block, reply: 'I cannot share that here.' }"));
      },
    });
    try {
      await blocked.send('block-edit', 'how do I reach you?');
      expect(await blocked.waitForBot('block-edit', 1)).toEqual(['I cannot share that here.']);
      await blocked.waitIdle('block-edit');
      expect(await blocked.botTexts('block-edit')).toEqual(['I cannot share that here.']);
    } finally {
      await blocked.stop();
    }
  });
});
