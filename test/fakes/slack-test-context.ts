/**
 * A small AdapterContext for testing the Slack adapter on its own: a real HTTP server behind
 * `http.route` (raw body kept, JSON and forms parsed), AdapterStorage on real Redis under a
 * random prefix (the service's own implementation), an inbox that dedupes by message id like the real one, and an in-memory review
 * service with the real one's conflict rule.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { CountersignError } from '../../src/core/errors.js';
import { createKeys } from '../../src/core/keys.js';
import type { AdapterContext, HttpRequest, HttpResponse, HttpRoutes, IngestResult, ReviewTurn } from '../../src/core/ports.js';
import type { InboundMessage, Reviewer } from '../../src/core/types.js';
import { createAdapterStorage } from '../../src/queue/adapter-storage.js';

type Route = Parameters<HttpRoutes['route']>[0];

export interface SlackTestContext {
  context: AdapterContext;
  /** Base URL of the HTTP server (the Slack events URL is `${url}/slack/events`). */
  url: string;
  ingested: InboundMessage[];
  turns: Map<string, ReviewTurn>;
  decisions: Array<{ turnId: string; decision: 'approve' | 'reject'; reviewer: Reviewer; text?: string }>;
  /** Called after every resolution, like the real review service calls presentResolution on every adapter. */
  onResolved?: (turn: ReviewTurn) => Promise<void>;
  /** Make the next ingest fail (Redis down, say). */
  failNextIngest(): void;
  close(): Promise<void>;
}

export async function createSlackTestContext(options: { redis: Redis; prefix: string; inbound?: boolean }): Promise<SlackTestContext> {
  const routes = new Map<string, Route>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const url = new URL(request.url ?? '/', 'http://local');
      const route = routes.get(`${request.method} ${url.pathname}`);
      const reply = (answer: HttpResponse) => {
        const isText = typeof answer.body === 'string' || answer.body === undefined;
        response.writeHead(answer.status, { 'content-type': isText ? 'text/plain' : 'application/json', ...answer.headers });
        response.end(isText ? (answer.body as string | undefined) ?? '' : JSON.stringify(answer.body));
      };
      if (!route) return reply({ status: 404, body: { error: 'no route' } });
      const raw = Buffer.concat(chunks);
      const contentType = String(request.headers['content-type'] ?? '');
      let body: unknown;
      try {
        body = contentType.includes('json') ? JSON.parse(raw.toString('utf8')) : Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
      } catch {
        return reply({ status: 400, body: { error: 'invalid body' } });
      }
      const httpRequest: HttpRequest = {
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: request.headers,
        params: {},
        query: Object.fromEntries(url.searchParams),
        body,
        rawBody: route.rawBody ? raw : undefined,
      };
      try {
        reply(await route.handler(httpRequest));
      } catch (error) {
        reply({ status: 500, body: { error: String(error) } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const ingested: InboundMessage[] = [];
  const seen = new Set<string>();
  const turns = new Map<string, ReviewTurn>();
  const decisions: SlackTestContext['decisions'] = [];
  let failIngest = false;

  const resolve = (turnId: string, reviewer: Reviewer, decision: 'approved' | 'edited' | 'rejected', text?: string) => {
    const turn = turns.get(turnId);
    if (!turn) throw new CountersignError('review.not_found', `no turn ${turnId}`);
    if (turn.status !== 'escalated') throw new CountersignError('review.conflict', `turn ${turnId} is already ${turn.status}`);
    const next: ReviewTurn = {
      ...turn,
      status: decision === 'rejected' ? 'rejected' : 'approved',
      resolution: text === undefined ? { decision, reviewer, at: Date.now() } : { decision, reviewer, at: Date.now(), text },
      updatedAt: Date.now(),
    };
    turns.set(turnId, next);
    return next;
  };

  const result: { onResolved?: (turn: ReviewTurn) => Promise<void> } = {};
  const announce = (turn: ReviewTurn) => {
    // Fire and forget, as the review service does.
    void result.onResolved?.(turn).catch(() => {});
    return turn;
  };

  const context: AdapterContext = {
    async ingest(message): Promise<IngestResult> {
      if (failIngest) {
        failIngest = false;
        throw new CountersignError('redis.unavailable', 'inbox unavailable', { retryable: true });
      }
      if (seen.has(message.id)) return { accepted: false, duplicate: true, messageId: message.id };
      seen.add(message.id);
      ingested.push({ ...message, receivedAt: message.receivedAt ?? Date.now() });
      return { accepted: true, duplicate: false, messageId: message.id };
    },
    review: {
      get: async (turnId) => turns.get(turnId) ?? null,
      async approve(turnId, { reviewer, text }) {
        const turn = resolve(turnId, reviewer, text === undefined ? 'approved' : 'edited', text);
        decisions.push(text === undefined ? { turnId, decision: 'approve', reviewer } : { turnId, decision: 'approve', reviewer, text });
        return announce(turn);
      },
      async reject(turnId, { reviewer }) {
        const turn = resolve(turnId, reviewer, 'rejected');
        decisions.push({ turnId, decision: 'reject', reviewer });
        return announce(turn);
      },
    },
    storage: createAdapterStorage(options.redis, createKeys(options.prefix), 'slack'),
    http: { route: (route) => void routes.set(`${route.method} ${route.url}`, route) },
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    inbound: options.inbound ?? true,
  };

  return Object.assign(result, {
    context,
    url,
    ingested,
    turns,
    decisions,
    failNextIngest() {
      failIngest = true;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  });
}
