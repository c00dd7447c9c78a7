/** The "working on it" signal on Slack: a reaction on the user's message, removed when done. */
import type { Logger } from 'pino';
import type { ChatAdapter } from '../../src/core/ports.js';
import { slackErrorCode } from './slack-errors.js';
import { slackRouteOf } from './slack-reply-delivery.js';
import type { SlackWebApi } from './slack-web-api.js';

export interface SlackWorkingReactionOptions {
  api: SlackWebApi;
  /** The reaction's name (`eyes`). */
  reaction: string;
  logger: Logger;
}

export function createSlackWorkingReaction(options: SlackWorkingReactionOptions): NonNullable<ChatAdapter['setWorking']> {
  return async (conversation, replyTo, working) => {
    const targets = replyTo
      .map((message) => ({ channel: message.platformData?.channel ?? slackRouteOf(conversation).channel, ts: message.platformData?.ts }))
      .filter((target): target is { channel: string; ts: string } => Boolean(target.ts));
    // On the newest message while working; off every message the turn answered when done.
    const chosen = working ? targets.slice(-1) : targets;
    for (const target of chosen) {
      try {
        await options.api.call(working ? 'reactions.add' : 'reactions.remove', { channel: target.channel, timestamp: target.ts, name: options.reaction });
      } catch (error) {
        const code = slackErrorCode(error);
        // Already there / already gone is the state we wanted.
        if (code === 'already_reacted' || code === 'no_reaction' || code === 'message_not_found') continue;
        // The reaction is a courtesy: it never fails a turn.
        options.logger.warn({ err: error }, 'slack working reaction failed');
      }
    }
  };
}
