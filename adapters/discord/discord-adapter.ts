/**
 * The Discord adapter: discord.js v14 on the gateway for input (mentions, DMs, threads the bot
 * takes part in, review buttons and modals), and the REST API for output, so any process can
 * post, whether or not it holds the gateway connection.
 *
 * Exactly-once posting on Discord rests on the message `nonce`: every part carries one derived
 * from its idempotency key, with `enforce_nonce`, so a send retried after a lost response gets
 * back the message Discord already created (within Discord's nonce window of a few minutes),
 * and the adapter also remembers each part it posted for recoveries later than that.
 */
import { once } from 'node:events';
import {
  type APIMessage,
  ChannelType,
  Client,
  type ClientOptions,
  Events,
  GatewayIntentBits,
  GuildMember,
  type Interaction,
  type Message,
  MessageFlags,
  Options,
  Partials,
  Routes,
  SnowflakeUtil,
} from 'discord.js';
import { CountersignError, describeError, isCountersignError } from '../../src/core/errors.js';
import type { AdapterContext, ChatAdapter, OutboundPart, ReviewSummary, ReviewTurn, SentPart } from '../../src/core/ports.js';
import { alreadyResolvedNotice } from '../../src/core/review-notices.js';
import { type ConversationRef, conversationKey, type InboundMessage, type Reviewer } from '../../src/core/types.js';
import { translateDiscordError } from './discord-errors.js';
import { type DiscordChannelKind, type DiscordMessageData, discordChannelOf, mapDiscordMessage } from './discord-message-mapper.js';
import { discordNonce } from './discord-nonce.js';
import { splitDiscordMessage } from './discord-render.js';
import {
  DISCORD_MODAL_TEXT_LIMIT,
  EDIT_FIELD_ID,
  editModal,
  escalationMessage,
  isDiscordReviewer,
  parseReviewCustomId,
  resolutionMessage,
  reviewSummaryMessage,
} from './discord-review-ui.js';

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

const DAY = 24 * 3600;
const SENT_TTL = 7 * DAY;
const THREAD_TTL = 30 * DAY;

/** The REST base discord.js wants: no trailing slash and no version (it appends `/v10`). */
export function normaliseDiscordApiUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v\d+$/, '');
}

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

export function createDiscordAdapter(options: DiscordAdapterOptions): ChatAdapter {
  const token = options.botToken;
  if (!token) throw new CountersignError('config.invalid', 'the Discord adapter needs a bot token: set DISCORD_BOT_TOKEN (discord.botToken)');
  const typingIntervalMs = options.typingIntervalMs ?? 8000;
  const typingLimitMs = options.typingLimitMs ?? 30 * 60_000;
  const reviewPolicy = { reviewerRole: options.reviewerRole, reviewers: options.reviewers ?? [] };

  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages],
    // DM channels are not cached before their first message: without this partial discord.js drops DMs.
    partials: [Partials.Channel],
    // Whatever discord.js posts for us (interaction answers, review edits) pings nobody.
    allowedMentions: { parse: [], repliedUser: false },
    // No message cache: nothing here reads old messages, and without it every gateway replay
    // reaches ingest, whose dedupe by message id (shared by all processes) is the one that counts.
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0 }),
    ...options.clientOptions,
    rest: {
      ...(options.apiUrl ? { api: normaliseDiscordApiUrl(options.apiUrl) } : {}),
      timeout: options.requestTimeoutMs ?? 15_000,
      ...options.clientOptions?.rest,
    },
  });
  client.rest.setToken(token);

  let context: AdapterContext | null = null;
  const typingTimers = new Map<string, NodeJS.Timeout>();

  const requireContext = (): AdapterContext => {
    if (!context) throw new CountersignError('adapter.not_started', 'the Discord adapter was used before start()');
    return context;
  };

  async function rest<T>(action: string, call: () => Promise<unknown>): Promise<T> {
    try {
      return (await call()) as T;
    } catch (error) {
      throw translateDiscordError(error, action);
    }
  }

  async function isBotInThread(message: Message): Promise<boolean> {
    const channel = message.channel;
    if (!channel.isThread()) return false;
    if (channel.ownerId === client.user?.id || channel.joined) return true;
    return (await requireContext().storage.get(`thread:${channel.id}`)) === '1';
  }

  async function ingestWithRetry(message: Omit<InboundMessage, 'receivedAt'>): Promise<void> {
    const ctx = requireContext();
    // The gateway never delivers a message twice on its own: if ingest fails (Redis blip) the
    // message is lost, so try a few times before giving up and saying so in the log.
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await ctx.ingest(message);
        ctx.logger.debug({ messageId: message.id, conversation: message.conversation.id, duplicate: result.duplicate }, 'discord message ingested');
        return;
      } catch (error) {
        if (attempt >= 4 || (isCountersignError(error) && !error.retryable)) {
          ctx.logger.error({ err: error, messageId: message.id, conversation: message.conversation.id }, 'could not accept a Discord message');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  }

  async function onMessage(message: Message): Promise<void> {
    const ctx = requireContext();
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
        if (mapping.reason !== 'own' && mapping.reason !== 'not-addressed') ctx.logger.debug({ messageId: message.id, reason: mapping.reason }, 'discord message ignored');
        return;
      }
      // A mention in a thread makes the bot part of it: later messages there need no mention.
      if (kind === 'thread' && mapping.mentioned) await ctx.storage.set(`thread:${message.channelId}`, '1', THREAD_TTL);
      await ingestWithRetry(mapping.message);
    } catch (error) {
      ctx.logger.error({ err: error, messageId: message.id }, 'could not handle a Discord message');
    }
  }

  function reviewerOf(interaction: Interaction): { reviewer: Reviewer; roleIds: string[] } {
    const member = interaction.member;
    let roleIds: string[] = [];
    let name: string | undefined;
    if (member instanceof GuildMember) {
      roleIds = [...member.roles.cache.keys()];
      name = member.displayName;
    } else if (member) {
      // Uncached members arrive as the raw API object, roles as an id list.
      roleIds = member.roles;
      name = member.nick ?? undefined;
    }
    const user = interaction.user;
    return { reviewer: { via: 'discord', id: user.id, name: name ?? user.globalName ?? user.username }, roleIds };
  }

  async function onInteraction(interaction: Interaction): Promise<void> {
    if (!interaction.isButton() && !interaction.isModalSubmit()) return;
    const parsed = parseReviewCustomId(interaction.customId);
    if (!parsed) return;
    const ctx = requireContext();
    const { reviewer, roleIds } = reviewerOf(interaction);
    const log = ctx.logger.child({ turnId: parsed.turnId, action: parsed.action, reviewer: reviewer.id });
    const ephemeral = (content: string) => ({ content, flags: MessageFlags.Ephemeral as const, allowedMentions: { parse: [] } });
    try {
      if (!isDiscordReviewer({ userId: reviewer.id, roleIds }, reviewPolicy)) {
        log.info('discord review action refused: not a reviewer');
        await interaction.reply(ephemeral('Only reviewers can decide on escalated replies.'));
        return;
      }
      if (parsed.action === 'edit') {
        if (!interaction.isButton()) return;
        const turn = await ctx.review.get(parsed.turnId);
        if (!turn) return void (await interaction.reply(ephemeral(alreadyResolvedNotice(null))));
        if (turn.status !== 'escalated') {
          await interaction.update(forInteraction(resolutionMessage(turn)));
          await interaction.followUp(ephemeral(alreadyResolvedNotice(turn)));
          return;
        }
        const draft = turn.drafts.at(-1)?.text ?? '';
        if (draft.length > DISCORD_MODAL_TEXT_LIMIT) {
          await interaction.reply(ephemeral(`The draft is longer than Discord's ${DISCORD_MODAL_TEXT_LIMIT}-character edit box; edit it in the dashboard or the review API.`));
          return;
        }
        await interaction.showModal({ toJSON: () => editModal(turn) });
        return;
      }
      let text: string | undefined;
      if (parsed.action === 'edit-submit') {
        if (!interaction.isModalSubmit()) return;
        text = interaction.fields.getTextInputValue(EDIT_FIELD_ID).trim();
        if (!text) return void (await interaction.reply(ephemeral('The reply cannot be empty.')));
      }
      // Discord wants an answer within 3 s; the decision may take longer (Redis, the outbox).
      await interaction.deferUpdate();
      let turn: ReviewTurn;
      try {
        turn =
          parsed.action === 'reject'
            ? await ctx.review.reject(parsed.turnId, { reviewer })
            : await ctx.review.approve(parsed.turnId, { reviewer, ...(text !== undefined ? { text } : {}) });
      } catch (error) {
        if (isCountersignError(error, 'review.conflict')) {
          const current = await ctx.review.get(parsed.turnId);
          if (current) await interaction.editReply(forInteraction(resolutionMessage(current)));
          await interaction.followUp(ephemeral(alreadyResolvedNotice(current)));
          return;
        }
        log.error({ err: error }, 'discord review decision failed');
        await interaction.followUp(ephemeral(`Could not record the decision: ${describeError(error)}`));
        return;
      }
      log.info({ decision: turn.resolution?.decision }, 'discord review decision recorded');
      await interaction.editReply(forInteraction(resolutionMessage(turn)));
    } catch (error) {
      log.error({ err: translateDiscordError(error, 'answer a review interaction') }, 'discord review interaction failed');
    }
  }

  /** A raw review payload as discord.js interaction methods take it (camelCase `allowedMentions`). */
  function forInteraction(message: ReturnType<typeof resolutionMessage>) {
    const { allowed_mentions: _raw, ...rest } = message;
    return { ...rest, allowedMentions: { parse: [] } };
  }

  function stopTyping(key: string): void {
    const timer = typingTimers.get(key);
    if (timer) clearInterval(timer);
    typingTimers.delete(key);
  }

  const channelOf = (conversation: ConversationRef): string => conversation.route?.channelId ?? discordChannelOf(conversation.id);

  return {
    platform: 'discord',

    async start(adapterContext) {
      context = adapterContext;
      if (!adapterContext.inbound) return;
      client.on(Events.MessageCreate, (message) => void onMessage(message));
      client.on(Events.InteractionCreate, (interaction) => void onInteraction(interaction));
      client.on(Events.ShardResume, (shardId, replayed) => adapterContext.logger.info({ shardId, replayed }, 'discord gateway resumed'));
      client.on(Events.ShardReconnecting, (shardId) => adapterContext.logger.info({ shardId }, 'discord gateway reconnecting'));
      client.on(Events.ShardError, (error, shardId) => adapterContext.logger.warn({ err: error, shardId }, 'discord gateway error'));
      client.on(Events.Error, (error) => adapterContext.logger.error({ err: error }, 'discord client error'));
      const ready = once(client, Events.ClientReady);
      try {
        await client.login(token);
        await ready;
      } catch (error) {
        throw translateDiscordError(error, 'connect to the gateway');
      }
      adapterContext.logger.info({ bot: client.user?.id, guilds: client.guilds.cache.size }, 'discord gateway connected');
    },

    async stop() {
      for (const key of [...typingTimers.keys()]) stopTyping(key);
      await client.destroy();
    },

    render(text) {
      return splitDiscordMessage(text);
    },

    async send(part: OutboundPart): Promise<SentPart> {
      const ctx = requireContext();
      const channelId = channelOf(part.conversation);
      const sentKey = `sent:${part.key}`;
      if (part.recovering) {
        const known = await ctx.storage.get(sentKey);
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
      const message = await rest<APIMessage>('send a message', () => client.rest.post(Routes.channelMessages(channelId), { body }));
      try {
        await ctx.storage.set(sentKey, message.id, SENT_TTL);
        if (target?.platformData?.channelKind === 'thread') await ctx.storage.set(`thread:${channelId}`, '1', THREAD_TTL);
      } catch (error) {
        // Posted; the nonce still protects a retry within Discord's window.
        ctx.logger.warn({ err: error, key: part.key }, 'could not record a posted Discord message');
      }
      // Discord answers a nonce it has seen with the message it made then, just as it answers a
      // new one; the message id (a snowflake) says when it was made. Only the recovery count and
      // log depend on this (clocks may differ a little); what is posted never does.
      if (part.recovering && SnowflakeUtil.timestampFrom(message.id) < started) return { messageId: message.id, alreadyPosted: true };
      return { messageId: message.id };
    },

    async setWorking(conversation, _replyTo, working) {
      const ctx = requireContext();
      const key = conversationKey(conversation);
      stopTyping(key);
      if (!working) return;
      const channelId = channelOf(conversation);
      const started = Date.now();
      const type = async () => {
        try {
          await rest('show the typing indicator', () => client.rest.post(Routes.channelTyping(channelId)));
        } catch (error) {
          ctx.logger.debug({ err: error, channelId }, 'discord typing indicator failed');
        }
      };
      // Discord shows "typing" for about 10 s per request and has no "stop": renew until told.
      const timer = setInterval(() => {
        if (Date.now() - started > typingLimitMs) return stopTyping(key);
        void type();
      }, typingIntervalMs);
      timer.unref();
      typingTimers.set(key, timer);
      await type();
    },

    async presentEscalation(turn) {
      const ctx = requireContext();
      if (!options.reviewChannel) return;
      const storageKey = `review:${turn.id}`;
      if (await ctx.storage.get(storageKey)) return;
      const body = { ...escalationMessage(turn, { reviewerRole: options.reviewerRole }), nonce: discordNonce(storageKey), enforce_nonce: true };
      const message = await rest<APIMessage>('post a review message', () => client.rest.post(Routes.channelMessages(options.reviewChannel!), { body }));
      // Kept for the conversation retention (the storage's default), like the conversation it reviews.
      await ctx.storage.set(storageKey, JSON.stringify({ channelId: options.reviewChannel, messageId: message.id }));
    },

    async presentResolution(turn) {
      const ctx = requireContext();
      const stored = await ctx.storage.get(`review:${turn.id}`);
      if (!stored) return;
      const { channelId, messageId } = JSON.parse(stored) as { channelId: string; messageId: string };
      try {
        await rest('edit the review message', () => client.rest.patch(Routes.channelMessage(channelId, messageId), { body: resolutionMessage(turn) }));
      } catch (error) {
        // Someone deleted the review message: nothing left to update.
        if (isCountersignError(error, 'discord.not_found')) return void ctx.logger.info({ turnId: turn.id }, 'discord review message is gone');
        throw error;
      }
    },

    /** The summary of escalations past the notification limits: posted once (nonce), then edited. */
    async presentReviewSummary(summary: ReviewSummary) {
      const ctx = requireContext();
      if (!options.reviewChannel) return;
      const storageKey = `review-summary:${summary.id}`;
      const message = reviewSummaryMessage(summary, { reviewerRole: options.reviewerRole });
      const stored = await ctx.storage.get(storageKey);
      if (stored) {
        const { channelId, messageId } = JSON.parse(stored) as { channelId: string; messageId: string };
        try {
          const { allowed_mentions: _mentions, ...edit } = message;
          await rest('edit the review summary', () => client.rest.patch(Routes.channelMessage(channelId, messageId), { body: { ...edit, allowed_mentions: { parse: [] } } }));
          return;
        } catch (error) {
          // Someone deleted the summary: post it again below.
          if (!isCountersignError(error, 'discord.not_found')) throw error;
        }
      }
      const body = { ...message, nonce: discordNonce(`${storageKey}:${stored ? 'again' : 'first'}`), enforce_nonce: true };
      const posted = await rest<APIMessage>('post the review summary', () => client.rest.post(Routes.channelMessages(options.reviewChannel!), { body }));
      await ctx.storage.set(storageKey, JSON.stringify({ channelId: options.reviewChannel, messageId: posted.id }));
    },
  };
}
