import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CountersignError, isCountersignError } from '../core/errors.js';
import type { HttpRequest, HttpResponse, HttpRoutes } from '../core/ports.js';

/** HTTP statuses of the CountersignError codes that reach a client. */
const STATUS_OF: Record<string, number> = {
  'review.not-found': 404,
  'review.conflict': 409,
  'review.invalid': 400,
  'review.no-draft': 400,
  'review.forbidden': 403,
  'review.refused': 422,
  'http.bad-request': 400,
  'http.unauthorized': 401,
  'http.forbidden': 403,
  'http.not-found': 404,
  'http.too-large': 413,
  'http.unavailable': 503,
};

export interface HttpServerOptions {
  logger: Logger;
  /** Largest request body accepted, in bytes. @defaultValue 1048576 */
  bodyLimit?: number;
}

/**
 * The service's one HTTP server (Fastify). Every error leaves as `{"error": "..."}` with a
 * 4xx/5xx status; internal details stay in the log.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  // pino.Logger and Fastify's logger type differ only in generics; the instance is the same.
  const loggerInstance = options.logger.child({ component: 'http' }) as unknown as FastifyBaseLogger;
  const app = Fastify({
    loggerInstance,
    // One line per request is noise at chat volumes; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: false,
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
      const status = STATUS_OF[error.code] ?? 500;
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
  return app;
}

function toHttpRequest(request: FastifyRequest, rawBody?: Buffer, body?: unknown): HttpRequest {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    params: (request.params ?? {}) as Record<string, string>,
    query: (request.query ?? {}) as Record<string, string | undefined>,
    body: body ?? request.body,
    ...(rawBody ? { rawBody } : {}),
  };
}

function sendResponse(reply: FastifyReply, response: HttpResponse) {
  reply.status(response.status);
  for (const [name, value] of Object.entries(response.headers ?? {})) reply.header(name, value);
  return reply.send(response.body ?? '');
}

/** Parse a raw body the way the platform sent it (JSON or a URL-encoded form). */
function parseRaw(contentType: string | undefined, raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (!text) return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    throw new CountersignError('http.bad-request', 'the request body is not valid JSON');
  }
}

/** Adapters register their routes through this, without seeing Fastify. */
export function createHttpRoutes(app: FastifyInstance): HttpRoutes {
  return {
    route({ method, url, rawBody, handler }) {
      if (!rawBody) {
        app.route({ method, url, handler: async (request, reply) => sendResponse(reply, await handler(toHttpRequest(request))) });
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
