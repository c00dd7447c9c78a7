/**
 * Action rules: `tool` and `args.<path>` conditions in the rule schema (what operators write,
 * the problems they get), how they evaluate on a proposed call, and that they are the action
 * gate's alone (a reply is never judged by them).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isActionCondition, validateRules } from '../../src/core/rule-schema.js';
import type { Turn } from '../../src/core/types.js';
import { DEFAULT_CHECKS } from '../../src/core/rule-schema.js';
import { createEscalationGate } from '../../src/escalation/escalation-gate.js';
import { evaluateRules, type RuleTurn } from '../../src/escalation/evaluate-rules.js';

const rules = (yaml: string) => {
  const result = validateRules(parse(yaml), 'countersign.yaml');
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.value;
};
const problems = (yaml: string) => {
  const result = validateRules(parse(yaml), 'countersign.yaml');
  return result.ok ? [] : result.problems;
};

const base: RuleTurn = { platform: 'web', channel: null, users: ['u1'], userText: 'please refund me', draft: null, revisions: 0, turnsInConversation: 1 };
const call = (tool: string, args: Record<string, unknown>, server = 'airline'): RuleTurn => ({ ...base, action: { tool, sourceName: tool, server, arguments: args } });

describe('action rules', () => {
  it('args.<path> written in a condition is the same as args: { <path>: ... }', () => {
    const [written] = rules('- { name: a, when: { tool: send_certificate, args.amount: { gt: 100 } }, then: escalate }');
    const [nested] = rules('- { name: a, when: { tool: send_certificate, args: { amount: { gt: 100 } } }, then: escalate }');
    expect(written!.when).toEqual(nested!.when);
    expect(written!.when).toEqual({ tool: ['send_certificate'], args: [{ path: 'amount', operator: 'gt', value: 100 }] });
    expect(isActionCondition(written!.when)).toBe(true);
    expect(isActionCondition(rules('- { name: b, when: { any: [{ user: u1 }, { tool: x }] }, then: escalate }')[0]!.when)).toBe(true);
    expect(isActionCondition(rules('- { name: c, when: { user: u1 }, then: escalate }')[0]!.when)).toBe(false);
  });

  it('each comparison on its own path, with a clear problem when it is wrong', () => {
    expect(problems('- { name: a, when: { args.amount: { above: 100 } }, then: escalate }')).toEqual([
      'countersign.yaml: rules[0] "a": when.args.amount.above: unknown comparison; use eq, ne, gt, gte, lt, lte, in, matches, exists',
    ]);
    expect(problems('- { name: a, when: { args.amount: { gt: lots } }, then: escalate }')).toEqual(['countersign.yaml: rules[0] "a": when.args.amount.gt: must be a number']);
    expect(problems('- { name: a, when: { args: { "a b": 1 } }, then: escalate }')).toEqual(['countersign.yaml: rules[0] "a": when.args.a b: must be a dotted path of argument names (amount, passenger.tier)']);
    expect(problems('- { name: a, when: { args.tier: { matches: "/(/" } }, then: escalate }')[0]).toContain('when.args.tier.matches: invalid regular expression');
    expect(problems('- { name: a, when: { args: [] }, then: escalate }')[0]).toContain('when.args: must be a mapping of argument paths');
  });

  it('evaluates tool names (offered, own, server_tool) and every comparison on the arguments', () => {
    const [big] = rules('- { name: big, when: { tool: send_certificate, args.amount: { gt: 100 } }, then: escalate }');
    expect(evaluateRules(call('send_certificate', { amount: 150 }), null, [big!])).toMatchObject({ action: 'escalate', rule: 'big', reason: 'rule "big": tool is send_certificate; args.amount 150 > 100' });
    expect(evaluateRules(call('send_certificate', { amount: 100 }), null, [big!]).action).toBe('none');
    expect(evaluateRules(call('send_certificate', { amount: '150' }), null, [big!]).action).toBe('escalate');
    expect(evaluateRules(call('send_certificate', {}), null, [big!]).action).toBe('none');
    expect(evaluateRules(call('cancel', { amount: 500 }), null, [big!]).action).toBe('none');
    // A reply has no call: tool and args never hold.
    expect(evaluateRules(base, null, [big!]).action).toBe('none');

    const [human] = rules('- { name: human, when: { tool: [cancel_reservation, airline_issue_voucher] }, then: escalate }');
    expect(evaluateRules(call('cancel_reservation', {}), null, [human!]).action).toBe('escalate');
    expect(evaluateRules(call('issue_voucher', {}, 'airline'), null, [human!]).action).toBe('escalate');
    expect(evaluateRules(call('issue_voucher', {}, 'billing'), null, [human!]).action).toBe('none');

    const held = (yaml: string, args: Record<string, unknown>) => evaluateRules(call('t', args), null, rules(`- { name: r, when: ${yaml}, then: escalate }`)).action === 'escalate';
    expect(held('{ args.passenger.tier: gold }', { passenger: { tier: 'gold' } })).toBe(true);
    expect(held('{ args.passenger.tier: gold }', { passenger: { tier: 'silver' } })).toBe(false);
    expect(held('{ args.items.0.id: { eq: 7 } }', { items: [{ id: 7 }] })).toBe(true);
    expect(held('{ args.cabin: { in: [business, first] } }', { cabin: 'first' })).toBe(true);
    expect(held('{ args.cabin: { ne: basic } }', { cabin: 'basic' })).toBe(false);
    expect(held('{ args.reason: { matches: "/^vip/i" } }', { reason: 'VIP upgrade' })).toBe(true);
    expect(held('{ args.note: { exists: false } }', {})).toBe(true);
    expect(held('{ args.amount: { gte: 10, lt: 20 } }', { amount: 10 })).toBe(true);
    expect(held('{ args.amount: { gte: 10, lt: 20 } }', { amount: 20 })).toBe(false);
    expect(held('{ args.amount: { lte: 5 } }', { amount: 'five' })).toBe(false);
  });

  it('the reply gate leaves action rules out: a rule on a tool never decides a reply', () => {
    const gate = createEscalationGate({ rules: rules('- { name: any-user, when: { any: [{ user: u1 }, { tool: x }] }, then: escalate }'), checks: DEFAULT_CHECKS });
    const turn = { id: 't', conversation: { platform: 'web', id: 'c' }, messages: [{ id: 'm', conversation: { platform: 'web', id: 'c' }, user: { id: 'u1' }, text: 'hi', receivedAt: 1 }], status: 'drafting', drafts: [], revisions: 0, folds: 0, createdAt: 1, updatedAt: 1 } as Turn;
    const verdict = { decision: 'approve' as const, reason: 'ok', categories: [], confidence: 1, revised_text: null, feedback: null };
    expect(gate.beforeApproval?.(turn, { text: 'hello', author: 'actor', verdict }, { history: [], turnsInConversation: 1 })).toBeNull();
  });
});
