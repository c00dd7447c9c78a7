/**
 * A turn put in front of a human: the escalation (the turn joins the review queue, the holding
 * message is approved as operator text), its announcement (the holding message delivered, the
 * reviewers notified, each once across crashes), and what a rule or check decided.
 */
import type { Logger } from 'pino';
import type { GateDecision } from '../../core/conversation-ports.js';
import { conversationKey, type Escalation, type Turn } from '../../core/types.js';
import { approvalFields, approveOperatorText } from '../../delivery/approval.js';
import type { TurnEnd, TurnInProgress, TurnRunnerOptions } from './turn-context.js';
import type { TurnDelivery } from './turn-delivery.js';

export interface TurnEscalation {
  /** Hold the turn for a human; `hold` and `holdingText` override the service's settings (a rule's). */
  escalate(options: { current: TurnInProgress; escalation: Escalation; hold?: boolean; holdingText?: string }): Promise<void>;
  /** Post the holding message and show the turn to reviewers; both idempotent across crashes. */
  announce(turn: Turn, log: Logger): Promise<void>;
  /** Carry out a rule's or check's decision: escalate, or block (post the canned reply instead). */
  applyGate(current: TurnInProgress, decision: GateDecision): Promise<TurnEnd>;
}

export function createTurnEscalation(
  options: Pick<TurnRunnerOptions, 'store' | 'outbox' | 'adapters' | 'events' | 'holdConversation' | 'holdingMessage' | 'presentEscalation'>,
  delivery: TurnDelivery,
): TurnEscalation {
  const { store, outbox } = options;

  async function presentToReviewers(turn: Turn, log: Logger): Promise<void> {
    if (options.presentEscalation) return options.presentEscalation(turn, log);
    for (const adapter of options.adapters.values()) {
      if (!adapter.presentEscalation) continue;
      try {
        await adapter.presentEscalation(turn);
      } catch (error) {
        log.warn({ err: error, platform: adapter.platform }, 'could not present the escalation to reviewers');
      }
    }
  }

  const announce: TurnEscalation['announce'] = async (turn, log) => {
    await outbox.deliver(`${turn.id}:holding`);
    if (turn.announced) return;
    await presentToReviewers(turn, log);
    await store.updateTurn(turn.id, { announced: true });
  };

  const escalate: TurnEscalation['escalate'] = async ({ current, escalation, hold, holdingText }) => {
    const { turn, history, log } = current;
    const text = holdingText ?? options.holdingMessage;
    const holding = text.trim() ? approveOperatorText(turn, 'holding-message', text) : null;
    const turnFields: Partial<Turn> = {
      escalation,
      drafts: turn.drafts,
      verdict: turn.verdict,
      revisions: turn.revisions,
      context: history,
      messages: turn.messages,
      ...(turn.toolSteps ? { toolSteps: turn.toolSteps } : {}),
      // A turn escalated again (a tool call decided, then another held) is shown to reviewers again.
      ...(turn.announced ? { announced: false } : {}),
    };
    const done = await store.escalate({
      conversation: conversationKey(turn.conversation),
      turnId: turn.id,
      hold: hold ?? options.holdConversation,
      turnFields,
      holding: holding ? { deliveryId: holding.deliveryId, fields: approvalFields(holding) } : null,
    });
    if (!done) return;
    const escalated: Turn = { ...turn, ...turnFields, status: 'escalated' };
    log.warn({ source: escalation.source, reason: escalation.reason, rule: escalation.rule }, 'turn escalated for review');
    options.events?.escalated?.(escalated);
    options.events?.finished?.(escalated, 'escalated', Date.now() - turn.createdAt);
    await announce(escalated, log);
    delivery.setWorking(turn, false, log);
  };

  return {
    escalate,
    announce,
    async applyGate(current, decision) {
      const { turn, log } = current;
      log.warn({ rule: decision.rule, action: decision.action, reason: decision.reason }, 'an escalation rule decided the turn');
      options.events?.ruled?.(turn, decision);
      const source = decision.rule.startsWith('check:') ? 'check' : 'rule';
      const escalation: Escalation = { source, reason: decision.reason, rule: decision.rule, at: Date.now(), ...(decision.reviewers ? { reviewers: decision.reviewers } : {}) };
      if (decision.action === 'block') {
        // A block that holds the conversation also puts the turn in front of a human: the canned
        // reply is posted in place of the holding message, and the draft never is.
        if (decision.hold) {
          await escalate({ current, escalation, hold: true, holdingText: decision.reply ?? '' });
          return 'more';
        }
        const approval = approveOperatorText(turn, 'canned-reply', decision.reply ?? '');
        if (approval.text.trim()) {
          await delivery.deliverInstead({ turn, approval, log });
          return 'more';
        }
      }
      await escalate({ current, escalation, ...(decision.hold !== undefined ? { hold: decision.hold } : {}), ...(decision.holdingMessage !== undefined ? { holdingText: decision.holdingMessage } : {}) });
      return 'more';
    },
  };
}
