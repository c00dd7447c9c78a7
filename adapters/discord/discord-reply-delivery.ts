/**
 * Posting reply parts through the REST API, exactly once. Every part carries a `nonce` derived
 * from its idempotency key, with `enforce_nonce`, so a send retried after a lost response gets
 * back the message Discord already created (within Discord's nonce window of a few minutes), and
 * each part posted is remembered for recoveries later than that.
 */
import { type APIMessage, type Client, Routes, SnowflakeUtil } from 'discord.js';
import type { Logger } from 'pino';
import type { AdapterStorage, OutboundPart, SentPart } from '../../src/core/ports.js';
import type { ConversationRef } from '../../src/core/types.js';
import { callDiscord } from './discord-errors.js';
import { discordChannelOf } from './discord-message-mapper.js';
import { discordNonce } from './discord-nonce.js';
import { DISCORD_SENT_TTL_SECONDS, DISCORD_THREAD_TTL_SECONDS, discordStorageKeys } from './discord-storage-keys.js';

/** The channel a conversation's replies go to. */
export function discordChannelOfConversation(conversation: ConversationRef): string {
  return conversation.route?.channelId ?? discordChannelOf(conversation.id);
}

export interface DiscordReplyDeliveryOptions {
  client: Client;
  storage: AdapterStorage;
  logger: Logger;
}

export interface DiscordReplyDelivery {
  send(part: OutboundPart): Promise<SentPart>;
}

export function createDiscordReplyDelivery(options: DiscordReplyDeliveryOptions): DiscordReplyDelivery {
  const { client, storage } = options;
  return {
    async send(part) {
      const channelId = discordChannelOfConversation(part.conversation);
      const sentKey = discordStorageKeys.sent(part.key);
      if (part.recovering) {
        const known = await storage.get(sentKey);
        if (known) return { messageId: known, alreadyPosted: true };
      }
      // Only the first part answers the user's message; the rest follow it.
      const target = part.part === 0 ? part.replyTo.at(-1) : undefined;
      const referenceId = target && (target.platformData?.channelId ?? channelId) === channelId ? (target.platformData?.messageId ?? target.id) : undefined;
      const body = {
        content: part.text,
        nonce: discordNonce(part.key),
        enforce_nonce: true,
        // Model output never pings anyone: no @everyone/@here, roles or users from the text;
        // only the user being answered, through the reply itself.
        allowed_mentions: { parse: [], replied_user: referenceId !== undefined },
        ...(referenceId ? { message_reference: { message_id: referenceId, channel_id: channelId, fail_if_not_exists: false } } : {}),
      };
      const started = Date.now();
      const message = await callDiscord<APIMessage>('send a message', () => client.rest.post(Routes.channelMessages(channelId), { body }));
      try {
        await storage.set(sentKey, message.id, DISCORD_SENT_TTL_SECONDS);
        if (target?.platformData?.channelKind === 'thread') await storage.set(discordStorageKeys.thread(channelId), '1', DISCORD_THREAD_TTL_SECONDS);
      } catch (error) {
        // Posted; the nonce still protects a retry within Discord's window.
        options.logger.warn({ err: error, key: part.key }, 'could not record a posted Discord message');
      }
      // Discord answers a nonce it has seen with the message it made then, just as it answers a
      // new one; the message id (a snowflake) says when it was made. Only the recovery count and
      // log depend on this (clocks may differ a little); what is posted never does.
      if (part.recovering && SnowflakeUtil.timestampFrom(message.id) < started) return { messageId: message.id, alreadyPosted: true };
      return { messageId: message.id };
    },
  };
}
