import { z } from 'zod';

/** The `slack:` section of countersign.yaml. Owned by the Slack adapter (adapters/slack). */
export const slackSchema = z
  .strictObject({
    botToken: z.string().min(1).optional(),
    signingSecret: z.string().min(1).optional(),
    appToken: z.string().min(1).optional(),
    apiUrl: z.url().optional(),
    reviewChannel: z.string().min(1).optional(),
    reviewers: z.array(z.string().min(1)).default([]),
    reviewerGroup: z.string().min(1).optional(),
    ignoreBots: z.boolean().default(true),
  })
  .default({ reviewers: [], ignoreBots: true });

export type SlackConfig = z.infer<typeof slackSchema>;

/** Environment variables of the Slack adapter and the config path each one sets. */
export const slackEnvironment = {
  SLACK_BOT_TOKEN: 'slack.botToken',
  SLACK_SIGNING_SECRET: 'slack.signingSecret',
  SLACK_APP_TOKEN: 'slack.appToken',
  SLACK_API_URL: 'slack.apiUrl',
  SLACK_REVIEW_CHANNEL: 'slack.reviewChannel',
  SLACK_REVIEWERS: 'slack.reviewers',
  SLACK_REVIEWER_GROUP: 'slack.reviewerGroup',
} as const;
