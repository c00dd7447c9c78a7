/**
 * The one error base of countersign. `code` is a namespaced string (`config.invalid`,
 * `critic.timeout`, `delivery.claimed`, ...) that callers switch on; `retryable` tells the
 * queue whether running the job again can help.
 */
export class CountersignError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** Extra, secret-free facts for logs (HTTP status, platform error code, ...). */
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CountersignError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isCountersignError(error: unknown, code?: string): error is CountersignError {
  return error instanceof CountersignError && (code === undefined || error.code === code);
}

/** A short, secret-free description of any thrown value, for logs and escalation reasons. */
export function describeError(error: unknown): string {
  if (error instanceof CountersignError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
