/**
 * The review messages in the Discord review channel: one per escalated turn (its nonce, from
 * the turn, makes a retried post return the message already made), edited when the turn is
 * resolved anywhere, and the summary of escalations past the notification limits (posted once,
 * then edited; posted again if someone deleted it).
 */
import { type APIMessage, type Client, Routes } from 'discord.js';
import type { Logger } from 'pino';
import { isCountersignError } from '../../src/core/errors.js';
import type { AdapterStorage, ReviewSummary, ReviewTurn } from '../../src/core/ports.js';
import { callDiscord } from './discord-errors.js';
import { discordNonce } from './discord-nonce.js';
import { escalationMessage, resolutionMessage, reviewSummaryMessage } from './discord-review-ui.js';
import { discordStorageKeys, type StoredDiscordMessage } from './discord-storage-keys.js';

export interface DiscordReviewMessagesOptions {
  client: Client;
  storage: AdapterStorage;
  logger: Logger;
  /** The review channel's id; without one, escalations are not presented in Discord. */
  channel?: string;
  /** The reviewer role pinged by a new review message. */
  reviewerRole?: string;
}

export interface DiscordReviewMessages {
  presentEscalation(turn: ReviewTurn): Promise<void>;
  presentResolution(turn: ReviewTurn): Promise<void>;
  presentReviewSummary(summary: ReviewSummary): Promise<void>;
}

export function createDiscordReviewMessages(options: DiscordReviewMessagesOptions): DiscordReviewMessages {
  const { client, storage, logger } = options;
  const stored = async (storageKey: string) => {
    const raw = await storage.get(storageKey);
    return raw ? (JSON.parse(raw) as StoredDiscordMessage) : null;
  };

  return {
    async presentEscalation(turn) {
      const channel = options.channel;
      if (!channel) return;
      const storageKey = discordStorageKeys.review(turn.id);
      if (await storage.get(storageKey)) return;
      const body = { ...escalationMessage(turn, { reviewerRole: options.reviewerRole }), nonce: discordNonce(storageKey), enforce_nonce: true };
      const message = await callDiscord<APIMessage>('post a review message', () => client.rest.post(Routes.channelMessages(channel), { body }));
      // Kept for the conversation retention (the storage's default), like the conversation it reviews.
      await storage.set(storageKey, JSON.stringify({ channelId: channel, messageId: message.id } satisfies StoredDiscordMessage));
    },

    async presentResolution(turn) {
      const where = await stored(discordStorageKeys.review(turn.id));
      if (!where) return;
      try {
        await callDiscord('edit the review message', () => client.rest.patch(Routes.channelMessage(where.channelId, where.messageId), { body: resolutionMessage(turn) }));
      } catch (error) {
        // Someone deleted the review message: nothing left to update.
        if (isCountersignError(error, 'discord.not-found')) return void logger.info({ turnId: turn.id }, 'discord review message is gone');
        throw error;
      }
    },

    async presentReviewSummary(summary) {
      const channel = options.channel;
      if (!channel) return;
      const storageKey = discordStorageKeys.reviewSummary(summary.id);
      const message = reviewSummaryMessage(summary, { reviewerRole: options.reviewerRole });
      const where = await stored(storageKey);
      if (where) {
        try {
          const { allowed_mentions: _mentions, ...edit } = message;
          await callDiscord('edit the review summary', () => client.rest.patch(Routes.channelMessage(where.channelId, where.messageId), { body: { ...edit, allowed_mentions: { parse: [] } } }));
          return;
        } catch (error) {
          // Someone deleted the summary: post it again below.
          if (!isCountersignError(error, 'discord.not-found')) throw error;
        }
      }
      const body = { ...message, nonce: discordNonce(`${storageKey}:${where ? 'again' : 'first'}`), enforce_nonce: true };
      const posted = await callDiscord<APIMessage>('post the review summary', () => client.rest.post(Routes.channelMessages(channel), { body }));
      await storage.set(storageKey, JSON.stringify({ channelId: channel, messageId: posted.id } satisfies StoredDiscordMessage));
    },
  };
}
