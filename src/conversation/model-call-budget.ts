/**
 * Budgets of model calls per window, for each conversation and for the whole deployment, kept
 * in Redis so every worker process shares them (rate-limiter-flexible's fixed-window counter:
 * one key per conversation and one global key, each expiring with its window).
 *
 * Calls, not tokens: a call's size is already bounded (turn.prompt limits, the history budget
 * and the models' maxTokens), a call is known before it is made (a token count only after the
 * tokens were paid for, so a token budget would be overrun by whole calls), and not every
 * OpenAI-compatible server reports usage (streamed answers of local servers often do not).
 */
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export type BudgetScope = 'conversation' | 'global';

export type BudgetReservation = { ok: true } | { ok: false; scope: BudgetScope; limit: number; retryInMs: number };

export interface ModelCallBudget {
  /**
   * Reserve calls in both budgets before a turn starts (its first draft and review): all or
   * nothing; when either budget lacks room, nothing is taken and the answer says which, and
   * how long until its window starts again.
   */
  reserve(conversation: string, calls: number): Promise<BudgetReservation>;
  /** Count calls a turn made past its reservation (redrafts, review retries); never refuses. */
  charge(conversation: string, calls: number): Promise<void>;
  /** Give back reserved calls a turn did not make. */
  refund(conversation: string, calls: number): Promise<void>;
}

export interface ModelCallBudgetOptions {
  redis: Redis;
  /** Prefix of the budget keys (`<prefix>:budget`). */
  keyPrefix: string;
  /** Calls per window of one conversation; 0 lifts the budget. */
  perConversation: number;
  /** Calls per window of the deployment; 0 lifts the budget. */
  global: number;
  windowSeconds: number;
}

const GLOBAL_KEY = 'all';

export function createModelCallBudget(options: ModelCallBudgetOptions): ModelCallBudget {
  const limiter = (scope: BudgetScope, points: number) =>
    points > 0 ? new RateLimiterRedis({ storeClient: options.redis, keyPrefix: `${options.keyPrefix}:${scope}`, points, duration: options.windowSeconds }) : null;
  const conversations = limiter('conversation', options.perConversation);
  const global = limiter('global', options.global);
  const scopes = (conversation: string): Array<{ scope: BudgetScope; limiter: RateLimiterRedis; key: string }> => [
    ...(conversations ? [{ scope: 'conversation' as const, limiter: conversations, key: conversation }] : []),
    ...(global ? [{ scope: 'global' as const, limiter: global, key: GLOBAL_KEY }] : []),
  ];

  return {
    async reserve(conversation, calls) {
      // Both budgets at once (one round trip with auto-pipelining); a refused consume still
      // counted its points, so on any refusal every scope gives its points back.
      const budgets = scopes(conversation);
      const results = await Promise.allSettled(budgets.map(({ limiter: budget, key }) => budget.consume(key, calls)));
      const refusedAt = results.findIndex((result) => result.status === 'rejected');
      if (refusedAt < 0) return { ok: true };
      await Promise.all(budgets.map(({ limiter: budget, key }) => budget.reward(key, calls)));
      const refusal = (results[refusedAt] as PromiseRejectedResult).reason as unknown;
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const { scope, limiter: budget } = budgets[refusedAt]!;
      return { ok: false, scope, limit: budget.points, retryInMs: Math.max(refusal.msBeforeNext, 0) };
    },
    async charge(conversation, calls) {
      if (calls > 0) await Promise.all(scopes(conversation).map(({ limiter: budget, key }) => budget.penalty(key, calls)));
    },
    async refund(conversation, calls) {
      if (calls > 0) await Promise.all(scopes(conversation).map(({ limiter: budget, key }) => budget.reward(key, calls)));
    },
  };
}
