/**
 * The review dashboard at /review: sign-in with a review token (a reviewer's own, or the shared
 * REVIEW_TOKEN with a typed name), or by the identity-aware proxy's word, then a session cookie; the
 * pending queue, a turn's page, approve / edit-and-send / reject through the same review
 * service as the API and the chat buttons, the resolved list, an activity chart from the
 * audit log, and live updates over server-sent events from the review events channel.
 *
 * Security: the session cookie is HttpOnly, SameSite=Strict and scoped to /review (and Secure
 * over HTTPS, or always with `http.secureCookies: always`); a session ends when idle, at its
 * absolute lifetime, and when the credential it was opened with changes (dashboard-session.ts).
 * Wrong tokens are limited per client and globally (auth-limiter.ts). Every state-changing
 * request needs the session's CSRF token (constant-time compare) and, where the browser sends
 * them, a same-origin `Origin` (scheme, host and port) / `Sec-Fetch-Site`. Pages without a session
 * redirect to the sign-in page; API calls answer 401 JSON. The CSP allows only the dashboard's
 * own script and stylesheet, and the script puts every piece of data into the page as text.
 */
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { CountersignError, describeError } from '../core/errors.js';
import type { Keys } from '../core/keys.js';
import type { Turn } from '../core/types.js';
import type { AuditLog } from '../review/audit-log.js';
import type { ReviewService, TurnFollowUp } from '../review/review-service.js';
import type { DashboardTurn } from './dashboard-api-types.js';
import { DASHBOARD_ASSETS } from './dashboard-assets.js';
import { type DashboardView, renderLoginPage, renderShell } from './dashboard-page.js';
import type { AuthLimiter } from './auth-limiter.js';
import { CSRF_HEADER, csrfMatches, type DashboardSession, SESSION_COOKIE, sameOrigin, createSessionStore } from './dashboard-session.js';
import type { ReviewCredential, ReviewCredentials } from './review-credentials.js';
import { ACTIVITY_RANGES, type ActivityRange, readActivity } from './dashboard-stats.js';
import { presentTurn } from '../review/present-turn.js';
import { parseInput } from './parse-input.js';
import { approveBody } from './review-api.js';

export interface DashboardOptions {
  review: ReviewService;
  audit: AuditLog;
  /** The service's Redis connection; sessions live here and a duplicate subscribes to review events. */
  redis: Redis;
  keys: Keys;
  /** Who may sign in: review tokens and the identity-aware proxy; none configured disables the dashboard. */
  credentials: ReviewCredentials;
  /** Limits on wrong tokens, shared with the review API. */
  limiter: AuthLimiter;
  logger: Logger;
  /** A session unused this long ends; use renews it, up to the absolute lifetime. @defaultValue 43200 (12 hours) */
  sessionIdleSeconds?: number;
  /** A session ends this long after sign-in, however much it is used. @defaultValue 86400 (24 hours) */
  sessionAbsoluteSeconds?: number;
  /** `always` marks the session cookie Secure whatever the request says. @defaultValue 'auto' */
  secureCookies?: 'auto' | 'always';
  /** Origins besides this server's own accepted on state-changing requests (a proxy that rewrites Host). */
  allowedOrigins?: string[];
  /** SSE keep-alive comment interval, which also re-checks the session. @defaultValue 20000 */
  heartbeatMs?: number;
  /** The clock of session lifetimes, in milliseconds (tests move it). @defaultValue Date.now */
  now?: () => number;
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

const loginBody = z.object({
  name: z
    .string()
    .optional()
    .transform((name) => (name ?? '').replace(/[\p{Cc}\p{Cf}]/gu, '').trim())
    .pipe(z.string().max(60, 'the name is too long (60 characters at most)')),
  token: z.string().max(1000),
  next: z.string().optional(),
});

/** "in 42 seconds", "in 7 minutes": when a refused client may try again. */
function waitWords(seconds: number): string {
  return seconds < 90 ? `in ${seconds} seconds` : `in ${Math.ceil(seconds / 60)} minutes`;
}
const listQuery = z.object({ status: z.enum(['pending', 'approved', 'rejected', 'resolved']).default('pending'), limit: z.coerce.number().int().min(1).max(500).default(200) });
const activityQuery = z.object({ range: z.enum(Object.keys(ACTIVITY_RANGES) as [ActivityRange, ...ActivityRange[]]).default('24h') });

/** Only paths of the dashboard itself are followed after sign-in (no open redirect). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/review(?:\/[A-Za-z0-9_-]+)*\/?$/.test(next) ? next : '/review';
}


/** A turn as the dashboard shows it: the review API's view plus the channel to show in lists. */
function present(turn: Turn, withContext = false, followUp?: TurnFollowUp): DashboardTurn {
  const route = turn.conversation.route ?? {};
  const channel = route.channel ?? route.channelId ?? null;
  return { ...presentTurn(turn, withContext, followUp), channel: channel ? `${turn.conversation.platform === 'web' ? '' : '#'}${channel}` : null };
}

/**
 * One subscriber connection (a duplicate of the service's) for all dashboard clients of this
 * process; events are re-validated before they reach a browser.
 */
function createEventHub(redis: Redis, channel: string, logger: Logger) {
  let subscriber: Redis | null = null;
  let ready: Promise<void> | null = null;
  const clients = new Set<{ send(data: string): void; end(): void }>();
  return {
    clients,
    subscribe(): Promise<void> {
      if (ready) return ready;
      const connection = redis.duplicate({ connectionName: 'countersign:dashboard-events' });
      connection.on('error', (error) => logger.warn({ err: describeError(error) }, 'dashboard event subscription problem'));
      connection.on('message', (_channel: string, message: string) => {
        let event: { type?: unknown; turnId?: unknown; at?: unknown };
        try {
          event = JSON.parse(message);
        } catch {
          return;
        }
        if ((event.type !== 'escalated' && event.type !== 'resolved') || typeof event.turnId !== 'string') return;
        const data = JSON.stringify({ type: event.type, turnId: event.turnId, at: typeof event.at === 'number' ? event.at : Date.now() });
        for (const client of clients) client.send(data);
      });
      subscriber = connection;
      ready = connection.subscribe(channel).then(
        () => undefined,
        (error: unknown) => {
          ready = null;
          subscriber = null;
          connection.disconnect();
          throw error;
        },
      );
      return ready;
    },
    async close(): Promise<void> {
      for (const client of clients) client.end();
      clients.clear();
      const connection = subscriber;
      subscriber = null;
      ready = null;
      if (connection) await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** Register the dashboard's pages, assets, JSON API and event stream under /review. */
export function registerDashboard(app: FastifyInstance, options: DashboardOptions): void {
  const { review, audit, redis, keys, logger, credentials, limiter } = options;
  const sessions = createSessionStore({
    redis,
    prefix: `${keys.prefix}:dashboard:`,
    ...(options.sessionIdleSeconds ? { idleSeconds: options.sessionIdleSeconds } : {}),
    ...(options.sessionAbsoluteSeconds ? { absoluteSeconds: options.sessionAbsoluteSeconds } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const hub = createEventHub(redis, keys.reviewEvents, logger.child({ component: 'dashboard' }));
  const heartbeatMs = options.heartbeatMs ?? 20_000;
  // Only the shared token needs a typed name; personal tokens and the proxy name their holder.
  const askName = credentials.secretOf({ kind: 'shared' }) !== null;
  // Open event streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    await hub.close();
  });

  /**
   * A session still stands when the credential it was opened with is configured as it was (the
   * fingerprint matches), and, for the proxy's users, when the proxy still names the same user.
   */
  const stillValid = (id: string, session: DashboardSession, request: FastifyRequest) =>
    sessions.matches(id, session, credentials.secretOf(session.credential)) &&
    (session.credential.kind !== 'proxy' || credentials.proxyIdentity(request) === session.credential.name);
  const sessionOf = async (request: FastifyRequest, renew = true): Promise<{ id: string; session: DashboardSession } | null> => {
    if (!credentials.enabled) return null;
    const id = request.cookies[SESSION_COOKIE];
    const session = await sessions.get(id, renew);
    if (!session || !id) return null;
    if (!stillValid(id, session, request)) {
      await sessions.destroy(id);
      return null;
    }
    return { id, session };
  };
  const requireSession = async (request: FastifyRequest) => {
    const found = await sessionOf(request);
    if (!found) throw new CountersignError('http.unauthorized', 'sign in to the review dashboard first');
    return found;
  };
  /** Session, same origin and CSRF token, for every request that changes something. */
  const requireWrite = async (request: FastifyRequest, sent: unknown) => {
    const found = await requireSession(request);
    if (!sameOrigin(request, options.allowedOrigins)) throw new CountersignError('http.forbidden', 'cross-site request refused');
    if (!csrfMatches(sent, found.session)) throw new CountersignError('http.forbidden', 'missing or invalid CSRF token');
    return found;
  };
  const reviewer = (session: DashboardSession) => credentials.reviewer(session.credential, 'dashboard', session.name);
  // `auto`: Secure when the request came over HTTPS as far as the server can tell, the
  // X-Forwarded-Proto header included even from an untrusted peer (a Secure flag can only
  // make the cookie harder to send, never easier).
  const secure = (request: FastifyRequest) => options.secureCookies === 'always' || request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
  const html = (reply: FastifyReply, status: number, body: string) => reply.status(status).type('text/html; charset=utf-8').send(body);
  const signIn = async (request: FastifyRequest, reply: FastifyReply, credential: ReviewCredential, name: string, next: string) => {
    const secret = credentials.secretOf(credential);
    if (secret === null) throw new CountersignError('http.unauthorized', 'that credential is no longer configured');
    const { id } = await sessions.create({ name, credential, secret });
    reply.setCookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', path: '/review', secure: secure(request), maxAge: sessions.absoluteSeconds });
    logger.info({ reviewer: name, credential: credential.kind }, 'dashboard sign-in');
    return reply.redirect(next, 303);
  };

  app.register(async (scope) => {
    await scope.register(fastifyCookie);
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    scope.addHook('onSend', async (_request, reply) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
    });

    for (const name of DASHBOARD_ASSETS.names) {
      scope.get(`/review/assets/${name}`, async (_request, reply) => {
        const asset = await DASHBOARD_ASSETS.get(name).catch((error: unknown) => {
          logger.error({ err: describeError(error), asset: name }, 'a dashboard asset could not be loaded');
          throw new CountersignError('http.unavailable', `the dashboard's ${name} is unavailable`);
        });
        return reply.type(asset.contentType).header('cache-control', 'no-cache').send(asset.body);
      });
    }

    scope.get<{ Querystring: { next?: string } }>('/review/login', async (request, reply) => {
      if (!credentials.enabled) return html(reply, 503, renderLoginPage({ disabled: true }));
      const next = safeNext(request.query.next);
      if (await sessionOf(request)) return reply.redirect(next, 303);
      // Behind an identity-aware proxy the proxy has already signed the user in.
      const proxied = credentials.proxyIdentity(request);
      if (proxied) return signIn(request, reply, { kind: 'proxy', name: proxied }, proxied, next);
      return html(reply, 200, renderLoginPage({ next, askName }));
    });

    scope.post('/review/login', async (request, reply) => {
      if (!credentials.enabled) return html(reply, 503, renderLoginPage({ disabled: true }));
      if (!sameOrigin(request, options.allowedOrigins)) return html(reply, 403, renderLoginPage({ error: 'Cross-site sign-in refused.', askName }));
      const body = loginBody.safeParse(request.body ?? {});
      const next = safeNext((request.body as { next?: unknown } | undefined)?.next);
      if (!body.success) return html(reply, 400, renderLoginPage({ error: body.error.issues[0]!.message, next, askName }));
      const name = body.data.name;
      const admission = await limiter.admit(request.ip);
      if (!admission.allowed) {
        logger.warn({ ip: request.ip, limit: admission.reason }, 'dashboard sign-in refused: too many wrong tokens');
        return html(reply.header('retry-after', String(admission.retryAfterSeconds)), 429, renderLoginPage({ error: `Too many wrong tokens; try again ${waitWords(admission.retryAfterSeconds)}.`, next, name, askName }));
      }
      const credential = credentials.match(body.data.token);
      if (!credential) {
        await limiter.failed(request.ip);
        logger.warn({ ip: request.ip }, 'dashboard sign-in with a wrong token');
        return html(reply, 401, renderLoginPage({ error: 'That is not a valid review token.', next, name, askName }));
      }
      await limiter.succeeded(request.ip, admission);
      if (credential.kind === 'shared' && !name) {
        return html(reply, 400, renderLoginPage({ error: 'Enter your name: the shared review token does not say who you are.', next, askName }));
      }
      return signIn(request, reply, credential, credential.kind === 'shared' ? name : credential.name, next);
    });

    scope.post('/review/logout', async (request, reply) => {
      const { id } = await requireWrite(request, (request.body as { _csrf?: unknown } | undefined)?._csrf ?? request.headers[CSRF_HEADER]);
      await sessions.destroy(id);
      reply.clearCookie(SESSION_COOKIE, { path: '/review', httpOnly: true, sameSite: 'strict', secure: secure(request) });
      return reply.redirect('/review/login', 303);
    });

    const page = (view: DashboardView) => async (request: FastifyRequest<{ Params: { id?: string } }>, reply: FastifyReply) => {
      const found = await sessionOf(request);
      if (!found) return reply.redirect(`/review/login?next=${encodeURIComponent(safeNext(request.url.split('?')[0]))}`, 303);
      const turnId = request.params.id;
      if (turnId !== undefined && !/^[A-Za-z0-9_-]{1,80}$/.test(turnId)) throw new CountersignError('http.not-found', 'no such turn');
      return html(reply, 200, renderShell({ view, csrf: found.session.csrf, name: found.session.name, verified: found.session.credential.kind !== 'shared', ...(turnId ? { turnId } : {}) }));
    };
    scope.get('/review', page('queue'));
    scope.get('/review/', page('queue'));
    scope.get('/review/resolved', page('resolved'));
    scope.get('/review/activity', page('activity'));
    scope.get('/review/turns/:id', page('turn'));

    scope.get('/review/api/session', async (request) => {
      const { session } = await requireSession(request);
      return { name: session.name, verified: session.credential.kind !== 'shared' };
    });
    scope.get('/review/api/turns', async (request) => {
      await requireSession(request);
      const query = parseInput(listQuery, request.query, 'query');
      const turns = await review.list(query.status, query.limit);
      return { turns: turns.map((turn) => present(turn)) };
    });
    scope.get<{ Params: { id: string } }>('/review/api/turns/:id', async (request) => {
      await requireSession(request);
      const turn = await review.get(request.params.id);
      if (!turn) throw new CountersignError('review.not-found', `no escalated turn ${request.params.id}`);
      return { turn: present(turn, true, await review.followUp(turn)) };
    });
    scope.post<{ Params: { id: string } }>('/review/api/turns/:id/approve', async (request) => {
      const { session } = await requireWrite(request, request.headers[CSRF_HEADER]);
      const body = parseInput(approveBody, request.body, 'body');
      const turn = await review.approve(request.params.id, { reviewer: reviewer(session), ...(body.text ? { text: body.text } : {}), ...(body.arguments ? { arguments: body.arguments } : {}) });
      return { turn: present(turn, true) };
    });
    scope.post<{ Params: { id: string } }>('/review/api/turns/:id/reject', async (request) => {
      const { session } = await requireWrite(request, request.headers[CSRF_HEADER]);
      parseInput(z.strictObject({}), request.body, 'body');
      const turn = await review.reject(request.params.id, { reviewer: reviewer(session) });
      return { turn: present(turn, true) };
    });
    scope.get('/review/api/activity', async (request) => {
      await requireSession(request);
      const { range } = parseInput(activityQuery, request.query, 'query');
      return readActivity(audit, range);
    });

    scope.get('/review/events', async (request, reply) => {
      await requireSession(request);
      try {
        await hub.subscribe();
      } catch (error) {
        throw new CountersignError('http.unavailable', 'live updates are unavailable', { cause: error });
      }
      // Subscribed before the stream opens: the client's `open` means no later event is missed.
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no', connection: 'keep-alive' });
      raw.write('retry: 3000\n\n');
      let heartbeat: NodeJS.Timeout | undefined;
      const client = {
        send: (data: string) => {
          raw.write(`event: review\ndata: ${data}\n\n`);
        },
        end: () => {
          clearInterval(heartbeat);
          hub.clients.delete(client);
          if (!raw.writableEnded) raw.end();
        },
      };
      hub.clients.add(client);
      heartbeat = setInterval(() => {
        // A signed-out, expired or no longer valid session (its token changed) stops receiving events.
        sessionOf(request, false).then(
          (found) => (found ? raw.write(': keep-alive\n\n') : client.end()),
          () => raw.write(': keep-alive\n\n'),
        );
      }, heartbeatMs);
      heartbeat.unref();
      request.raw.on('close', client.end);
    });
  });
}
