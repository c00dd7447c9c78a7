import { ERROR_CODES, type ErrorCode, type PerErrorCode } from './error-codes.js';

export type { ErrorCode };

export interface CountersignErrorOptions {
  cause?: unknown;
  /** Extra, secret-free facts for logs (HTTP status, platform error code, ...). */
  details?: Record<string, unknown>;
  /** How long to wait before trying again, when the other side said (Retry-After). */
  retryAfterMs?: number;
  /** The work may have taken effect before it failed (a post sent, no answer): look before redoing it. */
  outcomeUnknown?: boolean;
}

/** The retry decision a code needs at its throw site: required for `per-error` codes, absent for the others. */
type RetryOption<C extends ErrorCode> = C extends PerErrorCode ? { retryable: boolean } : { retryable?: never };

/**
 * The one error base of countersign. `code` is one of ERROR_CODES (src/core/error-codes.ts), so a
 * misspelt code does not compile; `retryable` comes from that table (or, for the few codes whose
 * members differ, from the throw site); `retryAfterMs` and `outcomeUnknown` are fields a caller
 * acts on (the worker delays the job by `retryAfterMs` instead of retrying at once).
 */
export class CountersignError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  readonly retryAfterMs?: number;
  readonly outcomeUnknown: boolean;

  constructor(code: C, message: string, ...[options]: C extends PerErrorCode ? [options: CountersignErrorOptions & RetryOption<C>] : [options?: CountersignErrorOptions & RetryOption<C>]) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CountersignError';
    this.code = code;
    const rule = ERROR_CODES[code].retryable;
    this.retryable = rule === 'per-error' ? Boolean(options?.retryable) : rule;
    this.details = options?.details ?? {};
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
  }
}

export function isCountersignError<C extends ErrorCode>(error: unknown, code?: C): error is CountersignError<C> {
  return error instanceof CountersignError && (code === undefined || error.code === code);
}

/** A short, secret-free description of any thrown value, for logs and escalation reasons. */
export function describeError(error: unknown): string {
  if (error instanceof CountersignError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
