import type { GateContext, GateDecision, GateSubject, TurnGate } from '../core/conversation-ports.js';
import type { Turn, Verdict } from '../core/types.js';
import { runDraftChecks } from './draft-checks.js';
import { evaluateCondition, evaluateRules, type RuleTurn, ruleTurnFromTurn } from './evaluate-rules.js';
import { type ChecksConfig, type ConversationMode, isActionCondition, type Rule } from '../core/rule-schema.js';

/**
 * How a human reviewer's own text is gated (`review.checkReviewerText`):
 * - `all`: every check that is on, and every rule the text makes hold, refuses it;
 * - `block`: only checks and rules whose action is `block` (the operator's "never post this");
 * - `off`: the reviewer's text is posted as written.
 * A draft the reviewer approves as drafted is held to the `block` checks and rules in `all` and
 * `block` alike: an `escalate` finding is what the reviewer was asked to decide.
 */
export type ReviewerTextGate = 'all' | 'block' | 'off';

export interface EscalationGateOptions {
  rules: readonly Rule[];
  checks: ChecksConfig;
  /** How a reviewer's text is gated. @defaultValue 'all' */
  reviewerText?: ReviewerTextGate;
}

const holdOf = (mode: ConversationMode | undefined) => (mode === 'hold' ? true : mode === 'continue' ? false : undefined);

/** The stricter of two decisions: block over escalate; on a tie, the first (a check before a rule). */
function strictest(first: GateDecision | null, second: GateDecision | null): GateDecision | null {
  if (!first) return second;
  if (!second) return first;
  return second.action === 'block' && first.action !== 'block' ? second : first;
}

/**
 * The turn runner's and the review service's gate over the escalation rules and the draft
 * checks. Every decision here escalates or blocks, never approves.
 */
export function createEscalationGate(options: EscalationGateOptions): TurnGate {
  const reviewerText = options.reviewerText ?? 'all';
  // Action rules (on a tool name or arguments) are the action gate's; replies get the others.
  const rules = options.rules.filter((rule) => !isActionCondition(rule.when));

  function checkText(turn: Turn, text: string): GateDecision | null {
    const result = runDraftChecks(text, { checks: options.checks, userText: turn.messages.map((message) => message.text).join('\n') });
    if (result.action === 'pass') return null;
    return {
      action: result.action,
      rule: `check:${result.check}`,
      reason: result.reason,
      ...(result.reply !== undefined ? { reply: result.reply } : {}),
    };
  }

  function ruleDecision(turn: Turn, draft: string | null, verdict: Verdict | null, context: GateContext): GateDecision | null {
    if (!rules.length) return null;
    const decision = evaluateRules(ruleTurnFromTurn(turn, { turnsInConversation: context.turnsInConversation, draft }), verdict, rules);
    if (decision.action === 'none') return null;
    const hold = holdOf(decision.conversation);
    return {
      action: decision.action,
      rule: decision.rule!,
      reason: decision.reason,
      ...(decision.reply !== undefined ? { reply: decision.reply } : {}),
      ...(hold !== undefined ? { hold } : {}),
      ...(decision.holdingMessage !== undefined ? { holdingMessage: decision.holdingMessage } : {}),
      ...(decision.reviewers ? { reviewers: decision.reviewers } : {}),
    };
  }

  /**
   * A reviewer's text. Rules are written about a turn and its verdict, and many hold whatever
   * the text ("anything the critic did not approve goes to a human"): those brought the turn to
   * the reviewer and cannot refuse their answer. A rule refuses a reviewer's text when the text
   * is what makes it hold: it holds with the text as the draft, and not without a draft.
   */
  function reviewerDecision(turn: Turn, subject: GateSubject, context: GateContext): GateDecision | null {
    if (reviewerText === 'off') return null;
    const blocksOnly = reviewerText === 'block' || subject.asDrafted === true;
    const checked = checkText(turn, subject.text);
    if (checked && (!blocksOnly || checked.action === 'block')) return checked;
    const base = ruleTurnFromTurn(turn, { turnsInConversation: context.turnsInConversation, draft: null });
    const withText: RuleTurn = { ...base, draft: subject.text };
    for (const rule of rules) {
      if (blocksOnly && rule.then.action !== 'block') continue;
      const result = evaluateCondition(rule.when, withText, subject.verdict);
      if (!result.matched || evaluateCondition(rule.when, base, subject.verdict).matched) continue;
      return {
        action: rule.then.action,
        rule: rule.name,
        reason: `rule ${JSON.stringify(rule.name)}: ${result.because.join('; ')}`,
        ...(rule.then.action === 'block' ? { reply: rule.then.reply } : {}),
      };
    }
    return null;
  }

  return {
    beforeCritic(turn: Turn, draft: string): GateDecision | null {
      return checkText(turn, draft);
    },
    beforeApproval(turn: Turn, subject: GateSubject, context: GateContext): GateDecision | null {
      if (subject.author === 'reviewer') return reviewerDecision(turn, subject, context);
      return strictest(checkText(turn, subject.text), ruleDecision(turn, subject.text, subject.verdict, context));
    },
    afterCritic(turn: Turn, draft: string, verdict: Verdict | null, context: GateContext): GateDecision | null {
      return ruleDecision(turn, draft, verdict, context);
    },
  };
}
