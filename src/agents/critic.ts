import { describeError } from '../core/errors.js';
import type { Critic, CriticOutcome } from '../core/conversation-ports.js';
import type { ModelClient } from '../core/ports.js';
import { buildCriticMessages } from './critic-prompt.js';
import { parseVerdict, VERDICT_JSON_SCHEMA } from './verdict-schema.js';

export interface CriticOptions {
  model: ModelClient;
  policy: string;
  /** One call's time limit; past it the call counts as failed. @defaultValue 20000 */
  timeoutMs?: number;
  /** Attempts per review; a failure past the last escalates the turn (`critic.attempts`). */
  attempts: number;
}

export type { Critic, CriticOutcome };

export function createCritic(options: CriticOptions): Critic {
  const { attempts } = options;
  return {
    async review(input, onRetry) {
      let failure = 'the critic was not called';
      let latencyMs = 0;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const completion = await options.model.complete({
            messages: buildCriticMessages({ ...input, policy: options.policy }),
            json: { name: 'verdict', schema: VERDICT_JSON_SCHEMA },
            timeoutMs: options.timeoutMs ?? 20_000,
          });
          latencyMs += completion.latencyMs;
          if (completion.refusal) {
            failure = `the critic refused: ${completion.refusal.slice(0, 200)}`;
          } else {
            const parsed = parseVerdict(completion.content);
            if (parsed.ok) return { ok: true, verdict: parsed.verdict, attempts: attempt, latencyMs };
            failure = parsed.problem;
          }
        } catch (error) {
          failure = `the critic call failed: ${describeError(error)}`;
        }
        if (attempt < attempts) onRetry?.(failure);
      }
      return { ok: false, failure, attempts, latencyMs };
    },
  };
}
