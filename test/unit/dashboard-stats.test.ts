/** The activity chart's counts: each audit event type in its own series, by decision, per bucket. */
import { describe, expect, it } from 'vitest';
import { bucketActivity } from '../../src/http/dashboard-stats.js';
import type { AuditEntry, AuditEventType } from '../../src/review/audit-log.js';

const HOUR = 3600_000;
const entry = (type: AuditEventType, decision: string, at: number): AuditEntry => ({ id: `${at}-0`, type, turnId: 't', conversation: 'web:c', actor: 'critic', decision, at });

describe('bucketActivity', () => {
  const since = 10 * HOUR;
  const range = { since, until: since + 2 * HOUR, bucketMs: HOUR };

  it('counts reply verdicts, reviews, tool calls and action verdicts in their own series and buckets', () => {
    const activity = bucketActivity(
      [
        entry('verdict', 'approve', since + 1),
        entry('review', 'edited', since + 2),
        entry('tool-call', 'done', since + 3),
        entry('tool-call', 'done', since + HOUR + 3),
        entry('tool-call', 'escalated', since + HOUR + 4),
        entry('action-verdict', 'read', since + 5),
        entry('action-verdict', 'rule-block', since + HOUR + 5),
        entry('action-verdict', 'escalate', since + HOUR + 6),
      ],
      range,
    );
    expect(activity.buckets).toHaveLength(2);
    expect(activity.buckets[0]).toMatchObject({ critic: { approve: 1 }, review: { edited: 1 }, tools: { done: 1, escalated: 0 }, actions: { read: 1, escalate: 0 } });
    expect(activity.buckets[1]).toMatchObject({ critic: { approve: 0 }, tools: { done: 1, escalated: 1 }, actions: { 'rule-block': 1, escalate: 1 } });
    expect(activity.totals.tools).toEqual({ done: 2, failed: 0, escalated: 1, refused: 0, revised: 0, invalid: 0, skipped: 0, unknown: 0 });
    expect(activity.totals.actions).toEqual({ approve: 0, edit: 0, revise: 0, escalate: 1, 'critic-failure': 0, 'rule-escalate': 0, 'rule-block': 1, read: 1 });
  });

  it('leaves out decisions a series does not know, other event types and entries outside the range', () => {
    const activity = bucketActivity(
      [entry('tool-call', 'exploded', since + 1), entry('action-verdict', 'approved', since + 1), entry('escalated', 'escalate', since + 1), entry('tool-call', 'done', since + 2 * HOUR), entry('tool-call', 'done', since - 1)],
      range,
    );
    const all = Object.values(activity.totals).flatMap((counts) => Object.values(counts));
    expect(all.every((count) => count === 0)).toBe(true);
  });
});
