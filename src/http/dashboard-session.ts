/**
 * Dashboard sessions and CSRF protection. A reviewer signs in once with REVIEW_TOKEN; the browser
 * then holds only a random session id in an HttpOnly, SameSite=Strict cookie scoped to /review,
 * so the token itself never sits in the browser. Redis keeps the session under the SHA-256 of
 * its id (a Redis dump does not hand out live cookies) with a TTL, next to a per-session CSRF
 * token that every state-changing request must echo.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constantTimeEqual } from './constant-time-equal.js';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

export const SESSION_COOKIE = 'cs_review_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface DashboardSession {
  /** The name the reviewer typed at sign-in (shown as who decided). */
  name: string;
  csrf: string;
  createdAt: number;
}

export interface SessionStoreOptions {
  redis: Redis;
  /** Key prefix, `${config.redis.prefix}:dashboard:`. */
  prefix: string;
  /** Session lifetime, renewed while the dashboard is used. @defaultValue 43200 (12 hours) */
  ttlSeconds?: number;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Session ids are 32 random bytes in base64url; anything else is not looked up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export function createSessionStore(options: SessionStoreOptions) {
  const { redis, prefix } = options;
  const ttlSeconds = options.ttlSeconds ?? 12 * 3600;
  const key = (id: string) => `${prefix}session:${sha256(id).toString('hex')}`;

  return {
    ttlSeconds,
    async create(name: string): Promise<{ id: string; session: DashboardSession }> {
      const id = randomBytes(32).toString('base64url');
      const session: DashboardSession = { name, csrf: randomBytes(32).toString('base64url'), createdAt: Date.now() };
      await redis.set(key(id), JSON.stringify(session), 'EX', ttlSeconds);
      return { id, session };
    },
    /**
     * The session of a cookie value, renewing its TTL unless `renew` is false (an open event
     * stream checks without keeping an idle tab signed in forever); null when unknown or expired.
     */
    async get(id: string | undefined, renew = true): Promise<DashboardSession | null> {
      if (!id || !SESSION_ID.test(id)) return null;
      const raw = renew ? await redis.getex(key(id), 'EX', ttlSeconds) : await redis.get(key(id));
      if (!raw) return null;
      try {
        return JSON.parse(raw) as DashboardSession;
      } catch {
        return null;
      }
    },
    async destroy(id: string | undefined): Promise<void> {
      if (id && SESSION_ID.test(id)) await redis.del(key(id));
    },
    /**
     * Count a failed sign-in from an address; true while it is under the limit. Slows down
     * guessing without locking out everyone (the window is short and per address).
     */
    async allowAttempt(address: string, limit = 10): Promise<boolean> {
      const failures = Number((await redis.get(`${prefix}login-failures:${address}`)) ?? 0);
      return failures < limit;
    },
    async recordFailure(address: string, windowSeconds = 60): Promise<void> {
      const counter = `${prefix}login-failures:${address}`;
      await redis.multi().incr(counter).expire(counter, windowSeconds, 'NX').exec();
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

/**
 * Whether a state-changing request comes from the dashboard's own origin. Browsers send
 * `Sec-Fetch-Site` and `Origin` on such requests; where present they must say same-origin
 * (or name this host, or one of `allowedOrigins` for a proxy that rewrites Host).
 */
export function sameOrigin(request: FastifyRequest, allowedOrigins: readonly string[] = []): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return true;
  if (allowedOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** Whether the CSRF token a request sent (header or form field) is the session's. Constant time. */
export function csrfMatches(sent: unknown, session: DashboardSession): boolean {
  return typeof sent === 'string' && sent.length > 0 && constantTimeEqual(sent, session.csrf);
}
