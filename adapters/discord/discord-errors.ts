/**
 * The one place Discord failures become CountersignErrors. Codes say what the caller can do:
 * `retryable` is true where running the job again can help (rate limits that discord.js gave
 * up on, 5xx, time-outs, connections dropped before the answer came back: with the send's
 * nonce, a retry of the latter returns the message if it was created). Details keep the HTTP
 * status, Discord's JSON error code, the method and the route, with interaction and webhook
 * tokens cut out of the route: they are credentials. Every one has the keys the Slack adapter's
 * errors have too: `request` (`POST /api/v10/channels/1/messages`, or what was being done when
 * there is no route) and `status` where Discord answered; the error's own `retryAfterMs` on a
 * rate limit and `outcomeUnknown` when the request may have reached Discord without its answer coming back.
 */
import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import { CountersignError } from '../../src/core/errors.js';

/** Network error codes that mean the request may or may not have reached Discord. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Discord JSON error codes with a meaning of their own. */
const NOT_FOUND_CODES = new Set([10003, 10004, 10008, 10013, 10015, 10062]);
const FORBIDDEN_CODES = new Set([50001, 50013, 50007, 50083]);

/** Remove interaction and webhook tokens from a Discord URL, keeping the route. */
export function redactDiscordUrl(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // Not absolute: already a path.
  }
  return path.replace(/(\/interactions\/\d+\/)[^/?]+/, '$1:token').replace(/(\/webhooks\/\d+\/)[^/?]+/, '$1:token');
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Translate anything a discord.js / @discordjs/rest call threw. `action` names what was being
 * done (`send a message`, `answer an interaction`) for the message.
 */
export function translateDiscordError(error: unknown, action: string): CountersignError {
  if (error instanceof CountersignError) return error;
  if (error instanceof DiscordAPIError) {
    const route = redactDiscordUrl(error.url);
    const details: Record<string, unknown> = { request: `${error.method} ${route}`, status: error.status, discordCode: error.code, method: error.method, route };
    const numeric = typeof error.code === 'number' ? error.code : -1;
    const base = `Discord refused to ${action}: ${error.message} (HTTP ${error.status}, code ${error.code})`;
    if (error.status === 401) return new CountersignError('discord.unauthorized', `${base}; check DISCORD_BOT_TOKEN`, { cause: error, details });
    if (error.status === 403 || FORBIDDEN_CODES.has(numeric)) {
      return new CountersignError('discord.forbidden', `${base}; check the bot's permissions in that channel`, { cause: error, details });
    }
    if (error.status === 404 || NOT_FOUND_CODES.has(numeric)) return new CountersignError('discord.not-found', base, { cause: error, details });
    if (numeric === 40060) return new CountersignError('discord.interaction-acknowledged', base, { cause: error, details });
    if (error.status === 429) {
      const retryAfter = (error.rawError as { retry_after?: unknown }).retry_after;
      return new CountersignError('discord.rate-limited', base, { cause: error, details, ...(typeof retryAfter === 'number' ? { retryAfterMs: Math.ceil(retryAfter * 1000) } : {}) });
    }
    if (error.status >= 500) return new CountersignError('discord.unavailable', base, { cause: error, details });
    return new CountersignError('discord.invalid-request', base, { cause: error, details });
  }
  if (error instanceof RateLimitError) {
    return new CountersignError('discord.rate-limited', `Discord rate limit while trying to ${action}: retry after ${error.retryAfter} ms`, {
      cause: error,
      retryAfterMs: error.retryAfter,
      details: { request: `${error.method} ${error.route}`, route: error.route, global: error.global, scope: error.scope },
    });
  }
  if (error instanceof HTTPError) {
    return new CountersignError('discord.unavailable', `Discord answered HTTP ${error.status} while trying to ${action}`, {
      cause: error,
      details: { request: `${error.method} ${redactDiscordUrl(error.url)}`, status: error.status, method: error.method, route: redactDiscordUrl(error.url) },
    });
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new CountersignError('discord.timeout', `Discord did not answer in time while trying to ${action}`, {
      cause: error,
      outcomeUnknown: true,
      details: { request: action },
    });
  }
  const code = networkCode(error);
  if (code || (error instanceof Error && /fetch failed|other side closed|socket hang up/i.test(error.message))) {
    // The request may have reached Discord: retrying is safe only because sends carry a nonce.
    return new CountersignError('discord.network', `the connection to Discord failed while trying to ${action} (${code ?? (error as Error).message})`, {
      cause: error,
      outcomeUnknown: true,
      details: { request: action, ...(code ? { networkCode: code } : {}) },
    });
  }
  const description = error instanceof Error ? error.message || error.name : String(error);
  return new CountersignError('discord.error', `could not ${action} on Discord: ${description}`, { cause: error, details: { request: action } });
}

/** Run one discord.js call, its failure translated; `action` names what it does for the message. */
export async function callDiscord<T>(action: string, call: () => Promise<unknown>): Promise<T> {
  try {
    return (await call()) as T;
  } catch (error) {
    throw translateDiscordError(error, action);
  }
}
