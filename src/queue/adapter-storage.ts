import type { Redis } from 'ioredis';
import type { Keys } from '../core/keys.js';
import type { AdapterStorage } from '../core/ports.js';

/** KEYS: once, list. ARGV: value, ttl -> 1 appended, 0 already done */
const APPEND_ONCE = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) == false then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1`;

/** An adapter's key-value store in Redis, under `prefix:adapter:<platform>:`. */
export function createAdapterStorage(redis: Redis, keys: Keys, platform: string): AdapterStorage {
  const key = (name: string) => keys.adapter(platform, name);
  if (!('csAppendOnce' in redis)) redis.defineCommand('csAppendOnce', { numberOfKeys: 2, lua: APPEND_ONCE });
  const scripted = redis as Redis & { csAppendOnce(once: string, list: string, value: string, ttl: number): Promise<number> };
  return {
    get: (name) => redis.get(key(name)),
    async set(name, value, ttlSeconds) {
      if (ttlSeconds) await redis.set(key(name), value, 'EX', ttlSeconds);
      else await redis.set(key(name), value);
    },
    async setIfAbsent(name, value, ttlSeconds) {
      return (await redis.set(key(name), value, 'EX', ttlSeconds, 'NX')) === 'OK';
    },
    async delete(name) {
      await redis.del(key(name));
    },
    async append(listKey, value, options) {
      if (options?.once) return (await scripted.csAppendOnce(key(options.once), key(listKey), value, options.ttlSeconds ?? 30 * 24 * 3600)) === 1;
      await redis.rpush(key(listKey), value);
      return true;
    },
    range: (listKey, start, stop) => redis.lrange(key(listKey), start, stop),
  };
}
