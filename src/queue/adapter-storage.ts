import type { Redis } from 'ioredis';
import type { Keys } from '../core/keys.js';
import type { AdapterStorage } from '../core/ports.js';
import { defineScripts, runScript } from '../core/redis-scripts.js';

const SCRIPTS = {
  csAdapterAppend: { file: new URL('./scripts/list-append.lua', import.meta.url), keys: 3 },
  csListPage: { file: new URL('./scripts/list-page.lua', import.meta.url), keys: 2 },
};

export interface AdapterStorageOptions {
  /**
   * The expiry of every key stored without one (`retention.conversationSeconds`): no adapter key
   * lives for ever.
   * @defaultValue 30 days
   */
  defaultTtlSeconds?: number;
}

/** An adapter's key-value store in Redis, under `prefix:adapter:<platform>:`. Every key expires. */
export function createAdapterStorage(redis: Redis, keys: Keys, platform: string, options: AdapterStorageOptions = {}): AdapterStorage {
  const key = (name: string) => keys.adapter(platform, name);
  const trimmedKey = (listKey: string) => key(`${listKey}:trimmed`);
  const defaultTtl = options.defaultTtlSeconds ?? 30 * 24 * 3600;
  const ttlOf = (ttlSeconds: number | undefined) => (ttlSeconds && ttlSeconds > 0 ? Math.ceil(ttlSeconds) : defaultTtl);
  defineScripts(redis, SCRIPTS);
  return {
    get: (name) => redis.get(key(name)),
    async set(name, value, ttlSeconds) {
      await redis.set(key(name), value, 'EX', ttlOf(ttlSeconds));
    },
    async setIfAbsent(name, value, ttlSeconds) {
      return (await redis.set(key(name), value, 'EX', ttlOf(ttlSeconds), 'NX')) === 'OK';
    },
    async delete(name) {
      await redis.del(key(name));
    },
    async append(listKey, value, options) {
      const keep = options?.keep && options.keep > 0 ? Math.floor(options.keep) : 0;
      const once = options?.once;
      // The list's own key stands in for the unused `once` key, so the script always gets three.
      const appended = await runScript<number>(redis, 'csAdapterAppend', [key(listKey), trimmedKey(listKey), once ? key(once) : key(listKey)], [value, ttlOf(options?.ttlSeconds), keep, once ? '1' : '0']);
      return appended === 1;
    },
    range: (listKey, start, stop) => redis.lrange(key(listKey), start, stop),
    length: (listKey) => redis.llen(key(listKey)),
    async retract(listKey, value, options) {
      const transaction = redis.multi().lrem(key(listKey), -1, value);
      if (options?.once) transaction.del(key(options.once));
      await transaction.exec();
    },
    async page(listKey, options) {
      const [first, oldest, total, ...items] = await runScript<Array<number | string>>(redis, 'csListPage', [key(listKey), trimmedKey(listKey)], [options.before ?? -1, options.limit]);
      return { items: items.map(String), first: Number(first), oldest: Number(oldest), total: Number(total) };
    },
  };
}
