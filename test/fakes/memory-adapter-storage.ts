/**
 * The AdapterStorage port in memory, with the semantics of the Redis implementation
 * (src/queue/adapter-storage.ts): every key expires (the TTL given, else the default retention),
 * `append` is one step (once, then keep, then expiry of the list, its once key and its trimmed
 * count), `page` counts positions from the first item ever appended, `retract` takes back the
 * newest occurrence and its once key. test/contracts/adapter-storage.contract.ts runs the same
 * checks against both, so the fake cannot drift from the real one unnoticed.
 *
 * Time comes from `now`, so a test can let keys expire without waiting. A test can also make
 * the next call of a method take effect but throw, the way a Redis reply lost on the network
 * leaves its caller: `loseNextAnswer('append')`.
 */
import { CountersignError } from '../../src/core/errors.js';
import type { AdapterStorage, AppendOptions, ListPage } from '../../src/core/ports.js';

export interface MemoryAdapterStorageOptions {
  /** Expiry of keys stored without a TTL, like `retention.conversationSeconds`. @defaultValue 30 days */
  defaultTtlSeconds?: number;
  /** The clock, in milliseconds. @defaultValue Date.now */
  now?: () => number;
}

type Method = keyof AdapterStorage;

export interface MemoryAdapterStorage extends AdapterStorage {
  /** A key's value without the port (tests look at what an adapter stored). */
  peek(key: string): string | null;
  /** Seconds until a key (value or list) expires, or null when there is no such key. */
  ttlSeconds(key: string): number | null;
  /** Every live key, values and lists. */
  keys(): string[];
  /** The next call of `method` takes effect, then throws as if its answer was lost. */
  loseNextAnswer(method: Method): void;
  /** The next call of `method` fails before doing anything (storage unavailable). */
  failNext(method: Method): void;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
}

export function createMemoryAdapterStorage(options: MemoryAdapterStorageOptions = {}): MemoryAdapterStorage {
  const now = options.now ?? Date.now;
  const defaultTtl = options.defaultTtlSeconds ?? 30 * 24 * 3600;
  const values = new Map<string, Entry<string>>();
  const lists = new Map<string, Entry<string[]>>();
  const losing = new Set<Method>();
  const failing = new Set<Method>();

  // The same rounding as the Redis storage: whole seconds, at least one.
  const ttlOf = (ttlSeconds: number | undefined) => (ttlSeconds && ttlSeconds > 0 ? Math.ceil(ttlSeconds) : defaultTtl);
  const trimmedKey = (listKey: string) => `${listKey}:trimmed`;

  function live<T>(map: Map<string, Entry<T>>, key: string): Entry<T> | undefined {
    const entry = map.get(key);
    if (entry && entry.expiresAt <= now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  const getValue = (key: string) => live(values, key)?.value ?? null;
  const setValue = (key: string, value: string, ttlSeconds: number) => void values.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
  const listOf = (key: string) => live(lists, key)?.value ?? [];

  /** Run one port call with the faults a test asked for. */
  async function run<T>(method: Method, action: () => T): Promise<T> {
    if (failing.delete(method)) throw new CountersignError('redis.unavailable', `storage ${method} failed (injected)`, {  });
    const result = action();
    if (losing.delete(method)) throw new CountersignError('redis.unavailable', `storage ${method}: the answer was lost (injected)`, {  });
    return result;
  }

  const storage: MemoryAdapterStorage = {
    get: (key) => run('get', () => getValue(key)),
    set: (key, value, ttlSeconds) => run('set', () => setValue(key, value, ttlOf(ttlSeconds))),
    setIfAbsent: (key, value, ttlSeconds) =>
      run('setIfAbsent', () => {
        if (getValue(key) !== null) return false;
        setValue(key, value, ttlOf(ttlSeconds));
        return true;
      }),
    delete: (key) =>
      run('delete', () => {
        values.delete(key);
        lists.delete(key);
      }),
    append: (listKey, value, appendOptions: AppendOptions = {}) =>
      run('append', () => {
        const ttl = ttlOf(appendOptions.ttlSeconds);
        if (appendOptions.once) {
          if (getValue(appendOptions.once) !== null) return false;
          setValue(appendOptions.once, '1', ttl);
        }
        let items = [...listOf(listKey), value];
        const keep = appendOptions.keep && appendOptions.keep > 0 ? Math.floor(appendOptions.keep) : 0;
        if (keep && items.length > keep) {
          const dropped = items.length - keep;
          items = items.slice(dropped);
          setValue(trimmedKey(listKey), String(Number(getValue(trimmedKey(listKey)) ?? 0) + dropped), ttl);
        }
        lists.set(listKey, { value: items, expiresAt: now() + ttl * 1000 });
        const trimmed = live(values, trimmedKey(listKey));
        if (trimmed) trimmed.expiresAt = now() + ttl * 1000;
        return true;
      }),
    range: (listKey, start, stop) =>
      run('range', () => {
        const items = listOf(listKey);
        const from = start < 0 ? Math.max(items.length + start, 0) : start;
        const to = stop < 0 ? items.length + stop : stop;
        return items.slice(from, to + 1);
      }),
    length: (listKey) => run('length', () => listOf(listKey).length),
    page: (listKey, pageOptions) =>
      run('page', (): ListPage => {
        const items = listOf(listKey);
        const trimmed = Number(getValue(trimmedKey(listKey)) ?? 0);
        const total = trimmed + items.length;
        const before = pageOptions.before === undefined || pageOptions.before < 0 || pageOptions.before > total ? total : pageOptions.before;
        const first = Math.max(before - pageOptions.limit, trimmed);
        return { items: before > first ? items.slice(first - trimmed, before - trimmed) : [], first, oldest: trimmed, total };
      }),
    retract: (listKey, value, retractOptions) =>
      run('retract', () => {
        const entry = live(lists, listKey);
        if (entry) {
          const at = entry.value.lastIndexOf(value);
          if (at >= 0) entry.value = [...entry.value.slice(0, at), ...entry.value.slice(at + 1)];
          if (!entry.value.length) lists.delete(listKey);
        }
        if (retractOptions?.once) values.delete(retractOptions.once);
      }),
    peek: getValue,
    ttlSeconds(key) {
      const entry = live(values, key) ?? live(lists, key);
      return entry ? Math.ceil((entry.expiresAt - now()) / 1000) : null;
    },
    keys() {
      return [...values.keys(), ...lists.keys()].filter((key) => live(values, key) ?? live(lists, key));
    },
    loseNextAnswer(method) {
      losing.add(method);
    },
    failNext(method) {
      failing.add(method);
    },
  };
  return storage;
}
