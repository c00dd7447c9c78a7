import { z } from 'zod';

const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id (17 to 20 digits; enable Developer Mode and use "Copy ID")');

/** The `discord:` section of countersign.yaml. Owned by the Discord adapter (adapters/discord). */
export const discordSchema = z
  .strictObject({
    /** Bot token from the Developer Portal (Bot → Reset Token). Required when `adapters` includes `discord`. */
    botToken: z.string().min(1).optional(),
    /**
     * REST API base URL without the version; the gateway URL follows from its `GET /gateway/bot`.
     * @defaultValue 'https://discord.com/api'
     */
    apiUrl: z.url().default('https://discord.com/api'),
    /** The application id, for `countersign discord invite-url`. */
    applicationId: snowflake.optional(),
    /** Channel id where escalated turns are posted for review with buttons; unset: no review in Discord. */
    reviewChannel: snowflake.optional(),
    /** Role id whose members may approve, edit and reject in Discord. */
    reviewerRole: snowflake.optional(),
    /** User ids who may approve, edit and reject in Discord. */
    reviewers: z.array(snowflake).default([]),
    /** Ignore messages of other bots and webhooks. */
    ignoreBots: z
      .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
      .default(true),
    /** One REST request's time limit in milliseconds; a send past it is retried with the same nonce. @defaultValue 15000 */
    requestTimeoutMs: z.coerce.number().int().min(100).default(15_000),
  })
  .prefault({});

export type DiscordConfig = z.infer<typeof discordSchema>;

/** Environment variables of the Discord adapter and the config path each one sets. */
export const discordEnvironment = {
  DISCORD_BOT_TOKEN: 'discord.botToken',
  DISCORD_API_URL: 'discord.apiUrl',
  DISCORD_APPLICATION_ID: 'discord.applicationId',
  DISCORD_REVIEW_CHANNEL: 'discord.reviewChannel',
  DISCORD_REVIEWER_ROLE: 'discord.reviewerRole',
  DISCORD_REVIEWERS: 'discord.reviewers',
  DISCORD_IGNORE_BOTS: 'discord.ignoreBots',
  DISCORD_REQUEST_TIMEOUT_MS: 'discord.requestTimeoutMs',
} as const;
