import { describe, expect, it } from 'vitest';
import { describeReply } from '../../adapters/web/describe-reply.js';
import type { ActionVerdict, ApprovalSource, Draft, PendingAction, ToolStep, Turn, Verdict } from '../../src/core/types.js';

const verdict = (decision: Verdict['decision'], extra: Partial<Verdict> = {}): Verdict => ({
  decision,
  reason: `reason for ${decision}`,
  categories: [],
  confidence: 0.9,
  revised_text: null,
  feedback: null,
  ...extra,
});

function turn(drafts: Draft[], reply: { text: string; source: ApprovalSource } | undefined, extra: Partial<Turn> = {}): Turn {
  return {
    id: 't1',
    conversation: { platform: 'web', id: 'c1' },
    messages: [],
    status: 'posted',
    drafts,
    verdict: drafts.at(-1)?.verdict,
    ...(reply ? { reply } : {}),
    revisions: 0,
    folds: 0,
    createdAt: 1,
    updatedAt: 2,
    ...extra,
  };
}

const critic = (decision: 'approve' | 'edit'): ApprovalSource => ({ kind: 'critic', decision });
const reviewer: ApprovalSource = { kind: 'reviewer', reviewer: { via: 'dashboard', id: 'ada' } };

describe('describeReply: who countersigned a reply the web chat posts', () => {
  it('a redraft the critic then edited: redrafted, then edited; both unsent drafts with their fates', () => {
    const drafts: Draft[] = [
      { text: 'rude', at: 1, verdict: verdict('revise', { feedback: 'be polite' }) },
      { text: 'polite but promising', at: 2, feedback: 'be polite', verdict: verdict('edit', { revised_text: 'polite' }) },
    ];
    expect(describeReply(turn(drafts, { text: 'polite', source: critic('edit') }), 'reply')).toEqual({
      by: 'critic-redrafted',
      redrafts: 1,
      edited: true,
      reason: 'reason for edit',
      unsent: [
        { text: 'rude', fate: 'redrafted', note: 'be polite' },
        { text: 'polite but promising', fate: 'edited', note: 'reason for edit' },
      ],
    });
  });

  it('a draft written before the user\'s next message is superseded, not counted as a redraft', () => {
    const drafts: Draft[] = [
      { text: 'answers the first message', at: 1, answers: 1, verdict: verdict('approve') },
      { text: 'answers both', at: 2, answers: 2, verdict: verdict('approve') },
    ];
    expect(describeReply(turn(drafts, { text: 'answers both', source: critic('approve') }), 'reply')).toEqual({
      by: 'critic-approved',
      reason: 'reason for approve',
      unsent: [{ text: 'answers the first message', fate: 'superseded' }],
    });
  });

  it('a reviewer approving a redraft as written: earlier drafts stay unsent, the approved one is not', () => {
    const drafts: Draft[] = [
      { text: 'first', at: 1, verdict: verdict('revise', { feedback: 'shorter' }) },
      { text: 'second', at: 2, verdict: verdict('escalate') },
    ];
    const escalated = turn(drafts, { text: 'second', source: reviewer }, { escalation: { source: 'critic', reason: 'needs a human', at: 3 }, resolution: { decision: 'approved', reviewer: reviewer.reviewer, at: 4 } });
    expect(describeReply(escalated, 'reply')).toEqual({ by: 'reviewer-approved', redrafts: 1, reason: 'needs a human', unsent: [{ text: 'first', fate: 'redrafted', note: 'shorter' }] });
  });

  it('operator texts never show a draft: the holding message (not decided yet) and a canned reply (a rule kept it back)', () => {
    const drafts: Draft[] = [{ text: 'a draft with a secret', at: 1, verdict: verdict('approve') }];
    const held = turn(drafts, undefined, { status: 'escalated', escalation: { source: 'rule', rule: 'secrets', reason: 'a secret in the draft', at: 2 } });
    expect(describeReply(held, 'holding-message')).toEqual({ by: 'operator-holding', reason: 'a secret in the draft', unsent: [] });
    const canned = turn(drafts, { text: 'We cannot help with that here.', source: { kind: 'operator', purpose: 'canned-reply' } });
    expect(describeReply(canned, 'canned-reply')).toEqual({ by: 'operator-canned', unsent: [] });
  });

  it('nothing to say for a turn without a reply', () => {
    expect(describeReply(turn([], undefined), 'reply')).toBeNull();
  });
});

const actionVerdict = (decision: ActionVerdict['decision'], reason: string, revised: Record<string, unknown> | null = null): ActionVerdict => ({
  decision,
  reason,
  categories: [],
  confidence: 0.9,
  revised_arguments: revised,
  feedback: null,
});

const steps: ToolStep[] = [
  { step: 0, content: null, calls: [{ id: 'a', name: 'get_reservation', arguments: '{"reservation_id":"4WQ150"}', outcome: { status: 'done', result: '{"passenger_count":2}', ran: { reservation_id: '4WQ150' }, by: 'policy:read', at: 1 } }] },
  {
    step: 1,
    content: null,
    calls: [
      {
        id: 'b',
        name: 'issue_voucher',
        arguments: '{"reservation_id":"4WQ150","amount":300}',
        outcome: { status: 'done', result: 'Voucher VC-1 of 100 USD', ran: { reservation_id: '4WQ150', amount: 100 }, by: 'critic:edit', verdict: actionVerdict('edit', 'at most 100', { reservation_id: '4WQ150', amount: 100 }), at: 2 },
      },
      { id: 'c', name: 'cancel_reservation', arguments: '{"reservation_id":"4WQ150"}', outcome: { status: 'refused', result: 'Not run: a human reviewer refused this call.', by: 'reviewer:dashboard:ada', at: 3 } },
      { id: 'd', name: 'issue_voucher', arguments: 'not json', outcome: { status: 'invalid', result: 'Error: not JSON', at: 4 } },
      { id: 'e', name: 'get_reservation', arguments: '{}' },
    ],
  },
];

const held: PendingAction = {
  server: 'in-process',
  tool: 'cancel_reservation',
  sourceName: 'cancel_reservation',
  arguments: { reservation_id: '4WQ150' },
  effect: 'write',
  idempotent: false,
  description: 'Cancel',
  inputSchema: {},
  step: 1,
  index: 1,
  verdict: actionVerdict('escalate', 'the policy does not allow it'),
};

describe('describeReply: the tool calls a reply rests on', () => {
  it('each call with an outcome, in order: what ran (and what the actor proposed, when changed), who decided, and why; never a reviewer\'s name', () => {
    const review = describeReply(turn([{ text: 'done', at: 5, verdict: verdict('approve') }], { text: 'done', source: critic('approve') }, { toolSteps: steps, escalation: { source: 'critic', reason: 'held', at: 2, action: { ...held, decided: true } } }), 'reply');
    expect(review?.actions).toEqual([
      { tool: 'get_reservation', arguments: { reservation_id: '4WQ150' }, status: 'done', by: 'policy' },
      { tool: 'issue_voucher', arguments: { reservation_id: '4WQ150', amount: 100 }, proposed: { reservation_id: '4WQ150', amount: 300 }, edited: true, status: 'done', by: 'critic', reason: 'at most 100' },
      { tool: 'cancel_reservation', arguments: { reservation_id: '4WQ150' }, status: 'refused', by: 'reviewer', reason: 'the policy does not allow it' },
      { tool: 'issue_voucher', arguments: {}, status: 'invalid' },
    ]);
    expect(JSON.stringify(review)).not.toContain('ada');
    expect(review?.by).toBe('critic-approved');
  });

  it('the holding message of a held call shows what waits and why, beside the calls done so far', () => {
    const pending = turn([], undefined, { status: 'escalated', toolSteps: steps.slice(0, 1), escalation: { source: 'critic', reason: 'the critic escalated', at: 2, action: held } });
    expect(describeReply(pending, 'holding-message')).toEqual({
      by: 'operator-holding',
      reason: 'the critic escalated',
      unsent: [],
      actions: [{ tool: 'get_reservation', arguments: { reservation_id: '4WQ150' }, status: 'done', by: 'policy' }],
      pending: { tool: 'cancel_reservation', arguments: { reservation_id: '4WQ150' }, reason: 'the policy does not allow it' },
    });
    // A reply held for a human (no tool call waiting) has no pending call; a turn without calls no actions.
    expect(describeReply(turn([], undefined, { escalation: { source: 'critic', reason: 'r', at: 2 } }), 'holding-message')).toEqual({ by: 'operator-holding', reason: 'r', unsent: [] });
  });
});
