/**
 * The review messages in the Slack review channel: one per escalated turn (posted once, even
 * when a post's outcome was lost: a pending marker, then a look in the channel before posting
 * again), brought up to date when the turn is resolved anywhere, and the summary of escalations
 * past the notification limits (posted once, then edited).
 */
import type { AdapterStorage, ReviewActions, ReviewSummary, ReviewTurn } from '../../src/core/ports.js';
import { findOwnSlackMessage, type SlackBotIdentity } from './slack-bot-identity.js';
import { buildResolutionMessage, buildReviewMessage, buildReviewSummaryMessage } from './slack-review-blocks.js';
import { PENDING, slackStorageKeys } from './slack-storage-keys.js';
import type { SlackWebApi } from './slack-web-api.js';

/** The `event_type` of the metadata on every review message. */
export const SLACK_REVIEW_EVENT_TYPE = 'countersign_review';

/** Where a message is: its channel and ts. */
export interface SlackMessageLocation {
  channel: string;
  ts: string;
}

export interface SlackReviewMessagesOptions {
  api: SlackWebApi;
  storage: AdapterStorage;
  review: ReviewActions;
  identity: SlackBotIdentity;
  /** The review channel's id; without one, escalations are not presented in Slack (old review messages still get their resolution). */
  channel?: string;
}

export interface SlackReviewMessages {
  presentEscalation(turn: ReviewTurn): Promise<void>;
  /** Show how a turn was resolved on its review message (`where`, else the one stored for it). */
  presentResolution(turn: ReviewTurn, where?: SlackMessageLocation): Promise<void>;
  presentReviewSummary(summary: ReviewSummary): Promise<void>;
}

/** A stored message location, or null for nothing stored or a pending marker. */
function parseLocation(raw: string | null): SlackMessageLocation | null {
  if (!raw || raw.startsWith(PENDING)) return null;
  try {
    return JSON.parse(raw) as SlackMessageLocation;
  } catch {
    return null;
  }
}

/** When a pending marker (`pending:<ms>`) was set, or null when `raw` is none. */
function pendingSince(raw: string | null): number | null {
  if (!raw?.startsWith(`${PENDING}:`)) return null;
  const at = Number(raw.slice(PENDING.length + 1));
  return Number.isFinite(at) ? at : null;
}

export function createSlackReviewMessages(options: SlackReviewMessagesOptions): SlackReviewMessages {
  const { api, storage } = options;

  /** The turn's review message posted by an earlier attempt since `since` (a minute earlier, for clocks that differ). */
  async function findPosted(channel: string, turnId: string, since: number): Promise<SlackMessageLocation | null> {
    const oldest = String(Math.max(0, Math.floor(since / 1000) - 60));
    const ts = await findOwnSlackMessage({ api, identity: options.identity, method: 'conversations.history', args: { channel, oldest }, eventType: SLACK_REVIEW_EVENT_TYPE, payload: { turn_id: turnId } });
    return ts ? { channel, ts } : null;
  }

  async function post(channel: string, turn: ReviewTurn): Promise<SlackMessageLocation> {
    await storage.set(slackStorageKeys.review(turn.id), `${PENDING}:${Date.now()}`);
    const content = buildReviewMessage(turn);
    const result = await api.call<{ ts?: string; channel?: string }>('chat.postMessage', {
      channel,
      text: content.text,
      blocks: content.blocks,
      unfurl_links: false,
      metadata: { event_type: SLACK_REVIEW_EVENT_TYPE, event_payload: { turn_id: turn.id } },
    });
    return { channel: result.channel ?? channel, ts: result.ts ?? '' };
  }

  async function presentResolution(turn: ReviewTurn, where?: SlackMessageLocation): Promise<void> {
    const location = where ?? parseLocation(await storage.get(slackStorageKeys.review(turn.id)));
    if (!location) return;
    const content = buildResolutionMessage(turn);
    await api.call('chat.update', { channel: location.channel, ts: location.ts, text: content.text, blocks: content.blocks });
  }

  return {
    presentResolution,

    async presentEscalation(turn) {
      const channel = options.channel;
      if (!channel) return;
      const storageKey = slackStorageKeys.review(turn.id);
      const raw = await storage.get(storageKey);
      if (parseLocation(raw)) return; // presented already (a retry of this step)
      // A pending marker: an earlier attempt may have posted the message and never learnt it
      // (its answer lost, its worker killed): look for it before posting again.
      const since = pendingSince(raw);
      const location = (since === null ? null : await findPosted(channel, turn.id, since)) ?? (await post(channel, turn));
      // Kept for the conversation retention (the storage's default), like the conversation it reviews.
      await storage.set(storageKey, JSON.stringify(location));
      // Resolved while we were posting (another reviewer elsewhere): show it at once.
      const current = await options.review.get(turn.id);
      if (current?.resolution) await presentResolution(current, location);
    },

    async presentReviewSummary(summary) {
      const channel = options.channel;
      if (!channel) return;
      const content = buildReviewSummaryMessage(summary);
      const storageKey = slackStorageKeys.reviewSummary(summary.id);
      const stored = parseLocation(await storage.get(storageKey));
      if (stored) {
        await api.call('chat.update', { channel: stored.channel, ts: stored.ts, text: content.text, blocks: content.blocks });
        return;
      }
      const result = await api.call<{ ts?: string; channel?: string }>('chat.postMessage', {
        channel,
        text: content.text,
        blocks: content.blocks,
        unfurl_links: false,
        metadata: { event_type: 'countersign_review_summary', event_payload: { summary: summary.id } },
      });
      await storage.set(storageKey, JSON.stringify({ channel: result.channel ?? channel, ts: result.ts ?? '' } satisfies SlackMessageLocation));
    },
  };
}
