import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { statusOfCode } from '../core/error-codes.js';
import { isCountersignError } from '../core/errors.js';
import type { HttpRequest, HttpRequestHead, HttpResponse, HttpRoutes } from '../core/ports.js';
import { HTTP_DEFAULTS, type TrustProxy } from '../config/http-schema.js';

export interface HttpServerOptions {
  logger: Logger;
  /** Largest request body accepted, in bytes. @defaultValue 1048576 */
  bodyLimit?: number;
  /** Longest time to receive a whole request (headers and body); past it 408 and the connection closes. @defaultValue 30000 */
  requestTimeoutMs?: number;
  /** Longest time to receive the request headers; at most `requestTimeoutMs`. @defaultValue 10000 */
  headersTimeoutMs?: number;
  /** A connection without traffic either way for this long is closed. @defaultValue 30000 */
  idleTimeoutMs?: number;
  /** Most connections open at once; more are refused. @defaultValue 1000 */
  maxConnections?: number;
  /**
   * Fastify's `trustProxy`: which peers' `X-Forwarded-*` headers count (`request.ip`,
   * `request.protocol`, `request.host`). @defaultValue false
   */
  trustProxy?: TrustProxy;
}

/**
 * The service's one HTTP server (Fastify). Every error leaves as `{"error": "..."}` with a
 * 4xx/5xx status; internal details stay in the log.
 *
 * Fastify leaves request and connection time-outs off (0), so a client sending one byte every
 * few seconds held a connection for ever. Node enforces the request and header time-outs by
 * sweeping the open connections every `connectionsCheckingInterval` (30 s by default, which
 * would add up to 30 s to every time-out), so the sweep runs at a quarter of the header limit.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  // pino.Logger and Fastify's logger type differ only in generics; the instance is the same.
  const loggerInstance = options.logger.child({ component: 'http' }) as unknown as FastifyBaseLogger;
  const requestTimeout = options.requestTimeoutMs ?? HTTP_DEFAULTS.requestTimeoutMs;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? HTTP_DEFAULTS.headersTimeoutMs, requestTimeout);
  const app = Fastify({
    loggerInstance,
    // One line per request is noise at chat volumes; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestTimeout,
    connectionTimeout: options.idleTimeoutMs ?? HTTP_DEFAULTS.idleTimeoutMs,
    http: { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.max(250, Math.min(5000, Math.floor(headersTimeout / 4))) },
    trustProxy: options.trustProxy ?? false,
    routerOptions: { maxParamLength: 500 },
    // Errors the router raises before any route runs keep the service's `{"error": ...}` shape,
    // and never echo the (possibly huge) URL back.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const status = error.statusCode ?? 400;
      const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a part of the URL path is too long' : 'the URL is not valid';
      reply.status(status).send({ error: message });
    },
  });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (isCountersignError(error)) {
      // The code's status comes from the one table of codes (src/core/error-codes.ts).
      const status = statusOfCode(error.code) ?? 500;
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.status(status).send({ error: status >= 500 ? 'internal error' : error.message });
    }
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.status(413).send({ error: 'request body too large' });
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.status(415).send({ error: 'unsupported content type; send application/json' });
    if (status === 400 && (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || /JSON/i.test(error.message))) {
      return reply.status(400).send({ error: 'the request body is not valid JSON' });
    }
    if (status >= 400 && status < 500) return reply.status(status).send({ error: error.message });
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` }));
  // Past the cap Node closes new connections at once, before any of them can use a file descriptor for long.
  app.server.maxConnections = options.maxConnections ?? HTTP_DEFAULTS.maxConnections;
  return app;
}

function toHttpRequestHead(request: FastifyRequest): HttpRequestHead {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    params: (request.params ?? {}) as Record<string, string>,
    query: (request.query ?? {}) as Record<string, string | undefined>,
    ip: request.ip,
  };
}

function toHttpRequest(request: FastifyRequest, rawBody?: Buffer, body?: unknown): HttpRequest {
  return { ...toHttpRequestHead(request), body: body ?? request.body, ...(rawBody ? { rawBody } : {}) };
}

function sendResponse(reply: FastifyReply, response: HttpResponse) {
  reply.status(response.status);
  for (const [name, value] of Object.entries(response.headers ?? {})) reply.header(name, value);
  return reply.send(response.body ?? '');
}

/**
 * Parse a raw body the way the platform sent it (JSON or a URL-encoded form); undefined when it
 * does not parse. A raw-body route checks a signature over the bytes first and parses them
 * itself, so an unsigned request is refused as unsigned (401), never as malformed (400).
 */
function parseRaw(contentType: string | undefined, raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (!text) return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type Precheck = NonNullable<Parameters<HttpRoutes['route']>[0]['precheck']>;

/** The route's `onRequest` hook running its precheck: runs before Fastify reads the body. */
function precheckHook(precheck: Precheck) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const refusal = await precheck(toHttpRequestHead(request));
    if (!refusal) return;
    // The body was never read: close the connection rather than let Node drain it after the answer.
    reply.header('connection', 'close');
    return sendResponse(reply, refusal);
  };
}

/** Adapters register their routes through this, without seeing Fastify. */
export function createHttpRoutes(app: FastifyInstance): HttpRoutes {
  return {
    route({ method, url, rawBody, precheck, handler }) {
      const onRequest = precheck ? precheckHook(precheck) : undefined;
      if (!rawBody) {
        app.route({ method, url, ...(onRequest ? { onRequest } : {}), handler: async (request, reply) => sendResponse(reply, await handler(toHttpRequest(request))) });
        return;
      }
      // Signature checks need the exact bytes, so this route gets its own scope whose parser
      // keeps the body as a Buffer.
      app.register(async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
        scope.route({
          method,
          url,
          ...(onRequest ? { onRequest } : {}),
          handler: async (request, reply) => {
            const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
            const parsed = parseRaw(request.headers['content-type'], raw);
            return sendResponse(reply, await handler(toHttpRequest(request, raw, parsed)));
          },
        });
      });
    },
  };
}
