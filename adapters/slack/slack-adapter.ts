/**
 * The Slack adapter: a bolt App fed by Socket Mode or the HTTP Events API, posting with the Web
 * API. Every post carries its idempotency key in message metadata so a post whose outcome is
 * unknown is looked for in the thread before it is sent again; escalated turns are reviewed
 * with Block Kit buttons that go through the same review service as the review API.
 */
import type {
  AllMiddlewareArgs,
  BlockAction,
  ButtonAction,
  Receiver,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { App, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { CountersignError, isCountersignError } from '../../src/core/errors.js';
import type { AdapterContext, ChatAdapter, OutboundPart, ReviewSummary, ReviewTurn, SentPart } from '../../src/core/ports.js';
import { alreadyResolvedNotice } from '../../src/core/review-notices.js';
import type { ConversationRef, InboundMessage, Reviewer } from '../../src/core/types.js';
import { mapSlackEvent, slackConversationId } from './slack-event-mapper.js';
import { slackErrorCode, translateSlackError } from './slack-errors.js';
import { boltLogger, createSlackSocketReceiver, SlackHttpReceiver } from './slack-receivers.js';
import { renderSlackReply, SLACK_PART_LIMIT } from './slack-render.js';
import {
  buildEditModal,
  buildResolutionMessage,
  buildReviewMessage,
  buildReviewSummaryMessage,
  EDIT_ACTION_ID,
  escapeMrkdwn,
  EDIT_BLOCK_ID,
  EDIT_MODAL_CALLBACK_ID,
  type EditModalMetadata,
  REVIEW_ACTION_APPROVE,
  REVIEW_ACTION_EDIT,
  REVIEW_ACTION_REJECT,
} from './slack-review-blocks.js';

/** The `event_type` of the metadata on every reply part countersign posts. */
export const SLACK_REPLY_EVENT_TYPE = 'countersign_reply';
/** The `event_type` of the metadata on every review message. */
export const SLACK_REVIEW_EVENT_TYPE = 'countersign_review';
const DEFAULT_API_URL = 'https://slack.com/api/';
const PENDING = 'pending';
const DAY = 24 * 3600;

export interface SlackAdapterOptions {
  /** Bot token (`xoxb-...`), `SLACK_BOT_TOKEN`. */
  botToken?: string;
  /** Signing secret of the HTTP Events API, `SLACK_SIGNING_SECRET`. Used when no app token is set. */
  signingSecret?: string;
  /** App-level token (`xapp-...`, scope `connections:write`), `SLACK_APP_TOKEN`: selects Socket Mode. */
  appToken?: string;
  /**
   * Web API base URL, `SLACK_API_URL` (a local fake in tests).
   * @defaultValue 'https://slack.com/api/'
   */
  apiUrl?: string;
  /** Channel id where escalated turns are posted for review, `SLACK_REVIEW_CHANNEL`. Unset: no review in Slack. */
  reviewChannel?: string;
  /** Slack user ids allowed to act on reviews, `SLACK_REVIEWERS`. */
  reviewers?: string[];
  /** A user group id (`S...`) whose members may act on reviews, `SLACK_REVIEWER_GROUP`. */
  reviewerGroup?: string;
  /** Ignore messages from other bots and apps. @defaultValue true */
  ignoreBots?: boolean;
  /** Reaction shown on the user's message while a turn is drafted and reviewed; `none` or empty disables it. @defaultValue 'eyes' */
  workingReaction?: string;
  /** Path of the Events API and interactivity endpoint. @defaultValue '/slack/events' */
  eventsPath?: string;
  /** One Web API call's time limit; past it the outcome is unknown. @defaultValue 10000 */
  requestTimeoutMs?: number;
  /** How often a rate-limited call is retried after waiting `Retry-After`. @defaultValue 3 */
  rateLimitRetries?: number;
  /** Longest `Retry-After` waited in place; longer ones fail retryably for the queue to wait. @defaultValue 30 */
  maxRetryAfterSeconds?: number;
  /** How long event ids and post markers are remembered. @defaultValue 7 days */
  dedupeTtlSeconds?: number;
  /** Longest part posted, in characters. @defaultValue 3900 */
  partLimit?: number;
  /** Socket Mode ping settings (milliseconds), for unusual networks and tests. */
  socketClientPingTimeoutMs?: number;
  socketServerPingTimeoutMs?: number;
  /** How long the members of `reviewerGroup` are cached. @defaultValue 60000 */
  reviewerGroupCacheMs?: number;
}

interface SlackMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

interface StoredReview {
  channel: string;
  ts: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stored review message, or null for nothing stored or a pending marker. */
function parseStoredReview(raw: string | null): StoredReview | null {
  if (!raw || raw.startsWith(PENDING)) return null;
  try {
    return JSON.parse(raw) as StoredReview;
  } catch {
    return null;
  }
}

/** When a pending marker (`pending:<ms>`) was set, or null when `raw` is none. */
function pendingTime(raw: string | null): number | null {
  if (!raw?.startsWith(`${PENDING}:`)) return null;
  const at = Number(raw.slice(PENDING.length + 1));
  return Number.isFinite(at) ? at : null;
}

/** WebClient wants the base with a trailing slash, Slack's own being `https://slack.com/api/`. */
function normaliseApiUrl(url: string | undefined): string {
  const base = url ?? DEFAULT_API_URL;
  return base.endsWith('/') ? base : `${base}/`;
}

function routeOf(conversation: ConversationRef): { channel: string; threadTs: string } {
  const channel = conversation.route?.channel;
  const threadTs = conversation.route?.threadTs;
  if (channel && threadTs) return { channel, threadTs };
  // Without a route, the id itself carries it: team:channel:thread_ts.
  const [, idChannel, idThread] = conversation.id.split(':');
  if (!idChannel || !idThread) {
    throw new CountersignError('slack.bad_conversation', `not a Slack conversation id: ${conversation.id}`, { retryable: false });
  }
  return { channel: idChannel, threadTs: idThread };
}

/** Create the Slack adapter. It connects in `start()`; nothing talks to Slack before. */
export function createSlackAdapter(options: SlackAdapterOptions): ChatAdapter {
  if (!options.botToken) throw new CountersignError('config.invalid', 'slack: SLACK_BOT_TOKEN (slack.botToken) is required');
  const apiUrl = normaliseApiUrl(options.apiUrl);
  const ttl = options.dedupeTtlSeconds ?? 7 * DAY;
  const partLimit = options.partLimit ?? SLACK_PART_LIMIT;
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 30;
  const workingReaction = options.workingReaction === 'none' ? '' : (options.workingReaction ?? 'eyes');
  const reviewers = new Set(options.reviewers ?? []);
  let logger: Logger | undefined;
  // No automatic retries: WebClient would resend a post whose first attempt may have landed.
  // Rate limits are retried by `call` below, everything else by the outbox, with recovery.
  const client = new webApi.WebClient(options.botToken, {
    slackApiUrl: apiUrl,
    // WebClient logs on its own; send that to the service's logger once it is known.
    logger: boltLogger({
      debug: (text: string) => logger?.debug(text),
      warn: (text: string) => logger?.debug(text), // every failed call is translated and reported by its caller
      error: (text: string) => logger?.error(text),
    }),
    timeout: options.requestTimeoutMs ?? 10_000,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });

  let context: AdapterContext | undefined;
  let app: App | undefined;
  let botUserId = '';
  let botId: string | undefined;
  let groupCache: { at: number; members: Set<string> } | undefined;

  const requireContext = (): AdapterContext => {
    if (!context) throw new CountersignError('slack.not_started', 'the Slack adapter is not started');
    return context;
  };

  /** One Web API call, rate limits waited out in place (bounded), errors translated. */
  async function call<T>(method: string, args: Record<string, unknown>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return (await client.apiCall(method, args)) as T;
      } catch (error) {
        const translated = translateSlackError(error, method);
        const retryAfter = Number(translated.details.retryAfterSeconds);
        if (translated.code === 'slack.rate_limited' && attempt < rateLimitRetries && retryAfter <= maxRetryAfterSeconds) {
          logger?.info({ method, retryAfter }, 'slack rate limit; waiting Retry-After');
          await sleep(retryAfter * 1000);
          continue;
        }
        throw translated;
      }
    }
  }

  /** Find a part posted earlier by its key in the thread's message metadata. */
  async function findPosted(channel: string, threadTs: string, key: string): Promise<string | null> {
    let cursor: string | undefined;
    do {
      let page: { messages?: SlackMessage[]; response_metadata?: { next_cursor?: string } };
      try {
        page = await call('conversations.replies', { channel, ts: threadTs, include_all_metadata: true, limit: 200, cursor });
      } catch (error) {
        // No thread yet: nothing was ever posted in it.
        if (slackErrorCode(error) === 'thread_not_found') return null;
        throw error;
      }
      for (const message of page.messages ?? []) {
        const ours = message.user === botUserId || (botId !== undefined && message.bot_id === botId);
        if (ours && message.ts && message.metadata?.event_type === SLACK_REPLY_EVENT_TYPE && message.metadata.event_payload?.key === key) {
          return message.ts;
        }
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return null;
  }

  async function isReviewer(userId: string): Promise<boolean> {
    if (reviewers.has(userId)) return true;
    if (!options.reviewerGroup) return false;
    const now = Date.now();
    if (!groupCache || now - groupCache.at > (options.reviewerGroupCacheMs ?? 60_000)) {
      const result = await call<{ users?: string[] }>('usergroups.users.list', { usergroup: options.reviewerGroup });
      groupCache = { at: now, members: new Set(result.users ?? []) };
    }
    return groupCache.members.has(userId);
  }

  async function updateReview(turn: ReviewTurn, where?: StoredReview): Promise<void> {
    const stored = where ?? (await loadReview(turn.id));
    if (!stored) return;
    const content = buildResolutionMessage(turn);
    await call('chat.update', { channel: stored.channel, ts: stored.ts, text: content.text, blocks: content.blocks });
  }

  async function loadReview(turnId: string): Promise<StoredReview | null> {
    return parseStoredReview(await requireContext().storage.get(`review:${turnId}`));
  }

  /**
   * Find a review message posted earlier for a turn, by its metadata, in the review channel's
   * messages since `since` (a minute earlier, for clocks that differ).
   */
  async function findReviewPosted(channel: string, turnId: string, since: number): Promise<StoredReview | null> {
    let cursor: string | undefined;
    do {
      const page = await call<{ messages?: SlackMessage[]; response_metadata?: { next_cursor?: string } }>('conversations.history', {
        channel,
        oldest: String(Math.max(0, Math.floor(since / 1000) - 60)),
        include_all_metadata: true,
        limit: 200,
        cursor,
      });
      for (const message of page.messages ?? []) {
        const ours = message.user === botUserId || (botId !== undefined && message.bot_id === botId);
        if (ours && message.ts && message.metadata?.event_type === SLACK_REVIEW_EVENT_TYPE && message.metadata.event_payload?.turn_id === turnId) {
          return { channel, ts: message.ts };
        }
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return null;
  }

  async function handleInbound(body: unknown): Promise<void> {
    const ctx = requireContext();
    const mapped = mapSlackEvent(body, { botUserId, botId, ignoreBots: options.ignoreBots });
    if (mapped.kind === 'ignored') {
      ctx.logger.debug({ reason: mapped.reason }, 'slack event ignored');
      return;
    }
    const { message, eventId, teamId } = mapped;
    // A retried delivery of an event we already took: answer Slack, ingest nothing.
    if (await ctx.storage.get(`event:${eventId}`)) return;
    if (mapped.requiresThread && !(await ctx.storage.get(`thread:${message.conversation.id}`))) {
      ctx.logger.debug({ conversation: message.conversation.id }, 'slack thread reply outside our threads ignored');
      return;
    }
    if (mapped.clientMessageId) {
      const earlier = await ctx.storage.get(`client-message:${teamId}:${mapped.clientMessageId}`);
      if (earlier && earlier !== message.id) return; // the same client send under another ts
    }
    await ctx.ingest(message);
    // Markers only after the ingest resolved: a failed ingest must stay retryable.
    await ctx.storage.set(`thread:${message.conversation.id}`, '1', 30 * DAY);
    if (mapped.clientMessageId) await ctx.storage.setIfAbsent(`client-message:${teamId}:${mapped.clientMessageId}`, message.id, ttl);
    await ctx.storage.setIfAbsent(`event:${eventId}`, message.id, ttl);
  }

  function reviewerOf(user: { id: string; name?: string; username?: string }): Reviewer {
    const name = user.name ?? user.username;
    return name ? { via: 'slack', id: user.id, name } : { via: 'slack', id: user.id };
  }

  async function refuse(channel: string | undefined, user: string, text: string): Promise<void> {
    if (!channel) return;
    await call('chat.postEphemeral', { channel, user, text }).catch((error: unknown) =>
      logger?.warn({ err: error }, 'slack ephemeral refusal failed'),
    );
  }

  /**
   * Approve or reject through the review service, which then calls every adapter's
   * presentResolution (this one included). A turn resolved elsewhere is shown as such here.
   */
  async function decide(turnId: string, reviewer: Reviewer, decision: 'approve' | 'reject', where: StoredReview | undefined, text?: string) {
    const ctx = requireContext();
    try {
      if (decision === 'approve') await ctx.review.approve(turnId, text === undefined ? { reviewer } : { reviewer, text });
      else await ctx.review.reject(turnId, { reviewer });
    } catch (error) {
      if (isCountersignError(error, 'review.forbidden')) {
        if (where) await refuse(where.channel, reviewer.id, `You cannot decide this turn: ${error.message}.`);
        return;
      }
      if (!isCountersignError(error, 'review.conflict') && !isCountersignError(error, 'review.not-found')) throw error;
      const current = await ctx.review.get(turnId);
      if (current) await updateReview(current, where);
      if (where) await refuse(where.channel, reviewer.id, escapeMrkdwn(alreadyResolvedNotice(current)));
    }
  }

  function registerListeners(bolt: App): void {
    bolt.event('app_mention', async ({ body }) => handleInbound(body));
    bolt.event('message', async ({ body }) => handleInbound(body));

    const onButton =
      (decision: 'approve' | 'edit' | 'reject') =>
      async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) => {
        await ack();
        const turnId = action.value ?? '';
        const channel = body.channel?.id ?? body.container?.channel_id;
        const messageTs = body.message?.ts ?? body.container?.message_ts;
        const where = channel && messageTs ? { channel, ts: messageTs } : undefined;
        if (!(await isReviewer(body.user.id))) {
          await refuse(channel, body.user.id, 'Only configured reviewers can act on countersign reviews.');
          return;
        }
        const reviewer = reviewerOf(body.user);
        if (decision === 'edit') {
          const turn = await requireContext().review.get(turnId);
          if (turn?.status !== 'escalated') {
            if (turn) await updateReview(turn, where);
            await refuse(channel, body.user.id, escapeMrkdwn(alreadyResolvedNotice(turn)));
            return;
          }
          const metadata: EditModalMetadata = { turnId, channel: where?.channel ?? '', ts: where?.ts ?? '' };
          await call('views.open', { trigger_id: body.trigger_id, view: buildEditModal(turn, metadata) });
          return;
        }
        await decide(turnId, reviewer, decision, where);
      };
    bolt.action<BlockAction<ButtonAction>>(REVIEW_ACTION_APPROVE, onButton('approve'));
    bolt.action<BlockAction<ButtonAction>>(REVIEW_ACTION_EDIT, onButton('edit'));
    bolt.action<BlockAction<ButtonAction>>(REVIEW_ACTION_REJECT, onButton('reject'));

    bolt.view(EDIT_MODAL_CALLBACK_ID, async ({ ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => {
      const text = view.state.values[EDIT_BLOCK_ID]?.[EDIT_ACTION_ID]?.value?.trim() ?? '';
      if (!text) {
        await ack({ response_action: 'errors', errors: { [EDIT_BLOCK_ID]: 'The reply cannot be empty.' } });
        return;
      }
      // Checked again: a modal outlives the click, and its payload is not the button's.
      if (!(await isReviewer(body.user.id))) {
        await ack({ response_action: 'errors', errors: { [EDIT_BLOCK_ID]: 'Only configured reviewers can approve replies.' } });
        return;
      }
      await ack();
      let metadata: EditModalMetadata;
      try {
        metadata = JSON.parse(view.private_metadata) as EditModalMetadata;
      } catch {
        return;
      }
      const where = metadata.channel && metadata.ts ? { channel: metadata.channel, ts: metadata.ts } : undefined;
      await decide(metadata.turnId, reviewerOf(body.user), 'approve', where, text);
    });
  }

  return {
    platform: 'slack',

    async start(adapterContext) {
      context = adapterContext;
      logger = adapterContext.logger;
      const auth = await call<{ user_id?: string; bot_id?: string }>('auth.test', {});
      botUserId = auth.user_id ?? '';
      botId = auth.bot_id;
      if (options.reviewChannel && reviewers.size === 0 && !options.reviewerGroup) {
        logger.warn('slack: SLACK_REVIEW_CHANNEL is set but no SLACK_REVIEWERS or SLACK_REVIEWER_GROUP: nobody can act on reviews');
      }
      if (!adapterContext.inbound) return;
      let receiver: Receiver;
      if (options.appToken) {
        receiver = createSlackSocketReceiver({
          appToken: options.appToken,
          slackApiUrl: apiUrl,
          logger,
          clientPingTimeoutMs: options.socketClientPingTimeoutMs,
          serverPingTimeoutMs: options.socketServerPingTimeoutMs,
        });
      } else if (options.signingSecret) {
        receiver = new SlackHttpReceiver({ http: adapterContext.http, signingSecret: options.signingSecret, logger, path: options.eventsPath });
      } else {
        throw new CountersignError('config.invalid', 'slack: set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP Events API)');
      }
      app = new App({
        receiver,
        logger: boltLogger(logger),
        // The auth.test above already checked the token; bolt needs its answer for ignoreSelf.
        authorize: async () => ({ botToken: options.botToken, botUserId, botId }),
        clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, timeout: options.requestTimeoutMs ?? 10_000 },
      });
      registerListeners(app);
      await app.start();
      logger.info({ mode: options.appToken ? 'socket' : 'http', botUserId }, 'slack adapter started');
    },

    async stop() {
      const running = app;
      app = undefined;
      if (running) await running.stop();
    },

    render(text) {
      return renderSlackReply(text, partLimit);
    },

    async send(part: OutboundPart): Promise<SentPart> {
      const ctx = requireContext();
      const { channel, threadTs } = routeOf(part.conversation);
      const marker = `post:${part.key}`;
      const previous = await ctx.storage.get(marker);
      if (previous && previous !== PENDING) return { messageId: previous, alreadyPosted: true };
      // A pending marker means an earlier attempt of this process family may have landed,
      // whatever the caller believes: look before posting.
      if (part.recovering || previous === PENDING) {
        const found = await findPosted(channel, threadTs, part.key);
        if (found) {
          await ctx.storage.set(marker, found, ttl);
          return { messageId: found, alreadyPosted: true };
        }
      }
      await ctx.storage.set(marker, PENDING, ttl);
      const result = await call<{ ts?: string }>('chat.postMessage', {
        channel,
        thread_ts: threadTs,
        text: part.text,
        mrkdwn: true,
        unfurl_links: false,
        metadata: { event_type: SLACK_REPLY_EVENT_TYPE, event_payload: { key: part.key, turn_id: part.turnId, part: part.part } },
      });
      const ts = result.ts ?? '';
      await ctx.storage.set(marker, ts, ttl);
      await ctx.storage.set(`thread:${slackConversationId(part.conversation.route?.team ?? part.conversation.id.split(':')[0] ?? '', channel, threadTs)}`, '1', 30 * DAY);
      return { messageId: ts };
    },

    async setWorking(conversation: ConversationRef, replyTo: InboundMessage[], working: boolean) {
      if (!workingReaction) return;
      const targets = replyTo
        .map((message) => ({ channel: message.platformData?.channel ?? routeOf(conversation).channel, ts: message.platformData?.ts }))
        .filter((target): target is { channel: string; ts: string } => Boolean(target.ts));
      const chosen = working ? targets.slice(-1) : targets;
      for (const target of chosen) {
        try {
          await call(working ? 'reactions.add' : 'reactions.remove', { channel: target.channel, timestamp: target.ts, name: workingReaction });
        } catch (error) {
          const code = slackErrorCode(error);
          // Already there / already gone is the state we wanted.
          if (code === 'already_reacted' || code === 'no_reaction' || code === 'message_not_found') continue;
          // The reaction is a courtesy: it never fails a turn.
          logger?.warn({ err: error }, 'slack working reaction failed');
        }
      }
    },

    async presentEscalation(turn: ReviewTurn) {
      const ctx = requireContext();
      if (!options.reviewChannel) return;
      const storageKey = `review:${turn.id}`;
      const raw = await ctx.storage.get(storageKey);
      if (parseStoredReview(raw)) return; // presented already (a retry of this step)
      // A pending marker: an earlier attempt may have posted the message and never learnt it
      // (its answer lost, its worker killed): look for it before posting again.
      const pendingSince = pendingTime(raw);
      let stored = pendingSince === null ? null : await findReviewPosted(options.reviewChannel, turn.id, pendingSince);
      if (!stored) {
        await ctx.storage.set(storageKey, `${PENDING}:${Date.now()}`);
        const content = buildReviewMessage(turn);
        const result = await call<{ ts?: string; channel?: string }>('chat.postMessage', {
          channel: options.reviewChannel,
          text: content.text,
          blocks: content.blocks,
          unfurl_links: false,
          metadata: { event_type: SLACK_REVIEW_EVENT_TYPE, event_payload: { turn_id: turn.id } },
        });
        stored = { channel: result.channel ?? options.reviewChannel, ts: result.ts ?? '' };
      }
      // Kept for the conversation retention (the storage's default), like the conversation it reviews.
      await ctx.storage.set(storageKey, JSON.stringify(stored));
      // Resolved while we were posting (another reviewer elsewhere): show it at once.
      const current = await ctx.review.get(turn.id);
      if (current?.resolution) await updateReview(current, stored);
    },

    async presentResolution(turn: ReviewTurn) {
      await updateReview(turn);
    },

    /** The summary of escalations past the notification limits: posted once, then edited. */
    async presentReviewSummary(summary: ReviewSummary) {
      const ctx = requireContext();
      if (!options.reviewChannel) return;
      const content = buildReviewSummaryMessage(summary);
      const storageKey = `review-summary:${summary.id}`;
      const raw = await ctx.storage.get(storageKey);
      const stored = raw ? (JSON.parse(raw) as StoredReview) : null;
      if (stored) {
        await call('chat.update', { channel: stored.channel, ts: stored.ts, text: content.text, blocks: content.blocks });
        return;
      }
      const result = await call<{ ts?: string; channel?: string }>('chat.postMessage', {
        channel: options.reviewChannel,
        text: content.text,
        blocks: content.blocks,
        unfurl_links: false,
        metadata: { event_type: 'countersign_review_summary', event_payload: { summary: summary.id } },
      });
      await ctx.storage.set(storageKey, JSON.stringify({ channel: result.channel ?? options.reviewChannel, ts: result.ts ?? '' } satisfies StoredReview));
    },
  };
}
