/**
 * The AdapterStorage port's contract, run against the Redis implementation the service uses and
 * the in-memory one the adapter tests use (test/fakes/memory-adapter-storage.ts), so what the
 * adapter tests rely on is what the service gives them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdapterStorage } from '../../src/core/ports.js';

export interface AdapterStorageHarness {
  storage: AdapterStorage;
  /** The retention of keys stored without a TTL, as the harness configured it. */
  defaultTtlSeconds: number;
  /** Seconds until a key expires; null when it does not exist. */
  ttlSeconds(key: string): Promise<number | null>;
  close(): Promise<void>;
}

export function adapterStorageContract(name: string, createHarness: () => Promise<AdapterStorageHarness>): void {
  describe(`AdapterStorage contract: ${name}`, () => {
    let harness: AdapterStorageHarness;
    let storage: AdapterStorage;
    beforeEach(async () => {
      harness = await createHarness();
      storage = harness.storage;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('gives every key an expiry: the one asked for, else the default retention', async () => {
      await storage.set('plain', 'v');
      await storage.set('short', 'v', 60);
      expect(await storage.setIfAbsent('once', 'v', 90)).toBe(true);
      expect(await storage.setIfAbsent('once', 'w', 90)).toBe(false);
      expect(await storage.get('once')).toBe('v');
      await storage.append('list', 'a');
      await storage.append('capped', 'a', { once: 'capped:a', ttlSeconds: 120 });
      const ttl = async (key: string) => (await harness.ttlSeconds(key)) ?? -1;
      expect(await ttl('plain')).toBeGreaterThan(harness.defaultTtlSeconds - 100);
      expect(await ttl('plain')).toBeLessThanOrEqual(harness.defaultTtlSeconds);
      expect(await ttl('short')).toBeGreaterThan(0);
      expect(await ttl('short')).toBeLessThanOrEqual(60);
      expect(await ttl('once')).toBeLessThanOrEqual(90);
      expect(await ttl('list')).toBeGreaterThan(harness.defaultTtlSeconds - 100);
      expect(await ttl('capped')).toBeLessThanOrEqual(120);
      expect(await ttl('capped:a')).toBeLessThanOrEqual(120);
      expect(await ttl('capped:a')).toBeGreaterThan(0);
    });

    it('gets, overwrites and deletes values and lists', async () => {
      expect(await storage.get('missing')).toBeNull();
      await storage.set('key', 'one');
      await storage.set('key', 'two');
      expect(await storage.get('key')).toBe('two');
      await storage.delete('key');
      expect(await storage.get('key')).toBeNull();
      expect(await storage.setIfAbsent('key', 'three')).toBe(true);
      await storage.append('list', 'a');
      await storage.delete('list');
      expect(await storage.length('list')).toBe(0);
    });

    it('appends once, trims to the newest `keep` items, in one step even when calls race', async () => {
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, index) => storage.append('transcript', `item-${index % 50}`, { once: `id:${index % 50}`, keep: 10, ttlSeconds: 300 })),
      );
      expect(results.filter(Boolean)).toHaveLength(50);
      expect(await storage.length('transcript')).toBe(10);
      expect(await storage.range('transcript', 0, -1)).toEqual(Array.from({ length: 10 }, (_, index) => `item-${40 + index}`));
      expect(await storage.range('transcript', -2, -1)).toEqual(['item-48', 'item-49']);
      expect(await storage.range('transcript', 1, 2)).toEqual(['item-41', 'item-42']);
      // An append whose `once` key is known adds nothing and does not trim.
      expect(await storage.append('transcript', 'item-49', { once: 'id:49', keep: 1 })).toBe(false);
      expect(await storage.length('transcript')).toBe(10);
      expect(await storage.length('nothing-here')).toBe(0);
      expect(await storage.range('nothing-here', 0, -1)).toEqual([]);
    });

    it('pages by stable positions: trimmed items still count', async () => {
      for (let index = 0; index < 25; index += 1) await storage.append('log', `entry-${index}`, { keep: 10 });
      const newest = await storage.page('log', { limit: 5 });
      expect(newest).toEqual({ items: ['entry-20', 'entry-21', 'entry-22', 'entry-23', 'entry-24'], first: 20, oldest: 15, total: 25 });
      const earlier = await storage.page('log', { before: 20, limit: 10 });
      expect(earlier).toEqual({ items: ['entry-15', 'entry-16', 'entry-17', 'entry-18', 'entry-19'], first: 15, oldest: 15, total: 25 });
      const gone = await storage.page('log', { before: 3, limit: 5 });
      expect(gone.items).toEqual([]);
      expect(gone.oldest).toBe(15);
      expect(await storage.page('empty', { limit: 5 })).toEqual({ items: [], first: 0, oldest: 0, total: 0 });
    });

    it('retracts the newest occurrence of an item and its once key, so the same append can happen again', async () => {
      await storage.append('inbox', 'same');
      await storage.append('inbox', 'other');
      expect(await storage.append('inbox', 'same', { once: 'message:1' })).toBe(true);
      await storage.retract('inbox', 'same', { once: 'message:1' });
      expect(await storage.range('inbox', 0, -1)).toEqual(['same', 'other']);
      expect(await storage.get('message:1')).toBeNull();
      expect(await storage.append('inbox', 'same', { once: 'message:1' })).toBe(true);
      expect(await storage.range('inbox', 0, -1)).toEqual(['same', 'other', 'same']);
    });
  });
}
