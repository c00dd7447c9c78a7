import { describe, expect, it } from 'vitest';
import { translateSlackError } from '../../adapters/slack/slack-errors.js';
import { CountersignError } from '../../src/core/errors.js';

const coded = (code: string, extra: Record<string, unknown>) => Object.assign(new Error('x'), { code, ...extra });

describe('translateSlackError', () => {
  it('maps a rate limit to a retryable error carrying Retry-After', () => {
    const error = translateSlackError(coded('slack_webapi_rate_limited_error', { retryAfter: 12 }), 'chat.postMessage');
    expect(error).toMatchObject({ code: 'slack.rate-limited', retryable: true, details: { method: 'chat.postMessage', retryAfterSeconds: 12 } });
  });

  it('maps a lost answer to outcome_unknown, retryable', () => {
    const error = translateSlackError(coded('slack_webapi_request_error', { original: { code: 'ECONNRESET' } }), 'chat.postMessage');
    expect(error).toMatchObject({ code: 'slack.outcome-unknown', retryable: true, outcomeUnknown: true });
  });

  it('keeps Slack error codes and retries only transient ones', () => {
    expect(translateSlackError(coded('slack_webapi_platform_error', { data: { ok: false, error: 'channel_not_found' } }), 'chat.postMessage')).toMatchObject({
      code: 'slack.api-error',
      retryable: false,
      details: { error: 'channel_not_found' },
    });
    expect(translateSlackError(coded('slack_webapi_platform_error', { data: { ok: false, error: 'internal_error' } }), 'chat.update').retryable).toBe(true);
    const auth = translateSlackError(coded('slack_webapi_platform_error', { data: { ok: false, error: 'invalid_auth' } }), 'auth.test');
    expect(auth.message).toContain('SLACK_BOT_TOKEN');
  });

  it('retries 5xx but not 4xx HTTP errors', () => {
    expect(translateSlackError(coded('slack_webapi_http_error', { statusCode: 503 }), 'chat.postMessage').retryable).toBe(true);
    expect(translateSlackError(coded('slack_webapi_http_error', { statusCode: 404 }), 'chat.postMessage').retryable).toBe(false);
  });

  it('keeps the request and the status in the keys the Discord adapter uses too', () => {
    expect(translateSlackError(coded('slack_webapi_rate_limited_error', { retryAfter: 3 }), 'chat.postMessage')).toMatchObject({ retryAfterMs: 3000, details: { request: 'chat.postMessage', status: 429 } });
    expect(translateSlackError(coded('slack_webapi_http_error', { statusCode: 502 }), 'chat.update').details).toMatchObject({ request: 'chat.update', status: 502 });
    expect(translateSlackError(coded('slack_webapi_platform_error', { data: { ok: false, error: 'channel_not_found' } }), 'chat.postMessage').details).toMatchObject({ request: 'chat.postMessage', status: 200, error: 'channel_not_found' });
    const lost = translateSlackError(coded('slack_webapi_request_error', { original: { code: 'ETIMEDOUT' } }), 'chat.postMessage');
    expect(lost).toMatchObject({ outcomeUnknown: true, details: { request: 'chat.postMessage' } });
    expect(lost.details.status).toBeUndefined();
    expect(translateSlackError(new Error('odd'), 'views.open').details).toEqual({ method: 'views.open', request: 'views.open' });
  });

  it('passes CountersignError through and never includes a token', () => {
    const own = new CountersignError('delivery.claimed', 'mine');
    expect(translateSlackError(own, 'm')).toBe(own);
    const error = translateSlackError(coded('slack_webapi_platform_error', { data: { ok: false, error: 'not_authed' }, token: 'xoxb-secret' }), 'auth.test');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('xoxb-secret');
  });
});
