import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/http-server.js';
import { boundedText } from '../../src/service/ingest.js';
import { createLogger } from '../../src/observability/logger.js';

describe('errors raised by the router keep the {"error"} shape', () => {
  const app = createHttpServer({ logger: createLogger({ level: 'silent' }) });
  app.get('/api/chat/:id/messages', async () => ({ ok: true }));

  it('an over-long path parameter: 414 with a short error, the URL not echoed', async () => {
    const response = await app.inject({ method: 'GET', url: `/api/chat/${'x'.repeat(5000)}/messages` });
    expect(response.statusCode).toBe(414);
    expect(response.json()).toEqual({ error: 'a part of the URL path is too long' });
  });

  it('a malformed percent-encoding: 400', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/chat/%E0%A4%A/messages' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'the URL is not valid' });
  });
});

describe('boundedText', () => {
  it('leaves messages within the limit alone', () => {
    expect(boundedText('hello', 5)).toBe('hello');
  });

  it('cuts longer ones and says so', () => {
    expect(boundedText('abcdefgh', 4)).toBe('abcd\n[message cut at 4 characters]');
  });

  it('never splits a surrogate pair', () => {
    const text = `abc${'😀'}def`;
    expect(boundedText(text, 4)).toBe('abc\n[message cut at 4 characters]');
  });
});
