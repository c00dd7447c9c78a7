/**
 * Gateway messages to the inbox: the discord.js message as the pure mapper's input
 * (discord-message-mapper.ts), threads the bot takes part in remembered, then ingest, retried a
 * few times because the gateway never delivers a message twice on its own.
 */
import { ChannelType, type Client, type Message } from 'discord.js';
import { isCountersignError } from '../../src/core/errors.js';
import type { AdapterContext } from '../../src/core/ports.js';
import type { InboundMessage } from '../../src/core/types.js';
import { type DiscordChannelKind, type DiscordMessageData, mapDiscordMessage } from './discord-message-mapper.js';
import { DISCORD_THREAD_TTL_SECONDS, discordStorageKeys } from './discord-storage-keys.js';

export interface DiscordMessageIngestOptions {
  client: Client;
  context: Pick<AdapterContext, 'ingest' | 'storage' | 'logger'>;
  /** Ignore messages from other bots and webhooks. @defaultValue true */
  ignoreBots?: boolean;
  /** Attempts of one ingest before the message is given up (and logged). @defaultValue 4 */
  attempts?: number;
}

/** Take one gateway message. Never throws: a failure is logged. */
export type DiscordMessageIngest = (message: Message) => Promise<void>;

function channelKindOf(message: Message): DiscordChannelKind {
  const channel = message.channel;
  if (!message.guildId || channel.type === ChannelType.DM) return 'dm';
  if (channel.isThread()) return 'thread';
  if (channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement) return 'guild-text';
  return 'other';
}

/** The discord.js message as the pure mapper's input. */
function messageData(message: Message): DiscordMessageData {
  const mentionedUsers: Record<string, string> = {};
  for (const user of message.mentions.users.values()) {
    mentionedUsers[user.id] = message.mentions.members?.get(user.id)?.displayName ?? user.globalName ?? user.username;
  }
  return {
    id: message.id,
    channelId: message.channelId,
    guildId: message.guildId,
    channelKind: channelKindOf(message),
    type: message.type,
    author: { id: message.author.id, username: message.author.username, globalName: message.author.globalName, bot: message.author.bot },
    webhookId: message.webhookId,
    content: message.content,
    mentionedUsers,
    memberName: message.member?.displayName ?? null,
  };
}

export function createDiscordMessageIngest(options: DiscordMessageIngestOptions): DiscordMessageIngest {
  const { client, context } = options;
  const attempts = options.attempts ?? 4;

  async function isBotInThread(message: Message): Promise<boolean> {
    const channel = message.channel;
    if (!channel.isThread()) return false;
    if (channel.ownerId === client.user?.id || channel.joined) return true;
    return (await context.storage.get(discordStorageKeys.thread(channel.id))) === '1';
  }

  async function ingestWithRetry(message: Omit<InboundMessage, 'receivedAt'>): Promise<void> {
    // The gateway never delivers a message twice on its own: if ingest fails (Redis blip) the
    // message is lost, so try a few times before giving up and saying so in the log.
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await context.ingest(message);
        context.logger.debug({ messageId: message.id, conversation: message.conversation.id, duplicate: result.duplicate }, 'discord message ingested');
        return;
      } catch (error) {
        if (attempt >= attempts || (isCountersignError(error) && !error.retryable)) {
          context.logger.error({ err: error, messageId: message.id, conversation: message.conversation.id }, 'could not accept a Discord message');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  }

  return async (message) => {
    const botUserId = client.user?.id;
    if (!botUserId) return;
    try {
      const kind = channelKindOf(message);
      const mapping = mapDiscordMessage(messageData(message), {
        botUserId,
        ignoreBots: options.ignoreBots ?? true,
        botInThread: kind === 'thread' ? await isBotInThread(message) : false,
      });
      if (!mapping.accepted) {
        if (mapping.reason !== 'own' && mapping.reason !== 'not-addressed') context.logger.debug({ messageId: message.id, reason: mapping.reason }, 'discord message ignored');
        return;
      }
      // A mention in a thread makes the bot part of it: later messages there need no mention.
      if (kind === 'thread' && mapping.mentioned) await context.storage.set(discordStorageKeys.thread(message.channelId), '1', DISCORD_THREAD_TTL_SECONDS);
      await ingestWithRetry(mapping.message);
    } catch (error) {
      context.logger.error({ err: error, messageId: message.id }, 'could not handle a Discord message');
    }
  };
}
