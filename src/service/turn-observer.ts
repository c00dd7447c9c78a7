/**
 * What a turn's events become: Prometheus metrics, audit log entries, and the review events the
 * dashboard listens to. One place, so the turn runner knows nothing of either.
 */
import type { Redis } from 'ioredis';
import type { TurnEvents } from '../conversation/turn-runner.js';
import type { Keys } from '../core/keys.js';
import { conversationKey } from '../core/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { AuditLog } from '../review/audit-log.js';
import type { ActionApprovalSource } from '../tools/action-approval.js';
import type { LedgerTransition } from '../tools/action-ledger.js';

export function createTurnObserver(options: { metrics: Metrics; audit: AuditLog; redis: Redis; keys: Keys }): TurnEvents {
  const { metrics, audit, redis, keys } = options;
  return {
    verdict: (turn, verdict) => {
      metrics.verdicts.inc({ decision: verdict.decision });
      audit.record({ type: 'verdict', turnId: turn.id, conversation: conversationKey(turn.conversation), actor: 'critic', decision: verdict.decision, reason: verdict.reason });
    },
    escalated: (turn) => {
      const escalation = turn.escalation!;
      const actor = escalation.source === 'rule' || escalation.source === 'check' ? `${escalation.source}:${escalation.rule}` : escalation.source;
      audit.record({ type: 'escalated', turnId: turn.id, conversation: conversationKey(turn.conversation), actor, decision: 'escalate', reason: escalation.reason });
      redis.publish(keys.reviewEvents, JSON.stringify({ type: 'escalated', turnId: turn.id, at: Date.now() })).catch(() => {});
    },
    finished: (turn, outcome, durationMs) => {
      metrics.turns.inc({ outcome });
      metrics.turnSeconds.observe({ outcome }, durationMs / 1000);
      if (outcome === 'posted') audit.record({ type: 'posted', turnId: turn.id, conversation: conversationKey(turn.conversation), actor: turn.reply?.source.kind ?? 'critic', decision: 'posted' });
    },
    ruled: (turn, decision) =>
      audit.record({ type: decision.rule.startsWith('check:') ? 'check' : 'rule', turnId: turn.id, conversation: conversationKey(turn.conversation), actor: decision.rule, decision: decision.action, reason: decision.reason }),
    modelCall: (role, latencyMs) => metrics.modelSeconds.observe({ role }, latencyMs / 1000),
    promptCut: (_turn, role, cut) => {
      metrics.promptCuts.inc({ role });
      metrics.promptCutMessages.inc({ role }, cut.messages);
    },
    budgetSpent: (_turn, scope, action) => metrics.budgetSpent.inc({ scope, action }),
    toolCall: (turn, call) => {
      metrics.toolCalls.inc({ tool: call.tool, effect: call.effect, outcome: call.outcome });
      audit.record({ type: 'tool-call', turnId: turn.id, conversation: conversationKey(turn.conversation), actor: call.server, decision: call.outcome, reason: call.tool });
    },
    actionVerdict: (turn, verdict) => {
      metrics.actionVerdicts.inc({ decision: verdict.decision });
      audit.record({ type: 'action-verdict', turnId: turn.id, conversation: conversationKey(turn.conversation), actor: verdict.rule ? `rule:${verdict.rule}` : verdict.decision === 'read' ? 'policy' : 'critic', decision: verdict.decision, reason: `${verdict.tool}: ${verdict.reason}` });
    },
    handedBack: () => metrics.handBacks.inc(),
  };
}

/** Who let an executed call run, as the audit log names it. */
function approvedByActor(source: ActionApprovalSource): string {
  if (source.kind === 'reviewer') return `reviewer:${source.reviewer.via}:${source.reviewer.id}`;
  return source.kind === 'critic' ? 'critic' : 'policy';
}

/**
 * What the action ledger does with approved calls, as metrics and audit events: each start (a
 * run again after a crash marked `rerun`), each outcome, each recorded result given back instead
 * of a run, each call found started with no outcome. The ledger knows the turn, not the
 * conversation: the audit entry's `turnId` ties it to one. Recording an approval (the review
 * service's side) and the tool's raw answer are left out: the outcome says it.
 */
export function createLedgerObserver(options: { metrics: Metrics; audit: AuditLog }): (transition: LedgerTransition) => void {
  const { metrics, audit } = options;
  return (transition) => {
    if (transition.type === 'recorded' || transition.type === 'called') return;
    const record = transition.record;
    const event = transition.type === 'started' ? (transition.rerun ? 'rerun' : 'started') : transition.type === 'finished' ? transition.state : transition.type;
    metrics.toolExecutions.inc({ tool: record.tool, effect: record.effect, event });
    audit.record({ type: 'tool-execution', turnId: record.turnId, conversation: '', actor: approvedByActor(record.approvedBy), decision: event, reason: `${record.tool} (${record.source}) call ${transition.callId}, attempt ${record.attempts}` });
  };
}
