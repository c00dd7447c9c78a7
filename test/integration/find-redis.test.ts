import { existsSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { isCountersignError } from '../../src/core/errors.js';
import { type FoundRedis, findRedis, pingRedis } from '../../src/demo/find-redis.js';
import { freePort } from '../helpers/free-port.js';
import { REDIS_URL } from '../helpers/redis.js';

const started: FoundRedis[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((found) => found.stop()));
});

describe('findRedis', () => {
  it('takes REDIS_URL as given when it is set', async () => {
    const found = await findRedis({ env: { REDIS_URL: 'redis://redis.example:6380/2', PATH: '' } });
    expect(found).toMatchObject({ url: 'redis://redis.example:6380/2', source: 'env' });
    await found.stop();
  });

  it('uses the Redis that answers on the local address', async () => {
    const found = await findRedis({ env: { PATH: '' }, localUrl: REDIS_URL });
    expect(found.source).toBe('local');
    const url = new URL(found.url);
    expect(await pingRedis(url.hostname, Number(url.port || 6379))).toBe(true);
  });

  it('starts redis-server on a free port in a temporary directory when nothing answers, and stops it', async () => {
    const port = await freePort();
    const found = await findRedis({ env: { PATH: process.env.PATH }, localUrl: `redis://127.0.0.1:${port}` });
    started.push(found);
    expect(found.source).toBe('started');
    const url = new URL(found.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).not.toBe(6379);

    const redis = new Redis(found.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    redis.on('error', () => {});
    await redis.connect();
    await redis.set('cs-find-redis', 'yes');
    expect(await redis.get('cs-find-redis')).toBe('yes');
    // No persistence: an RDB save point or AOF would leave files behind in someone's directory.
    expect(await redis.config('GET', 'save')).toEqual(['save', '']);
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    const [, directory] = (await redis.config('GET', 'dir')) as [string, string];
    expect(path.basename(directory)).toMatch(/^countersign-redis-/);
    expect(existsSync(directory)).toBe(true);
    redis.disconnect();

    await found.stop();
    expect(await pingRedis('127.0.0.1', Number(url.port))).toBe(false);
    expect(existsSync(directory)).toBe(false);
    await found.stop(); // twice is harmless
  }, 30_000);

  it('says how to get Redis when there is none and redis-server is not on the PATH', async () => {
    const port = await freePort();
    const error = await findRedis({ env: { PATH: '/nonexistent' }, localUrl: `redis://127.0.0.1:${port}` }).catch((thrown: unknown) => thrown);
    expect(isCountersignError(error, 'redis.unavailable')).toBe(true);
    expect((error as Error).message).toContain('docker compose up -d redis');
    expect((error as Error).message).toContain('redis-server package');
  });
});
