/**
 * Where reviewers decide over HTTP: the review API and the dashboard, sharing one set of
 * credentials (named tokens, the shared token, a trusted proxy's header) and one limiter of
 * wrong guesses (a wrong token is a guess wherever it is tried).
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ReviewService } from '../core/conversation-ports.js';
import type { Keys } from '../core/keys.js';
import { createAuthLimiter } from '../http/auth-limiter.js';
import { registerDashboard } from '../http/dashboard.js';
import { registerReviewApi } from '../http/review-api.js';
import { createReviewCredentials } from '../http/review-credentials.js';
import type { AuditLog } from '../review/audit-log.js';

export function registerReviewSurfaces(http: FastifyInstance, options: { config: Config; review: ReviewService; audit: AuditLog; redis: Redis; keys: Keys; logger: Logger }): void {
  const { config, review, audit, redis, keys, logger } = options;
  const credentials = createReviewCredentials({
    sharedToken: config.review.token,
    reviewers: config.review.reviewers,
    trustedHeader: config.review.trustedHeader,
    trustProxy: config.http.trustProxy,
  });
  const limiter = createAuthLimiter({ redis, prefix: `${keys.prefix}:review-auth:`, ...config.http.authLimits });
  registerReviewApi(http, { review, credentials, limiter, logger });
  registerDashboard(http, {
    review,
    audit,
    redis,
    keys,
    credentials,
    limiter,
    logger,
    sessionIdleSeconds: config.review.session.idleSeconds,
    sessionAbsoluteSeconds: config.review.session.absoluteSeconds,
    secureCookies: config.http.secureCookies,
    allowedOrigins: config.http.allowedOrigins,
    // The live stream's keep-alive must beat the idle time-out that would close it.
    heartbeatMs: Math.min(20_000, Math.floor(config.http.idleTimeoutMs / 2)),
  });
}
