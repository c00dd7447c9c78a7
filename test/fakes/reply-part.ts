import type { OutboundPart } from '../../src/core/ports.js';
import type { ConversationRef } from '../../src/core/types.js';

/**
 * A part of a reply as the outbox hands it to an adapter: by default the only part of turn
 * `turn-1`'s reply, answering nothing in particular; `overrides` sets the rest (the delivery id
 * and the key follow `turnId` unless given).
 */
export function replyPart(conversation: ConversationRef, text: string, overrides: Partial<OutboundPart> = {}): OutboundPart {
  const turnId = overrides.turnId ?? 'turn-1';
  return { conversation, deliveryId: turnId, turnId, part: 0, parts: 1, text, key: `${turnId}:0`, replyTo: [], recovering: false, kind: 'reply', ...overrides };
}
