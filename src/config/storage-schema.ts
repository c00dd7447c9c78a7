import { z } from 'zod';

/**
 * The storage bounds of a deployment: how long each kind of Redis key is kept (`retention:`),
 * how much may wait in one conversation's inbox (`inbox:`), and how many escalations are posted
 * one by one to a review channel before the rest are folded into one summary message
 * (`reviewNotifications:`). docs/data-model.md lists every key with the setting that bounds it;
 * docs/security.md explains the choices.
 */

const seconds = z.coerce.number().int().positive();
const count = z.coerce.number().int().positive();
const DAY = 24 * 3600;

export const RETENTION_DEFAULTS = {
  conversationSeconds: 30 * DAY,
  turnSeconds: 7 * DAY,
  reviewedTurnSeconds: 90 * DAY,
  auditSeconds: 30 * DAY,
  auditMaxEntries: 1_000_000,
  reviewAuditSeconds: 400 * DAY,
  reviewAuditMaxEntries: 10_000_000,
  queueEventsMaxEntries: 10_000,
} as const;

/** `retention:` how long keys live once nothing needs them any more. */
export const retentionSchema = z
  .strictObject({
    /**
     * A conversation's state and history, and every adapter key stored without its own expiry
     * (the web transcript, for one), after the conversation's last activity. Never while a turn
     * of it is open or it is held for a human.
     */
    conversationSeconds: seconds.default(RETENTION_DEFAULTS.conversationSeconds),
    /** A closed turn that no human reviewed, and every sent outbox record, after it closed or was sent. */
    turnSeconds: seconds.default(RETENTION_DEFAULTS.turnSeconds),
    /**
     * A turn a human resolved (and its entry in the resolved-review index), after it closed. An
     * escalated turn waiting for a decision never expires.
     */
    reviewedTurnSeconds: seconds.default(RETENTION_DEFAULTS.reviewedTurnSeconds),
    /** Entries of the audit log of verdicts, rule decisions, escalations and posts. */
    auditSeconds: seconds.default(RETENTION_DEFAULTS.auditSeconds),
    /** And at most about this many of them (the oldest go first). */
    auditMaxEntries: count.default(RETENTION_DEFAULTS.auditMaxEntries),
    /** Entries of the reviewers' decision log (its own stream: traffic cannot push them out). */
    reviewAuditSeconds: seconds.default(RETENTION_DEFAULTS.reviewAuditSeconds),
    /** And at most about this many of them. */
    reviewAuditMaxEntries: count.default(RETENTION_DEFAULTS.reviewAuditMaxEntries),
    /** About how many entries the job queue's event stream keeps (BullMQ's; nothing reads it). */
    queueEventsMaxEntries: count.default(RETENTION_DEFAULTS.queueEventsMaxEntries),
  })
  .default(RETENTION_DEFAULTS);

export const INBOX_DEFAULTS = { maxMessages: 100, maxBytes: 256 * 1024 } as const;

/**
 * `inbox:` what may wait in one conversation's inbox (for the next turn, or for a human while
 * the conversation is held). Past either bound a message is refused: the web chat answers 429,
 * Slack and Discord messages are dropped, logged and counted (they cannot be refused).
 */
export const inboxSchema = z
  .strictObject({
    /** Messages waiting in one conversation. */
    maxMessages: z.coerce.number().int().min(1).default(INBOX_DEFAULTS.maxMessages),
    /** Bytes of the waiting messages (as stored, JSON). A message arriving at an empty inbox is always taken. */
    maxBytes: z.coerce.number().int().min(1024).default(INBOX_DEFAULTS.maxBytes),
  })
  .default(INBOX_DEFAULTS);

export const REVIEW_NOTIFICATION_DEFAULTS = {
  windowSeconds: 600,
  perPlatform: 20,
  perConversation: 2,
  perUser: 3,
  perRule: 10,
  summaryUpdateSeconds: 10,
} as const;

const limit = z.coerce.number().int().min(0);

/**
 * `reviewNotifications:` how escalations reach the Slack and Discord review channels. An
 * escalation is posted on its own while every limit that applies to it has room; each limit
 * counts the escalations posted in the last window and not decided yet (a decision frees its
 * place). Past any of them it is folded into one summary message per channel ("14 more
 * waiting", with the dashboard's address), which is edited as more come instead of posting
 * again. Every escalated turn reaches the review queue (dashboard, API) whatever happens here.
 * `0` lifts a limit.
 */
export const reviewNotificationsSchema = z
  .strictObject({
    /** The window every limit below counts in (escalations posted longer ago no longer count). */
    windowSeconds: seconds.default(REVIEW_NOTIFICATION_DEFAULTS.windowSeconds),
    /** Escalations posted one by one and undecided, per review channel (platform). */
    perPlatform: limit.default(REVIEW_NOTIFICATION_DEFAULTS.perPlatform),
    /** ... from one conversation. */
    perConversation: limit.default(REVIEW_NOTIFICATION_DEFAULTS.perConversation),
    /** ... from one platform user (on the web chat, the name the client sends: no real bound there). */
    perUser: limit.default(REVIEW_NOTIFICATION_DEFAULTS.perUser),
    /** ... escalated by one rule or check, or for one reason (`critic`, `critic-failure`, ...). */
    perRule: limit.default(REVIEW_NOTIFICATION_DEFAULTS.perRule),
    /** Least time between two edits of a summary message (the last change is always shown). */
    summaryUpdateSeconds: z.coerce.number().int().min(1).default(REVIEW_NOTIFICATION_DEFAULTS.summaryUpdateSeconds),
    /** The dashboard's public address, linked from the summary, e.g. `https://bot.example.com/review`. */
    dashboardUrl: z.url().optional(),
  })
  .default(REVIEW_NOTIFICATION_DEFAULTS);

export type RetentionConfig = z.infer<typeof retentionSchema>;
export type InboxConfig = z.infer<typeof inboxSchema>;
export type ReviewNotificationsConfig = z.infer<typeof reviewNotificationsSchema>;

/** Environment variables of these sections and the config path each one sets. */
export const storageEnvironment = {
  RETENTION_CONVERSATION_SECONDS: 'retention.conversationSeconds',
  RETENTION_TURN_SECONDS: 'retention.turnSeconds',
  RETENTION_REVIEWED_TURN_SECONDS: 'retention.reviewedTurnSeconds',
  RETENTION_AUDIT_SECONDS: 'retention.auditSeconds',
  RETENTION_REVIEW_AUDIT_SECONDS: 'retention.reviewAuditSeconds',
  INBOX_MAX_MESSAGES: 'inbox.maxMessages',
  INBOX_MAX_BYTES: 'inbox.maxBytes',
  REVIEW_NOTIFY_WINDOW_SECONDS: 'reviewNotifications.windowSeconds',
  REVIEW_NOTIFY_PER_PLATFORM: 'reviewNotifications.perPlatform',
  REVIEW_NOTIFY_PER_CONVERSATION: 'reviewNotifications.perConversation',
  REVIEW_NOTIFY_PER_USER: 'reviewNotifications.perUser',
  REVIEW_NOTIFY_PER_RULE: 'reviewNotifications.perRule',
  REVIEW_DASHBOARD_URL: 'reviewNotifications.dashboardUrl',
} as const;
