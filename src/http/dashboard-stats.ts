/**
 * The dashboard's chart data: the critic's decisions and the reviewers' outcomes per time
 * bucket, counted from the audit log stream.
 */
import type { AuditEntry, AuditLog } from '../review/audit-log.js';

export const CRITIC_DECISIONS = ['approve', 'edit', 'revise', 'escalate'] as const;
export const REVIEW_OUTCOMES = ['approved', 'edited', 'rejected'] as const;

export type CriticCounts = Record<(typeof CRITIC_DECISIONS)[number], number>;
export type ReviewCounts = Record<(typeof REVIEW_OUTCOMES)[number], number>;

export interface ActivityBucket {
  /** Start of the bucket, ms since the epoch. */
  start: number;
  critic: CriticCounts;
  review: ReviewCounts;
}

export interface Activity {
  since: number;
  until: number;
  bucketMs: number;
  buckets: ActivityBucket[];
  totals: { critic: CriticCounts; review: ReviewCounts };
  /** True when the log held more entries than were read (the counts are a lower bound). */
  truncated: boolean;
}

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

/** Read the audit log from `since` in pages, up to `maxEntries`, and bucket it. */
export async function readActivity(audit: AuditLog, range: ActivityRange, now = Date.now(), maxEntries = 200_000): Promise<Activity> {
  const { spanMs, bucketMs } = ACTIVITY_RANGES[range];
  const since = Math.floor((now - spanMs) / bucketMs) * bucketMs + bucketMs;
  const page = 5000;
  const entries: AuditEntry[] = [];
  let from = since;
  let lastId = '';
  let truncated = false;
  for (;;) {
    const rows = await audit.read({ since: from, count: page });
    // The next page starts at the last id's millisecond, so entries of that millisecond repeat.
    const fresh = lastId ? rows.filter((row) => compareStreamIds(row.id, lastId) > 0) : rows;
    entries.push(...fresh);
    if (rows.length < page || !fresh.length) break;
    lastId = rows.at(-1)!.id;
    from = Number(lastId.split('-')[0]);
    if (entries.length >= maxEntries) {
      truncated = true;
      break;
    }
  }
  return { ...bucketActivity(entries, { since, until: now + 1, bucketMs }), truncated };
}

function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}
