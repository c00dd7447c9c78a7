/**
 * The critic of `eval --actions`: countersign's own critic (createCritic's `reviewAction`, the
 * action gate's prompt and verdict parser, `critic.attempts`), asked about one recorded call with
 * the conversation before it turned into countersign's history: so a critic is measured exactly
 * as the action gate will use it. A review that ends without a verdict is a failed review, which
 * the gate escalates.
 */
import { createCritic } from '../../agents/critic.js';
import type { ActionCriticInput } from '../../core/conversation-ports.js';
import type { ModelClient } from '../../core/ports.js';
import type { HistoryEntry } from '../../core/types.js';
import type { ActionJudge, ActionReviewCase } from '../../tau-bench/action-evaluation.js';

const CUSTOMER = { id: 'customer' };

/** A labelled call's review as the action gate's critic input. */
function actionCriticInput(review: ActionReviewCase): ActionCriticInput {
  const history: HistoryEntry[] = review.history.map((entry, index) =>
    entry.role === 'tool'
      ? { role: 'tool', text: entry.text, at: index, tool: entry.tool, arguments: JSON.stringify(entry.arguments ?? {}) }
      : { role: entry.role, text: entry.text, at: index, ...(entry.role === 'user' ? { user: CUSTOMER.id } : {}) },
  );
  return {
    history,
    messages: review.messages.map((message) => ({ text: message.text, user: CUSTOMER })),
    earlierCalls: review.earlierCalls.map((call) => ({ ...call })),
    call: { ...review.call },
  };
}

export function createModelActionJudge(options: { model: ModelClient; policy: string; timeoutMs: number; attempts: number }): ActionJudge {
  const critic = createCritic({ model: options.model, policy: options.policy, timeoutMs: options.timeoutMs, attempts: options.attempts });
  return async (review) => {
    const outcome = await critic.reviewAction!(actionCriticInput(review));
    if (outcome.ok) return { decision: outcome.verdict.decision, reason: outcome.verdict.reason, latencyMs: outcome.latencyMs };
    return { decision: null, error: outcome.failure, latencyMs: outcome.latencyMs };
  };
}
