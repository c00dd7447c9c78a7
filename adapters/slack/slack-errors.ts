/**
 * The one place where Slack and Web API errors become CountersignError. Codes:
 * - `slack.rate-limited` (retryable; `retryAfterMs`, and `details.retryAfterSeconds`)
 * - `slack.outcome-unknown` (retryable; a time-out or dropped connection: the call may have
 *   reached Slack, so a post must be looked for before it is sent again; `outcomeUnknown`)
 * - `slack.http-error` (retryable for 5xx)
 * - `slack.api-error` (Slack answered `ok: false`; `details.error` is Slack's code, retryable only
 *   for Slack's own transient failures)
 * Every one keeps the request (`details.request`, the Web API method, also as `method`) and the
 * HTTP status where there was an answer (`details.status`), the same keys as the Discord
 * adapter's errors. Tokens never appear: only the method, Slack's error code and status are kept.
 */
import { CountersignError } from '../../src/core/errors.js';

/** Slack `error` codes that mean "try again later", not "this request is wrong". */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'ratelimited', 'request_timeout', 'team_added_to_org']);

/** Errors that mean the token or app setup is wrong: retrying will not help, an operator must act. */
const SETUP_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'not_allowed_token_type',
  'no_permission',
  'ekm_access_denied',
]);

interface SlackLikeError {
  code?: unknown;
  message?: unknown;
  data?: { error?: unknown; needed?: unknown };
  retryAfter?: unknown;
  statusCode?: unknown;
  original?: { code?: unknown; message?: unknown };
}

/** Translate anything a Web API call threw. Already-translated errors pass through. */
export function translateSlackError(error: unknown, method: string): CountersignError {
  if (error instanceof CountersignError) return error;
  const candidate = (error ?? {}) as SlackLikeError;
  switch (candidate.code) {
    case 'slack_webapi_rate_limited_error': {
      const retryAfterSeconds = typeof candidate.retryAfter === 'number' ? candidate.retryAfter : 1;
      return new CountersignError('slack.rate-limited', `Slack rate-limited ${method}; retry after ${retryAfterSeconds}s`, {
        cause: error,
        retryAfterMs: retryAfterSeconds * 1000,
        details: { method, request: method, status: 429, retryAfterSeconds },
      });
    }
    case 'slack_webapi_platform_error': {
      const slackError = typeof candidate.data?.error === 'string' ? candidate.data.error : 'unknown_error';
      // Slack answers its own errors with HTTP 200 and `ok: false`.
      const details: Record<string, unknown> = { method, request: method, status: 200, error: slackError };
      if (typeof candidate.data?.needed === 'string') details.neededScope = candidate.data.needed;
      const hint = SETUP_ERRORS.has(slackError) ? ' (check SLACK_BOT_TOKEN and the app scopes)' : '';
      return new CountersignError('slack.api-error', `Slack ${method} failed: ${slackError}${hint}`, {
        cause: error,
        retryable: TRANSIENT_PLATFORM_ERRORS.has(slackError),
        details,
      });
    }
    case 'slack_webapi_http_error': {
      const status = typeof candidate.statusCode === 'number' ? candidate.statusCode : 0;
      return new CountersignError('slack.http-error', `Slack ${method} answered HTTP ${status}`, {
        cause: error,
        retryable: status >= 500 || status === 0,
        details: { method, request: method, status },
      });
    }
    case 'slack_webapi_request_error': {
      const cause = candidate.original?.code ?? candidate.original?.message ?? 'request failed';
      return new CountersignError('slack.outcome-unknown', `Slack ${method} did not answer (${String(cause)})`, {
        cause: error,
        outcomeUnknown: true,
        details: { method, request: method, cause: String(cause) },
      });
    }
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return new CountersignError('slack.error', `Slack ${method} failed: ${message}`, { cause: error, details: { method, request: method } });
    }
  }
}

/** Slack's `error` code of a translated `slack.api-error`, else undefined. */
export function slackErrorCode(error: unknown): string | undefined {
  if (error instanceof CountersignError && error.code === 'slack.api-error') {
    const code = error.details.error;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
