import { conversationKey, currentDraft, type Turn } from '../core/types.js';
import type { PresentedTurn } from './presented-turn.js';
import { reviewStatus, type TurnFollowUp } from './review-service.js';

export type { PresentedTurn };

/**
 * A turn as reviewers see it, in the review API, the dashboard and `countersign review --json`
 * (no secrets; the conversation by key).
 */
export function presentTurn(turn: Turn, withContext = false, followUp?: TurnFollowUp): PresentedTurn {
  return {
    id: turn.id,
    conversation: conversationKey(turn.conversation),
    platform: turn.conversation.platform,
    status: reviewStatus(turn),
    kind: turn.escalation?.action ? 'action' : 'reply',
    action: turn.escalation?.action
      ? {
          server: turn.escalation.action.server,
          tool: turn.escalation.action.tool,
          arguments: turn.escalation.action.arguments,
          effect: turn.escalation.action.effect,
          description: turn.escalation.action.description,
          inputSchema: turn.escalation.action.inputSchema,
          idempotent: turn.escalation.action.idempotent,
          verdict: turn.escalation.action.verdict ?? null,
          outcomeUnknown: turn.escalation.action.outcomeUnknown === true,
        }
      : null,
    draft: currentDraft(turn),
    verdict: turn.verdict ?? null,
    escalation: turn.escalation ?? null,
    messages: turn.messages.map((message) => ({ id: message.id, user: message.user.name ?? message.user.id, text: message.text, at: message.receivedAt })),
    revisions: turn.revisions,
    resolution: turn.resolution ?? null,
    reply: turn.reply?.text ?? null,
    createdAt: turn.createdAt,
    updatedAt: turn.updatedAt,
    ...(withContext ? { context: turn.context ?? [], drafts: turn.drafts, toolSteps: turn.toolSteps ?? [] } : {}),
    // What the user saw and said after the escalation: the holding message, and what waits.
    ...(followUp ? { holding: followUp.holding, waiting: followUp.waiting } : {}),
  };
}
