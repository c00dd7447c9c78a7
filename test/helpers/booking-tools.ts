/**
 * Two in-process tools and the scripts that call them, for the tests of reviewing a held tool
 * call on each surface (dashboard, Slack, Discord): the actor looks a booking up (a read), then
 * cancels it (a write the critic always escalates), then says what the tool answered.
 */
import { z } from 'zod';
import type { ModelScript, ModelServerRequest } from '../../src/demo/model-server.js';
import { defineTool, type InProcessTool } from '../../src/tools/define-tool.js';
import { verdict } from './pipeline.js';

export interface BookingTools {
  tools: InProcessTool[];
  /** Every run of cancel_booking, with the arguments it ran with. */
  cancelled: Array<{ bookingId: string }>;
}

/** The reason the critic gives for holding every cancellation. */
export const HOLD_REASON = 'cancellations are for a human to approve';

export function bookingTools(): BookingTools {
  const cancelled: Array<{ bookingId: string }> = [];
  const cancelBooking = defineTool({
    name: 'cancel_booking',
    description: 'Cancel a booking by its six-character code.',
    input: z.object({ bookingId: z.string().regex(/^[A-Z0-9]{6}$/, 'a booking code is six capital letters or digits') }),
    effect: 'write',
    idempotent: false,
    execute: ({ bookingId }) => {
      cancelled.push({ bookingId });
      return `Booking ${bookingId} is cancelled.`;
    },
  });
  const lookUpBooking = defineTool({
    name: 'look_up_booking',
    description: 'Look up a booking by its code.',
    input: z.object({ bookingId: z.string() }),
    effect: 'read',
    execute: ({ bookingId }) => `Booking ${bookingId}: Lisbon to Oslo, 12 May, refundable.`,
  });
  return { tools: [cancelBooking, lookUpBooking], cancelled };
}

/** The text of a message, whatever shape the client sent its content in. */
const textOf = (message: ModelServerRequest['messages'][number]) => (typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? ''));

/**
 * The actor: for "cancel <CODE>", look the booking up, then cancel it, then say what the tool
 * answered ("Tool said: ...").
 */
export const bookingActor: ModelScript = (request) => {
  // This turn's tool results are those after the newest user message (a Discord channel is one
  // conversation: earlier turns' calls are in the history before it).
  const lastUser = request.messages.findLastIndex((message) => message.role === 'user');
  const code = /cancel ([A-Z0-9]{6})/.exec(lastUser < 0 ? '' : textOf(request.messages[lastUser]!))?.[1];
  const results = request.messages.slice(lastUser + 1).filter((message) => message.role === 'tool');
  if (!code) return { content: 'How can I help?' };
  if (results.length === 0) return { toolCalls: [{ id: 'call_look', name: 'look_up_booking', arguments: JSON.stringify({ bookingId: code }) }] };
  if (results.length === 1) return { content: 'Cancelling it now.', toolCalls: [{ id: 'call_cancel', name: 'cancel_booking', arguments: JSON.stringify({ bookingId: code }) }] };
  return { content: `Tool said: ${textOf(results.at(-1)!)}` };
};

/** The critic: every tool call it is asked about waits for a human; replies are approved. */
export const bookingCritic: ModelScript = (request) => {
  if (textOf(request.messages[0] ?? { role: 'system', content: '' }).includes('can call tools')) {
    return { content: verdict('escalate', { reason: HOLD_REASON, categories: ['cancellation'], confidence: 0.8 }) };
  }
  return { content: verdict('approve') };
};
