import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { GateContext } from '../../src/core/conversation-ports.js';
import type { Turn, Verdict } from '../../src/core/types.js';
import { createEscalationGate, type ReviewerTextGate } from '../../src/escalation/escalation-gate.js';
import { validateChecks, validateRules } from '../../src/core/rule-schema.js';

function gateOf(rules: string, checks: string, reviewerText?: ReviewerTextGate) {
  const parsedRules = validateRules(parse(rules), 'test.yaml');
  const parsedChecks = validateChecks(parse(checks), 'test.yaml');
  if (!parsedRules.ok || !parsedChecks.ok) throw new Error([...parsedRules.problems, ...parsedChecks.problems].join('\n'));
  return createEscalationGate({ rules: parsedRules.value, checks: parsedChecks.value, ...(reviewerText ? { reviewerText } : {}) });
}

const verdictOf = (decision: Verdict['decision'], extra: Partial<Verdict> = {}): Verdict => ({ decision, reason: 'r', categories: [], confidence: 0.9, revised_text: null, feedback: null, ...extra });
const turn: Turn = {
  id: 't1',
  conversation: { platform: 'web', id: 'c1' },
  messages: [{ id: 'm1', conversation: { platform: 'web', id: 'c1' }, user: { id: 'u1' }, text: 'help me', receivedAt: 1 }],
  status: 'escalated',
  drafts: [{ text: 'A harmless draft.', at: 1, answers: 1 }],
  revisions: 0,
  folds: 0,
  createdAt: 1,
  updatedAt: 1,
};
const context: GateContext = { history: [], turnsInConversation: 1 };

const RULES = `
- { name: competitor, when: { draft: rivalair }, then: { action: block, reply: 'We cannot talk about that.' } }
- { name: catch-all, when: { not: { decision: approve } }, then: escalate }
- { name: refunds, when: { draft: refund }, then: escalate }
`;
const CHECKS = `
links: { action: escalate, allowDomains: [example.com] }
personalData: block
`;

describe('the escalation gate on the text about to be approved', () => {
  it('runs checks and rules on the exact text; the strictest decision wins (block over escalate)', () => {
    const gate = gateOf(RULES, CHECKS);
    // A critic edit that links out (an escalate check) and names the competitor (a block rule).
    const decision = gate.beforeApproval!(turn, { text: 'See https://evil.example about RivalAir.', author: 'critic', verdict: verdictOf('edit') }, context);
    expect(decision).toMatchObject({ action: 'block', rule: 'competitor', reply: 'We cannot talk about that.' });
    // The rules see the edited text, not the actor's draft.
    expect(gate.beforeApproval!(turn, { text: 'A clean edit.', author: 'critic', verdict: verdictOf('edit') }, context)).toMatchObject({ rule: 'catch-all' });
    expect(gate.beforeApproval!(turn, { text: 'A clean draft.', author: 'actor', verdict: verdictOf('approve') }, context)).toBeNull();
  });
});

describe("a reviewer's text (review.checkReviewerText)", () => {
  const reviewer = (text: string, extra: { asDrafted?: boolean } = {}) => ({ text, author: 'reviewer' as const, verdict: verdictOf('escalate'), ...extra });

  it('all (the default): every check, and every rule the text makes hold; rules that hold whatever the text do not refuse', () => {
    const gate = gateOf(RULES, CHECKS);
    expect(gate.beforeApproval!(turn, reviewer('Visit https://evil.example'), context)).toMatchObject({ action: 'escalate', rule: 'check:links' });
    expect(gate.beforeApproval!(turn, reviewer('You will get a refund.'), context)).toMatchObject({ action: 'escalate', rule: 'refunds' });
    expect(gate.beforeApproval!(turn, reviewer('RivalAir is cheaper.'), context)).toMatchObject({ action: 'block', rule: 'competitor' });
    // "catch-all" holds for this turn whatever the reviewer writes: it brought the turn here.
    expect(gate.beforeApproval!(turn, reviewer('A careful answer.'), context)).toBeNull();
  });

  it('block: only what the operator said is never posted', () => {
    const gate = gateOf(RULES, CHECKS, 'block');
    expect(gate.beforeApproval!(turn, reviewer('Visit https://evil.example'), context)).toBeNull();
    expect(gate.beforeApproval!(turn, reviewer('You will get a refund.'), context)).toBeNull();
    expect(gate.beforeApproval!(turn, reviewer('RivalAir is cheaper.'), context)).toMatchObject({ action: 'block', rule: 'competitor' });
    expect(gate.beforeApproval!(turn, reviewer('Card 4111 1111 1111 1111'), context)).toMatchObject({ action: 'block', rule: 'check:personal-data' });
  });

  it('off: posted as written', () => {
    const gate = gateOf(RULES, CHECKS, 'off');
    expect(gate.beforeApproval!(turn, reviewer('RivalAir, https://evil.example, 4111 1111 1111 1111'), context)).toBeNull();
  });

  it('a draft approved as drafted answers to the block checks and rules only: an escalate finding is what the reviewer decides', () => {
    const gate = gateOf(RULES, CHECKS);
    expect(gate.beforeApproval!(turn, reviewer('Visit https://evil.example', { asDrafted: true }), context)).toBeNull();
    expect(gate.beforeApproval!(turn, reviewer('RivalAir is cheaper.', { asDrafted: true }), context)).toMatchObject({ action: 'block', rule: 'competitor' });
  });
});
