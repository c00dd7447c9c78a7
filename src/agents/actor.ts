import { CountersignError } from '../core/errors.js';
import type { Actor } from '../core/conversation-ports.js';
import type { ModelClient } from '../core/ports.js';
import { buildActorMessages } from './actor-prompt.js';

export interface ActorOptions {
  model: ModelClient;
  systemPrompt: string;
  /** One call's time limit. */
  timeoutMs?: number;
}

export type { Actor };

export function createActor(options: ActorOptions): Actor {
  return {
    async draft(input) {
      const completion = await options.model.complete({
        messages: buildActorMessages({ ...input, systemPrompt: options.systemPrompt }),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        ...(input.tools?.length ? { tools: input.tools, ...(input.toolChoice ? { toolChoice: input.toolChoice } : {}) } : {}),
      });
      if (completion.refusal) throw new CountersignError('actor.refused', `the actor refused: ${completion.refusal.slice(0, 200)}`);
      // Calls are taken only when tools were offered and the actor may call them.
      if (completion.toolCalls?.length && input.tools?.length && input.toolChoice !== 'none') {
        return { text: completion.content?.trim() ?? '', latencyMs: completion.latencyMs, toolCalls: completion.toolCalls };
      }
      const text = completion.content?.trim();
      if (!text) throw new CountersignError('actor.empty', 'the actor answered an empty draft', {  });
      return { text, latencyMs: completion.latencyMs };
    },
  };
}
