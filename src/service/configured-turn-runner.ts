/**
 * The turn runner as the configuration asks for it: the actor and the critic over their model
 * clients, the model-call budget, the agent loop's tools and their action gate, and the limits
 * of a turn. main.ts composes the parts; this file says how the turn's options follow from the
 * configuration.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createActor } from '../agents/actor.js';
import { createCritic } from '../agents/critic.js';
import type { Config } from '../config/schema.js';
import { createModelCallBudget } from '../conversation/model-call-budget.js';
import { createTurnRunner, type TurnEvents } from '../conversation/turn-runner.js';
import type { ConversationStore, Outbox, TurnGate } from '../core/conversation-ports.js';
import type { Keys } from '../core/keys.js';
import type { ChatAdapter, ModelClient } from '../core/ports.js';
import type { Platform, Turn } from '../core/types.js';
import { createActionGate } from '../escalation/action-gate.js';
import type { ActionLedger } from '../tools/action-ledger.js';
import type { ToolRegistry } from '../tools/tool-registry.js';

export interface ConfiguredTurnRunnerOptions {
  config: Config;
  models: { actor: ModelClient; critic: ModelClient };
  store: ConversationStore;
  outbox: Outbox;
  adapters: Map<Platform, ChatAdapter>;
  gate: TurnGate;
  tools: { registry: ToolRegistry; ledger: ActionLedger };
  /** Shows an escalated turn to the platforms' reviewers (the review notifier). */
  presentEscalation(turn: Turn, log: Logger): Promise<void>;
  events: TurnEvents;
  redis: Redis;
  keys: Keys;
  logger: Logger;
}

export function createConfiguredTurnRunner(options: ConfiguredTurnRunnerOptions): ReturnType<typeof createTurnRunner> {
  const { config, models, tools, redis, keys } = options;
  const { perConversation, global, windowSeconds } = config.turn.modelCalls;
  const budget = perConversation > 0 || global > 0 ? createModelCallBudget({ redis, keyPrefix: keys.budget, perConversation, global, windowSeconds }) : null;
  const critic = createCritic({ model: models.critic, policy: config.critic.policy, timeoutMs: config.critic.timeoutMs, attempts: config.critic.attempts });
  return createTurnRunner({
    store: options.store,
    outbox: options.outbox,
    actor: createActor({ model: models.actor, systemPrompt: config.actor.systemPrompt, timeoutMs: config.actor.timeoutMs }),
    critic,
    tools: {
      registry: tools.registry,
      ledger: tools.ledger,
      // Action rules are the escalation rules on a tool's name or arguments; the critic reviews the rest.
      gate: createActionGate({
        rules: config.escalation.rules,
        critic,
        validate: (tool, args) => tools.registry.validate({ source: tool.source, sourceName: tool.sourceName }, args),
      }),
      maxToolSteps: config.turn.maxToolSteps,
      timeBudgetMs: config.turn.toolTimeBudgetMs,
      callTimeoutMs: config.tools.callTimeoutMs,
    },
    adapters: options.adapters,
    logger: options.logger,
    maxRevisions: config.turn.maxRevisions,
    maxFolds: config.turn.maxFolds,
    history: { budget: config.turn.history.budget, unit: config.turn.history.unit },
    holdingMessage: config.review.holdingMessage,
    holdConversation: config.review.holdConversation,
    presentEscalation: options.presentEscalation,
    gate: options.gate,
    prompt: config.turn.prompt,
    ...(budget ? { budget } : {}),
    whenBudgetSpent: config.turn.modelCalls.whenSpent,
    turnsPerJob: config.queue.turnsPerJob,
    events: options.events,
  });
}
