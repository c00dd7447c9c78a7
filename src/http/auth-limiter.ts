/**
 * Limits on guessing review tokens (dashboard sign-in and review API share them: a guess is a
 * guess). Two Redis counters of wrong tokens, from rate-limiter-flexible: one per client and
 * one for all clients together, each over a fixed window.
 *
 * The rule that keeps the right token from being locked out while guessing stays bounded:
 * - a client that made `perClient` wrong guesses in the window is refused (429) without its
 *   credential being looked at, whatever it sends, until its window ends;
 * - once all clients together made `global` wrong guesses, clients that made any wrong guess of
 *   their own are refused the same way, but a client with none is still heard: a reviewer with
 *   the right token gets in during a distributed attack, and each attacking address gets one
 *   evaluated guess per window at most.
 * A client is its address as the trusted proxy reports it (`request.ip`), an IPv6 client its
 * /64 (one host usually holds a whole /64, and could otherwise rotate through it).
 */
import net from 'node:net';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DEFAULT_AUTH_LIMITS } from '../config/http-schema.js';

export interface AuthLimiterOptions {
  redis: Redis;
  /** Key prefix, e.g. `${config.redis.prefix}:review-auth:`. */
  prefix: string;
  /** Wrong tokens one client may send per window. @defaultValue 10 */
  perClient?: number;
  /** Wrong tokens all clients together may send per window. @defaultValue 100 */
  global?: number;
  /** @defaultValue 600 */
  windowSeconds?: number;
}

export type Admission = { allowed: true; clientFailures: number } | { allowed: false; retryAfterSeconds: number; reason: 'client' | 'global' };

/** Expand an IPv6 address to its eight groups (`::` filled in, an embedded IPv4 tail as two groups). */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const parts = (text: string) => (text ? text.split(':').flatMap((part) => (part.includes('.') ? ['0', '0'] : [part])) : []);
  const before = parts(head);
  if (tail === undefined) return before;
  const after = parts(tail);
  return [...before, ...Array<string>(Math.max(0, 8 - before.length - after.length)).fill('0'), ...after];
}

/** The counter key of a client address: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 by its /64. */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const plain = address.split('%')[0]!;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain);
  if (mapped) return mapped[1]!;
  if (net.isIPv4(plain)) return plain;
  if (!net.isIPv6(plain)) return plain.slice(0, 100);
  const prefix = ipv6Groups(plain)
    .slice(0, 4)
    .map((group) => Number.parseInt(group || '0', 16).toString(16))
    .join(':');
  return `${prefix}::/64`;
}

/** Limits on wrong review credentials: per client address and for everyone together. */
export interface AuthLimiter {
  perClient: number;
  global: number;
  windowSeconds: number;
  /** Before a credential is looked at: may this client try now? */
  admit(address: string | undefined): Promise<Admission>;
  /** Count one wrong token from this client (and towards the global limit). */
  failed(address: string | undefined): Promise<void>;
  /** The right token: the client's own wrong guesses (typos) are forgotten. */
  succeeded(address: string | undefined, admission: Admission): Promise<void>;
}

export function createAuthLimiter(options: AuthLimiterOptions): AuthLimiter {
  const perClient = options.perClient ?? DEFAULT_AUTH_LIMITS.perClient;
  const global = options.global ?? DEFAULT_AUTH_LIMITS.global;
  const duration = options.windowSeconds ?? DEFAULT_AUTH_LIMITS.windowSeconds;
  const clients = new RateLimiterRedis({ storeClient: options.redis, keyPrefix: `${options.prefix}client`, points: perClient, duration });
  const everyone = new RateLimiterRedis({ storeClient: options.redis, keyPrefix: `${options.prefix}global`, points: global, duration });
  const seconds = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  /** A limit reached rejects with a RateLimiterRes: that is the count going on, not an error. */
  const count = (limiter: RateLimiterRedis, key: string) =>
    limiter.consume(key).then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof RateLimiterRes)) throw error;
      },
    );

  return {
    perClient,
    global,
    windowSeconds: duration,
    async admit(address: string | undefined): Promise<Admission> {
      const key = clientKey(address);
      const [mine, all] = await Promise.all([clients.get(key), everyone.get('all')]);
      const failures = mine?.consumedPoints ?? 0;
      if (mine && failures >= perClient) return { allowed: false, retryAfterSeconds: seconds(mine), reason: 'client' };
      if (all && all.consumedPoints >= global && failures > 0) return { allowed: false, retryAfterSeconds: seconds(all), reason: 'global' };
      return { allowed: true, clientFailures: failures };
    },
    async failed(address: string | undefined): Promise<void> {
      await Promise.all([count(clients, clientKey(address)), count(everyone, 'all')]);
    },
    async succeeded(address: string | undefined, admission: Admission): Promise<void> {
      if (admission.allowed && admission.clientFailures > 0) await clients.delete(clientKey(address));
    },
  };
}

