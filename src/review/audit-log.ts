import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../core/keys.js';

export type AuditEventType = 'verdict' | 'critic-failure' | 'rule' | 'check' | 'escalated' | 'posted' | 'review';

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

/**
 * The audit log: every verdict, rule decision and review action, appended to a Redis stream
 * (capped at about `maxLength` entries). Reading it back gives the dashboard's charts and the
 * training data's provenance.
 */
export function createAuditLog(options: { redis: Redis; keys: Keys; logger: Logger; maxLength?: number }) {
  const { redis, keys } = options;
  const maxLength = options.maxLength ?? 1_000_000;

  async function append(event: AuditEvent): Promise<void> {
    const fields = ['type', event.type, 'turn', event.turnId, 'conversation', event.conversation, 'actor', event.actor, 'decision', event.decision, 'at', String(event.at ?? Date.now())];
    if (event.reason) fields.push('reason', event.reason.slice(0, 2000));
    await redis.xadd(keys.audit, 'MAXLEN', '~', maxLength, '*', ...fields);
  }

  return {
    append,
    /** Append without waiting (hot path); a failure is logged, never thrown. */
    record(event: AuditEvent): void {
      append(event).catch((error: unknown) => options.logger.warn({ err: error, event: event.type, turn: event.turnId }, 'could not append to the audit log'));
    },
    /** Entries between two times (ms), oldest first. */
    async read(options: { since?: number; until?: number; count?: number } = {}): Promise<AuditEntry[]> {
      const start = options.since ? String(options.since) : '-';
      const end = options.until ? String(options.until) : '+';
      const rows = await redis.xrange(keys.audit, start, end, 'COUNT', options.count ?? 10_000);
      return rows.map(([id, flat]) => {
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
      });
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
