/**
 * The dashboard's chart data: the critic's decisions and the reviewers' outcomes per time
 * bucket, counted from the audit log stream.
 */
import { type AuditEntry, type AuditLog, type AuditStream, compareStreamIds } from '../review/audit-log.js';
import type { Activity, ActivityBucket, CriticCounts, CriticDecision, ReviewCounts, ReviewOutcome } from './dashboard-api-types.js';

export const CRITIC_DECISIONS = ['approve', 'edit', 'revise', 'escalate'] as const satisfies readonly CriticDecision[];
export const REVIEW_OUTCOMES = ['approved', 'edited', 'rejected'] as const satisfies readonly ReviewOutcome[];

export type { Activity, ActivityBucket, CriticCounts, ReviewCounts };

/** The ranges the dashboard offers, with their bucket sizes. */
export const ACTIVITY_RANGES = {
  '24h': { spanMs: 24 * 3600_000, bucketMs: 3600_000 },
  '7d': { spanMs: 7 * 24 * 3600_000, bucketMs: 24 * 3600_000 },
  '30d': { spanMs: 30 * 24 * 3600_000, bucketMs: 24 * 3600_000 },
} as const;

export type ActivityRange = keyof typeof ACTIVITY_RANGES;

const emptyCritic = (): CriticCounts => ({ approve: 0, edit: 0, revise: 0, escalate: 0 });
const emptyReview = (): ReviewCounts => ({ approved: 0, edited: 0, rejected: 0 });

/** Count audit entries into buckets of `bucketMs` covering [since, until). Pure. */
export function bucketActivity(entries: readonly AuditEntry[], range: { since: number; until: number; bucketMs: number }): Omit<Activity, 'truncated'> {
  // Buckets are aligned to whole bucket sizes (UTC hours or days) so a refresh does not shift them.
  const first = Math.floor(range.since / range.bucketMs) * range.bucketMs;
  const buckets: ActivityBucket[] = [];
  for (let start = first; start < range.until; start += range.bucketMs) buckets.push({ start, critic: emptyCritic(), review: emptyReview() });
  const totals = { critic: emptyCritic(), review: emptyReview() };
  for (const entry of entries) {
    if (entry.at < first || entry.at >= range.until) continue;
    const bucket = buckets[Math.floor((entry.at - first) / range.bucketMs)];
    if (!bucket) continue;
    if (entry.type === 'verdict' && entry.decision in bucket.critic) {
      const decision = entry.decision as keyof CriticCounts;
      bucket.critic[decision] += 1;
      totals.critic[decision] += 1;
    } else if (entry.type === 'review' && entry.decision in bucket.review) {
      const outcome = entry.decision as keyof ReviewCounts;
      bucket.review[outcome] += 1;
      totals.review[outcome] += 1;
    }
  }
  return { since: first, until: range.until, bucketMs: range.bucketMs, buckets, totals };
}

/**
 * Read the audit log from `since` in pages, up to `maxEntries` per stream, and bucket it. The
 * critic's verdicts are in the traffic stream, the reviewers' decisions in their own stream (and,
 * from before the two were split, in the traffic stream too): both are read.
 */
export async function readActivity(audit: AuditLog, range: ActivityRange, now = Date.now(), maxEntries = 200_000): Promise<Activity> {
  const { spanMs, bucketMs } = ACTIVITY_RANGES[range];
  const since = Math.floor((now - spanMs) / bucketMs) * bucketMs + bucketMs;
  const streams = await Promise.all((['events', 'reviews'] as const).map((stream) => readPaged(audit, stream, since, maxEntries)));
  const entries = streams.flatMap((stream) => stream.entries);
  return { ...bucketActivity(entries, { since, until: now + 1, bucketMs }), truncated: streams.some((stream) => stream.truncated) };
}

async function readPaged(audit: AuditLog, stream: AuditStream, since: number, maxEntries: number): Promise<{ entries: AuditEntry[]; truncated: boolean }> {
  const page = 5000;
  const entries: AuditEntry[] = [];
  let from = since;
  let lastId = '';
  for (;;) {
    const rows = await audit.read({ since: from, count: page, stream });
    // The next page starts at the last id's millisecond, so entries of that millisecond repeat.
    const fresh = lastId ? rows.filter((row) => compareStreamIds(row.id, lastId) > 0) : rows;
    entries.push(...fresh);
    if (rows.length < page || !fresh.length) return { entries, truncated: false };
    lastId = rows.at(-1)!.id;
    from = Number(lastId.split('-')[0]);
    if (entries.length >= maxEntries) return { entries, truncated: true };
  }
}
