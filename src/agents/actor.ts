import { CountersignError } from '../core/errors.js';
import type { ModelClient } from '../core/ports.js';
import { type ActorPromptInput, buildActorMessages } from './actor-prompt.js';

export interface ActorOptions {
  model: ModelClient;
  systemPrompt: string;
  /** One call's time limit. */
  timeoutMs?: number;
}

export interface Actor {
  /** Draft a reply. Throws CountersignError `actor.*` / `model.*` when no draft can be had. */
  draft(input: Omit<ActorPromptInput, 'systemPrompt'>): Promise<{ text: string; latencyMs: number }>;
}

export function createActor(options: ActorOptions): Actor {
  return {
    async draft(input) {
      const completion = await options.model.complete({
        messages: buildActorMessages({ ...input, systemPrompt: options.systemPrompt }),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      });
      if (completion.refusal) throw new CountersignError('actor.refused', `the actor refused: ${completion.refusal.slice(0, 200)}`);
      const text = completion.content?.trim();
      if (!text) throw new CountersignError('actor.empty', 'the actor answered an empty draft', { retryable: true });
      return { text, latencyMs: completion.latencyMs };
    },
  };
}
