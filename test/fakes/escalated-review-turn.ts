import type { ReviewTurn } from '../../src/core/ports.js';
import type { ConversationRef, InboundMessage } from '../../src/core/types.js';

export interface EscalatedReviewTurnOptions {
  /** @defaultValue a random `turn-…` id */
  id?: string;
  /** @defaultValue the first message's conversation */
  conversation?: ConversationRef;
  /** The draft the critic held. @defaultValue a refund promise with markdown in it */
  draft?: string;
  /** The critic's reason. @defaultValue 'Promises a refund.' */
  reason?: string;
  /** The name the context shows for the user. @defaultValue each message's user name, else its id */
  user?: string;
}

/** A turn the critic escalated, as the review surfaces are given it: one held draft answering `messages`. */
export function escalatedReviewTurn(messages: InboundMessage[], options: EscalatedReviewTurnOptions = {}): ReviewTurn {
  const now = Date.now();
  const reason = options.reason ?? 'Promises a refund.';
  return {
    id: options.id ?? `turn-${Math.random().toString(36).slice(2, 10)}`,
    conversation: options.conversation ?? messages[0]!.conversation,
    messages,
    status: 'escalated',
    drafts: [{ text: options.draft ?? 'We will refund you twice, **no questions** asked.', at: now }],
    verdict: { decision: 'escalate', reason, categories: ['refund'], confidence: 0.9, revised_text: null, feedback: null },
    context: messages.map((message) => ({ role: 'user' as const, text: message.text, at: now, user: options.user ?? message.user.name ?? message.user.id })),
    escalation: { source: 'critic', reason, at: now },
    revisions: 0,
    folds: 0,
    createdAt: now,
    updatedAt: now,
  };
}
