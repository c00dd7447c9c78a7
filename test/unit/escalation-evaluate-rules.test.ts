import { describe, expect, it } from 'vitest';
import type { Turn, Verdict, VerdictDecision } from '../../src/core/types.js';
import { evaluateRules, type RuleTurn, ruleTurnFromTurn } from '../../src/escalation/evaluate-rules.js';
import { type Rule, validateRules } from '../../src/core/rule-schema.js';
import { parse } from 'yaml';

/** Rules from YAML, as operators write them. */
function rules(text: string): Rule[] {
  const result = validateRules(parse(text), 'test.yaml');
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.value;
}

function verdict(decision: VerdictDecision, extra: Partial<Verdict> = {}): Verdict {
  return {
    decision,
    reason: 'test',
    categories: [],
    confidence: 0.9,
    revised_text: decision === 'edit' ? 'edited' : null,
    feedback: decision === 'revise' ? 'redo' : null,
    ...extra,
  };
}

const baseTurn: RuleTurn = {
  platform: 'slack',
  channel: 'C-support',
  users: ['U1', 'Jane'],
  userText: 'Where is my order?',
  draft: 'It ships tomorrow.',
  revisions: 0,
  turnsInConversation: 1,
};
const turn = (extra: Partial<RuleTurn> = {}): RuleTurn => ({ ...baseTurn, ...extra });

interface Case {
  name: string;
  rule: Record<string, unknown>;
  turn?: Partial<RuleTurn>;
  verdict: Verdict | null;
  fires: boolean;
  because?: string[];
}

const cases: Case[] = [
  { name: 'decision matches one of a list', rule: { decision: ['edit', 'approve'] }, verdict: verdict('approve'), fires: true, because: ['critic decided approve'] },
  { name: 'decision does not match', rule: { decision: 'escalate' }, verdict: verdict('approve'), fires: false, because: ['critic decided approve, not escalate'] },
  { name: 'decision never matches without a verdict', rule: { decision: ['approve', 'edit', 'revise', 'escalate'] }, verdict: null, fires: false, because: ['no critic verdict'] },
  { name: 'categories any, case-insensitive', rule: { categories: ['Refund', 'legal'] }, verdict: verdict('approve', { categories: ['refund'] }), fires: true, because: ['categories include Refund'] },
  { name: 'categories any, none present', rule: { categories: { any: ['legal'] } }, verdict: verdict('approve', { categories: ['refund'] }), fires: false, because: ['categories [refund] include none of legal'] },
  { name: 'categories all present', rule: { categories: { all: ['legal', 'threat'] } }, verdict: verdict('escalate', { categories: ['threat', 'legal', 'x'] }), fires: true },
  { name: 'categories all, one missing', rule: { categories: { all: ['legal', 'threat'] } }, verdict: verdict('approve', { categories: ['legal'] }), fires: false, because: ['categories [legal] lack threat'] },
  { name: 'confidence below the threshold', rule: { confidenceBelow: 0.6 }, verdict: verdict('approve', { confidence: 0.59 }), fires: true, because: ['confidence 0.59 < 0.6'] },
  { name: 'confidence equal to the threshold is not below', rule: { confidenceBelow: 0.6 }, verdict: verdict('approve', { confidence: 0.6 }), fires: false },
  { name: 'confidence without a verdict', rule: { confidenceBelow: 1 }, verdict: null, fires: false },
  { name: 'user text regex, case-insensitive by default', rule: { userText: 'lawyer|sue' }, turn: { userText: 'I will call my LAWYER' }, verdict: verdict('approve'), fires: true, because: ['user text matches /lawyer|sue/i ("LAWYER")'] },
  { name: 'user text regex literal is case-sensitive', rule: { userText: '/Lawyer/' }, turn: { userText: 'my lawyer' }, verdict: verdict('approve'), fires: false, because: ['user text matches none of /Lawyer/'] },
  { name: 'draft regex, any of a list', rule: { draft: ['refund', '\\bcompensat'] }, turn: { draft: 'We offer compensation.' }, verdict: verdict('approve'), fires: true },
  { name: 'draft regex with no draft', rule: { draft: '.' }, turn: { draft: null }, verdict: null, fires: false, because: ['no draft'] },
  { name: 'platform', rule: { platform: ['discord', 'slack'] }, verdict: verdict('approve'), fires: true, because: ['platform is slack'] },
  { name: 'other platform', rule: { platform: 'web' }, verdict: verdict('approve'), fires: false, because: ['platform is slack, not web'] },
  { name: 'channel', rule: { channel: 'C-support' }, verdict: verdict('approve'), fires: true },
  { name: 'no channel on the web', rule: { channel: 'C-support' }, turn: { platform: 'web', channel: null }, verdict: verdict('approve'), fires: false, because: ['no channel'] },
  { name: 'user by display name', rule: { user: ['Jane'] }, verdict: verdict('approve'), fires: true, because: ['user is Jane'] },
  { name: 'other user', rule: { user: 'U2' }, verdict: verdict('approve'), fires: false, because: ['users [U1, Jane] include none of U2'] },
  { name: 'revisions at least, equal', rule: { revisionsAtLeast: 2 }, turn: { revisions: 2 }, verdict: verdict('revise'), fires: true, because: ['2 revisions >= 2'] },
  { name: 'revisions at least, fewer', rule: { revisionsAtLeast: 2 }, turn: { revisions: 1 }, verdict: verdict('revise'), fires: false },
  { name: 'turns at least', rule: { turnsAtLeast: 10 }, turn: { turnsInConversation: 12 }, verdict: verdict('approve'), fires: true, because: ['turn 12 of the conversation >= 10'] },
  { name: 'several fields are combined with AND', rule: { platform: 'slack', decision: 'approve', draft: 'ships' }, verdict: verdict('approve'), fires: true, because: ['platform is slack', 'critic decided approve', 'draft matches /ships/i ("ships")'] },
  { name: 'AND fails on the first false field', rule: { platform: 'slack', decision: 'edit' }, verdict: verdict('approve'), fires: false, because: ['critic decided approve, not edit'] },
  { name: 'all: every child', rule: { all: [{ platform: 'slack' }, { userText: 'order' }] }, verdict: verdict('approve'), fires: true },
  { name: 'all: one child false', rule: { all: [{ platform: 'slack' }, { userText: 'refund' }] }, verdict: verdict('approve'), fires: false },
  { name: 'any: one child', rule: { any: [{ platform: 'web' }, { userText: 'order' }] }, verdict: verdict('approve'), fires: true, because: ['user text matches /order/i ("order")'] },
  { name: 'any: no child', rule: { any: [{ platform: 'web' }, { user: 'U9' }] }, verdict: verdict('approve'), fires: false, because: ['no alternative held (platform is slack, not web; users [U1, Jane] include none of U9)'] },
  { name: 'not', rule: { not: { platform: 'web' } }, verdict: verdict('approve'), fires: true, because: ['not (platform is slack, not web)'] },
  { name: 'not of a true condition', rule: { not: { platform: 'slack' } }, verdict: verdict('approve'), fires: false },
  { name: 'not decision fires on a critic failure', rule: { not: { decision: 'approve' } }, verdict: null, fires: true },
  {
    name: 'nested: approve of a refund on Slack unless the user is staff',
    rule: { all: [{ decision: ['approve', 'edit'] }, { any: [{ categories: 'refund' }, { draft: 'refund' }] }, { not: { user: 'staff-1' } }] },
    turn: { draft: 'A refund is on its way' },
    verdict: verdict('approve'),
    fires: true,
    because: ['critic decided approve', 'draft matches /refund/i ("refund")', 'not (users [U1, Jane] include none of staff-1)'],
  },
];

describe('evaluateRules: conditions', () => {
  it.each(cases)('$name', ({ rule, turn: extra, verdict: given, fires, because }) => {
    const decision = evaluateRules(turn(extra), given, rules(`- { name: r, then: escalate, when: ${JSON.stringify(rule)} }`));
    expect(decision.action).toBe(fires ? 'escalate' : 'none');
    expect(decision.rule).toBe(fires ? 'r' : null);
    if (because) expect(decision.trace[0]!.because).toEqual(because);
  });
});

describe('evaluateRules: decisions', () => {
  const ruleSet = rules(`
- name: abuse
  when: { userText: idiot }
  then: { action: block, reply: Let us keep it friendly., conversation: continue }
- name: legal
  when: { userText: lawyer }
  then: { action: escalate, holdingMessage: Our legal team will reply., reviewers: [legal-1], conversation: hold }
- name: unsure
  when: { confidenceBelow: 0.5 }
  then: escalate
- name: lawyer-late
  when: { userText: lawyer }
  then: { action: block, reply: never used }
`);

  it('first match wins, and says why', () => {
    const decision = evaluateRules(turn({ userText: 'My lawyer will call' }), verdict('approve', { confidence: 0.2 }), ruleSet);
    expect(decision).toMatchObject({
      action: 'escalate',
      rule: 'legal',
      ruleIndex: 1,
      outcome: 'escalate',
      holdingMessage: 'Our legal team will reply.',
      reviewers: ['legal-1'],
      conversation: 'hold',
      reason: 'rule "legal": user text matches /lawyer/i ("lawyer")',
      matched: ['legal', 'unsure', 'lawyer-late'],
    });
    expect(decision.reply).toBeUndefined();
    expect(decision.trace.map((entry) => entry.matched)).toEqual([false, true, true, true]);
  });

  it('block posts the canned reply', () => {
    const decision = evaluateRules(turn({ userText: 'you idiot, where is my lawyer' }), verdict('approve'), ruleSet);
    expect(decision).toMatchObject({ action: 'block', rule: 'abuse', outcome: 'block', reply: 'Let us keep it friendly.', conversation: 'continue' });
    expect(decision.holdingMessage).toBeUndefined();
  });

  it('no rule: the verdict stands', () => {
    const decision = evaluateRules(turn(), verdict('edit'), ruleSet);
    expect(decision).toMatchObject({ action: 'none', rule: null, ruleIndex: null, outcome: 'edit', matched: [], because: [], reason: "no rule matched; the critic's edit stands" });
  });

  it('escalate options are absent when the rule does not set them', () => {
    const decision = evaluateRules(turn(), verdict('approve', { confidence: 0.1 }), ruleSet);
    expect(decision.rule).toBe('unsure');
    expect(decision).not.toHaveProperty('holdingMessage');
    expect(decision).not.toHaveProperty('reviewers');
    expect(decision).not.toHaveProperty('conversation');
  });

  it('with no rules at all, the verdict stands and a missing verdict escalates', () => {
    expect(evaluateRules(turn(), verdict('approve'), []).outcome).toBe('approve');
    expect(evaluateRules(turn(), null, [])).toMatchObject({ action: 'none', outcome: 'escalate', reason: 'no rule matched; no critic verdict, so the turn stays escalated' });
  });
});

describe('evaluateRules: rules only make a turn stricter', () => {
  // Every rule shape against every verdict: an escalated turn never comes out approved, edited or revised.
  const shapes = rules(`
- { name: esc-approve, when: { decision: approve }, then: escalate }
- { name: block-text, when: { userText: blockme }, then: { action: block, reply: No. } }
- { name: esc-not-escalate, when: { not: { decision: escalate } }, then: escalate }
- { name: block-escalate, when: { decision: escalate, userText: both }, then: { action: block, reply: Blocked. } }
`);
  const verdicts: Array<Verdict | null> = [verdict('approve'), verdict('edit'), verdict('revise'), verdict('escalate'), null];
  const texts = ['hello', 'blockme', 'both'];
  const rank: Record<string, number> = { approve: 0, edit: 0, revise: 0, escalate: 1, block: 2 };

  for (const given of verdicts) {
    for (const userText of texts) {
      for (let count = 0; count <= shapes.length; count += 1) {
        const ruleSet = shapes.slice(0, count);
        it(`${given?.decision ?? 'no verdict'} / "${userText}" / ${count} rules`, () => {
          const decision = evaluateRules(turn({ userText }), given, ruleSet);
          const before = given?.decision ?? 'escalate';
          expect(rank[decision.outcome]).toBeGreaterThanOrEqual(rank[before]!);
          if (before === 'escalate') expect(['escalate', 'block']).toContain(decision.outcome);
          if (decision.action === 'none') expect(decision.outcome).toBe(before);
        });
      }
    }
  }

  it('a block on a turn the critic escalated blocks', () => {
    const decision = evaluateRules(turn({ userText: 'both' }), verdict('escalate'), shapes);
    expect(decision).toMatchObject({ action: 'block', rule: 'block-escalate', reply: 'Blocked.' });
  });
});

describe('ruleTurnFromTurn', () => {
  const stored: Turn = {
    id: 't1',
    conversation: { platform: 'discord', id: 'G1:C7', route: { channel: 'C7' } },
    messages: [
      { id: 'm1', conversation: { platform: 'discord', id: 'G1:C7' }, user: { id: 'U1', name: 'Jane' }, text: 'hi', receivedAt: 1 },
      { id: 'm2', conversation: { platform: 'discord', id: 'G1:C7' }, user: { id: 'U2' }, text: 'refund please', receivedAt: 2 },
      { id: 'm3', conversation: { platform: 'discord', id: 'G1:C7' }, user: { id: 'U1', name: 'Jane' }, text: 'now', receivedAt: 3 },
    ],
    status: 'drafting',
    drafts: [
      { text: 'first', at: 4 },
      { text: 'second', at: 5 },
    ],
    revisions: 1,
    folds: 0,
    createdAt: 1,
    updatedAt: 5,
  };

  it('takes the facts from the stored turn', () => {
    expect(ruleTurnFromTurn(stored, { turnsInConversation: 3 })).toEqual({
      platform: 'discord',
      channel: 'C7',
      users: ['U1', 'Jane', 'U2'],
      userText: 'hi\nrefund please\nnow',
      draft: 'second',
      revisions: 1,
      turnsInConversation: 3,
    });
  });

  it('lets the caller name the channel, and has none without a route', () => {
    expect(ruleTurnFromTurn(stored, { turnsInConversation: 1, channel: 'other' }).channel).toBe('other');
    expect(ruleTurnFromTurn({ ...stored, conversation: { platform: 'web', id: 'w1' }, drafts: [] }, { turnsInConversation: 1 })).toMatchObject({ channel: null, draft: null });
  });
});
