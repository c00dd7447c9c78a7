import { z } from 'zod';

/** The `discord:` section of countersign.yaml. Owned by the Discord adapter (adapters/discord). */
export const discordSchema = z
  .strictObject({
    botToken: z.string().min(1).optional(),
    apiUrl: z.url().optional(),
    applicationId: z.string().min(1).optional(),
    reviewChannel: z.string().min(1).optional(),
    reviewerRole: z.string().min(1).optional(),
    reviewers: z.array(z.string().min(1)).default([]),
    ignoreBots: z.boolean().default(true),
  })
  .default({ reviewers: [], ignoreBots: true });

export type DiscordConfig = z.infer<typeof discordSchema>;

/** Environment variables of the Discord adapter and the config path each one sets. */
export const discordEnvironment = {
  DISCORD_BOT_TOKEN: 'discord.botToken',
  DISCORD_API_URL: 'discord.apiUrl',
  DISCORD_APPLICATION_ID: 'discord.applicationId',
  DISCORD_REVIEW_CHANNEL: 'discord.reviewChannel',
  DISCORD_REVIEWER_ROLE: 'discord.reviewerRole',
  DISCORD_REVIEWERS: 'discord.reviewers',
} as const;
