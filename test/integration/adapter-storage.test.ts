/** The adapter storage on the real Redis: every key expires, lists are capped atomically. */
import { describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { createAdapterStorage } from '../../src/queue/adapter-storage.js';
import { redisPerTest } from '../helpers/redis-per-test.js';

const store = redisPerTest('storage');

describe('adapter storage', () => {
  it('gives every key an expiry: the one asked for, else the default retention', async () => {
    const keys = createKeys(store.prefix);
    const storage = createAdapterStorage(store.redis, keys, 'web', { defaultTtlSeconds: 5000 });
    await storage.set('plain', 'v');
    await storage.set('short', 'v', 60);
    expect(await storage.setIfAbsent('once', 'v', 90)).toBe(true);
    expect(await storage.setIfAbsent('once', 'w', 90)).toBe(false);
    await storage.append('list', 'a');
    const ttl = (name: string) => store.redis.ttl(keys.adapter('web', name));
    expect(await ttl('plain')).toBeGreaterThan(4900);
    expect(await ttl('plain')).toBeLessThanOrEqual(5000);
    expect(await ttl('short')).toBeLessThanOrEqual(60);
    expect(await ttl('once')).toBeLessThanOrEqual(90);
    expect(await ttl('list')).toBeGreaterThan(4900);
    // Nothing under the prefix lives for ever.
    const all = await store.redis.keys(`${store.prefix}:*`);
    expect(all.length).toBe(4);
    for (const key of all) expect(await store.redis.ttl(key), key).toBeGreaterThan(0);
  });

  it('appends once, trims to the newest `keep` items and restarts the expiry, in one step', async () => {
    const keys = createKeys(store.prefix);
    const storage = createAdapterStorage(store.redis, keys, 'web', { defaultTtlSeconds: 5000 });
    // 60 concurrent appends (a retry of each among them) with keep 10: never more than 10 items.
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, index) => storage.append('transcript', `item-${index % 50}`, { once: `id:${index % 50}`, keep: 10, ttlSeconds: 300 })),
    );
    expect(results.filter(Boolean)).toHaveLength(50);
    expect(await storage.length('transcript')).toBe(10);
    const items = await storage.range('transcript', 0, -1);
    expect(items).toEqual(Array.from({ length: 10 }, (_, index) => `item-${40 + index}`));
    expect(await store.redis.ttl(keys.adapter('web', 'transcript'))).toBeLessThanOrEqual(300);
    expect(await store.redis.ttl(keys.adapter('web', 'id:7'))).toBeLessThanOrEqual(300);
    // An append whose `once` key is known adds nothing and does not trim.
    expect(await storage.append('transcript', 'item-49', { once: 'id:49', keep: 1 })).toBe(false);
    expect(await storage.length('transcript')).toBe(10);
    expect(await storage.length('nothing-here')).toBe(0);
  });

  it('a list expires for real after its last append', async () => {
    const keys = createKeys(store.prefix);
    const storage = createAdapterStorage(store.redis, keys, 'web');
    await storage.append('brief', 'a', { ttlSeconds: 1 });
    const deadline = Date.now() + 30_000;
    while ((await storage.length('brief')) > 0) {
      if (Date.now() > deadline) throw new Error('the list never expired');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await store.redis.exists(keys.adapter('web', 'brief'))).toBe(0);
  });
});
