/**
 * Dashboard sessions in the real Redis, with a clock the test moves: use renews the idle time
 * but never past the absolute lifetime, a session past it is gone, a session is tied to the
 * secret it was opened with, and sessions of an older shape are not accepted.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionStore, sessionFingerprint } from '../../src/http/dashboard-session.js';
import { connectRedis, deletePrefix, randomPrefix } from '../helpers/redis.js';

let redis: Redis;
const prefix = randomPrefix('session');
beforeAll(() => {
  redis = connectRedis();
});
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('dashboard session store', () => {
  it('renews the idle time on use, capped at the absolute end; past the absolute end the session is gone', async () => {
    let now = 1_000_000;
    const sessions = createSessionStore({ redis, prefix: `${prefix}:a:`, idleSeconds: 3600, absoluteSeconds: 7200, now: () => now });
    const { id } = await sessions.create({ name: 'ada', credential: { kind: 'reviewer', name: 'ada' }, secret: 'ada-token-0123456789' });
    const key = (await redis.keys(`${prefix}:a:session:*`))[0]!;
    expect(await redis.ttl(key)).toBeGreaterThan(3500);

    now += 3000 * 1000;
    expect(await sessions.get(id)).toMatchObject({ name: 'ada', expiresAt: 1_000_000 + 7200 * 1000 });
    expect(await redis.ttl(key)).toBeGreaterThan(3500); // renewed: a full idle period is left

    now += 4000 * 1000; // 7000 s after sign-in: 200 s left of the absolute lifetime
    expect(await sessions.get(id)).not.toBeNull();
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(200);

    // Reading without renewing leaves the TTL alone.
    await redis.expire(key, 100);
    expect(await sessions.get(id, false)).not.toBeNull();
    expect(await redis.ttl(key)).toBeLessThanOrEqual(100);

    now += 200 * 1000;
    expect(await sessions.get(id)).toBeNull();
    expect(await redis.exists(key)).toBe(0);
  });

  it('a session matches only the secret it was opened with; Redis holds neither the id nor the secret', async () => {
    const sessions = createSessionStore({ redis, prefix: `${prefix}:b:` });
    const secret = 'the-shared-token-123';
    const { id } = await sessions.create({ name: 'Sam', credential: { kind: 'shared' }, secret });
    const session = (await sessions.get(id))!;
    expect(sessions.matches(id, session, secret)).toBe(true);
    expect(sessions.matches(id, session, 'the-shared-token-124')).toBe(false);
    expect(sessions.matches(id, session, null)).toBe(false);
    // The fingerprint is keyed with the session id: the same secret in another session differs.
    expect(session.fingerprint).not.toBe(sessionFingerprint('x'.repeat(43), secret));
    const stored = await redis.get((await redis.keys(`${prefix}:b:session:*`))[0]!);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(id);
    expect((await redis.keys(`${prefix}:b:*`)).join(' ')).not.toContain(id);
  });

  it('refuses malformed ids, unknown sessions and sessions of an older shape', async () => {
    const sessions = createSessionStore({ redis, prefix: `${prefix}:c:` });
    expect(await sessions.get(undefined)).toBeNull();
    expect(await sessions.get('../../etc/passwd')).toBeNull();
    expect(await sessions.get('A'.repeat(43))).toBeNull();
    const { id } = await sessions.create({ name: 'x', credential: { kind: 'shared' }, secret: 's' });
    const key = (await redis.keys(`${prefix}:c:session:*`))[0]!;
    // A session written before sessions carried a credential fingerprint.
    await redis.set(key, JSON.stringify({ name: 'old', csrf: 'c', createdAt: Date.now() }), 'EX', 60);
    expect(await sessions.get(id)).toBeNull();
    expect(await redis.exists(key)).toBe(0);
  });
});
