import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { redactDiscordUrl, translateDiscordError } from '../../adapters/discord/discord-errors.js';
import { CountersignError } from '../../src/core/errors.js';

const request = { body: undefined, files: undefined, json: undefined };
const apiError = (status: number, code: number, url = 'https://discord.com/api/v10/channels/1/messages') =>
  new DiscordAPIError({ message: 'nope', code }, code, status, 'POST', url, request);

describe('translateDiscordError', () => {
  it('maps Discord API errors to codes with status, Discord code and route', () => {
    const forbidden = translateDiscordError(apiError(403, 50013), 'send a message');
    expect(forbidden).toBeInstanceOf(CountersignError);
    expect(forbidden).toMatchObject({ code: 'discord.forbidden', retryable: false, details: { status: 403, discordCode: 50013, method: 'POST', route: '/api/v10/channels/1/messages' } });
    expect(translateDiscordError(apiError(401, 0), 'x')).toMatchObject({ code: 'discord.unauthorized', retryable: false });
    expect(translateDiscordError(apiError(404, 10003), 'x')).toMatchObject({ code: 'discord.not-found', retryable: false });
    expect(translateDiscordError(apiError(400, 40060), 'x')).toMatchObject({ code: 'discord.interaction-acknowledged' });
    expect(translateDiscordError(apiError(400, 50035), 'x')).toMatchObject({ code: 'discord.invalid-request', retryable: false });
    expect(translateDiscordError(apiError(429, 0), 'x')).toMatchObject({ code: 'discord.rate-limited', retryable: true });
  });

  it('makes outages, time-outs and lost connections retryable', () => {
    expect(translateDiscordError(new HTTPError(503, 'Service Unavailable', 'POST', 'https://discord.com/api/v10/x', request), 'x')).toMatchObject({ code: 'discord.unavailable', retryable: true });
    const abort = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    expect(translateDiscordError(abort, 'x')).toMatchObject({ code: 'discord.timeout', retryable: true });
    const socket = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(translateDiscordError(socket, 'x')).toMatchObject({ code: 'discord.network', retryable: true, details: { networkCode: 'UND_ERR_SOCKET' } });
    const wrapped = new TypeError('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
    expect(translateDiscordError(wrapped, 'x')).toMatchObject({ code: 'discord.network', retryable: true });
    const limited = new RateLimitError({
      timeToReset: 1000,
      limit: 5,
      method: 'POST',
      hash: 'h',
      url: 'u',
      route: '/channels/:id/messages',
      majorParameter: '1',
      global: false,
      retryAfter: 1000,
      sublimitTimeout: 0,
      scope: 'user',
    });
    expect(translateDiscordError(limited, 'x')).toMatchObject({ code: 'discord.rate-limited', retryable: true, retryAfterMs: 1000 });
  });

  it('keeps the request and the status in the keys the Slack adapter uses too; a lost answer is outcomeUnknown', () => {
    expect(translateDiscordError(apiError(403, 50013), 'send a message').details).toMatchObject({ request: 'POST /api/v10/channels/1/messages', status: 403 });
    const limited = new DiscordAPIError({ message: 'You are being rate limited.', code: 0, retry_after: 1.5, global: false } as never, 0, 429, 'POST', 'https://discord.com/api/v10/channels/1/messages', request);
    expect(translateDiscordError(limited, 'send a message')).toMatchObject({ retryAfterMs: 1500, details: { request: 'POST /api/v10/channels/1/messages', status: 429 } });
    expect(translateDiscordError(new HTTPError(502, 'Bad Gateway', 'PATCH', 'https://discord.com/api/v10/channels/1/messages/2', request), 'edit').details).toMatchObject({
      request: 'PATCH /api/v10/channels/1/messages/2',
      status: 502,
    });
    const abort = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    expect(translateDiscordError(abort, 'send a message')).toMatchObject({ outcomeUnknown: true, details: { request: 'send a message' } });
    const socket = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(translateDiscordError(socket, 'send a message')).toMatchObject({ outcomeUnknown: true, details: { request: 'send a message', networkCode: 'UND_ERR_SOCKET' } });
    // A refusal is an answer: the outcome is known.
    expect(translateDiscordError(apiError(400, 50035), 'send a message').outcomeUnknown).toBe(false);
  });

  it('keeps CountersignErrors and wraps anything else without retrying', () => {
    const own = new CountersignError('review.conflict', 'resolved');
    expect(translateDiscordError(own, 'x')).toBe(own);
    expect(translateDiscordError('weird', 'x')).toMatchObject({ code: 'discord.error', retryable: false });
  });

  it('never puts interaction or webhook tokens in messages or details', () => {
    const token = 'aW50ZXJhY3Rpb246c2VjcmV0dG9rZW4';
    const error = translateDiscordError(apiError(404, 10062, `https://discord.com/api/v10/interactions/123/${token}/callback`), 'answer');
    expect(JSON.stringify(error.details) + error.message).not.toContain(token);
    expect(redactDiscordUrl(`http://x/api/v10/webhooks/55/${token}/messages/@original`)).toBe('/api/v10/webhooks/55/:token/messages/@original');
  });
});
