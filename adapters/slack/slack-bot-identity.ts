/** Who the bot is on Slack, from `auth.test`: how its own messages are recognised. */
import type { SlackWebApi } from './slack-web-api.js';

export interface SlackBotIdentity {
  /** The bot user's id (`U...`). */
  userId: string;
  /** The bot's id (`B...`), when Slack gives one. */
  botId?: string;
}

/** A message as `conversations.replies` and `conversations.history` return it. */
export interface SlackMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/** Ask Slack who the token belongs to (this also checks the token). */
export async function identifySlackBot(api: SlackWebApi): Promise<SlackBotIdentity> {
  const auth = await api.call<{ user_id?: string; bot_id?: string }>('auth.test', {});
  return auth.bot_id ? { userId: auth.user_id ?? '', botId: auth.bot_id } : { userId: auth.user_id ?? '' };
}

/** Whether the bot posted this message. */
export function isOwnSlackMessage(identity: SlackBotIdentity, message: SlackMessage): boolean {
  return message.user === identity.userId || (identity.botId !== undefined && message.bot_id === identity.botId);
}

/**
 * Find the bot's message whose metadata has this `event_type` and payload fields, going through
 * the pages of a `conversations.replies` or `conversations.history` call.
 */
export async function findOwnSlackMessage(options: {
  api: SlackWebApi;
  identity: SlackBotIdentity;
  method: 'conversations.replies' | 'conversations.history';
  args: Record<string, unknown>;
  eventType: string;
  payload: Record<string, unknown>;
}): Promise<string | null> {
  let cursor: string | undefined;
  do {
    const page = await options.api.call<{ messages?: SlackMessage[]; response_metadata?: { next_cursor?: string } }>(options.method, {
      ...options.args,
      include_all_metadata: true,
      limit: 200,
      cursor,
    });
    for (const message of page.messages ?? []) {
      const metadata = message.metadata;
      if (!message.ts || !isOwnSlackMessage(options.identity, message) || metadata?.event_type !== options.eventType) continue;
      if (Object.entries(options.payload).every(([name, value]) => metadata.event_payload?.[name] === value)) return message.ts;
    }
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return null;
}
