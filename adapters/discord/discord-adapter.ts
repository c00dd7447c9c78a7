/**
 * The Discord adapter: discord.js v14 on the gateway for input (mentions, DMs, threads the bot
 * takes part in, review buttons and modals), and the REST API for output, so any process can
 * post, whether or not it holds the gateway connection. This file only puts the parts together,
 * once `start()` knows the service's context:
 * - discord-client.ts: the client and the gateway connection; discord-errors.ts: its errors;
 * - discord-message-ingest.ts: gateway messages to the inbox (discord-message-mapper.ts maps them);
 * - discord-reply-delivery.ts: reply parts posted once (a nonce per part, and a record of each);
 * - discord-typing-indicator.ts: the "working on it" signal;
 * - discord-review-messages.ts and discord-review-actions.ts: the review channel, its buttons and modal.
 */
import { type ClientOptions, Events } from 'discord.js';
import { CountersignError } from '../../src/core/errors.js';
import type { ChatAdapter } from '../../src/core/ports.js';
import { connectDiscordGateway, createDiscordClient } from './discord-client.js';
import { createDiscordMessageIngest } from './discord-message-ingest.js';
import { splitDiscordMessage } from './discord-render.js';
import { createDiscordReplyDelivery, type DiscordReplyDelivery } from './discord-reply-delivery.js';
import { createDiscordReviewActions } from './discord-review-actions.js';
import { createDiscordReviewMessages, type DiscordReviewMessages } from './discord-review-messages.js';
import { createDiscordTypingIndicator, type DiscordTypingIndicator } from './discord-typing-indicator.js';

export { normaliseDiscordApiUrl } from './discord-client.js';

export interface DiscordAdapterOptions {
  /** The bot token (DISCORD_BOT_TOKEN). Required. */
  botToken?: string;
  /**
   * Base URL of the REST API, without the version (DISCORD_API_URL). The gateway URL follows
   * from `GET /gateway/bot` of this server.
   * @defaultValue `https://discord.com/api`
   * @example `http://127.0.0.1:4000/api`
   */
  apiUrl?: string;
  /** The application id (DISCORD_APPLICATION_ID), for the invite URL. */
  applicationId?: string;
  /** Channel id escalated turns are posted to for review (DISCORD_REVIEW_CHANNEL); unset: no review in Discord. */
  reviewChannel?: string;
  /** Role id whose members may review (DISCORD_REVIEWER_ROLE). */
  reviewerRole?: string;
  /** User ids who may review (DISCORD_REVIEWERS). */
  reviewers?: string[];
  /** Ignore messages from other bots and webhooks. @defaultValue true */
  ignoreBots?: boolean;
  /** How often the typing indicator is renewed while working (Discord shows it ~10 s). @defaultValue 8000 */
  typingIntervalMs?: number;
  /** Longest a typing indicator is kept up without news, in case "done" never comes. @defaultValue 30 minutes */
  typingLimitMs?: number;
  /** One REST request's time limit. @defaultValue 15000 */
  requestTimeoutMs?: number;
  /** Extra discord.js client options (tests tune timeouts here). */
  clientOptions?: Partial<ClientOptions>;
}

/** What the adapter has once started. */
interface Started {
  delivery: DiscordReplyDelivery;
  typing: DiscordTypingIndicator;
  reviewMessages: DiscordReviewMessages;
}

export function createDiscordAdapter(options: DiscordAdapterOptions): ChatAdapter {
  const token = options.botToken;
  if (!token) throw new CountersignError('config.invalid', 'the Discord adapter needs a bot token: set DISCORD_BOT_TOKEN (discord.botToken)');
  const client = createDiscordClient({ token, apiUrl: options.apiUrl, requestTimeoutMs: options.requestTimeoutMs, clientOptions: options.clientOptions });
  let started: Started | undefined;

  const requireStarted = (): Started => {
    if (!started) throw new CountersignError('adapter.not-started', 'the Discord adapter was used before start()');
    return started;
  };

  return {
    platform: 'discord',

    async start(context) {
      const { storage, logger } = context;
      started = {
        delivery: createDiscordReplyDelivery({ client, storage, logger }),
        typing: createDiscordTypingIndicator({ client, logger, intervalMs: options.typingIntervalMs, limitMs: options.typingLimitMs }),
        reviewMessages: createDiscordReviewMessages({ client, storage, logger, channel: options.reviewChannel, reviewerRole: options.reviewerRole }),
      };
      if (!context.inbound) return;
      const ingest = createDiscordMessageIngest({ client, context, ignoreBots: options.ignoreBots });
      const reviewActions = createDiscordReviewActions({ review: context.review, logger, policy: { reviewerRole: options.reviewerRole, reviewers: options.reviewers ?? [] } });
      client.on(Events.MessageCreate, (message) => void ingest(message));
      client.on(Events.InteractionCreate, (interaction) => void reviewActions(interaction));
      await connectDiscordGateway(client, { token, logger });
    },

    async stop() {
      started?.typing.stopAll();
      await client.destroy();
    },

    render(text) {
      return splitDiscordMessage(text);
    },

    // Every method below is async, so using the adapter before start() rejects rather than throws.
    send: async (part) => requireStarted().delivery.send(part),

    setWorking: async (conversation, replyTo, working) => requireStarted().typing.setWorking(conversation, replyTo, working),

    presentEscalation: async (turn) => requireStarted().reviewMessages.presentEscalation(turn),

    presentResolution: async (turn) => requireStarted().reviewMessages.presentResolution(turn),

    /** The summary of escalations past the notification limits: posted once (nonce), then edited. */
    presentReviewSummary: async (summary) => requireStarted().reviewMessages.presentReviewSummary(summary),
  };
}
