/** The action ledger's transitions as metrics and audit events. */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import type { AuditEvent, AuditLog } from '../../src/review/audit-log.js';
import { createLedgerObserver } from '../../src/service/turn-observer.js';
import type { ActionRecord } from '../../src/tools/action-ledger.js';

const record = (extra: Partial<ActionRecord> = {}): ActionRecord =>
  ({
    callId: 't1:0:0',
    turnId: 't1',
    step: 0,
    index: 0,
    state: 'started',
    tool: 'cancel_booking',
    source: 'in-process',
    sourceName: 'cancel_booking',
    arguments: { bookingId: 'ABC123' },
    effect: 'write',
    idempotent: false,
    approvedBy: { kind: 'reviewer', reviewer: { via: 'dashboard', id: 'reviewer:ada' }, edited: false },
    idempotencyKey: 'cs:t1:0:0:secret-key',
    approvedAt: 1,
    attempts: 1,
    ...extra,
  }) as ActionRecord;

describe('createLedgerObserver', () => {
  it('counts starts, re-runs, outcomes, reuses and unknowns, and audits each with who approved the call, never the key or the arguments', async () => {
    const metrics = createMetrics();
    const recorded: AuditEvent[] = [];
    const audit = { record: (event: AuditEvent) => recorded.push(event) } as unknown as AuditLog;
    const observe = createLedgerObserver({ metrics, audit });
    observe({ type: 'recorded', callId: 't1:0:0', status: 'created', state: 'approved' });
    observe({ type: 'started', callId: 't1:0:0', rerun: false, record: record() });
    observe({ type: 'called', callId: 't1:0:0', result: { ok: true, content: [] }, record: record() });
    observe({ type: 'finished', callId: 't1:0:0', state: 'done', record: record({ state: 'done' }) });
    observe({ type: 'reused', callId: 't1:0:0', record: record({ state: 'done' }) });
    observe({ type: 'started', callId: 't1:1:0', rerun: true, record: record({ callId: 't1:1:0', idempotent: true, attempts: 2, approvedBy: { kind: 'critic', decision: 'approve' } }) });
    observe({ type: 'unknown', callId: 't1:2:0', record: record({ callId: 't1:2:0', state: 'unknown' }) });

    const counted = (await metrics.toolExecutions.get()).values.map((value) => [value.labels.event, value.value]);
    expect(Object.fromEntries(counted)).toEqual({ started: 1, done: 1, reused: 1, rerun: 1, unknown: 1 });
    expect(recorded.map((event) => [event.type, event.decision, event.actor])).toEqual([
      ['tool-execution', 'started', 'reviewer:dashboard:reviewer:ada'],
      ['tool-execution', 'done', 'reviewer:dashboard:reviewer:ada'],
      ['tool-execution', 'reused', 'reviewer:dashboard:reviewer:ada'],
      ['tool-execution', 'rerun', 'critic'],
      ['tool-execution', 'unknown', 'reviewer:dashboard:reviewer:ada'],
    ]);
    expect(recorded[3]).toMatchObject({ turnId: 't1', reason: 'cancel_booking (in-process) call t1:1:0, attempt 2' });
    expect(JSON.stringify(recorded)).not.toContain('secret-key');
    expect(JSON.stringify(recorded)).not.toContain('ABC123');
  });
});
