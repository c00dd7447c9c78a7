/**
 * Review notifications through the whole service: escalations from the web chat reach the Slack
 * and Discord review channels (the real @slack/bolt WebClient and discord.js against the fakes,
 * which rate-limit like the platforms) within the limits; past them, one summary message per
 * channel, edited as more come and as reviewers decide. Every turn still reaches the review queue.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REVIEW_NOTIFICATION_DEFAULTS } from '../../src/config/storage-schema.js';
import type { ModelScript } from '../../src/demo/model-server.js';
import { type FakeDiscord, startFakeDiscord } from '../fakes/fake-discord.js';
import { type FakeSlack, startFakeSlack } from '../fakes/fake-slack.js';
import { criticInput, type Pipeline, startPipeline, verdict, waitFor } from '../helpers/pipeline.js';
import { slackEnv } from '../helpers/slack-env.js';

const SLACK_REVIEW = 'C0REVIEW';
const GUILD = '110000000000000001';
const DISCORD_REVIEW = '220000000000000002';
const REVIEWER_ROLE = '330000000000000001';

let slack: FakeSlack | undefined;
let discord: FakeDiscord | undefined;
let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  await slack?.close();
  await discord?.close();
  pipeline = slack = discord = undefined;
});

const escalateLawyers: ModelScript = (request) => ({
  content: /lawyer/i.test(criticInput(request).conversation.at(-1)?.text ?? '') ? verdict('escalate', { reason: 'legal threat' }) : verdict('approve'),
});

async function pendingTurns(p: Pipeline): Promise<Array<{ id: string; conversation: string }>> {
  return (await p.reviewApi('GET', '/api/review/turns?status=pending')).body.turns as Array<{ id: string; conversation: string }>;
}

describe('review notifications', () => {
  it('30 escalations at once: 3 posts and one summary per review channel, edited to the right counts', async () => {
    // Slack: chat.postMessage and chat.update limits of its tiers; Discord: 5 per 5 s per channel route.
    slack = await startFakeSlack({ rateLimits: { 'chat.postMessage': { limit: 30, windowMs: 30_000, retryAfterSeconds: 1 }, 'chat.update': { limit: 50, windowMs: 60_000, retryAfterSeconds: 1 } } });
    discord = await startFakeDiscord({ heartbeatIntervalMs: 2000 });
    discord.addGuild({ id: GUILD, roles: [{ id: REVIEWER_ROLE, name: 'reviewers' }], channels: [{ id: DISCORD_REVIEW, type: 0, name: 'review' }] });
    discord.setBucket('POST /channels/:id/messages', 5, 5000);
    discord.setBucket('PATCH /channels/:id/messages/:id', 5, 5000);
    pipeline = await startPipeline({
      critic: escalateLawyers,
      env: {
        ADAPTERS: 'web,slack,discord',
        ...slackEnv(slack, { channel: SLACK_REVIEW }),
        DISCORD_BOT_TOKEN: discord.token,
        DISCORD_API_URL: discord.apiUrl,
        DISCORD_REVIEW_CHANNEL: DISCORD_REVIEW,
        DISCORD_REVIEWER_ROLE: REVIEWER_ROLE,
        REVIEW_NOTIFY_PER_PLATFORM: '3',
        REVIEW_DASHBOARD_URL: 'https://bot.example.com/review',
      },
      configure: (config) => {
        config.reviewNotifications = { ...REVIEW_NOTIFICATION_DEFAULTS, perPlatform: 3, summaryUpdateSeconds: 1, dashboardUrl: 'https://bot.example.com/review' };
      },
    });
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, index) => pipeline!.send(`flood-${index}`, `my lawyer will hear of this (${index})`)));
    expect(statuses.every((answer) => answer.status === 202)).toBe(true);
    await waitFor(async () => (await pendingTurns(pipeline!)).length === 30, 'all 30 turns in the review queue', { timeoutMs: 120_000 });

    const slackReview = () => slack!.botPosts({ channel: SLACK_REVIEW });
    const discordReview = () => discord!.messagesIn(DISCORD_REVIEW).filter((message) => message.author.id === discord!.botUser.id);
    const slackSummary = () => slackReview().find((message) => message.metadata?.event_type === 'countersign_review_summary' || /more replies waiting/.test(message.text));
    const discordSummary = () => discordReview().find((message) => /more replies waiting/.test(message.content));
    const summaryText = (which: 'slack' | 'discord') =>
      which === 'slack' ? JSON.stringify(slackSummary()?.blocks ?? '') : JSON.stringify((discordSummary()?.embeds ?? []) as unknown[]);
    await waitFor(() => /\*27\* more since/.test(summaryText('slack')) && /\*27\* still waiting/.test(summaryText('slack')), 'the Slack summary to show 27', { timeoutMs: 120_000 });
    await waitFor(() => /\*\*27\*\* more since/.test(summaryText('discord')) && /\*\*27\*\* still waiting/.test(summaryText('discord')), 'the Discord summary to show 27', { timeoutMs: 120_000 });
    await pipeline.waitIdle();

    // 3 escalations each, posted on their own with their buttons, and one summary, edited.
    expect(slackReview()).toHaveLength(4);
    expect(slackReview().filter((message) => /Reply waiting for review \(turn/.test(message.text))).toHaveLength(3);
    expect(slackSummary()!.text).toMatch(/^27 more replies waiting for review/);
    expect(summaryText('slack')).toContain('https://bot.example.com/review');
    expect(discordReview()).toHaveLength(4);
    expect(discordSummary()!.content).toBe(`<@&${REVIEWER_ROLE}> 27 more replies waiting for review`);
    expect(discordSummary()!.components).toEqual([]);
    const slackPosts = slack.calls.filter((call) => call.method === 'chat.postMessage' && call.args.channel === SLACK_REVIEW && call.status === 200);
    expect(slackPosts).toHaveLength(4);
    expect(discord.requests.filter((request) => request.method === 'POST' && request.path.endsWith(`/channels/${DISCORD_REVIEW}/messages`) && request.status === 200)).toHaveLength(4);

    // Reviewers decide five turns folded on both platforms (each decides on its own which three
    // it posts) in the dashboard: both summaries catch up.
    const shownInSlack = slackReview().map((message) => String(message.metadata?.event_payload?.turn_id ?? '')).filter(Boolean);
    const shownInDiscord = discordReview().flatMap((message) => (message.embeds as Array<{ footer?: { text?: string } }>).map((embed) => embed.footer?.text?.match(/^turn (\S+)$/)?.[1] ?? '')).filter(Boolean);
    expect(shownInSlack).toHaveLength(3);
    expect(shownInDiscord).toHaveLength(3);
    const shown = new Set([...shownInSlack, ...shownInDiscord]);
    const folded = (await pendingTurns(pipeline)).filter((turn) => !shown.has(turn.id));
    expect(folded.length).toBeGreaterThanOrEqual(24);
    for (const turn of folded.slice(0, 5)) expect((await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/reject`, {})).status).toBe(200);
    await waitFor(() => /\*22\* still waiting/.test(summaryText('slack')), 'the Slack summary to show 22 waiting', { timeoutMs: 60_000 });
    await waitFor(() => /\*\*22\*\* still waiting/.test(summaryText('discord')), 'the Discord summary to show 22 waiting', { timeoutMs: 60_000 });
    expect(slackReview()).toHaveLength(4);
    expect(discordReview()).toHaveLength(4);
    expect((await pendingTurns(pipeline)).length).toBe(25);
  }, 240_000);

  it('one conversation cannot take the channel: past perConversation its escalations fold, others still post', async () => {
    slack = await startFakeSlack();
    pipeline = await startPipeline({
      critic: escalateLawyers,
      env: { ADAPTERS: 'web,slack', ...slackEnv(slack, { channel: SLACK_REVIEW }) },
      configure: (config) => {
        // Not held: every message of the noisy conversation is a turn of its own.
        config.review.holdConversation = false;
        config.reviewNotifications = { ...REVIEW_NOTIFICATION_DEFAULTS, perPlatform: 0, perUser: 0, perRule: 0, perConversation: 2, summaryUpdateSeconds: 1 };
      },
    });
    for (let index = 1; index <= 4; index++) {
      await pipeline.send('noisy', `lawyer ${index}`);
      await waitFor(async () => (await pendingTurns(pipeline!)).length === index, `escalation ${index} of the noisy conversation`);
    }
    await pipeline.send('quiet', 'my lawyer, once');
    await waitFor(async () => (await pendingTurns(pipeline!)).length === 5, 'the quiet escalation');
    await waitFor(() => slack!.botPosts({ channel: SLACK_REVIEW }).some((message) => /^2 more replies waiting/.test(message.text)), 'the summary of the two folded');
    await pipeline.waitIdle();
    const posts = slack.botPosts({ channel: SLACK_REVIEW });
    const individual = posts.filter((message) => /Reply waiting for review \(turn/.test(message.text));
    expect(individual).toHaveLength(3);
    const conversations = individual.map((message) => JSON.stringify(message.blocks).match(/`(noisy|quiet)`/)?.[1]);
    expect(conversations.sort()).toEqual(['noisy', 'noisy', 'quiet']);
    expect(posts).toHaveLength(4);
  });
});
