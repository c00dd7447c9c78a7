/**
 * Every error code of countersign, with its retry policy and, for the codes a client can see,
 * its HTTP status: the one place they are written. `retryable` says whether running the work
 * again can help (the queue retries a job that failed with a retryable error, and fails at once
 * on the others); `per-error` codes cover a family whose members differ (an HTTP 429 and a 400
 * from the same API), so each throw site says which it is. One spelling: `area.kebab-case`.
 */
export const ERROR_CODES = {
  // configuration and the command line
  'config.invalid': { retryable: false },
  'cli.usage': { retryable: false },
  'cli.redis': { retryable: false },
  'cli.internal': { retryable: false },
  'demo.aborted': { retryable: false },
  'demo.port-in-use': { retryable: false },
  'eval.aborted': { retryable: false },
  'eval.no-answers': { retryable: false },
  'service.not-started': { retryable: true },
  // Redis
  'redis.unavailable': { retryable: true },
  'redis.wait-aborted': { retryable: false },
  // the models
  'actor.refused': { retryable: false },
  'actor.empty': { retryable: true },
  'model.timeout': { retryable: true },
  'model.aborted': { retryable: true },
  'model.connection': { retryable: true },
  /** An HTTP error answer: 429 and 5xx are worth a retry, other 4xx are not. */
  'model.http': { retryable: 'per-error' },
  'model.empty': { retryable: true },
  'model.truncated': { retryable: true },
  'model.failed': { retryable: true },
  // delivery
  'delivery.claimed': { retryable: true },
  'delivery.no-adapter': { retryable: true },
  // review
  'review.not-found': { retryable: false, status: 404 },
  'review.conflict': { retryable: false, status: 409 },
  'review.invalid': { retryable: false, status: 400 },
  'review.no-draft': { retryable: false, status: 400 },
  'review.forbidden': { retryable: false, status: 403 },
  'review.refused': { retryable: false, status: 422 },
  // the HTTP server
  'http.bad-request': { retryable: false, status: 400 },
  'http.unauthorized': { retryable: false, status: 401 },
  'http.forbidden': { retryable: false, status: 403 },
  'http.not-found': { retryable: false, status: 404 },
  'http.too-large': { retryable: false, status: 413 },
  'http.rate-limited': { retryable: true, status: 429 },
  'http.unavailable': { retryable: true, status: 503 },
  // adapters
  'adapter.not-started': { retryable: true },
  'slack.rate-limited': { retryable: true },
  /** A time-out or dropped connection: the call may have taken effect (outcomeUnknown). */
  'slack.outcome-unknown': { retryable: true },
  /** An HTTP error answer: 5xx retryable. */
  'slack.http-error': { retryable: 'per-error' },
  /** Slack answered `ok: false`: retryable only for Slack's transient codes. */
  'slack.api-error': { retryable: 'per-error' },
  'slack.bad-conversation': { retryable: false },
  'slack.not-started': { retryable: true },
  'slack.error': { retryable: false },
  'discord.unauthorized': { retryable: false },
  'discord.forbidden': { retryable: false },
  'discord.not-found': { retryable: false },
  'discord.interaction-acknowledged': { retryable: false },
  'discord.rate-limited': { retryable: true },
  'discord.unavailable': { retryable: true },
  'discord.invalid-request': { retryable: false },
  'discord.timeout': { retryable: true },
  'discord.network': { retryable: true },
  'discord.error': { retryable: false },
  // tools and actions
  'tools.invalid-definition': { retryable: false },
  'tools.invalid-schema': { retryable: false },
  'tools.not-approved': { retryable: false },
  'tools.action-busy': { retryable: true },
  'tools.ledger-missing': { retryable: true },
  'tools.not-unknown': { retryable: false },
  'turn.inconsistent': { retryable: false },
  // the τ-bench environment
  'tau.config': { retryable: false },
  'tau.data': { retryable: false },
  'tau.trajectories': { retryable: false },
  'tau.json': { retryable: false },
  'tau.value': { retryable: false },
  'tau.episode-exists': { retryable: false },
  'tau.episodes-full': { retryable: true },
  'bench.refused': { retryable: false },
  'bench.turn-timeout': { retryable: false },
  'bench.review': { retryable: false },
  'bench.aborted': { retryable: false },
} as const satisfies Record<string, { retryable: boolean | 'per-error'; status?: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes whose throw sites say whether each error is retryable. */
export type PerErrorCode = { [C in ErrorCode]: (typeof ERROR_CODES)[C]['retryable'] extends 'per-error' ? C : never }[ErrorCode];

/** The HTTP status a code answers with, when a client can see it. */
export function statusOfCode(code: ErrorCode): number | undefined {
  const entry: { retryable: boolean | 'per-error'; status?: number } = ERROR_CODES[code];
  return entry.status;
}
