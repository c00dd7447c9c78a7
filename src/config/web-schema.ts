import { z } from 'zod';

/** Requests per minute; 0 lifts the limit. */
const perMinute = z.coerce.number().int().min(0, 'must be 0 (no limit) or more').max(1_000_000);

/** `on`/`off` (YAML), `true`/`false` (YAML or environment). */
const onOff = z
  .preprocess((value) => (typeof value === 'boolean' ? String(value) : value), z.enum(['on', 'off', 'true', 'false'], { error: 'must be on or off' }))
  .transform((value) => value === 'on' || value === 'true');

/**
 * The `web:` section of countersign.yaml: the web chat's protection. Owned by the web adapter
 * (adapters/web), which holds the defaults, as the Slack and Discord sections do;
 * docs/security.md explains each setting.
 */
export const webSchema = z
  .strictObject({
    /**
     * Conversation tokens (X-Conversation-Token): only the client that started a conversation
     * reads it or posts into it. `off` opens every conversation to anyone who knows its id.
     * @defaultValue on
     */
    conversationTokens: onOff.optional(),
    /**
     * Show under each reply of the chat page who countersigned it (critic approved, edited,
     * redrafted; human reviewer; operator text), the critic's reason and, collapsed, the drafts
     * the user never received; stored with the transcript (docs/web-chat.md). Made for demos:
     * it shows users what the critic kept from them. `npm run demo` turns it on.
     * @defaultValue off
     */
    showReview: onOff.optional(),
    /** Transcript entries kept per conversation; older ones are trimmed as new ones arrive. @defaultValue 500 */
    transcriptKeep: z.coerce.number().int().min(1).max(100_000).optional(),
    /** Transcript entries a GET answers without `limit`. @defaultValue 50 */
    pageSize: z.coerce.number().int().min(1).max(10_000).optional(),
    /** The largest `limit` a GET may ask for. @defaultValue 200 */
    maxPageSize: z.coerce.number().int().min(1).max(10_000).optional(),
    limits: z
      .strictObject({
        /** Per client: its address (or the key of the operator's authenticate hook). */
        perClient: z
          .strictObject({
            /** @defaultValue 20 */
            messagesPerMinute: perMinute.optional(),
            /** @defaultValue 10 */
            conversationsPerMinute: perMinute.optional(),
          })
          .optional(),
        /** All clients together. */
        global: z
          .strictObject({
            /** @defaultValue 600 */
            messagesPerMinute: perMinute.optional(),
            /** @defaultValue 120 */
            conversationsPerMinute: perMinute.optional(),
          })
          .optional(),
      })
      .optional(),
  })
  .superRefine((web, context) => {
    if (web.pageSize !== undefined && web.maxPageSize !== undefined && web.pageSize > web.maxPageSize) {
      context.addIssue({ code: 'custom', path: ['pageSize'], message: `must not exceed maxPageSize (${web.maxPageSize})` });
    }
  })
  .default({});

export type WebConfig = z.output<typeof webSchema>;

/** Environment variables of the web chat and the config path each one sets. */
export const webEnvironment = {
  WEB_MESSAGES_PER_MINUTE: 'web.limits.perClient.messagesPerMinute',
  WEB_CONVERSATIONS_PER_MINUTE: 'web.limits.perClient.conversationsPerMinute',
  WEB_GLOBAL_MESSAGES_PER_MINUTE: 'web.limits.global.messagesPerMinute',
  WEB_GLOBAL_CONVERSATIONS_PER_MINUTE: 'web.limits.global.conversationsPerMinute',
  WEB_CONVERSATION_TOKENS: 'web.conversationTokens',
  WEB_TRANSCRIPT_KEEP: 'web.transcriptKeep',
  WEB_SHOW_REVIEW: 'web.showReview',
} as const;
