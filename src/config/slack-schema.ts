import { z } from 'zod';

/** The `slack:` section of countersign.yaml. Owned by the Slack adapter (adapters/slack). */
export const slackSchema = z
  .strictObject({
    /** Bot token (`xoxb-...`). Required when `adapters` includes `slack`. */
    botToken: z.string().min(1).optional(),
    /** Signing secret of the HTTP Events API (endpoint `POST /slack/events`). */
    signingSecret: z.string().min(1).optional(),
    /** App-level token (`xapp-...`, scope `connections:write`): Socket Mode instead of HTTP. */
    appToken: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-...)').optional(),
    /** Web API base URL (a local fake in tests). @defaultValue 'https://slack.com/api/' */
    apiUrl: z.url().default('https://slack.com/api/'),
    /** Channel id where escalated turns are posted for review. */
    reviewChannel: z.string().min(1).optional(),
    /** Slack user ids who may approve, edit and reject in Slack. */
    reviewers: z.array(z.string().min(1)).default([]),
    /** A user group id (`S...`) whose members may review. */
    reviewerGroup: z.string().min(1).optional(),
    /** Ignore messages of other bots and apps. */
    ignoreBots: z
      .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
      .default(true),
    /** Reaction shown on the user's message while a turn is worked on; `none` disables it. @defaultValue 'eyes' */
    workingReaction: z.string().regex(/^[a-z0-9_+'-]+$/, 'a reaction name without colons, e.g. eyes').default('eyes'),
    /** One Web API call's time limit in milliseconds; past it the post's outcome is unknown and recovery looks for it. @defaultValue 10000 */
    requestTimeoutMs: z.coerce.number().int().min(100).default(10_000),
  })
  .prefault({});

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
  SLACK_IGNORE_BOTS: 'slack.ignoreBots',
  SLACK_WORKING_REACTION: 'slack.workingReaction',
  SLACK_REQUEST_TIMEOUT_MS: 'slack.requestTimeoutMs',
} as const;
