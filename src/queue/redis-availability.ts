/**
 * Whether the deployment's Redis can be reached, said once and clearly. Without it nothing
 * works, so the service waits for it at start (with backoff, one short line per attempt, and
 * instructions the first time), and while running it reports a lost connection once, then
 * every 30 s while it lasts, and the recovery once, instead of a stack trace per reconnect
 * attempt from every client (ioredis, BullMQ's queue and worker).
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CountersignError } from '../core/errors.js';

export const HOW_TO_GET_REDIS =
  'Start one with `docker compose up -d redis` (from the project directory) or `redis-server --daemonize yes`, ' +
  "install your distribution's package (Debian/Ubuntu: `sudo apt-get install redis-server`, Fedora: `sudo dnf install redis`, macOS: `brew install redis`), " +
  'or set REDIS_URL to a Redis you have.';

/** The URL without its password, for messages. */
export function displayRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'the configured Redis URL';
  }
}

/** A short reason for a connection failure: `connection refused`, `host not found`, ... */
export function describeRedisFailure(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) return 'connection timed out';
  if (code === 'ECONNRESET') return 'connection reset';
  if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(message)) return 'authentication failed (check the password in REDIS_URL)';
  return message.split('\n')[0]!.slice(0, 200);
}

export interface WaitForRedisOptions {
  logger: Logger;
  /** Stops waiting (SIGTERM, SIGINT, stop()); the wait then throws `redis.wait-aborted`. */
  signal?: AbortSignal;
  /** First retry delay; it doubles up to `maxDelayMs` (`redis.retryInitialDelayMs`, `redis.retryMaxDelayMs`). */
  initialDelayMs: number;
  maxDelayMs: number;
  /** One attempt's connect time limit. @defaultValue 3000 */
  connectTimeoutMs?: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One PING through a client that neither retries nor queues: null when it answers, else why not. */
export async function probeRedis(url: string, connectTimeoutMs = 3000): Promise<string | null> {
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: connectTimeoutMs });
  // The socket's own error (ECONNREFUSED, ...) says more than connect()'s "Connection is closed".
  let socketError: unknown;
  client.on('error', (error) => {
    socketError ??= error;
  });
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return describeRedisFailure(socketError ?? error);
  } finally {
    client.disconnect();
  }
}

/**
 * Resolve once Redis at `url` answers PING. Until then, log one line per attempt (the first
 * with how to get a Redis), waiting 1 s, 2 s, 4 s ... up to 30 s between attempts.
 */
export async function waitForRedis(url: string, options: WaitForRedisOptions): Promise<void> {
  const where = displayRedisUrl(url);
  let delay = options.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new CountersignError('redis.wait-aborted', `stopped while waiting for Redis at ${where}`);
    const problem = await probeRedis(url, options.connectTimeoutMs ?? 3000);
    if (problem === null) {
      if (attempt > 1) options.logger.info({ redis: where, attempts: attempt }, `Redis at ${where} answers now`);
      return;
    }
    const seconds = Math.round(delay / 1000);
    if (attempt === 1) {
      options.logger.error({ redis: where, problem, retryInSeconds: seconds }, `Redis at ${where} cannot be reached (${problem}); countersign waits for it, retrying in ${seconds} s. ${HOW_TO_GET_REDIS}`);
    } else {
      options.logger.warn({ redis: where, problem, attempt, retryInSeconds: seconds }, `Redis at ${where}: ${problem}; retrying in ${seconds} s (attempt ${attempt})`);
    }
    await sleep(delay, options.signal);
    delay = Math.min(delay * 2, options.maxDelayMs);
  }
}

/**
 * One view of the connection for all of a process's Redis clients: the first error after it was
 * up is logged ("lost"), then one reminder every `reminderMs` while it lasts, then "reconnected".
 */
export function createConnectionWatch(options: { logger: Logger; url: string; reminderMs?: number }) {
  const where = displayRedisUrl(options.url);
  const reminderMs = options.reminderMs ?? 30_000;
  let lostAt: number | null = null;
  let lastReport = 0;
  return {
    /** A client reported an error (`source`: `redis`, `queue`, `worker`). */
    error(error: unknown, source: string): void {
      const now = Date.now();
      const problem = describeRedisFailure(error);
      if (lostAt === null) {
        lostAt = now;
        lastReport = now;
        options.logger.warn({ redis: where, problem, source }, `lost the connection to Redis at ${where} (${problem}); reconnecting`);
      } else if (now - lastReport >= reminderMs) {
        lastReport = now;
        options.logger.warn({ redis: where, problem, downForSeconds: Math.round((now - lostAt) / 1000) }, `still cannot reach Redis at ${where} (${problem}) after ${Math.round((now - lostAt) / 1000)} s; reconnecting`);
      }
    },
    /** A client is connected again. */
    ready(): void {
      if (lostAt === null) return;
      options.logger.info({ redis: where, downForSeconds: Math.round((Date.now() - lostAt) / 1000) }, `reconnected to Redis at ${where}`);
      lostAt = null;
    },
    isDown: () => lostAt !== null,
  };
}
