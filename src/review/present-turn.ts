import { conversationKey, currentDraft, type Turn } from '../core/types.js';
import { reviewStatus } from './review-service.js';

/**
 * A turn as reviewers see it, in the review API, the dashboard and `countersign review --json`
 * (no secrets; the conversation by key).
 */
export function presentTurn(turn: Turn, withContext = false) {
  return {
    id: turn.id,
    conversation: conversationKey(turn.conversation),
    platform: turn.conversation.platform,
    status: reviewStatus(turn),
    draft: currentDraft(turn),
    verdict: turn.verdict ?? null,
    escalation: turn.escalation ?? null,
    messages: turn.messages.map((message) => ({ id: message.id, user: message.user.name ?? message.user.id, text: message.text, at: message.receivedAt })),
    revisions: turn.revisions,
    resolution: turn.resolution ?? null,
    reply: turn.reply?.text ?? null,
    createdAt: turn.createdAt,
    updatedAt: turn.updatedAt,
    ...(withContext ? { context: turn.context ?? [], drafts: turn.drafts } : {}),
  };
}
