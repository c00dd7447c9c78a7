/**
 * The dashboard's chart data: the critic's decisions on replies, the reviewers' outcomes, what
 * became of the actor's tool calls and the action gate's decisions on them, per time bucket,
 * counted from the audit log stream.
 */
import { type AuditEntry, type AuditEventType, type AuditLog, type AuditStream, compareStreamIds } from '../review/audit-log.js';
import type { ActionCounts, ActionDecision, Activity, ActivityBucket, CriticCounts, CriticDecision, ReviewCounts, ReviewOutcome, ToolCallCounts, ToolCallOutcome } from './dashboard-api-types.js';

export const CRITIC_DECISIONS = ['approve', 'edit', 'revise', 'escalate'] as const satisfies readonly CriticDecision[];
export const REVIEW_OUTCOMES = ['approved', 'edited', 'rejected'] as const satisfies readonly ReviewOutcome[];
export const TOOL_CALL_OUTCOMES = ['done', 'failed', 'escalated', 'refused', 'revised', 'invalid', 'skipped', 'unknown'] as const satisfies readonly ToolCallOutcome[];
export const ACTION_DECISIONS = ['approve', 'edit', 'revise', 'escalate', 'critic-failure', 'rule-escalate', 'rule-block', 'read'] as const satisfies readonly ActionDecision[];

export type { Activity, ActivityBucket, CriticCounts, ReviewCounts, ToolCallCounts, ActionCounts };

type Series = 'critic' | 'review' | 'tools' | 'actions';
/** Which audit event each series counts, and the decisions it knows (others are left out). */
const SERIES: Record<Series, { type: AuditEventType; keys: readonly string[] }> = {
  critic: { type: 'verdict', keys: CRITIC_DECISIONS },
  review: { type: 'review', keys: REVIEW_OUTCOMES },
  tools: { type: 'tool-call', keys: TOOL_CALL_OUTCOMES },
  actions: { type: 'action-verdict', keys: ACTION_DECISIONS },
};
const SERIES_OF_TYPE = new Map(Object.entries(SERIES).map(([name, series]) => [series.type, name as Series]));

/** The ranges the dashboard offers, with their bucket sizes. */
export const ACTIVITY_RANGES = {
  '24h': { spanMs: 24 * 3600_000, bucketMs: 3600_000 },
  '7d': { spanMs: 7 * 24 * 3600_000, bucketMs: 24 * 3600_000 },
  '30d': { spanMs: 30 * 24 * 3600_000, bucketMs: 24 * 3600_000 },
} as const;

export type ActivityRange = keyof typeof ACTIVITY_RANGES;

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
const emptyCounts = () => ({ critic: zeros(CRITIC_DECISIONS), review: zeros(REVIEW_OUTCOMES), tools: zeros(TOOL_CALL_OUTCOMES), actions: zeros(ACTION_DECISIONS) });

/** Count audit entries into buckets of `bucketMs` covering [since, until). Pure. */
export function bucketActivity(entries: readonly AuditEntry[], range: { since: number; until: number; bucketMs: number }): Omit<Activity, 'truncated'> {
  // Buckets are aligned to whole bucket sizes (UTC hours or days) so a refresh does not shift them.
  const first = Math.floor(range.since / range.bucketMs) * range.bucketMs;
  const buckets: ActivityBucket[] = [];
  for (let start = first; start < range.until; start += range.bucketMs) buckets.push({ start, ...emptyCounts() });
  const totals = emptyCounts();
  for (const entry of entries) {
    if (entry.at < first || entry.at >= range.until) continue;
    const bucket = buckets[Math.floor((entry.at - first) / range.bucketMs)];
    const series = SERIES_OF_TYPE.get(entry.type);
    if (!bucket || !series || !SERIES[series].keys.includes(entry.decision)) continue;
    (bucket[series] as Record<string, number>)[entry.decision]! += 1;
    (totals[series] as Record<string, number>)[entry.decision]! += 1;
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
