import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { CountersignError } from '../core/errors.js';
import type { Keys } from '../core/keys.js';
import type { RateLimit, RateLimits } from '../core/ports.js';
import type { Metrics } from '../observability/metrics.js';

export interface RateLimitsOptions {
  /** The service's Redis: every process of a deployment counts against the same limits. */
  redis: Redis;
  keys: Keys;
  /** Refusals are counted in `countersign_http_limit_refusals_total{limit}`. */
  metrics?: Metrics;
}

/**
 * Rate limits for adapters, backed by rate-limiter-flexible's Redis limiter (fixed windows,
 * one atomic Lua step per request). A limit's window starts with its first request and lasts
 * `durationSeconds`; past its points the answer is the time left in that window.
 */
export function createRateLimits(options: RateLimitsOptions): RateLimits {
  return {
    create(name, limit): RateLimit {
      const limiter = new RateLimiterRedis({ storeClient: options.redis, keyPrefix: options.keys.rateLimit(name), points: limit.points, duration: limit.durationSeconds });
      return {
        async take(key, points = 1) {
          try {
            await limiter.consume(key, points);
            return { allowed: true };
          } catch (error) {
            // rate-limiter-flexible rejects with its result object when the points are used up,
            // and with an Error when Redis fails.
            if (error instanceof RateLimiterRes) {
              options.metrics?.limitRefusals.inc({ limit: name });
              return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
            }
            throw new CountersignError('http.unavailable', 'rate limits are unavailable (Redis)', { cause: error });
          }
        },
        async giveBack(key, points = 1) {
          await limiter.reward(key, points);
        },
      };
    },
  };
}
