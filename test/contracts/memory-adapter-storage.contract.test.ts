import { expect, it } from 'vitest';
import { createMemoryAdapterStorage } from '../fakes/memory-adapter-storage.js';
import { adapterStorageContract } from './adapter-storage.contract.js';

adapterStorageContract('in memory (the adapter tests)', async () => {
  const storage = createMemoryAdapterStorage({ defaultTtlSeconds: 5000 });
  return { storage, defaultTtlSeconds: 5000, ttlSeconds: async (key) => storage.ttlSeconds(key), close: async () => {} };
});

// Redis expires keys on its own clock (test/integration/adapter-storage.test.ts waits for it);
// the in-memory storage follows the clock it is given.
it('in memory: keys and lists expire on the clock, a list after its last append', async () => {
  let clock = 1_000_000;
  const storage = createMemoryAdapterStorage({ defaultTtlSeconds: 100, now: () => clock });
  await storage.set('value', 'v', 10);
  await storage.append('list', 'a', { once: 'list:a', ttlSeconds: 10 });
  clock += 8_000;
  await storage.append('list', 'b', { ttlSeconds: 10 });
  clock += 5_000;
  expect(await storage.get('value')).toBeNull();
  expect(await storage.get('list:a')).toBeNull();
  expect(await storage.range('list', 0, -1)).toEqual(['a', 'b']);
  clock += 6_000;
  expect(await storage.length('list')).toBe(0);
  expect(storage.keys()).toEqual([]);
});
