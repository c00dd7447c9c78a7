/**
 * Hostile load on the reviewers and on storage, against one service with the web and Slack
 * adapters (the fake Slack rate-limits like Slack) and the shipped default limits:
 *
 * 1. the review flood: 100 anonymous web conversations escalate at once. The Slack review channel
 *    gets a bounded number of posts and one summary with the right count, edited rather than
 *    re-posted; every turn still reaches the review queue.
 * 2. the inbox flood of a held conversation: on the web chat, hundreds of 10,000-15,000-character
 *    messages into a conversation held for a human are refused with 429 past the inbox bounds;
 *    on Slack, which cannot be refused, the messages past the bounds are dropped, logged and
 *    counted; the inbox stays within its bounds and what was kept is answered once the human
 *    decides.
 */
import { describe, expect, it } from 'vitest';
import { INBOX_DEFAULTS, REVIEW_NOTIFICATION_DEFAULTS } from '../../src/config/storage-schema.js';
import type { ModelServerAnswer } from '../../src/demo/model-server.js';
import { type FakeSlack, startFakeSlack } from '../fakes/fake-slack.js';
import { inParallel } from '../helpers/in-parallel.js';
import { conversationHeaders, criticInput, HOLDING, REVIEW_TOKEN, verdict } from '../helpers/pipeline.js';
import { slackEnv } from '../helpers/slack-env.js';
import { cleanupAfterAll, randomInt, report, reseed, sleep, startLoggedService, waitForProgress } from './harness.js';

reseed('hostile-storage');

const REVIEW_CHANNEL = 'C0REVIEW';
const FLOOD = 100;
const cleanups = cleanupAfterAll();

describe('hostile storage', () => {
  it('a review flood and an inbox flood stay bounded, refused or dropped as designed, never silently', async () => {
    const started = Date.now();
    // Slack's tiers: chat.postMessage about one a second per channel (bursts allowed), chat.update ~50 a minute.
    const slack: FakeSlack = await startFakeSlack({
      rateLimits: { 'chat.postMessage': { limit: 60, windowMs: 60_000, retryAfterSeconds: 1 }, 'chat.update': { limit: 50, windowMs: 60_000, retryAfterSeconds: 2 } },
    });
    cleanups.push(() => slack.close());
    const { pipeline, service, sink } = await startLoggedService(cleanups, {
      env: {
        ADAPTERS: 'web,slack',
        ...slackEnv(slack, { channel: REVIEW_CHANNEL }),
        SLACK_REQUEST_TIMEOUT_MS: '5000',
        LOG_LEVEL: 'info',
        // This scenario is about storage and reviewers: the web chat's own rate limits stay out of it.
        WEB_MESSAGES_PER_MINUTE: '0',
        WEB_CONVERSATIONS_PER_MINUTE: '0',
      },
      actor: (request) => ({ content: `noted (${request.messages.filter((message) => message.role === 'user').length} messages)` }),
      critic: (request): ModelServerAnswer => ({
        content: /lawyer/i.test(criticInput(request).conversation.at(-1)?.text ?? '') ? verdict('escalate', { reason: 'legal threat' }) : verdict('approve'),
      }),
    });
    const url = service.url;
    const { redis, keys } = pipeline;
    const findings: string[] = [];
    const review = async (method: 'GET' | 'POST', path: string) =>
      (await (await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${REVIEW_TOKEN}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) }, ...(method === 'POST' ? { body: '{}' } : {}) })).json()) as {
        turns: Array<{ id: string; conversation: string }>;
      };
    const pending = async () => (await review('GET', '/api/review/turns?status=pending')).turns;
    const post = async (conversation: string, text: string) => {
      const response = await fetch(`${url}/api/chat/${conversation}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...conversationHeaders(conversation) }, body: JSON.stringify({ text }) });
      await response.body?.cancel();
      return { status: response.status, retryAfter: response.headers.get('retry-after') };
    };

    // ---- 1. the review flood ----
    const reviewPosts = () => slack.botPosts({ channel: REVIEW_CHANNEL });
    const floodStarted = Date.now();
    const floodStatuses = await Promise.all(Array.from({ length: FLOOD }, (_, index) => post(`review-flood-${index}`, `my lawyer will call you (${index})`)));
    expect(floodStatuses.every((answer) => answer.status === 202)).toBe(true);
    const floodAnswered = Date.now() - floodStarted;
    await waitForProgress(async () => (await pending()).filter((turn) => turn.conversation.startsWith('web:review-flood-')).length === FLOOD, async () => (await pending()).length, `${FLOOD} escalated turns in the review queue`, { stallMs: 90_000 });
    // The shipped limits: the smallest that applies binds. Every one of these is a critic
    // escalation (one rule), from an anonymous web user (one user name, "guest"), each in its own
    // conversation (the per-conversation limit never binds).
    const individualLimit = Math.min(REVIEW_NOTIFICATION_DEFAULTS.perPlatform, REVIEW_NOTIFICATION_DEFAULTS.perRule, REVIEW_NOTIFICATION_DEFAULTS.perUser);
    const summaryOf = () => reviewPosts().find((message) => message.metadata?.event_type === 'countersign_review_summary');
    await waitForProgress(
      () => summaryOf()?.text.startsWith(`${FLOOD - individualLimit} more replies waiting`) && JSON.stringify(summaryOf()?.blocks).includes(`*${FLOOD - individualLimit}* still waiting`),
      () => [reviewPosts().length, slack.calls.length],
      'the review summary to count every folded escalation',
      { stallMs: 90_000 },
    );
    await pipeline.waitIdle();
    const posts = reviewPosts();
    const individual = posts.filter((message) => message.metadata?.event_type === 'countersign_review');
    const chatUpdates = slack.calls.filter((call) => call.method === 'chat.update' && call.status === 200).length;
    const rateLimited = slack.calls.filter((call) => call.status === 429).length;
    expect(individual).toHaveLength(individualLimit);
    expect(posts).toHaveLength(individualLimit + 1);
    expect((await pending()).filter((turn) => turn.conversation.startsWith('web:review-flood-'))).toHaveLength(FLOOD);
    const decisions = await Promise.all(
      (await pending()).filter((turn) => turn.conversation.startsWith('web:review-flood-')).map((turn) => redis.hget(keys.turn(turn.id), 'notice:slack')),
    );
    expect(decisions.filter((decision) => decision === 'post')).toHaveLength(individualLimit);
    findings.push(
      `review flood: ${FLOOD} escalations answered 202 in ${floodAnswered} ms; all ${FLOOD} in the review queue; the Slack review channel got ${posts.length} posts (${individual.length} escalations, 1 summary "${summaryOf()!.text.split(':')[0]}", edited ${chatUpdates} times; ${rateLimited} calls rate-limited)`,
    );

    // ---- 2a. a held web conversation flooded with large messages ----
    expect((await post('held-web', 'my lawyer wants an answer')).status).toBe(202);
    await waitForProgress(async () => (await pending()).some((turn) => turn.conversation === 'web:held-web'), async () => (await pending()).length, 'the web conversation to be held', { stallMs: 60_000 });
    const sizes = Array.from({ length: 400 }, () => randomInt(10_000, 15_000));
    const webStatuses = await inParallel(sizes.length, 20, async (index) => post('held-web', `${String(index).padStart(4, '0')} ${'w'.repeat(sizes[index]!)}`));
    const statusCounts: Record<string, number> = {};
    for (const answer of webStatuses) statusCounts[answer.status] = (statusCounts[answer.status] ?? 0) + 1;
    const webInbox = keys.inbox('web:held-web');
    const webInboxMessages = await redis.llen(webInbox);
    const webInboxBytes = (await redis.lrange(webInbox, 0, -1)).reduce((sum, item) => sum + Buffer.byteLength(item), 0);
    const webInboxMemory = Number(await redis.call('MEMORY', 'USAGE', webInbox, 'SAMPLES', '0'));
    expect(statusCounts['202'] ?? 0).toBe(webInboxMessages);
    expect((statusCounts['202'] ?? 0) + (statusCounts['429'] ?? 0)).toBe(sizes.length);
    expect(webStatuses.filter((answer) => answer.status === 429).every((answer) => answer.retryAfter === '60')).toBe(true);
    expect(webInboxMessages).toBeLessThanOrEqual(INBOX_DEFAULTS.maxMessages);
    expect(webInboxBytes).toBeLessThanOrEqual(INBOX_DEFAULTS.maxBytes);
    findings.push(
      `held web conversation, ${sizes.length} messages of 10,000-15,000 characters: ${JSON.stringify(statusCounts)}; inbox ${webInboxMessages} messages, ${webInboxBytes} bytes stored (MEMORY USAGE ${webInboxMemory}); bounds ${INBOX_DEFAULTS.maxMessages} messages / ${INBOX_DEFAULTS.maxBytes} bytes`,
    );

    // ---- 2b. a held Slack thread flooded (Slack cannot be refused: dropped, logged, counted) ----
    const events = { url: `${url}/slack/events` };
    const opening = slack.userMessage({ channel: 'C0GENERAL', user: 'U0FLOODER', text: `<@${slack.botUserId}> my lawyer is on the line`, mention: true });
    expect((await slack.sendEvent(events, slack.envelope(opening.mention!))).status).toBe(200);
    const threadTs = String(opening.message.ts);
    const slackConversation = `slack:${slack.teamId}:C0GENERAL:${threadTs}`;
    await waitForProgress(async () => (await pending()).some((turn) => turn.conversation === slackConversation), async () => (await pending()).length, 'the Slack thread to be held', { stallMs: 60_000 });
    await waitForProgress(() => slack.botPosts({ channel: 'C0GENERAL', threadTs }).some((message) => message.text === HOLDING), () => slack.calls.length, 'the holding message in the thread', { stallMs: 60_000 });
    const slackFlood = 150;
    const slackSizes = Array.from({ length: slackFlood }, () => randomInt(10_000, 15_000));
    for (let index = 0; index < slackFlood; index++) {
      const message = slack.userMessage({ channel: 'C0GENERAL', user: 'U0FLOODER', threadTs, text: `flood ${index} ${'s'.repeat(slackSizes[index]!)}` });
      expect((await slack.sendEvent(events, slack.envelope(message.message))).status).toBe(200);
    }
    const slackInbox = keys.inbox(slackConversation);
    const kept = await redis.llen(slackInbox);
    const keptBytes = (await redis.lrange(slackInbox, 0, -1)).reduce((sum, item) => sum + Buffer.byteLength(item), 0);
    const dropped = slackFlood - kept;
    expect(kept).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    expect(keptBytes).toBeLessThanOrEqual(INBOX_DEFAULTS.maxBytes);
    expect(Number(await redis.hget(keys.state(slackConversation), 'refused'))).toBe(dropped);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`countersign_inbox_refused_total\\{platform="slack"\\} ${dropped}\\b`));
    const warnings = sink.lines.filter((line) => String(line.msg).startsWith('conversation inbox full') && line.conversation === slackConversation);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatchObject({ platform: 'slack', dropped: true });
    // The human decides: the kept messages are answered in one turn; the dropped ones never.
    const held = (await pending()).find((turn) => turn.conversation === slackConversation)!;
    await review('POST', `/api/review/turns/${held.id}/approve`);
    await waitForProgress(
      () => slack.botPosts({ channel: 'C0GENERAL', threadTs }).some((message) => message.text.startsWith('noted (')) && slack.botPosts({ channel: 'C0GENERAL', threadTs }).length >= 3,
      () => slack.calls.length,
      'the kept Slack messages to be answered',
      { stallMs: 60_000 },
    );
    await pipeline.waitIdle();
    // The turn took every kept message; its request carries the newest that fit the prompt bound
    // (turn.prompt) and says how many older ones it cut.
    const request = pipeline.actorRequests().at(-1)!;
    const shown = request.messages.filter((message) => message.role === 'user' && message.content.startsWith('flood ')).length;
    const cutNote = request.messages.map((message) => /(\d+) earlier messages? of the user in this turn (?:was|were) cut/.exec(String(message.content))).find(Boolean);
    const answered = shown + Number(cutNote?.[1] ?? 0);
    expect(shown).toBeGreaterThan(0);
    expect(answered).toBe(kept);
    findings.push(
      `held Slack thread, ${slackFlood} messages of 10,000-15,000 characters: ${kept} kept (${keptBytes} bytes), ${dropped} dropped, logged (${warnings.length} throttled warning line(s)) and counted (countersign_inbox_refused_total{platform="slack"} ${dropped}); after the decision the ${kept} kept were answered in one turn`,
    );

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const errors = sink.lines.filter((line) => Number(line.level) >= 50).map((line) => String(line.msg));
    await sleep(100);
    report({
      scenario: 'hostile-storage',
      load: `${FLOOD} escalations at once from the web chat; ${sizes.length} large messages into a held web conversation; ${slackFlood} into a held Slack thread (default limits)`,
      faults: 'a review flood; inbox floods of held conversations on a platform that can refuse (web) and one that cannot (Slack)',
      messagesIn: FLOOD + 1 + sizes.length + 1 + slackFlood,
      repliesOut: posts.length,
      duplicates: 0,
      lost: 0,
      unreviewedPosts: 0,
      details: { seconds: Math.round((Date.now() - started) / 1000), findings, 'error log lines': errors.length ? errors.slice(0, 5) : 0 },
    });
    expect(errors).toEqual([]);
  });
});
