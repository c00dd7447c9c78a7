/**
 * Slack events to the inbox: map the event (slack-event-mapper.ts), drop what was taken before
 * (a retried event by its id, the same client send under another ts by its client message id),
 * take thread replies only in threads the bot is in, then ingest. The markers are written only
 * after the ingest resolved, so a failed ingest stays retryable: the event handler throws, the
 * receiver withholds the ack, and Slack sends the event again.
 */
import type { AdapterContext } from '../../src/core/ports.js';
import type { SlackBotIdentity } from './slack-bot-identity.js';
import { mapSlackEvent } from './slack-event-mapper.js';
import { SLACK_THREAD_TTL_SECONDS, slackStorageKeys } from './slack-storage-keys.js';

export interface SlackEventIngestOptions {
  context: Pick<AdapterContext, 'ingest' | 'storage' | 'logger'>;
  identity: SlackBotIdentity;
  /** Ignore messages from other bots and apps. @defaultValue true */
  ignoreBots?: boolean;
  /** How long event ids and client message ids are remembered. */
  dedupeTtlSeconds: number;
}

/** Take one Events API payload (the whole `event_callback` body). */
export type SlackEventIngest = (body: unknown) => Promise<void>;

export function createSlackEventIngest(options: SlackEventIngestOptions): SlackEventIngest {
  const { storage, logger } = options.context;
  const mapping = { botUserId: options.identity.userId, botId: options.identity.botId, ignoreBots: options.ignoreBots };
  return async (body) => {
    const mapped = mapSlackEvent(body, mapping);
    if (mapped.kind === 'ignored') {
      logger.debug({ reason: mapped.reason }, 'slack event ignored');
      return;
    }
    const { message, eventId, teamId } = mapped;
    // A retried delivery of an event we already took: answer Slack, ingest nothing.
    if (await storage.get(slackStorageKeys.event(eventId))) return;
    if (mapped.requiresThread && !(await storage.get(slackStorageKeys.thread(message.conversation.id)))) {
      logger.debug({ conversation: message.conversation.id }, 'slack thread reply outside our threads ignored');
      return;
    }
    const clientMessageKey = mapped.clientMessageId ? slackStorageKeys.clientMessage(teamId, mapped.clientMessageId) : undefined;
    if (clientMessageKey) {
      const earlier = await storage.get(clientMessageKey);
      if (earlier && earlier !== message.id) return; // the same client send under another ts
    }
    await options.context.ingest(message);
    // Markers only after the ingest resolved: a failed ingest must stay retryable.
    await storage.set(slackStorageKeys.thread(message.conversation.id), '1', SLACK_THREAD_TTL_SECONDS);
    if (clientMessageKey) await storage.setIfAbsent(clientMessageKey, message.id, options.dedupeTtlSeconds);
    await storage.setIfAbsent(slackStorageKeys.event(eventId), message.id, options.dedupeTtlSeconds);
  };
}
