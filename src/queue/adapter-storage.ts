import type { Redis } from 'ioredis';
import type { Keys } from '../core/keys.js';
import type { AdapterStorage } from '../core/ports.js';

/** KEYS: once, list. ARGV: value, ttl -> 1 appended, 0 already done */
const APPEND_ONCE = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) == false then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1`;

/**
 * KEYS: list, trimmed (count of items trimmed away), once (or ''). ARGV: value, keep, once ttl
 * -> 1 appended, 0 already done. The trimmed count is what keeps list positions stable for
 * page(); it follows the list's expiry, whatever sets one.
 */
const APPEND_KEEP = `
if KEYS[3] ~= '' and redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[3]) == false then return 0 end
local length = redis.call('RPUSH', KEYS[1], ARGV[1])
local keep = tonumber(ARGV[2])
if length > keep then
  redis.call('LTRIM', KEYS[1], length - keep, -1)
  redis.call('INCRBY', KEYS[2], length - keep)
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 and redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ttl) end
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
  csAppendOnce(once: string, list: string, value: string, ttl: number): Promise<number>;
  csAppendKeep(list: string, trimmed: string, once: string, value: string, keep: number, ttl: number): Promise<number>;
  csListPage(list: string, trimmed: string, before: number, limit: number): Promise<Array<number | string>>;
};

/** An adapter's key-value store in Redis, under `prefix:adapter:<platform>:`. */
export function createAdapterStorage(redis: Redis, keys: Keys, platform: string): AdapterStorage {
  const key = (name: string) => keys.adapter(platform, name);
  const trimmedKey = (listKey: string) => key(`${listKey}:trimmed`);
  if (!('csAppendOnce' in redis)) redis.defineCommand('csAppendOnce', { numberOfKeys: 2, lua: APPEND_ONCE });
  if (!('csAppendKeep' in redis)) redis.defineCommand('csAppendKeep', { numberOfKeys: 3, lua: APPEND_KEEP });
  if (!('csListPage' in redis)) redis.defineCommand('csListPage', { numberOfKeys: 2, lua: PAGE });
  const scripted = redis as Scripted;
  return {
    get: (name) => redis.get(key(name)),
    async set(name, value, ttlSeconds) {
      if (ttlSeconds) await redis.set(key(name), value, 'EX', ttlSeconds);
      else await redis.set(key(name), value);
    },
    async setIfAbsent(name, value, ttlSeconds) {
      if (ttlSeconds) return (await redis.set(key(name), value, 'EX', ttlSeconds, 'NX')) === 'OK';
      return (await redis.set(key(name), value, 'NX')) === 'OK';
    },
    async delete(name) {
      await redis.del(key(name));
    },
    async append(listKey, value, options) {
      const onceTtl = options?.ttlSeconds ?? 30 * 24 * 3600;
      if (options?.keep) {
        const once = options.once ? key(options.once) : '';
        return (await scripted.csAppendKeep(key(listKey), trimmedKey(listKey), once, value, options.keep, onceTtl)) === 1;
      }
      if (options?.once) return (await scripted.csAppendOnce(key(options.once), key(listKey), value, onceTtl)) === 1;
      await redis.rpush(key(listKey), value);
      return true;
    },
    range: (listKey, start, stop) => redis.lrange(key(listKey), start, stop),
    async page(listKey, options) {
      const [first, oldest, total, ...items] = await scripted.csListPage(key(listKey), trimmedKey(listKey), options.before ?? -1, options.limit);
      return { items: items.map(String), first: Number(first), oldest: Number(oldest), total: Number(total) };
    },
  };
}
