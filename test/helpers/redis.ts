import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix per test, so tests never see each other's keys. */
export function randomPrefix(name = 'test'): string {
  return `cs-${name}-${randomBytes(4).toString('hex')}`;
}

export function connectRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** The keys under a prefix, one SCAN batch at a time (SCAN rather than KEYS, which blocks Redis). */
export async function* scanPrefix(redis: Redis, prefix: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) yield keys;
  } while (cursor !== '0');
}

/** Delete every key under a prefix (SCAN, never FLUSHDB: the Redis is shared). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const keys of scanPrefix(redis, prefix)) await redis.unlink(...keys);
}
