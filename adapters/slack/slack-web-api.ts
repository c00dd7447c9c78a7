/**
 * The Slack Web API as the adapter uses it: bolt's WebClient without automatic retries (it would
 * resend a post whose first attempt may have landed), rate limits waited out in place up to a
 * bound, every error translated by slack-errors.ts.
 */
import { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { translateSlackError } from './slack-errors.js';
import { boltLogger } from './slack-receivers.js';

const DEFAULT_API_URL = 'https://slack.com/api/';

export interface SlackWebApiOptions {
  botToken: string;
  /** @defaultValue 'https://slack.com/api/' */
  apiUrl?: string;
  /** One call's time limit; past it the outcome is unknown. @defaultValue 10000 */
  requestTimeoutMs?: number;
  /** How often a rate-limited call is retried after waiting `Retry-After`. @defaultValue 3 */
  rateLimitRetries?: number;
  /** Longest `Retry-After` waited in place; longer ones fail retryably for the queue to wait. @defaultValue 30 */
  maxRetryAfterSeconds?: number;
}

export interface SlackWebApi {
  /** The normalised base URL (bolt's App and the Socket Mode client use it too). */
  readonly apiUrl: string;
  /** One Web API call: rate limits waited out in place (bounded), errors translated. */
  call<T>(method: string, args: Record<string, unknown>): Promise<T>;
  /** Where WebClient's own log lines and the rate-limit waits go, once the service's logger is known. */
  useLogger(logger: Logger): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** WebClient wants the base with a trailing slash, Slack's own being `https://slack.com/api/`. */
export function normaliseSlackApiUrl(url: string | undefined): string {
  const base = url ?? DEFAULT_API_URL;
  return base.endsWith('/') ? base : `${base}/`;
}

export function createSlackWebApi(options: SlackWebApiOptions): SlackWebApi {
  const apiUrl = normaliseSlackApiUrl(options.apiUrl);
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 30;
  let logger: Logger | undefined;
  // Rate limits are retried by `call` below, everything else by the outbox, with recovery.
  const client = new webApi.WebClient(options.botToken, {
    slackApiUrl: apiUrl,
    logger: boltLogger({
      debug: (text: string) => logger?.debug(text),
      warn: (text: string) => logger?.debug(text), // every failed call is translated and reported by its caller
      error: (text: string) => logger?.error(text),
    }),
    timeout: options.requestTimeoutMs ?? 10_000,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });

  return {
    apiUrl,
    useLogger(next) {
      logger = next;
    },
    async call<T>(method: string, args: Record<string, unknown>): Promise<T> {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return (await client.apiCall(method, args)) as T;
        } catch (error) {
          const translated = translateSlackError(error, method);
          const retryAfter = Number(translated.details.retryAfterSeconds);
          if (translated.code === 'slack.rate-limited' && attempt < rateLimitRetries && retryAfter <= maxRetryAfterSeconds) {
            logger?.info({ method, retryAfter }, 'slack rate limit; waiting Retry-After');
            await sleep(retryAfter * 1000);
            continue;
          }
          throw translated;
        }
      }
    },
  };
}
