import type { Redis } from 'ioredis';
import type { Keys } from '../core/keys.js';
import type { AdapterStorage } from '../core/ports.js';

/**
 * Append to a list: optionally once (guarded by a key set in the same step), then trim it to
 * its newest `keep` items and (re)start its expiry, all in one atomic step.
 * KEYS: list, once (unused unless ARGV[4] is '1'). ARGV: value, ttlSeconds, keep (0 = no cap), hasOnce
 * -> 1 appended, 0 already done
 */
const APPEND = `
if ARGV[4] == '1' and redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) == false then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
local keep = tonumber(ARGV[3])
if keep > 0 then redis.call('LTRIM', KEYS[1], -keep, -1) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`;

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
  const defaultTtl = options.defaultTtlSeconds ?? 30 * 24 * 3600;
  const ttlOf = (ttlSeconds: number | undefined) => (ttlSeconds && ttlSeconds > 0 ? Math.ceil(ttlSeconds) : defaultTtl);
  if (!('csAdapterAppend' in redis)) redis.defineCommand('csAdapterAppend', { numberOfKeys: 2, lua: APPEND });
  const scripted = redis as Redis & { csAdapterAppend(list: string, once: string, value: string, ttl: number, keep: number, hasOnce: string): Promise<number> };
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
      // The list's own key stands in for the unused `once` key, so the script always gets two.
      const appended = await scripted.csAdapterAppend(key(listKey), once ? key(once) : key(listKey), value, ttlOf(options?.ttlSeconds), keep, once ? '1' : '0');
      return appended === 1;
    },
    range: (listKey, start, stop) => redis.lrange(key(listKey), start, stop),
    length: (listKey) => redis.llen(key(listKey)),
  };
}
