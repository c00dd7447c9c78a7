import { z } from 'zod';
import type { ChecksConfig, Rule } from '../core/rule-schema.js';
import { discordSchema } from './discord-schema.js';
import { httpSchema } from './http-schema.js';
import { reviewIdentityFields } from './review-identity-schema.js';
import { slackSchema } from './slack-schema.js';
import { inboxSchema, retentionSchema, reviewNotificationsSchema } from './storage-schema.js';
import { toolsSchema } from './tools-schema.js';
import { webSchema } from './web-schema.js';

const OPENAI_BASE_URL = 'https://api.openai.com/v1';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);

/** One Chat Completions endpoint. */
const modelEndpoint = {
  /** OpenAI-compatible base URL, up to and including `/v1`. */
  baseUrl: z.url().optional(),
  /** Bearer key; local servers (Ollama, llama.cpp, vLLM) accept any. */
  apiKey: z.string().optional(),
  model: z.string().min(1).optional(),
  /** Ask for a streamed answer (SSE) and assemble it. */
  stream: z.boolean().default(false),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: positiveInt.optional(),
};

export const DEFAULT_ACTOR_PROMPT =
  'You are a helpful, concise support assistant. Answer the user in plain, friendly language. If you do not know, say so.';

export const DEFAULT_CRITIC_POLICY = [
  'Approve replies that are accurate, polite and on topic.',
  'Never let a reply promise refunds, compensation, discounts or exceptions to policy: edit them out or escalate.',
  'Escalate legal threats, requests for compensation, and anything involving safety or personal data.',
  'Ask for a redraft when the reply is rude, dismissive, or does not answer the question.',
].join('\n');

/** Characters of a turn's own messages one model request carries, unless configured (turn.prompt.maxChars). */
const DEFAULT_PROMPT_CHARS = 32_000;

export const DEFAULT_HOLDING_MESSAGE = 'Thanks for your patience: a teammate is looking at this and will reply here shortly.';

export const configSchema = z
  .strictObject({
    /** HTTP port for health, web chat, review API and dashboard. */
    port: port.default(3000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    redis: z
      .strictObject({
        url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').default('redis://127.0.0.1:6379'),
        /** Prefix of every Redis key and BullMQ queue of this deployment. */
        prefix: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+$/, 'only letters, digits, dot, dash and underscore')
          .default('countersign'),
        /** While Redis cannot be reached at start: the first wait between attempts, doubling up to `retryMaxDelayMs`. */
        retryInitialDelayMs: positiveInt.max(60_000).default(1000),
        retryMaxDelayMs: positiveInt.max(600_000).default(30_000),
      })
      .prefault({}),
    adapters: z.array(z.enum(['web', 'slack', 'discord'])).min(1).default(['web']),
    actor: z
      .strictObject({
        ...modelEndpoint,
        /** The actor's system prompt. */
        systemPrompt: z.string().min(1).default(DEFAULT_ACTOR_PROMPT),
        /** One actor call's time limit. */
        timeoutMs: positiveInt.default(60_000),
        /** Retries of a failed actor call (429, 5xx, connection errors) before the turn escalates. */
        maxRetries: nonNegativeInt.max(10).default(2),
      })
      .default({ stream: false, systemPrompt: DEFAULT_ACTOR_PROMPT, timeoutMs: 60_000, maxRetries: 2 }),
    critic: z
      .strictObject({
        ...modelEndpoint,
        /** The operator's rules for the critic, in plain words. */
        policy: z.string().min(1).default(DEFAULT_CRITIC_POLICY),
        /** One critic call's time limit; past it the call counts as failed. */
        timeoutMs: positiveInt.default(20_000),
        /** `auto`: json_schema, falling back to json_object when the server refuses it. */
        responseFormat: z.enum(['auto', 'json_schema', 'json_object']).default('auto'),
        /** Calls per review: a failed call (error, time-out, invalid verdict) is tried again up to this many times in all, then the turn escalates. */
        attempts: positiveInt.max(5).default(2),
      })
      .prefault({}),
    turn: z
      .strictObject({
        /** Redrafts the critic may ask for in one turn; past it the turn escalates. */
        maxRevisions: nonNegativeInt.max(10).default(2),
        /** Times messages that arrived during a turn are folded into a redraft before posting anyway. */
        maxFolds: nonNegativeInt.max(10).default(2),
        /** Longest accepted user message, in characters. */
        maxMessageChars: positiveInt.default(16_000),
        /** Steps of the agent loop one turn may take (actor answers with tool calls); past it the turn escalates. */
        maxToolSteps: positiveInt.max(100).default(8),
        /** Milliseconds of tool calls one turn may spend, all calls together; past it the turn escalates. */
        toolTimeBudgetMs: positiveInt.max(3_600_000).default(120_000),
        history: z
          .strictObject({
            /** Budget of the history shown to the models; the oldest entries go first. */
            budget: positiveInt.default(24_000),
            unit: z.enum(['characters', 'tokens']).default('characters'),
            /** Entries kept in Redis per conversation. */
            keep: positiveInt.default(200),
          })
          .default({ budget: 24_000, unit: 'characters', keep: 200 }),
        /**
         * What one model request may carry of a turn's own messages. A turn takes every message
         * that waited in the inbox or arrived while it ran; past these limits the oldest are left
         * out of the request (they stay in the turn and the history) and the models are told how
         * many were cut. With the history budget, this bounds the size of every request.
         */
        prompt: z
          .strictObject({
            /** Most user messages of one turn sent to the models; the newest are kept. */
            maxMessages: positiveInt.max(1000).default(20),
            /**
             * Most characters of those messages; at least `maxMessageChars`, so the newest always
             * fits whole. Unset: 32,000, or `maxMessageChars` when that is larger.
             */
            maxChars: positiveInt.optional(),
          })
          .prefault({}),
        /**
         * Budgets of model calls (an actor draft or a critic review attempt) per window, for each
         * conversation and for the whole deployment. A turn starts only when both have room for
         * its first draft and review; the calls it then makes are all counted. `0` lifts a budget.
         */
        modelCalls: z
          .strictObject({
            /** Calls one conversation may cause per window. */
            perConversation: nonNegativeInt.default(200),
            /** Calls the whole deployment may make per window. */
            global: nonNegativeInt.default(20_000),
            /** The window, in seconds (a fixed window that starts with its first call). */
            windowSeconds: positiveInt.max(7 * 24 * 3600).default(3600),
            /** Past a budget: `wait` delays the conversation until the window has room; `escalate` hands the turn to a human. */
            whenSpent: z.enum(['wait', 'escalate']).default('wait'),
          })
          .prefault({}),
      })
      .prefault({})
      .superRefine((turn, context) => {
        if (turn.prompt.maxChars !== undefined && turn.prompt.maxChars < turn.maxMessageChars) {
          context.addIssue({ code: 'custom', path: ['prompt', 'maxChars'], message: `must be at least turn.maxMessageChars (${turn.maxMessageChars}), so the newest message always fits` });
        }
      })
      .transform((turn) => ({ ...turn, prompt: { ...turn.prompt, maxChars: turn.prompt.maxChars ?? Math.max(DEFAULT_PROMPT_CHARS, turn.maxMessageChars) } })),
    review: z
      .strictObject({
        /** Bearer token of the review API and dashboard; unset disables them (401). */
        token: z.preprocess((value) => (value === '' ? undefined : value), z.string().min(8, 'must be at least 8 characters').optional()),
        /** Posted to the user when a turn is escalated; empty posts nothing. */
        holdingMessage: z.string().default(DEFAULT_HOLDING_MESSAGE),
        /** While a turn waits for a human, post nothing else in that conversation. */
        holdConversation: z.boolean().default(true),
        /** Named reviewer tokens, a reviewers file, the trusted identity header, session lifetimes (review-identity-schema.ts). */
        ...reviewIdentityFields,

        /**
         * The checks and rules a reviewer's own text goes through: `all` (every check that is on,
         * and every rule the text makes hold), `block` (only those whose action is block), `off`.
         * A text that fails is refused (422) with the check or rule named.
         */
        checkReviewerText: z.enum(['all', 'block', 'off']).default('all'),
      })
      .prefault({}),
    queue: z
      .strictObject({
        /** Conversations one worker process runs at once. */
        concurrency: positiveInt.max(1000).default(10),
        /** A job's lock; a worker that dies is noticed within about this long. */
        lockDurationMs: positiveInt.min(1000).default(30_000),
        /** How often workers look for stalled jobs. */
        stalledIntervalMs: positiveInt.min(500).default(15_000),
        /** Attempts of a conversation job that fails for a retryable reason (Redis, platform). */
        attempts: positiveInt.max(100).default(8),
        /**
         * The wait before a failed job's next attempt, doubling each time; a platform's
         * Retry-After (a rate limit) replaces it.
         */
        backoffMs: positiveInt.max(600_000).default(500),
        /**
         * Turns one job runs before it hands its conversation back to the end of the queue, so
         * a conversation that keeps sending cannot keep a worker slot from the others.
         */
        turnsPerJob: positiveInt.max(1000).default(1),
      })
      .prefault({}),
    /** How long a platform message id is remembered to refuse duplicates. */
    dedupeTtlSeconds: positiveInt.default(7 * 24 * 3600),
    /** Longest wait for active turns on SIGTERM before handing them back. */
    shutdownTimeoutMs: positiveInt.default(25_000),
    /** Timeouts, connection cap, trusted proxy, cookies and guess limits of the HTTP server (http-schema.ts). */
    http: httpSchema,
    web: webSchema,
    slack: slackSchema,
    discord: discordSchema,
    /** How long each kind of Redis key is kept (src/config/storage-schema.ts, docs/data-model.md). */
    retention: retentionSchema,
    /** What may wait in one conversation's inbox. */
    inbox: inboxSchema,
    /** Limits of the escalations posted to the Slack and Discord review channels. */
    reviewNotifications: reviewNotificationsSchema,
    /** MCP servers, per-tool policy and call limits of the actor's tools (src/config/tools-schema.ts, docs/tools.md). */
    tools: toolsSchema,
    /** Escalation rules, validated by src/escalation/rule-schema.ts (see README "Writing rules"). */
    rules: z.unknown().optional(),
    /** Deterministic draft checks run before the critic, validated by src/escalation/rule-schema.ts. */
    checks: z.unknown().optional(),
  });

/** Which model roles a command calls: the service both, `eval` the critic, the review commands none. */
export type ModelRole = 'actor' | 'critic';

/**
 * Keys the models need: OpenAI's API refuses calls without one, so a role that calls it must
 * have a key (local servers accept any). Checked for the roles a command uses, after defaults
 * and the critic's fallback to the actor's endpoint.
 */
export function missingModelKeys(config: ParsedConfig, roles: readonly ModelRole[]): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (roles.includes('actor') && (config.actor.baseUrl ?? OPENAI_BASE_URL) === OPENAI_BASE_URL && !config.actor.apiKey) {
    problems.push({ path: 'actor.apiKey', message: "required for OpenAI's API (set OPENAI_API_KEY, or OPENAI_BASE_URL / actor.baseUrl for a local server)" });
  }
  if (roles.includes('critic') && !roles.includes('actor')) {
    const criticUrl = config.critic.baseUrl ?? config.actor.baseUrl ?? OPENAI_BASE_URL;
    if (criticUrl === OPENAI_BASE_URL && !config.critic.apiKey && !config.actor.apiKey) {
      problems.push({ path: 'critic.apiKey', message: "the critic uses OpenAI's API and has no key (set CRITIC_API_KEY or OPENAI_API_KEY, or CRITIC_BASE_URL / critic.baseUrl for a local server)" });
    }
  }
  return problems;
}

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;

/** The resolved model endpoint of one role, after defaults and the critic's fallback to the actor. */
export interface ModelEndpointConfig {
  baseUrl: string;
  apiKey: string;
  model: string;
  stream: boolean;
  temperature?: number;
  maxTokens?: number;
}

export interface Config extends Omit<ParsedConfig, 'rules' | 'checks'> {
  /** Where the configuration came from (for messages). */
  source: string;
  models: { actor: ModelEndpointConfig; critic: ModelEndpointConfig };
  /** The validated escalation rules and draft checks. */
  escalation: { rules: Rule[]; checks: ChecksConfig };
}

/** Fill in the defaults that depend on other fields: the critic falls back to the actor's endpoint. */
export function resolveModels(config: ParsedConfig): Config['models'] {
  const actorBase = config.actor.baseUrl ?? OPENAI_BASE_URL;
  const actorModel = config.actor.model ?? 'gpt-4o-mini';
  const actor: ModelEndpointConfig = {
    baseUrl: actorBase,
    apiKey: config.actor.apiKey || 'not-needed',
    model: actorModel,
    stream: config.actor.stream,
    temperature: config.actor.temperature,
    maxTokens: config.actor.maxTokens,
  };
  const critic: ModelEndpointConfig = {
    baseUrl: config.critic.baseUrl ?? actorBase,
    apiKey: config.critic.apiKey || (config.critic.baseUrl ? 'not-needed' : actor.apiKey),
    model: config.critic.model ?? actorModel,
    stream: config.critic.stream,
    temperature: config.critic.temperature ?? 0,
    maxTokens: config.critic.maxTokens,
  };
  return { actor, critic };
}
