/**
 * The Redis set-up the storage tests share: every test gets its own connection and a fresh key
 * prefix, and its keys are deleted (SCAN, never FLUSHDB) and the connection closed after it.
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach } from 'vitest';
import { connectRedis, deletePrefix, randomPrefix } from './redis.js';

export interface RedisPerTest {
  /** The running test's connection. */
  readonly redis: Redis;
  /** The running test's key prefix. */
  readonly prefix: string;
}

/** Call once at the top of a test file; read `redis` and `prefix` inside a test. */
export function redisPerTest(name: string): RedisPerTest {
  let current: { redis: Redis; prefix: string } | undefined;
  beforeEach(() => {
    current = { redis: connectRedis(), prefix: randomPrefix(name) };
  });
  afterEach(async () => {
    if (!current) return;
    const { redis, prefix } = current;
    current = undefined;
    await deletePrefix(redis, prefix);
    await redis.quit();
  });
  const running = () => {
    if (!current) throw new Error('redisPerTest: read redis and prefix inside a test');
    return current;
  };
  return {
    get redis() {
      return running().redis;
    },
    get prefix() {
      return running().prefix;
    },
  };
}
