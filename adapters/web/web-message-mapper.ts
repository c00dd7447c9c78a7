import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { InboundMessage } from '../../src/core/types.js';

export const CONVERSATION_ID = /^[A-Za-z0-9._-]{1,128}$/;

export const webMessageBody = z.object({
  text: z.string({ error: 'text is required and must be a string' }),
  user: z.string().trim().min(1).max(100).optional(),
  /** A client-chosen id: the same id sent twice is accepted once (safe retries). */
  clientMessageId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'clientMessageId: letters, digits, dot, dash, underscore').optional(),
});

export type WebMessageBody = z.infer<typeof webMessageBody>;

/** Zero-width and bidirectional control characters, which can hide or reorder text on screen. */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** Normalise a web chat message: NFC, no invisible controls, trimmed. */
export function normaliseText(text: string): string {
  return text.normalize('NFC').replace(INVISIBLE, '').trim();
}

/** The pure mapper of a web chat request to an InboundMessage. */
export function toInboundMessage(conversationId: string, body: WebMessageBody): Omit<InboundMessage, 'receivedAt'> {
  const user = body.user ?? 'guest';
  return {
    id: body.clientMessageId ?? randomUUID(),
    conversation: { platform: 'web', id: conversationId },
    user: { id: user, name: user },
    text: normaliseText(body.text),
  };
}
