import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Verdict } from '../../src/core/types.js';
import { runDraftChecks } from '../../src/escalation/draft-checks.js';
import { evaluateRules } from '../../src/escalation/evaluate-rules.js';
import { formatRuleTest, ruleTurnForTest } from '../../src/escalation/explain-rules.js';
import { type Rule, validateChecks, validateRules } from '../../src/core/rule-schema.js';

const config = parse(`
checks:
  personalData: block
rules:
  - name: abuse
    when: { userText: idiot }
    then: { action: block, reply: Let us keep it friendly. }
  - name: legal
    when: { userText: [lawyer, court] }
    then: { action: escalate, holdingMessage: Our legal team will reply., reviewers: [legal-1], conversation: hold }
  - name: unsure
    when: { confidenceBelow: 0.5 }
    then: escalate
`) as { checks: unknown; rules: unknown };
const rules = validateRules(config.rules, 'countersign.yaml');
const checks = validateChecks(config.checks, 'countersign.yaml');
if (!rules.ok || !checks.ok) throw new Error('bad test config');
const ruleSet: Rule[] = rules.value;

const verdict: Verdict = { decision: 'approve', reason: 'fine', categories: ['shipping'], confidence: 0.3, revised_text: null, feedback: null };

describe('formatRuleTest', () => {
  it('shows every rule, which decided and why', () => {
    const turn = ruleTurnForTest({ message: 'My lawyer will hear of this', draft: 'Sorry about that.' });
    const text = formatRuleTest({ verdict, decision: evaluateRules(turn, verdict, ruleSet), checks: runDraftChecks(turn.draft!, { checks: checks.value }) });
    expect(text).toBe(
      [
        'Checks: pass',
        'Verdict: approve (confidence 0.3, categories shipping)',
        'Rules (first match decides):',
        ' - abuse: user text matches none of /idiot/i',
        '=> legal: user text matches /lawyer/i ("lawyer")',
        ' + unsure: confidence 0.3 < 0.5',
        'Decision: escalate by rule "legal"; holding message: "Our legal team will reply."; reviewers: legal-1; conversation: hold',
      ].join('\n'),
    );
  });

  it('shows a check that decides before the critic, and a turn without a draft or verdict', () => {
    const turn = ruleTurnForTest({ message: 'hi', draft: 'Call me on 555-123-4567' });
    const blocked = formatRuleTest({ verdict: null, decision: evaluateRules(turn, null, []), checks: runDraftChecks(turn.draft!, { checks: checks.value }) });
    expect(blocked).toBe(
      [
        'Checks: block (personal-data: phone number ending 4567)',
        '  personal-data: phone number ending 4567 -> block',
        'Verdict: none (as if the critic failed)',
        'Rules: none configured',
        `Decision: block by check personal-data, before the critic; reply: "Sorry, I can't help with that here. A teammate will follow up if needed."`,
      ].join('\n'),
    );
    const plain = formatRuleTest({ verdict: { ...verdict, confidence: 0.9 }, decision: evaluateRules(ruleTurnForTest({ message: 'hi' }), { ...verdict, confidence: 0.9 }, ruleSet) });
    expect(plain.split('\n')[0]).toBe('Checks: skipped (no draft)');
    expect(plain.split('\n').at(-1)).toBe("Decision: approve (no rule matched; the critic's approve stands)");
  });
});
