/**
 * Dashboard sessions and CSRF protection. A reviewer signs in once (a review token, or the
 * identity-aware proxy's word); the browser then holds only a random session id in an HttpOnly,
 * SameSite=Strict cookie scoped to /review, so no token sits in the browser. Redis keeps the
 * session under the SHA-256 of its id (a Redis dump does not hand out live cookies), next to a
 * per-session CSRF token that every state-changing request must echo.
 *
 * A session ends when it is idle for `idleSeconds`, `absoluteSeconds` after sign-in however
 * much it is used, and as soon as the credential it was opened with changes or goes: it keeps
 * an HMAC of that credential's secret keyed with the session id (which Redis never holds), and
 * every use compares it with the secret configured now. The HMAC is useless for guessing the
 * token from a Redis dump, for want of the key.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { DEFAULT_SESSION } from '../config/review-identity-schema.js';
import { constantTimeEqual } from './constant-time-equal.js';
import type { ReviewCredential } from './review-credentials.js';

export const SESSION_COOKIE = 'cs_review_session';
export const CSRF_HEADER = 'x-csrf-token';

const sessionSchema = z.object({
  /** Who decides with this session (shown, and recorded with every decision). */
  name: z.string(),
  credential: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('shared') }),
    z.object({ kind: z.literal('reviewer'), name: z.string() }),
    z.object({ kind: z.literal('proxy'), name: z.string() }),
  ]),
  /** HMAC-SHA256 of the credential's secret, keyed with the session id. */
  fingerprint: z.string(),
  csrf: z.string(),
  createdAt: z.number(),
  /** Sign-in plus the absolute lifetime: no renewal goes past it. */
  expiresAt: z.number(),
});

export type DashboardSession = z.output<typeof sessionSchema> & { credential: ReviewCredential };

export interface SessionStoreOptions {
  redis: Redis;
  /** Key prefix, `${config.redis.prefix}:dashboard:`. */
  prefix: string;
  /** A session unused this long ends; every use renews it, up to the absolute lifetime. @defaultValue 43200 (12 hours) */
  idleSeconds?: number;
  /** A session ends this long after sign-in, however much it is used. @defaultValue 86400 (24 hours) */
  absoluteSeconds?: number;
  /** The clock, in milliseconds (tests move it). @defaultValue Date.now */
  now?: () => number;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Session ids are 32 random bytes in base64url; anything else is not looked up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The fingerprint of a credential's secret for one session. */
export function sessionFingerprint(id: string, secret: string): string {
  return createHmac('sha256', id).update(secret).digest('base64url');
}

/** Dashboard sessions in Redis, bound to the credential that opened them. */
export interface SessionStore {
  idleSeconds: number;
  absoluteSeconds: number;
  create(input: { name: string; credential: ReviewCredential; secret: string }): Promise<{ id: string; session: DashboardSession }>;
  /**
   * The session of a cookie value, or null when unknown, idle too long or past its absolute
   * lifetime. `renew` (the default) restarts the idle time, capped at the absolute end; an
   * open event stream checks without renewing, so an idle tab does not stay signed in.
   */
  get(id: string | undefined, renew?: boolean): Promise<DashboardSession | null>;
  /** Whether the session was opened with this secret (the credential's secret as configured now). Constant time. */
  matches(id: string, session: DashboardSession, secret: string | null): boolean;
  destroy(id: string | undefined): Promise<void>;
}

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { redis, prefix } = options;
  const idleSeconds = options.idleSeconds ?? DEFAULT_SESSION.idleSeconds;
  const absoluteSeconds = options.absoluteSeconds ?? DEFAULT_SESSION.absoluteSeconds;
  const now = options.now ?? Date.now;
  const key = (id: string) => `${prefix}session:${sha256(id).toString('hex')}`;
  /** Seconds the key may live from now: the idle TTL, never past the absolute end. */
  const ttlFor = (expiresAt: number) => Math.max(1, Math.min(idleSeconds, Math.ceil((expiresAt - now()) / 1000)));

  return {
    idleSeconds,
    absoluteSeconds,
    async create(input: { name: string; credential: ReviewCredential; secret: string }): Promise<{ id: string; session: DashboardSession }> {
      const id = randomBytes(32).toString('base64url');
      const createdAt = now();
      const session: DashboardSession = {
        name: input.name,
        credential: input.credential,
        fingerprint: sessionFingerprint(id, input.secret),
        csrf: randomBytes(32).toString('base64url'),
        createdAt,
        expiresAt: createdAt + absoluteSeconds * 1000,
      };
      await redis.set(key(id), JSON.stringify(session), 'EX', ttlFor(session.expiresAt));
      return { id, session };
    },
    async get(id: string | undefined, renew = true): Promise<DashboardSession | null> {
      if (!id || !SESSION_ID.test(id)) return null;
      const raw = await redis.get(key(id));
      if (!raw) return null;
      let session: DashboardSession;
      try {
        session = sessionSchema.parse(JSON.parse(raw));
      } catch {
        // A session of another version, or damaged: no session.
        await redis.del(key(id));
        return null;
      }
      if (now() >= session.expiresAt) {
        await redis.del(key(id));
        return null;
      }
      if (renew) await redis.expire(key(id), ttlFor(session.expiresAt));
      return session;
    },
    matches(id: string, session: DashboardSession, secret: string | null): boolean {
      return secret !== null && constantTimeEqual(sessionFingerprint(id, secret), session.fingerprint);
    },
    async destroy(id: string | undefined): Promise<void> {
      if (id && SESSION_ID.test(id)) await redis.del(key(id));
    },
  };
}


/**
 * An `Origin` header as scheme://host[:port], or null when it is not a plain origin: another
 * scheme than http(s), userinfo (`https://user@host` says nothing good), a path, or `null`.
 */
export function parseOrigin(origin: string): string | null {
  if (!/^https?:\/\/[^/?#@\s\\]+$/i.test(origin)) return null;
  try {
    return new URL(origin).origin;
  } catch {
    return null;
  }
}

/** An origin from the configuration (validated there), normalised like a parsed header. */
const configuredOrigin = (origin: string) => {
  try {
    return new URL(origin).origin;
  } catch {
    return null;
  }
};

/**
 * Whether a state-changing request comes from the dashboard's own origin. Browsers send
 * `Sec-Fetch-Site` and `Origin` on such requests; where present they must say same-origin, or
 * name exactly this server's origin (scheme, host and port, the scheme and host as the trusted
 * proxy forwarded them when there is one: `request.protocol`, `request.host`), or one of
 * `allowedOrigins` (a proxy that rewrites Host).
 */
export function sameOrigin(request: Pick<FastifyRequest, 'headers' | 'protocol' | 'host'>, allowedOrigins: readonly string[] = []): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (typeof origin !== 'string') return false;
  const parsed = parseOrigin(origin);
  if (!parsed) return false;
  if (allowedOrigins.some((allowed) => configuredOrigin(allowed) === parsed)) return true;
  const own = parseOrigin(`${request.protocol}://${request.host}`);
  return own !== null && own === parsed;
}

/** Whether the CSRF token a request sent (header or form field) is the session's. Constant time. */
export function csrfMatches(sent: unknown, session: DashboardSession): boolean {
  return typeof sent === 'string' && sent.length > 0 && constantTimeEqual(sent, session.csrf);
}
