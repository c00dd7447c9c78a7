/**
 * The pure mapping from a Discord message to countersign's InboundMessage, and the rules of
 * which messages the bot answers: mentions in guild channels, every direct message, and
 * messages in threads the bot takes part in; never its own messages, system messages, or
 * (unless configured) other bots and webhooks.
 */
import { z } from 'zod';
import type { InboundMessage } from '../../src/core/types.js';

/** Where a message was posted. */
export type DiscordChannelKind = 'dm' | 'guild-text' | 'thread' | 'other';

/** The facts of a Discord message the mapper needs; the adapter fills it from discord.js. */
export const discordMessageDataSchema = z.object({
  id: z.string().regex(/^\d+$/),
  channelId: z.string().regex(/^\d+$/),
  guildId: z.string().regex(/^\d+$/).nullable(),
  channelKind: z.enum(['dm', 'guild-text', 'thread', 'other']),
  /** Discord message type: 0 default, 19 reply; the others are system messages. */
  type: z.number().int(),
  author: z.object({
    id: z.string(),
    username: z.string(),
    globalName: z.string().nullable().optional(),
    bot: z.boolean().optional(),
  }),
  /** Set for messages posted by a webhook. */
  webhookId: z.string().nullable().optional(),
  content: z.string(),
  /** Users mentioned in the content, by id, with the name to show instead of `<@id>`. */
  mentionedUsers: z.record(z.string(), z.string()).default({}),
  /** The author's display name in the guild, if known. */
  memberName: z.string().nullable().optional(),
});

export type DiscordMessageData = z.input<typeof discordMessageDataSchema>;

export interface DiscordMessageMapOptions {
  /** The bot's own user id. */
  botUserId: string;
  /** Ignore messages from other bots and webhooks. @defaultValue true */
  ignoreBots?: boolean;
  /** Whether the bot takes part in the thread the message was posted in (threads only). */
  botInThread?: boolean;
}

export type DiscordIgnoreReason = 'invalid' | 'own' | 'bot' | 'system' | 'not-addressed' | 'empty';

export type DiscordMessageMapping =
  | { accepted: true; message: Omit<InboundMessage, 'receivedAt'>; mentioned: boolean }
  | { accepted: false; reason: DiscordIgnoreReason };

/** `guild:channel` for guild channels and threads, `@me:channel` for direct messages. */
export function discordConversationId(guildId: string | null, channelId: string): string {
  return `${guildId ?? '@me'}:${channelId}`;
}

/** The channel id of a Discord conversation id (`guild:channel` / `@me:channel`). */
export function discordChannelOf(conversationId: string): string {
  const channel = conversationId.split(':').at(-1);
  if (!channel || !/^\d+$/.test(channel)) throw new Error(`not a Discord conversation id: ${conversationId}`);
  return channel;
}

const mentionPattern = (userId: string) => new RegExp(`<@!?${userId}>`, 'g');

/** Decide whether the bot answers a message and, if so, normalise it. */
export function mapDiscordMessage(input: DiscordMessageData, options: DiscordMessageMapOptions): DiscordMessageMapping {
  const parsed = discordMessageDataSchema.safeParse(input);
  if (!parsed.success) return { accepted: false, reason: 'invalid' };
  const data = parsed.data;
  if (data.author.id === options.botUserId) return { accepted: false, reason: 'own' };
  if ((options.ignoreBots ?? true) && (data.author.bot || data.webhookId)) return { accepted: false, reason: 'bot' };
  if (data.type !== 0 && data.type !== 19) return { accepted: false, reason: 'system' };

  const mentioned = mentionPattern(options.botUserId).test(data.content);
  const addressed = data.channelKind === 'dm' || mentioned || (data.channelKind === 'thread' && options.botInThread === true);
  if (!addressed) return { accepted: false, reason: 'not-addressed' };

  // The model reads names, not snowflakes: drop the bot's own mention, name the others.
  let text = data.content.replace(mentionPattern(options.botUserId), ' ');
  text = text.replace(/<@!?(\d+)>/g, (match, id: string) => (data.mentionedUsers[id] ? `@${data.mentionedUsers[id]}` : match));
  text = text
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/^[ \t]+/gm, '')
    .trim();
  if (!text) return { accepted: false, reason: 'empty' };

  const name = data.memberName ?? data.author.globalName ?? data.author.username;
  return {
    accepted: true,
    mentioned,
    message: {
      id: data.id,
      conversation: {
        platform: 'discord',
        id: discordConversationId(data.guildId, data.channelId),
        route: { channelId: data.channelId, ...(data.guildId ? { guildId: data.guildId } : {}) },
      },
      user: { id: data.author.id, name },
      text,
      platformData: { messageId: data.id, channelId: data.channelId, channelKind: data.channelKind, ...(data.guildId ? { guildId: data.guildId } : {}) },
    },
  };
}
