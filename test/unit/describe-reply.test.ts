import { describe, expect, it } from 'vitest';
import { describeReply } from '../../adapters/web/describe-reply.js';
import type { ApprovalSource, Draft, Turn, Verdict } from '../../src/core/types.js';

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
