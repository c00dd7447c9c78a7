import { describeError } from '../core/errors.js';
import type { Critic, CriticOutcome } from '../core/conversation-ports.js';
import type { ModelClient } from '../core/ports.js';
import type { Completion, CompletionRequest } from '../core/ports.js';
import { buildActionCriticMessages } from './action-critic-prompt.js';
import { buildCriticMessages } from './critic-prompt.js';
import { ACTION_VERDICT_JSON_SCHEMA, parseActionVerdict, parseVerdict, VERDICT_JSON_SCHEMA } from './verdict-schema.js';

export interface CriticOptions {
  model: ModelClient;
  policy: string;
  /** One call's time limit; past it the call counts as failed. @defaultValue 20000 */
  timeoutMs?: number;
  /** Attempts per review; a failure past the last escalates the turn (`critic.attempts`). */
  attempts: number;
}

export type { Critic, CriticOutcome };

/**
 * Ask until a parse succeeds or the attempts are spent: an error, a time-out, a refusal or an
 * answer that does not parse is a failure, retried, and in the end reported (never an approval).
 */
async function attempt<T>(
  options: CriticOptions,
  request: Omit<CompletionRequest, 'timeoutMs'>,
  parse: (content: string | null) => { ok: true; verdict: T } | { ok: false; problem: string },
  onRetry: ((failure: string) => void) | undefined,
): Promise<{ ok: true; verdict: T; attempts: number; latencyMs: number } | { ok: false; failure: string; attempts: number; latencyMs: number }> {
  let failure = 'the critic was not called';
  let latencyMs = 0;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      const completion: Completion = await options.model.complete({ ...request, timeoutMs: options.timeoutMs ?? 20_000 });
      latencyMs += completion.latencyMs;
      if (completion.refusal) {
        failure = `the critic refused: ${completion.refusal.slice(0, 200)}`;
      } else {
        const parsed = parse(completion.content);
        if (parsed.ok) return { ok: true, verdict: parsed.verdict, attempts: attempt, latencyMs };
        failure = parsed.problem;
      }
    } catch (error) {
      failure = `the critic call failed: ${describeError(error)}`;
    }
    if (attempt < options.attempts) onRetry?.(failure);
  }
  return { ok: false, failure, attempts: options.attempts, latencyMs };
}

export function createCritic(options: CriticOptions): Critic {
  return {
    review: (input, onRetry) =>
      attempt(options, { messages: buildCriticMessages({ ...input, policy: options.policy }), json: { name: 'verdict', schema: VERDICT_JSON_SCHEMA } }, parseVerdict, onRetry),
    reviewAction: (input, onRetry) =>
      attempt(
        options,
        { messages: buildActionCriticMessages({ ...input, policy: options.policy }), json: { name: 'action_verdict', schema: ACTION_VERDICT_JSON_SCHEMA, strict: false } },
        parseActionVerdict,
        onRetry,
      ),
  };
}
