/**
 * Every key under a prefix, grouped by what it is (docs/data-model.md), with its type, TTL and
 * size: the storage tests and the soak read Redis through this, never INFO (the Redis is shared).
 */
import type { Redis } from 'ioredis';
import { scanPrefix } from './redis.js';

export interface CensusKey {
  key: string;
  group: string;
  /** Seconds to live; -1 without an expiry. */
  ttl: number;
  bytes: number;
}

export interface Census {
  keys: CensusKey[];
  total: number;
  bytes: number;
  withoutTtl: CensusKey[];
  /** group -> { keys, bytes, withoutTtl } */
  groups: Record<string, { keys: number; bytes: number; withoutTtl: number }>;
}

/** What a key is, from its name (BullMQ's own keys are `bullmq`). */
export function keyGroup(prefix: string, key: string): string {
  const name = key.slice(prefix.length + 1);
  if (name === 'conversations:pending') return name;
  if (name.startsWith('conversations:')) return 'bullmq';
  if (name.startsWith('seen:')) return 'seen';
  if (name.startsWith('turn:')) return 'turn';
  if (name.startsWith('outbox:')) return name.endsWith(':holding') ? 'outbox (holding)' : 'outbox';
  if (name.startsWith('action:')) return 'action';
  const conversation = /^conv:.*:(inbox|state|history|ready)$/.exec(name);
  if (conversation) return `conv:${conversation[1]}`;
  const adapter = /^adapter:([a-z]+):([a-z-]+)/.exec(name);
  if (adapter) return `adapter:${adapter[1]}:${adapter[2]}`;
  const budget = /^budget:([a-z]+):/.exec(name);
  if (budget) return `budget:${budget[1]}`;
  const notice = /^review:notices:([a-z]+):([a-z]+)/.exec(name);
  if (notice) return `review:notices:${notice[2]}`;
  return name;
}

export async function census(redis: Redis, prefix: string, options: { bytes?: boolean } = {}): Promise<Census> {
  const keys: CensusKey[] = [];
  for await (const batch of scanPrefix(redis, prefix)) {
    const pipeline = redis.pipeline();
    for (const key of batch) {
      pipeline.ttl(key);
      if (options.bytes !== false) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    }
    const results = (await pipeline.exec()) ?? [];
    const step = options.bytes !== false ? 2 : 1;
    batch.forEach((key, index) => {
      const ttl = Number(results[index * step]?.[1] ?? -2);
      const bytes = options.bytes !== false ? Number(results[index * step + 1]?.[1] ?? 0) : 0;
      // A key that expired between SCAN and TTL (-2) is gone: not counted.
      if (ttl !== -2) keys.push({ key, group: keyGroup(prefix, key), ttl, bytes });
    });
  }
  const groups: Census['groups'] = {};
  for (const item of keys) {
    groups[item.group] ??= { keys: 0, bytes: 0, withoutTtl: 0 };
    const group = groups[item.group]!;
    group.keys += 1;
    group.bytes += item.bytes;
    if (item.ttl === -1) group.withoutTtl += 1;
  }
  return { keys, total: keys.length, bytes: keys.reduce((sum, item) => sum + item.bytes, 0), withoutTtl: keys.filter((item) => item.ttl === -1), groups };
}
