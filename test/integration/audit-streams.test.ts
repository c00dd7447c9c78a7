/**
 * The audit log on the real Redis: reviewers' decisions in a stream of their own that no amount
 * of traffic pushes out; both streams trimmed by age and length; readers see both.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { readActivity } from '../../src/http/dashboard-stats.js';
import { createAuditLog } from '../../src/review/audit-log.js';
import { redisPerTest } from '../helpers/redis-per-test.js';

const store = redisPerTest('audit');

const logger = pino({ level: 'silent' });

describe('audit streams', () => {
  it('keeps a reviewer decision while a flood of traffic fills the capped traffic stream', async () => {
    const keys = createKeys(store.prefix);
    const audit = createAuditLog({ redis: store.redis, keys, logger, retention: { auditMaxEntries: 100 } });
    await audit.append({ type: 'review', turnId: 't-reviewed', conversation: 'web:c', actor: 'api:alice', decision: 'approved' });
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 250 }, (_, index) => audit.append({ type: 'verdict', turnId: `t-${batch}-${index}`, conversation: 'web:spam', actor: 'critic', decision: 'escalate' })));
    }
    // 5,000 traffic entries against a cap of about 100 (trimmed by whole stream nodes).
    expect(await store.redis.xlen(keys.audit)).toBeLessThan(400);
    expect(await store.redis.xlen(keys.reviewAudit)).toBe(1);
    const reviews = await audit.read({ stream: 'reviews' });
    expect(reviews.map((entry) => [entry.turnId, entry.actor, entry.decision])).toEqual([['t-reviewed', 'api:alice', 'approved']]);
    // The default read merges both, in order.
    const all = await audit.read();
    expect(all[0]!.type).toBe('review');
    expect(all.filter((entry) => entry.type === 'review')).toHaveLength(1);
    expect(all.length).toBe(1 + (await store.redis.xlen(keys.audit)));
    // The dashboard's chart counts the decision and the remaining verdicts.
    const activity = await readActivity(audit, '24h');
    expect(activity.totals.review.approved).toBe(1);
    expect(activity.totals.critic.escalate).toBe(await store.redis.xlen(keys.audit));
  });

  it('reads decisions recorded in the traffic stream before the two were split', async () => {
    const keys = createKeys(store.prefix);
    const audit = createAuditLog({ redis: store.redis, keys, logger });
    await store.redis.xadd(keys.audit, '*', 'type', 'review', 'turn', 't-old', 'conversation', 'web:c', 'actor', 'api:bob', 'decision', 'rejected', 'at', String(Date.now()));
    await audit.append({ type: 'review', turnId: 't-new', conversation: 'web:c', actor: 'api:bob', decision: 'edited' });
    const activity = await readActivity(audit, '24h');
    expect(activity.totals.review).toEqual({ approved: 0, edited: 1, rejected: 1 });
  });

  it('drops traffic entries older than the retention', async () => {
    const keys = createKeys(store.prefix);
    const audit = createAuditLog({ redis: store.redis, keys, logger, retention: { auditSeconds: 1 } });
    await audit.append({ type: 'posted', turnId: 't-first', conversation: 'web:c', actor: 'critic', decision: 'posted' });
    // Trimming by age removes whole stream nodes: keep appending until the first entry's node
    // is entirely past the retention.
    const deadline = Date.now() + 60_000;
    let appended = 0;
    while ((await audit.read({ stream: 'events' })).some((entry) => entry.turnId === 't-first')) {
      if (Date.now() > deadline) throw new Error('the old entry was never trimmed');
      await Promise.all(Array.from({ length: 50 }, () => audit.append({ type: 'posted', turnId: `t-${appended++}`, conversation: 'web:c', actor: 'critic', decision: 'posted' })));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const remaining = await audit.read({ stream: 'events' });
    expect(remaining.length).toBeGreaterThan(0);
    expect(remaining.every((entry) => entry.at >= Date.now() - 60_000)).toBe(true);
  });
});
