import type { Redis } from 'ioredis';
import type { Keys } from '../core/keys.js';
import type { AdapterStorage } from '../core/ports.js';

/**
 * Append to a list in one atomic step: optionally once (guarded by a key set in the same step),
 * then trim it to its newest `keep` items, counting what was trimmed away (that count keeps list
 * positions stable for page()), then (re)start the expiry of the list and its count.
 * KEYS: list, trimmed (count of items trimmed away), once (the list itself when unused).
 * ARGV: value, ttlSeconds, keep (0 = no cap), hasOnce ('1' | '0') -> 1 appended, 0 already done
 */
const APPEND = `
if ARGV[4] == '1' and redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[2]) == false then return 0 end
local length = redis.call('RPUSH', KEYS[1], ARGV[1])
local keep = tonumber(ARGV[3])
if keep > 0 and length > keep then
  redis.call('LTRIM', KEYS[1], length - keep, -1)
  redis.call('INCRBY', KEYS[2], length - keep)
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return 1`;

/** KEYS: list, trimmed. ARGV: before (or -1 for the end), limit -> {first, oldest, total, items...} */
const PAGE = `
local trimmed = tonumber(redis.call('GET', KEYS[2]) or '0')
local total = trimmed + redis.call('LLEN', KEYS[1])
local before = tonumber(ARGV[1])
if before < 0 or before > total then before = total end
local first = math.max(before - tonumber(ARGV[2]), trimmed)
local result = {first, trimmed, total}
if before > first then
  local items = redis.call('LRANGE', KEYS[1], first - trimmed, before - trimmed - 1)
  for _, item in ipairs(items) do result[#result + 1] = item end
end
return result`;

type Scripted = Redis & {
  csAdapterAppend(list: string, trimmed: string, once: string, value: string, ttl: number, keep: number, hasOnce: string): Promise<number>;
  csListPage(list: string, trimmed: string, before: number, limit: number): Promise<Array<number | string>>;
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
  if (!('csAdapterAppend' in redis)) redis.defineCommand('csAdapterAppend', { numberOfKeys: 3, lua: APPEND });
  if (!('csListPage' in redis)) redis.defineCommand('csListPage', { numberOfKeys: 2, lua: PAGE });
  const scripted = redis as Scripted;
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
      const appended = await scripted.csAdapterAppend(key(listKey), trimmedKey(listKey), once ? key(once) : key(listKey), value, ttlOf(options?.ttlSeconds), keep, once ? '1' : '0');
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
      const [first, oldest, total, ...items] = await scripted.csListPage(key(listKey), trimmedKey(listKey), options.before ?? -1, options.limit);
      return { items: items.map(String), first: Number(first), oldest: Number(oldest), total: Number(total) };
    },
  };
}
