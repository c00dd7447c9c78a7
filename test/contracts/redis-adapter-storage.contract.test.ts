import { createKeys } from '../../src/core/keys.js';
import { createAdapterStorage } from '../../src/queue/adapter-storage.js';
import { connectRedis, deletePrefix, randomPrefix } from '../helpers/redis.js';
import { adapterStorageContract } from './adapter-storage.contract.js';

adapterStorageContract('Redis (the service)', async () => {
  const redis = connectRedis();
  const prefix = randomPrefix('storage-contract');
  const keys = createKeys(prefix);
  return {
    storage: createAdapterStorage(redis, keys, 'contract', { defaultTtlSeconds: 5000 }),
    defaultTtlSeconds: 5000,
    async ttlSeconds(key) {
      const ttl = await redis.ttl(keys.adapter('contract', key));
      return ttl < 0 ? null : ttl;
    },
    async close() {
      await deletePrefix(redis, prefix);
      await redis.quit();
    },
  };
});
