import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../core/keys.js';

/**
 * `action-verdict`: the action gate's decision on a tool call; `tool-call`: what became of one
 * (ran, reused, refused, held...); `tool-execution`: what the action ledger did with an approved
 * call (started, run again after a crash, finished, its recorded result reused, outcome unknown).
 */
export type AuditEventType = 'verdict' | 'critic-failure' | 'rule' | 'check' | 'escalated' | 'posted' | 'review' | 'action-verdict' | 'tool-call' | 'tool-execution';

export interface AuditEvent {
  type: AuditEventType;
  turnId: string;
  conversation: string;
  /** Who acted: `critic`, `rule:<name>`, `check:<name>`, or the reviewer (`api:<id>`, `slack:<user>`, ...). */
  actor: string;
  /** What was decided: the verdict decision, the rule action, approved / edited / rejected. */
  decision: string;
  reason?: string;
  at?: number;
}

export interface AuditEntry extends Required<Omit<AuditEvent, 'reason'>> {
  id: string;
  reason?: string;
}

/** Bounds of the two audit streams (`retention:`). */
export interface AuditRetention {
  /** Age of the oldest traffic entry kept. @defaultValue 30 days */
  auditSeconds: number;
  /** About this many traffic entries at most. @defaultValue 1000000 */
  auditMaxEntries: number;
  /** Age of the oldest reviewer decision kept. @defaultValue 400 days */
  reviewAuditSeconds: number;
  /** About this many reviewer decisions at most. @defaultValue 10000000 */
  reviewAuditMaxEntries: number;
}

/** Which stream: `events` (verdicts, rules, checks, escalations, posts), `reviews` (reviewer decisions), or both merged. */
export type AuditStream = 'events' | 'reviews' | 'all';

const DEFAULT_RETENTION: AuditRetention = { auditSeconds: 30 * 24 * 3600, auditMaxEntries: 1_000_000, reviewAuditSeconds: 400 * 24 * 3600, reviewAuditMaxEntries: 10_000_000 };

function parseEntry([id, flat]: [string, string[]]): AuditEntry {
  const fields: Record<string, string> = {};
  for (let index = 0; index < flat.length; index += 2) fields[flat[index]!] = flat[index + 1]!;
  return {
    id,
    type: fields.type as AuditEventType,
    turnId: fields.turn ?? '',
    conversation: fields.conversation ?? '',
    actor: fields.actor ?? '',
    decision: fields.decision ?? '',
    at: Number(fields.at ?? 0),
    ...(fields.reason ? { reason: fields.reason } : {}),
  };
}

/** Stream ids compare by time, then sequence. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/**
 * The audit log: every verdict, rule decision, escalation and post in one Redis stream, and the
 * reviewers' decisions in a stream of their own, so that traffic (which anyone can make) never
 * pushes a reviewer's decision out. Each is trimmed by age and, as a backstop, by length.
 * Reading it back gives the dashboard's charts and the training data's provenance.
 */
export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
  /** Append without waiting (hot path); a failure is logged, never thrown. */
  record(event: AuditEvent): void;
  /**
   * Entries between two times (ms), oldest first, at most `count` (@defaultValue 10000). By
   * default both streams, merged in order (`count` then bounds the merged list).
   */
  read(options?: { since?: number; until?: number; count?: number; stream?: AuditStream }): Promise<AuditEntry[]>;
}

export interface AuditLogOptions {
  redis: Redis;
  keys: Keys;
  logger: Logger;
  retention?: Partial<AuditRetention>;
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { redis, keys } = options;
  const retention = { ...DEFAULT_RETENTION, ...options.retention };

  async function append(event: AuditEvent): Promise<void> {
    const fields = ['type', event.type, 'turn', event.turnId, 'conversation', event.conversation, 'actor', event.actor, 'decision', event.decision, 'at', String(event.at ?? Date.now())];
    if (event.reason) fields.push('reason', event.reason.slice(0, 2000));
    const review = event.type === 'review';
    const key = review ? keys.reviewAudit : keys.audit;
    const maxAgeMs = (review ? retention.reviewAuditSeconds : retention.auditSeconds) * 1000;
    const maxEntries = review ? retention.reviewAuditMaxEntries : retention.auditMaxEntries;
    // XADD trims by one rule at a time: age on the way in, length right after ('~' keeps both O(1) amortised).
    await redis
      .multi()
      .xadd(key, 'MINID', '~', String(Date.now() - maxAgeMs), '*', ...fields)
      .xtrim(key, 'MAXLEN', '~', maxEntries)
      .exec();
  }

  async function readStream(key: string, options: { since?: number; until?: number; count?: number }): Promise<AuditEntry[]> {
    const start = options.since ? String(options.since) : '-';
    const end = options.until ? String(options.until) : '+';
    const rows = await redis.xrange(key, start, end, 'COUNT', options.count ?? 10_000);
    return rows.map(parseEntry);
  }

  return {
    append,
    record(event) {
      append(event).catch((error: unknown) => options.logger.warn({ err: error, event: event.type, turn: event.turnId }, 'could not append to the audit log'));
    },
    async read(options = {}) {
      const stream = options.stream ?? 'all';
      if (stream === 'events') return readStream(keys.audit, options);
      if (stream === 'reviews') return readStream(keys.reviewAudit, options);
      const [events, reviews] = await Promise.all([readStream(keys.audit, options), readStream(keys.reviewAudit, options)]);
      return [...events, ...reviews].sort((a, b) => compareStreamIds(a.id, b.id)).slice(0, options.count ?? 10_000);
    },
  };
}

