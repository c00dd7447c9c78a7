/**
 * The Discord adapter's keys in its AdapterStorage (under `adapter:discord:`), in one place:
 * what each remembers and for how long. Every key expires (docs/data-model.md).
 */

const DAY = 24 * 3600;

/** How long a posted part's message id is remembered, for recoveries after Discord's nonce window. */
export const DISCORD_SENT_TTL_SECONDS = 7 * DAY;

/** How long a thread the bot took part in stays "ours" (its messages need no mention). */
export const DISCORD_THREAD_TTL_SECONDS = 30 * DAY;

export const discordStorageKeys = {
  /** A reply part's message id. */
  sent: (partKey: string) => `sent:${partKey}`,
  /** A thread the bot takes part in, by channel id (`1`). */
  thread: (channelId: string) => `thread:${channelId}`,
  /** A turn's review message (JSON channel and message id); also the seed of its nonce. */
  review: (turnId: string) => `review:${turnId}`,
  /** A review summary's message (JSON channel and message id). */
  reviewSummary: (summaryId: string) => `review-summary:${summaryId}`,
};

/** Where a message posted by the adapter is, as stored. */
export interface StoredDiscordMessage {
  channelId: string;
  messageId: string;
}
