/**
 * The action gate: what decides whether a tool call the actor proposed may run. Rules first (an
 * action rule on the tool's name and its arguments may escalate or block the call), then the
 * critic with a prompt made for actions, then the rules again on what the critic would let run
 * (its edited arguments may be what makes a rule hold). Reads whose tool the critic does not
 * review pass the rules only.
 *
 * The gate approves nothing by itself: an approval is made only by `approveActionByCritic` and
 * `approveReadCall` (src/tools/action-approval.ts), and a critic failure, an edit whose arguments
 * do not validate, or a missing action critic escalates (fail closed).
 */
import type { ActionCriticOutcome, Critic } from '../core/conversation-ports.js';
import { isActionCondition, type Rule } from '../core/rule-schema.js';
import type { ActionVerdict } from '../core/types.js';
import { approveActionByCritic, approveReadCall } from '../tools/action-approval.js';
import type { ActionGate, ActionGateDecision, ActionGateInput, ActionGateOutcome } from '../tools/action-gate-types.js';
import type { ArgumentsValidation } from '../tools/tool-registry.js';
import type { ToolDescriptor } from '../tools/tool-types.js';
import { evaluateRules, ruleTurnFromTurn } from './evaluate-rules.js';

export type { ActionGate, ActionGateDecision, ActionGateInput, ActionGateOutcome };

export interface ActionGateOptions {
  /** Every escalation rule; the gate uses the action rules (those on `tool` or `args`). */
  rules: readonly Rule[];
  critic: Pick<Critic, 'reviewAction'>;
  /** The tool's input schema check (the registry's `validate`). */
  validate(tool: ToolDescriptor, args: unknown): ArgumentsValidation;
}

export function createActionGate(options: ActionGateOptions): ActionGate {
  const rules = options.rules.filter((rule) => isActionCondition(rule.when));

  /** The action rules on a call with these arguments (and the critic's verdict, once there is one). */
  function ruled(input: ActionGateInput, args: Record<string, unknown>, verdict: ActionVerdict | null): ActionGateOutcome | null {
    if (!rules.length) return null;
    const facts = { ...ruleTurnFromTurn(input.turn, { turnsInConversation: input.turnsInConversation, draft: null }), action: { tool: input.tool.name, sourceName: input.tool.sourceName, server: input.tool.source, arguments: args } };
    // Verdict conditions read the call's verdict as they read a reply's (revised_text is not one of them).
    const decision = evaluateRules(facts, verdict ? { ...verdict, revised_text: null } : null, rules);
    if (decision.action === 'none') return null;
    const none = { criticAttempts: 0, criticLatencyMs: 0, rule: decision.rule! };
    if (decision.action === 'block') {
      return { ...none, decision: { kind: 'block', rule: decision.rule!, reason: decision.reason, message: decision.reply ?? 'refused by the operator policy' } };
    }
    return {
      ...none,
      decision: {
        kind: 'escalate',
        source: 'rule',
        reason: decision.reason,
        rule: decision.rule!,
        ...(decision.reviewers ? { reviewers: decision.reviewers } : {}),
        ...(decision.holdingMessage !== undefined ? { holdingMessage: decision.holdingMessage } : {}),
        ...(verdict ? { verdict } : {}),
        arguments: args,
      },
    };
  }

  return {
    async decide(input) {
      const { call, tool } = input;
      const before = ruled(input, call.arguments, null);
      if (before) return before;
      if (!tool.reviewedByCritic) return { decision: { kind: 'run', approval: approveReadCall(call, tool) }, criticAttempts: 0, criticLatencyMs: 0 };

      if (!options.critic.reviewAction) {
        return { decision: { kind: 'escalate', source: 'critic-failure', reason: 'the critic cannot review tool calls', arguments: call.arguments }, criticAttempts: 0, criticLatencyMs: 0 };
      }
      const outcome: ActionCriticOutcome = await options.critic.reviewAction(
        {
          history: input.history,
          messages: input.messages,
          earlierCalls: input.earlierCalls,
          call: { tool: tool.name, description: tool.description, inputSchema: tool.inputSchema, arguments: call.arguments, effect: tool.effect },
          ...(input.cut ? { cut: input.cut } : {}),
        },
        input.onRetry,
      );
      const spent = { criticAttempts: outcome.attempts, criticLatencyMs: outcome.latencyMs };
      if (!outcome.ok) return { ...spent, decision: { kind: 'escalate', source: 'critic-failure', reason: outcome.failure, arguments: call.arguments } };
      const verdict = outcome.verdict;
      switch (verdict.decision) {
        case 'escalate': {
          // A rule may still block what the critic escalated (block is stricter).
          const after = ruled(input, call.arguments, verdict);
          if (after?.decision.kind === 'block') return { ...after, ...spent };
          return { ...spent, decision: { kind: 'escalate', source: 'critic', reason: verdict.reason, verdict, arguments: call.arguments } };
        }
        case 'revise': {
          const after = ruled(input, call.arguments, verdict);
          if (after) return { ...after, ...spent };
          return { ...spent, decision: { kind: 'revise', feedback: verdict.feedback ?? verdict.reason, verdict } };
        }
        case 'edit': {
          const revised = verdict.revised_arguments ?? {};
          const check = options.validate(tool, revised);
          if (!check.ok) {
            // An edit that does not fit the tool is a critic failure: nothing the critic wrote runs.
            return { ...spent, decision: { kind: 'escalate', source: 'critic-failure', reason: `the critic's revised_arguments do not fit ${tool.name}'s input schema: ${check.error}`, verdict, arguments: call.arguments } };
          }
          const after = ruled(input, revised, verdict);
          if (after) return { ...after, ...spent };
          return { ...spent, decision: { kind: 'run', approval: approveActionByCritic(call, tool, verdict), verdict } };
        }
        default: {
          const after = ruled(input, call.arguments, verdict);
          if (after) return { ...after, ...spent };
          return { ...spent, decision: { kind: 'run', approval: approveActionByCritic(call, tool, verdict), verdict } };
        }
      }
    },
  };
}
