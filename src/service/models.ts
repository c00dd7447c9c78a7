/**
 * The actor's and the critic's model clients: the configured OpenAI-compatible endpoints, or the
 * clients a library user hands in; each observed, so /healthz can say whether it works.
 */
import type { Logger } from 'pino';
import { type ObservedModelClient, observeModel } from '../agents/model-health.js';
import { createOpenAIModelClient, displayEndpoint } from '../agents/openai-model-client.js';
import type { Config } from '../config/schema.js';
import type { ModelClient } from '../core/ports.js';

export function createModels(config: Config, given: { actor?: ModelClient; critic?: ModelClient } | undefined, logger: Logger): { actor: ObservedModelClient; critic: ObservedModelClient } {
  const actor = observeModel(
    given?.actor ?? createOpenAIModelClient({ ...config.models.actor, maxRetries: config.actor.maxRetries, timeoutMs: config.actor.timeoutMs, logger: logger.child({ role: 'actor' }) }),
    given?.actor ? undefined : displayEndpoint(config.models.actor.baseUrl),
  );
  const critic = observeModel(
    given?.critic ??
      // The critic's retry is the review's own (critic.attempts), not the client's.
      createOpenAIModelClient({ ...config.models.critic, maxRetries: 0, timeoutMs: config.critic.timeoutMs, responseFormat: config.critic.responseFormat, logger: logger.child({ role: 'critic' }) }),
    given?.critic ? undefined : displayEndpoint(config.models.critic.baseUrl),
  );
  return { actor, critic };
}
