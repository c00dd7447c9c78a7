/**
 * Accepting a user message: the one way in for every adapter. The message is bounded, deduped
 * and put in its conversation's inbox in one step, and the conversation's job queued.
 */
import type { Logger } from 'pino';
import type { InboxConfig } from '../config/storage-schema.js';
import type { ConversationStore } from '../core/conversation-ports.js';
import type { IngestResult } from '../core/ports.js';
import { conversationKey, type InboundMessage } from '../core/types.js';
import type { Metrics } from '../observability/metrics.js';
import { createThrottledWarning } from '../observability/throttled-warning.js';

export type Ingest = (message: Omit<InboundMessage, 'receivedAt'> & { receivedAt?: number }) => Promise<IngestResult>;

export interface IngestOptions {
  store: ConversationStore;
  /** Queue the conversation's job. */
  enqueue(conversation: string): Promise<void>;
  metrics: Metrics;
  logger: Logger;
  /** `turn.maxMessageChars`: a longer message is cut (and the models told). */
  maxMessageChars: number;
  /** How long a message id is remembered to refuse duplicates (`dedupeTtlSeconds`). */
  dedupeTtlSeconds: number;
  /** The inbox's bounds, for the log line of a refused message. */
  inbox: InboxConfig;
}

/**
 * Messages longer than `turn.maxMessageChars` are cut before they reach the models. The web chat
 * refuses them with 413; Slack and Discord messages cannot be refused, so they are cut, and the
 * models are told so.
 */
export function boundedText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  // Never cut between the halves of a surrogate pair.
  const cut = text.charCodeAt(limit - 1) >= 0xd800 && text.charCodeAt(limit - 1) <= 0xdbff ? limit - 1 : limit;
  return `${text.slice(0, cut)}\n[message cut at ${limit} characters]`;
}

export function createIngest(options: IngestOptions): Ingest {
  const { store, metrics, logger } = options;
  const warnInboxFull = createThrottledWarning(logger, 'conversation inbox full: message refused (inbox.maxMessages / inbox.maxBytes)');
  return async (message) => {
    const full: InboundMessage = { ...message, text: boundedText(message.text, options.maxMessageChars), receivedAt: message.receivedAt ?? Date.now() };
    if (full.text !== message.text) logger.warn({ platform: full.conversation.platform, length: message.text.length, limit: options.maxMessageChars }, 'a message over the length limit was cut');
    const key = conversationKey(full.conversation);
    const { outcome, workWaiting } = await store.accept(full, key, options.dedupeTtlSeconds);
    // A crash between these two steps leaves the message in the inbox without a job. The
    // reconciler finds it through the pending-conversations index within seconds; a retry of
    // the message (a duplicate, while its conversation still has work waiting) queues it at once.
    if (outcome === 'accepted' || workWaiting) await options.enqueue(key);
    const platform = full.conversation.platform;
    metrics.ingested.inc({ platform, result: outcome });
    if (outcome === 'inbox-full') {
      // Never silent: the web chat answers 429; Slack and Discord cannot be refused, so the
      // message is dropped here, logged (throttled per conversation) and counted.
      metrics.inboxRefused.inc({ platform });
      warnInboxFull(key, { conversation: key, platform, messageId: full.id, dropped: platform !== 'web', maxMessages: options.inbox.maxMessages, maxBytes: options.inbox.maxBytes });
      return { accepted: false, duplicate: false, messageId: full.id, refused: 'inbox-full' };
    }
    return { accepted: outcome === 'accepted', duplicate: outcome === 'duplicate', messageId: full.id };
  };
}
