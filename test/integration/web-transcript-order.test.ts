import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createWebAdapter } from '../../adapters/web/web-adapter.js';
import { createKeys } from '../../src/core/keys.js';
import type { AdapterContext, HttpRequest, HttpResponse, IngestResult } from '../../src/core/ports.js';
import type { InboundMessage } from '../../src/core/types.js';
import { createRateLimits } from '../../src/http/rate-limits.js';
import { createAdapterStorage } from '../../src/queue/adapter-storage.js';
import { replyPart } from '../fakes/reply-part.js';
import { redisPerTest } from '../helpers/redis-per-test.js';

type Handler = (request: HttpRequest) => Promise<HttpResponse> | HttpResponse;

const store = redisPerTest('web');

const request = (method: string, conversationId: string, body?: unknown): HttpRequest => ({
  method,
  url: `/api/chat/${conversationId}/messages`,
  headers: { 'x-conversation-token': 'a-token-of-the-test-client-0123456789' },
  ip: '127.0.0.1',
  params: { conversationId },
  query: {},
  body,
});

describe('the web transcript', () => {
  it('shows the user message before a reply posted while the POST was still being answered (a fast worker)', async () => {
    const adapter = createWebAdapter();
    const routes = new Map<string, Handler>();
    const context: AdapterContext = {
      // The worker answers before ingest returns to the POST handler.
      async ingest(message: Omit<InboundMessage, 'receivedAt'>): Promise<IngestResult> {
        await adapter.send(replyPart(message.conversation, 'fast reply', { turnId: 't1' }));
        return { accepted: true, duplicate: false, messageId: message.id };
      },
      review: { get: async () => null, approve: async () => Promise.reject(new Error('unused')), reject: async () => Promise.reject(new Error('unused')) },
      storage: createAdapterStorage(store.redis, createKeys(store.prefix), 'web'),
      http: { route: ({ method, url, handler }) => routes.set(`${method} ${url}`, handler) },
      logger: pino({ level: 'silent' }),
      inbound: true,
      limits: createRateLimits({ redis: store.redis, keys: createKeys(store.prefix) }),
    };
    await adapter.start(context);
    const posted = await routes.get('POST /api/chat/:conversationId/messages')!(request('POST', 'fast', { text: 'question' }));
    expect(posted.status).toBe(202);
    const listed = await routes.get('GET /api/chat/:conversationId/messages')!(request('GET', 'fast'));
    // The GET answers the stored JSON entries as one JSON text.
    const messages = (JSON.parse(listed.body as string) as { messages: Array<{ role: string; text: string }> }).messages;
    expect(messages.map((message) => [message.role, message.text])).toEqual([
      ['user', 'question'],
      ['bot', 'fast reply'],
    ]);
  });
});
