import { discordEnvironment } from './discord-schema.js';
import { httpEnvironment } from './http-schema.js';
import { reviewIdentityEnvironment } from './review-identity-schema.js';
import { slackEnvironment } from './slack-schema.js';
import { storageEnvironment } from './storage-schema.js';
import { toolsEnvironment } from './tools-schema.js';
import { webEnvironment } from './web-schema.js';

/**
 * Every environment variable countersign reads and the config path it sets. Environment wins
 * over countersign.yaml. List-valued paths take comma-separated values.
 */
export const ENVIRONMENT: Record<string, string> = {
  PORT: 'port',
  LOG_LEVEL: 'logLevel',
  REDIS_URL: 'redis.url',
  REDIS_PREFIX: 'redis.prefix',
  ADAPTERS: 'adapters',
  OPENAI_BASE_URL: 'actor.baseUrl',
  OPENAI_API_KEY: 'actor.apiKey',
  ACTOR_MODEL: 'actor.model',
  CRITIC_BASE_URL: 'critic.baseUrl',
  CRITIC_API_KEY: 'critic.apiKey',
  CRITIC_MODEL: 'critic.model',
  CRITIC_TIMEOUT_MS: 'critic.timeoutMs',
  REVIEW_TOKEN: 'review.token',
  HOLDING_MESSAGE: 'review.holdingMessage',
  WORKER_CONCURRENCY: 'queue.concurrency',
  QUEUE_LOCK_DURATION_MS: 'queue.lockDurationMs',
  QUEUE_STALLED_INTERVAL_MS: 'queue.stalledIntervalMs',
  ...httpEnvironment,
  ...reviewIdentityEnvironment,
  ...webEnvironment,
  QUEUE_TURNS_PER_JOB: 'queue.turnsPerJob',
  TURN_PROMPT_MAX_MESSAGES: 'turn.prompt.maxMessages',
  TURN_PROMPT_MAX_CHARS: 'turn.prompt.maxChars',
  MODEL_CALLS_PER_CONVERSATION: 'turn.modelCalls.perConversation',
  MODEL_CALLS_GLOBAL: 'turn.modelCalls.global',
  MODEL_CALLS_WHEN_SPENT: 'turn.modelCalls.whenSpent',
  REVIEW_CHECK_REVIEWER_TEXT: 'review.checkReviewerText',
  ...slackEnvironment,
  ...discordEnvironment,
  ...storageEnvironment,
  ...toolsEnvironment,
};

/** Paths whose environment value is a comma-separated list. */
export const LIST_PATHS = new Set(['adapters', 'slack.reviewers', 'discord.reviewers']);

/** Paths whose values are secrets: never printed. */
export const SECRET_PATHS = new Set([
  'actor.apiKey',
  'critic.apiKey',
  'review.token',
  'review.reviewers',
  'slack.botToken',
  'slack.signingSecret',
  'slack.appToken',
  'discord.botToken',
  // Stdio servers' env and HTTP servers' headers and URLs.
  'tools.servers',
]);
