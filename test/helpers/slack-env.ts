import type { FakeSlack } from '../fakes/fake-slack.js';

/**
 * The settings that point countersign's Slack adapter at a fake Slack, and its review channel
 * and reviewers when the test reviews in Slack. ADAPTERS is the test's to set.
 */
export function slackEnv(slack: Pick<FakeSlack, 'botToken' | 'apiUrl' | 'signingSecret'>, review?: { channel: string; reviewers?: string }): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    ...(review ? { SLACK_REVIEW_CHANNEL: review.channel, SLACK_REVIEWERS: review.reviewers ?? 'U0REVIEWER' } : {}),
  };
}
