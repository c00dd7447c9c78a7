import type { GateDecision, TurnGate } from '../conversation/turn-runner.js';
import type { Turn, Verdict } from '../core/types.js';
import { runDraftChecks } from './draft-checks.js';
import { evaluateRules, ruleTurnFromTurn } from './evaluate-rules.js';
import type { ChecksConfig, ConversationMode, Rule } from './rule-schema.js';

export interface EscalationGateOptions {
  rules: readonly Rule[];
  checks: ChecksConfig;
}

const holdOf = (mode: ConversationMode | undefined) => (mode === 'hold' ? true : mode === 'continue' ? false : undefined);

/**
 * The turn runner's gate over the escalation rules and the draft checks. Both only make a turn
 * stricter: a decision here escalates or blocks, never approves.
 */
export function createEscalationGate(options: EscalationGateOptions): TurnGate {
  return {
    beforeCritic(turn: Turn, draft: string): GateDecision | null {
      const result = runDraftChecks(draft, { checks: options.checks, userText: turn.messages.map((message) => message.text).join('\n') });
      if (result.action === 'pass') return null;
      return {
        action: result.action,
        rule: `check:${result.check}`,
        reason: result.reason,
        ...(result.reply !== undefined ? { reply: result.reply } : {}),
      };
    },
    afterCritic(turn: Turn, _draft: string, verdict: Verdict | null, context): GateDecision | null {
      if (!options.rules.length) return null;
      const decision = evaluateRules(ruleTurnFromTurn(turn, { turnsInConversation: context.turnsInConversation }), verdict, options.rules);
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
    },
  };
}
