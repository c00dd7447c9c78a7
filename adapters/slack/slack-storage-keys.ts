/**
 * The Slack adapter's keys in its AdapterStorage (under `adapter:slack:`), in one place: what
 * each remembers and for how long. Every key expires (docs/data-model.md).
 */

const DAY = 24 * 3600;

/** How long a thread the bot took part in stays "ours" (its replies need no mention). */
export const SLACK_THREAD_TTL_SECONDS = 30 * DAY;

/** The default of `dedupeTtlSeconds`: how long event ids and post markers are remembered. */
export const SLACK_DEDUPE_TTL_SECONDS = 7 * DAY;

/** The value of a marker set before a post whose outcome is not known yet. */
export const PENDING = 'pending';

export const slackStorageKeys = {
  /** An Events API event taken (its retries are answered without ingesting). */
  event: (eventId: string) => `event:${eventId}`,
  /** A thread the bot took part in, by conversation id. */
  thread: (conversationId: string) => `thread:${conversationId}`,
  /** The message ts a client message id was first seen under (the same send under another ts). */
  clientMessage: (teamId: string, clientMessageId: string) => `client-message:${teamId}:${clientMessageId}`,
  /** A reply part: `pending` before its post, then its ts. */
  post: (partKey: string) => `post:${partKey}`,
  /** A turn's review message: `pending:<ms>` before its post, then its channel and ts (JSON). */
  review: (turnId: string) => `review:${turnId}`,
  /** A review summary's message (JSON channel and ts). */
  reviewSummary: (summaryId: string) => `review-summary:${summaryId}`,
};
