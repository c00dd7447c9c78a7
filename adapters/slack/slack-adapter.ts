/**
 * The Slack adapter: a bolt App fed by Socket Mode or the HTTP Events API, posting with the Web
 * API. This file only puts the parts together, once `start()` knows the service's context:
 * - slack-web-api.ts: the Web API client, rate limits, errors (slack-errors.ts);
 * - slack-event-ingest.ts: events to the inbox, once (slack-event-mapper.ts maps them);
 * - slack-reply-delivery.ts: reply parts posted once, looked for when their outcome is unknown;
 * - slack-working-reaction.ts: the "working on it" reaction;
 * - slack-review-messages.ts and slack-review-actions.ts: the review channel, its buttons and modal;
 * - slack-receivers.ts: the two transports, each acking an event only once it is safe.
 */
import { App } from '@slack/bolt';
import { CountersignError } from '../../src/core/errors.js';
import type { AdapterContext, ChatAdapter } from '../../src/core/ports.js';
import { identifySlackBot, type SlackBotIdentity } from './slack-bot-identity.js';
import { createSlackEventIngest } from './slack-event-ingest.js';
import { boltLogger, createSlackReceiver } from './slack-receivers.js';
import { renderSlackReply, SLACK_PART_LIMIT } from './slack-render.js';
import { createSlackReplyDelivery, type SlackReplyDelivery } from './slack-reply-delivery.js';
import { registerSlackReviewActions } from './slack-review-actions.js';
import { createSlackReviewMessages, type SlackReviewMessages } from './slack-review-messages.js';
import { createSlackReviewerCheck } from './slack-reviewer-check.js';
import { SLACK_DEDUPE_TTL_SECONDS } from './slack-storage-keys.js';
import { createSlackWebApi } from './slack-web-api.js';
import { createSlackWorkingReaction } from './slack-working-reaction.js';

export { SLACK_REPLY_EVENT_TYPE } from './slack-reply-delivery.js';

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

/** What the adapter has once started. */
interface Started {
  delivery: SlackReplyDelivery;
  reviewMessages: SlackReviewMessages;
  setWorking: ChatAdapter['setWorking'];
}

/** Create the Slack adapter. It connects in `start()`; nothing talks to Slack before. */
export function createSlackAdapter(options: SlackAdapterOptions): ChatAdapter {
  const botToken = options.botToken;
  if (!botToken) throw new CountersignError('config.invalid', 'slack: SLACK_BOT_TOKEN (slack.botToken) is required');
  const dedupeTtlSeconds = options.dedupeTtlSeconds ?? SLACK_DEDUPE_TTL_SECONDS;
  const partLimit = options.partLimit ?? SLACK_PART_LIMIT;
  const reaction = options.workingReaction === 'none' ? '' : (options.workingReaction ?? 'eyes');
  const api = createSlackWebApi({ ...options, botToken });
  let started: Started | undefined;
  let app: App | undefined;

  const requireStarted = (): Started => {
    if (!started) throw new CountersignError('slack.not-started', 'the Slack adapter is not started');
    return started;
  };

  async function takeInput(context: AdapterContext, parts: { identity: SlackBotIdentity; reviewMessages: SlackReviewMessages }) {
    const { logger } = context;
    const receiver = createSlackReceiver({
      appToken: options.appToken,
      signingSecret: options.signingSecret,
      slackApiUrl: api.apiUrl,
      http: context.http,
      logger,
      eventsPath: options.eventsPath,
      clientPingTimeoutMs: options.socketClientPingTimeoutMs,
      serverPingTimeoutMs: options.socketServerPingTimeoutMs,
    });
    const { userId: botUserId, botId } = parts.identity;
    const bolt = new App({
      receiver,
      logger: boltLogger(logger),
      // The auth.test of start() already checked the token; bolt needs its answer for ignoreSelf.
      authorize: async () => ({ botToken, botUserId, botId }),
      clientOptions: { slackApiUrl: api.apiUrl, retryConfig: { retries: 0 }, timeout: options.requestTimeoutMs ?? 10_000 },
    });
    const ingest = createSlackEventIngest({ context, identity: parts.identity, ignoreBots: options.ignoreBots, dedupeTtlSeconds });
    bolt.event('app_mention', async ({ body }) => ingest(body));
    bolt.event('message', async ({ body }) => ingest(body));
    const isReviewer = createSlackReviewerCheck({ api, reviewers: options.reviewers ?? [], reviewerGroup: options.reviewerGroup, groupCacheMs: options.reviewerGroupCacheMs });
    registerSlackReviewActions(bolt, { api, review: context.review, messages: parts.reviewMessages, isReviewer, logger });
    app = bolt;
    await bolt.start();
    logger.info({ mode: options.appToken ? 'socket' : 'http', botUserId }, 'slack adapter started');
  }

  return {
    platform: 'slack',

    async start(context) {
      api.useLogger(context.logger);
      const identity = await identifySlackBot(api);
      const { storage, review, logger } = context;
      const reviewMessages = createSlackReviewMessages({ api, storage, review, identity, channel: options.reviewChannel });
      started = {
        delivery: createSlackReplyDelivery({ api, storage, identity, markerTtlSeconds: dedupeTtlSeconds }),
        reviewMessages,
        setWorking: reaction ? createSlackWorkingReaction({ api, reaction, logger }) : undefined,
      };
      if (options.reviewChannel && !options.reviewers?.length && !options.reviewerGroup) {
        logger.warn('slack: SLACK_REVIEW_CHANNEL is set but no SLACK_REVIEWERS or SLACK_REVIEWER_GROUP: nobody can act on reviews');
      }
      if (context.inbound) await takeInput(context, { identity, reviewMessages });
    },

    async stop() {
      const running = app;
      app = undefined;
      if (running) await running.stop();
    },

    render(text) {
      return renderSlackReply(text, partLimit);
    },

    // Async, so using the adapter before start() rejects rather than throws.
    send: async (part) => requireStarted().delivery.send(part),

    async setWorking(conversation, replyTo, working) {
      await requireStarted().setWorking?.(conversation, replyTo, working);
    },

    async presentEscalation(turn) {
      await requireStarted().reviewMessages.presentEscalation(turn);
    },

    async presentResolution(turn) {
      await requireStarted().reviewMessages.presentResolution(turn);
    },

    /** The summary of escalations past the notification limits: posted once, then edited. */
    async presentReviewSummary(summary) {
      await requireStarted().reviewMessages.presentReviewSummary(summary);
    },
  };
}
