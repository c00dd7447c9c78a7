/**
 * Posting reply parts in their thread, exactly once. Every post carries its idempotency key in
 * message metadata, and a marker is stored before it; a part whose outcome is unknown (the
 * caller says it is recovering, or our own marker is still pending) is looked for in the thread
 * before it is posted again.
 */
import { CountersignError } from '../../src/core/errors.js';
import type { AdapterStorage, OutboundPart, SentPart } from '../../src/core/ports.js';
import type { ConversationRef } from '../../src/core/types.js';
import { findOwnSlackMessage, type SlackBotIdentity } from './slack-bot-identity.js';
import { slackErrorCode } from './slack-errors.js';
import { slackConversationId } from './slack-event-mapper.js';
import { PENDING, SLACK_THREAD_TTL_SECONDS, slackStorageKeys } from './slack-storage-keys.js';
import type { SlackWebApi } from './slack-web-api.js';

/** The `event_type` of the metadata on every reply part countersign posts. */
export const SLACK_REPLY_EVENT_TYPE = 'countersign_reply';

/** Where a conversation's replies go: its channel and thread. */
export function slackRouteOf(conversation: ConversationRef): { channel: string; threadTs: string } {
  const channel = conversation.route?.channel;
  const threadTs = conversation.route?.threadTs;
  if (channel && threadTs) return { channel, threadTs };
  // Without a route, the id itself carries it: team:channel:thread_ts.
  const [, idChannel, idThread] = conversation.id.split(':');
  if (!idChannel || !idThread) {
    throw new CountersignError('slack.bad-conversation', `not a Slack conversation id: ${conversation.id}`, {  });
  }
  return { channel: idChannel, threadTs: idThread };
}

export interface SlackReplyDeliveryOptions {
  api: SlackWebApi;
  storage: AdapterStorage;
  identity: SlackBotIdentity;
  /** How long post markers are kept. */
  markerTtlSeconds: number;
}

export interface SlackReplyDelivery {
  send(part: OutboundPart): Promise<SentPart>;
}

export function createSlackReplyDelivery(options: SlackReplyDeliveryOptions): SlackReplyDelivery {
  const { api, storage, identity } = options;

  /** The part's message in the thread, found by the key in its metadata. */
  async function findPosted(where: { channel: string; threadTs: string }, key: string): Promise<string | null> {
    try {
      return await findOwnSlackMessage({ api, identity, method: 'conversations.replies', args: { channel: where.channel, ts: where.threadTs }, eventType: SLACK_REPLY_EVENT_TYPE, payload: { key } });
    } catch (error) {
      // No thread yet: nothing was ever posted in it.
      if (slackErrorCode(error) === 'thread_not_found') return null;
      throw error;
    }
  }

  return {
    async send(part) {
      const route = slackRouteOf(part.conversation);
      const marker = slackStorageKeys.post(part.key);
      const previous = await storage.get(marker);
      if (previous && previous !== PENDING) return { messageId: previous, alreadyPosted: true };
      // A pending marker means an earlier attempt of this process family may have landed,
      // whatever the caller believes: look before posting.
      if (part.recovering || previous === PENDING) {
        const found = await findPosted(route, part.key);
        if (found) {
          await storage.set(marker, found, options.markerTtlSeconds);
          return { messageId: found, alreadyPosted: true };
        }
      }
      await storage.set(marker, PENDING, options.markerTtlSeconds);
      const result = await api.call<{ ts?: string }>('chat.postMessage', {
        channel: route.channel,
        thread_ts: route.threadTs,
        text: part.text,
        mrkdwn: true,
        unfurl_links: false,
        metadata: { event_type: SLACK_REPLY_EVENT_TYPE, event_payload: { key: part.key, turn_id: part.turnId, part: part.part } },
      });
      const ts = result.ts ?? '';
      await storage.set(marker, ts, options.markerTtlSeconds);
      // The bot takes part in the thread now: its replies there need no mention.
      const team = part.conversation.route?.team ?? part.conversation.id.split(':')[0] ?? '';
      await storage.set(slackStorageKeys.thread(slackConversationId(team, route.channel, route.threadTs)), '1', SLACK_THREAD_TTL_SECONDS);
      return { messageId: ts };
    },
  };
}
