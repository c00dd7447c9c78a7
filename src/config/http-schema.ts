import net from 'node:net';
import { z } from 'zod';

/**
 * The `http:` section of countersign.yaml: limits of the one HTTP server (timeouts, connections),
 * how it sits behind a reverse proxy (trusted proxy, cookies, origins), and how many wrong review
 * tokens it takes before a client, or everyone, is refused. docs/security.md explains each.
 */

const milliseconds = z.coerce.number().int().min(100).max(3_600_000);

/** One proxy address or CIDR block (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`). */
function isAddressOrCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (rest.length || !address) return false;
  const family = net.isIP(address);
  if (!family) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Which peers are trusted proxies: `false` (the default: the peer is the client), `true` (trust
 * every hop: only when nothing but the proxy can reach the service), or the proxy's own
 * addresses / CIDR blocks (a list, or a comma-separated string from the environment).
 *
 * A hop count is refused: it cannot tell the proxy from a client that sends `X-Forwarded-For`
 * itself (Fastify 5 treats one as "trust nothing" for that reason, which would silently do
 * nothing here).
 */
export const trustProxySchema = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    const text = value.trim();
    if (text === 'true' || text === 'false') return text === 'true';
    if (/^\d+$/.test(text)) return Number(text);
    return text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  },
  z.union(
    [
      z.boolean(),
      z
        .array(z.string().trim().refine(isAddressOrCidr, 'must be an IP address or a CIDR block such as 10.0.0.0/8'))
        .min(1, 'name at least one proxy address'),
    ],
    {
      error: (issue) =>
        typeof issue.input === 'number'
          ? "a hop count cannot tell the proxy from a client that sends X-Forwarded-For itself; list the proxy's addresses (e.g. [10.0.0.5] or 10.0.0.0/24)"
          : "must be false, true, or a list of the proxy's addresses / CIDR blocks",
    },
  ),
);

export type TrustProxy = z.output<typeof trustProxySchema>;

export const DEFAULT_AUTH_LIMITS = { perClient: 10, global: 100, windowSeconds: 600 };

/** The server limits' defaults, shared with createHttpServer's options. */
export const HTTP_DEFAULTS = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  maxConnections: 1000,
} as const;

export const httpSchema = z
  .strictObject({
    /**
     * Longest time to receive a whole request, headers and body; past it the server answers 408
     * and closes the connection (slow-body attacks).
     */
    requestTimeoutMs: milliseconds.default(HTTP_DEFAULTS.requestTimeoutMs),
    /** Longest time to receive the request headers (slowloris); at most `requestTimeoutMs`. */
    headersTimeoutMs: milliseconds.default(HTTP_DEFAULTS.headersTimeoutMs),
    /**
     * A connection with no traffic either way for this long is closed. The dashboard's live
     * stream sends a keep-alive at less than half of it.
     */
    idleTimeoutMs: milliseconds.default(HTTP_DEFAULTS.idleTimeoutMs),
    /** Most connections open at once; more are refused at once (the process's file limit stays out of reach). */
    maxConnections: z.coerce.number().int().min(10).max(1_000_000).default(HTTP_DEFAULTS.maxConnections),
    /** Which peers are trusted proxies whose `X-Forwarded-For` / `-Proto` / `-Host` count. See {@link trustProxySchema}. */
    trustProxy: trustProxySchema.default(false),
    /**
     * `auto`: the dashboard's session cookie is `Secure` when the request came over HTTPS (TLS,
     * or `X-Forwarded-Proto: https`); `always`: always `Secure` (set it when TLS ends at a proxy).
     */
    secureCookies: z.enum(['auto', 'always']).default('auto'),
    /** Origins accepted on the dashboard's state-changing requests besides its own (a proxy that rewrites Host). */
    allowedOrigins: z
      .preprocess(
        (value) => (typeof value === 'string' ? value.split(',').map((item) => item.trim()).filter(Boolean) : value),
        z.array(
          z.url().refine((value) => {
            const url = new URL(value);
            return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash;
          }, 'must be an origin: scheme://host[:port], nothing else'),
        ),
      )
      .default([]),
    /**
     * Wrong review tokens (dashboard sign-in and review API) tolerated per client and from all
     * clients together within `windowSeconds`; past either, 429 with Retry-After. A client
     * without wrong guesses of its own is never refused because of others' (see docs/security.md).
     */
    authLimits: z
      .strictObject({
        perClient: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_AUTH_LIMITS.perClient),
        global: z.coerce.number().int().min(1).max(10_000_000).default(DEFAULT_AUTH_LIMITS.global),
        windowSeconds: z.coerce.number().int().min(1).max(86_400).default(DEFAULT_AUTH_LIMITS.windowSeconds),
      })
      .default(DEFAULT_AUTH_LIMITS),
  })
  .superRefine((http, context) => {
    if (http.headersTimeoutMs > http.requestTimeoutMs) {
      context.addIssue({ code: 'custom', path: ['headersTimeoutMs'], message: `must not exceed requestTimeoutMs (${http.requestTimeoutMs})` });
    }
  })
  .default({
    ...HTTP_DEFAULTS,
    trustProxy: false,
    secureCookies: 'auto',
    allowedOrigins: [],
    authLimits: DEFAULT_AUTH_LIMITS,
  });

export type HttpConfig = z.output<typeof httpSchema>;

/** Environment variables of the `http:` section and the config path each one sets. */
export const httpEnvironment = {
  HTTP_REQUEST_TIMEOUT_MS: 'http.requestTimeoutMs',
  HTTP_HEADERS_TIMEOUT_MS: 'http.headersTimeoutMs',
  HTTP_IDLE_TIMEOUT_MS: 'http.idleTimeoutMs',
  HTTP_MAX_CONNECTIONS: 'http.maxConnections',
  TRUST_PROXY: 'http.trustProxy',
  SECURE_COOKIES: 'http.secureCookies',
  ALLOWED_ORIGINS: 'http.allowedOrigins',
  REVIEW_AUTH_FAILURES_PER_CLIENT: 'http.authLimits.perClient',
  REVIEW_AUTH_FAILURES_GLOBAL: 'http.authLimits.global',
  REVIEW_AUTH_WINDOW_SECONDS: 'http.authLimits.windowSeconds',
} as const;
