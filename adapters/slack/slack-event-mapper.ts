/**
 * A pure mapper of Slack Events API payloads to countersign's InboundMessage. It decides which
 * events are user messages for the bot and which are noise; it touches no network or storage.
 * Whether a plain thread reply belongs to a thread the bot takes part in is a storage question,
 * so the mapper only says that it needs that answer (`requiresThread`).
 */
import { z } from 'zod';
import type { InboundMessage } from '../../src/core/types.js';

const eventSchema = z.looseObject({
  type: z.string(),
  subtype: z.string().optional(),
  channel: z.string().min(1).optional(),
  channel_type: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional(),
  ts: z.string().min(1).optional(),
  thread_ts: z.string().optional(),
  client_msg_id: z.string().optional(),
  user_profile: z
    .looseObject({
      display_name: z.string().optional(),
      real_name: z.string().optional(),
      name: z.string().optional(),
    })
    .optional(),
});

/** The outer Events API envelope (`event_callback`), validated at the boundary. */
export const slackEventEnvelopeSchema = z.looseObject({
  type: z.literal('event_callback'),
  team_id: z.string().min(1),
  event_id: z.string().min(1),
  event: eventSchema,
});

export type SlackEventEnvelope = z.infer<typeof slackEventEnvelopeSchema>;

export interface SlackMapperOptions {
  /** The bot's user id (auth.test `user_id`): its own messages are ignored, its mention stripped. */
  botUserId: string;
  /** The bot's bot id (auth.test `bot_id`). */
  botId?: string;
  /** Ignore messages of other bots and apps. @defaultValue true */
  ignoreBots?: boolean;
}

export interface SlackInboundCandidate {
  kind: 'message';
  message: Omit<InboundMessage, 'receivedAt'>;
  eventId: string;
  teamId: string;
  /** Slack's client-side message id, when the client sent one (retries of a send share it). */
  clientMessageId?: string;
  /** A plain reply in a channel thread: take it only if the bot takes part in that thread. */
  requiresThread: boolean;
}

export interface SlackIgnoredEvent {
  kind: 'ignored';
  reason: string;
}

export type SlackMappedEvent = SlackInboundCandidate | SlackIgnoredEvent;

const ignored = (reason: string): SlackIgnoredEvent => ({ kind: 'ignored', reason });

/** Conversation id of a Slack thread: `team:channel:thread_ts`. */
export function slackConversationId(team: string, channel: string, threadTs: string): string {
  return `${team}:${channel}:${threadTs}`;
}

/**
 * Slack's message text to plain text for the models: the bot's own mention removed, other
 * mentions, channels and links made readable, and Slack's three HTML escapes undone (last, so
 * an escaped `&lt;` never turns into markup).
 */
export function slackTextToPlain(text: string, botUserId: string): string {
  return text
    .replace(/<([^<>]+)>/g, (_match, inner: string) => {
      const [target = '', label] = inner.split('|', 2);
      if (target === `@${botUserId}`) return '';
      if (target.startsWith('@')) return label ? `@${label}` : target;
      if (target.startsWith('#')) return label ? `#${label}` : target;
      if (target.startsWith('!')) return `@${(label ?? target.slice(1)).replace(/^@/, '').split('^')[0]}`;
      return label && label !== target ? `${label} (${target})` : target.replace(/^mailto:/, '');
    })
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}

/**
 * Map one Events API payload. Taken: `app_mention` in channels, `message` in direct messages,
 * and plain thread replies (subject to thread participation). Ignored: the bot's own messages,
 * other bots' (unless `ignoreBots` is false), every subtype (edits, deletions, joins, ...),
 * top-level channel chatter without a mention, and messages left empty by removing the mention.
 */
export function mapSlackEvent(body: unknown, options: SlackMapperOptions): SlackMappedEvent {
  const parsed = slackEventEnvelopeSchema.safeParse(body);
  if (!parsed.success) return ignored('not an event_callback with a message event');
  const { event, team_id: teamId, event_id: eventId } = parsed.data;
  if (event.type !== 'message' && event.type !== 'app_mention') return ignored(`event type ${event.type}`);
  const ignoreBots = options.ignoreBots ?? true;
  const fromBot = event.bot_id !== undefined || event.subtype === 'bot_message';
  // Our own posts come back as message events; answering them would loop forever.
  if (event.user === options.botUserId || (options.botId !== undefined && event.bot_id === options.botId)) return ignored('own message');
  if (fromBot && ignoreBots) return ignored('bot message');
  if (event.subtype !== undefined && !(event.subtype === 'bot_message' && !ignoreBots)) return ignored(`subtype ${event.subtype}`);
  if (!event.channel || !event.ts) return ignored('no channel or ts');
  const userId = event.user ?? event.bot_id;
  if (!userId) return ignored('no user');

  const direct = event.channel_type === 'im';
  const threadTs = event.thread_ts ?? event.ts;
  const isThreadReply = event.thread_ts !== undefined && event.thread_ts !== event.ts;
  let requiresThread = false;
  if (event.type === 'message' && !direct) {
    // Mentions arrive as app_mention; other channel messages only count inside our threads.
    if (!isThreadReply) return ignored('channel message without a mention');
    requiresThread = true;
  }
  const text = slackTextToPlain(event.text ?? '', options.botUserId);
  if (!text) return ignored('empty text');

  const profile = event.user_profile;
  const name = profile?.display_name || profile?.real_name || profile?.name || undefined;
  const platformData: Record<string, string> = { channel: event.channel, ts: event.ts, threadTs, eventId };
  if (event.channel_type) platformData.channelType = event.channel_type;
  if (event.client_msg_id) platformData.clientMessageId = event.client_msg_id;
  return {
    kind: 'message',
    eventId,
    teamId,
    clientMessageId: event.client_msg_id,
    requiresThread,
    message: {
      // The same message arrives as app_mention and as message (and again on retries): one id.
      id: `${teamId}:${event.channel}:${event.ts}`,
      conversation: {
        platform: 'slack',
        id: slackConversationId(teamId, event.channel, threadTs),
        route: { team: teamId, channel: event.channel, threadTs },
      },
      user: name ? { id: userId, name } : { id: userId },
      text,
      platformData,
    },
  };
}
