/**
 * Scenario 4, platform faults: the web adapter cannot fail at send, so this runs on the Slack and
 * Discord fakes, with a fault proxy in front of their APIs. A share of the posts is answered 429
 * with Retry-After, a share 5xx, and a share is carried out by the platform and then its response
 * dropped (the worst case: the post exists, the service does not know). No reply may be posted
 * twice, none lost, and replies come in order.
 */
import { describe, expect, it } from 'vitest';
import { type FakeDiscord, type FakeUser, fakeSnowflake, startFakeDiscord } from '../fakes/fake-discord.js';
import { type FakeSlack, startFakeSlack } from '../fakes/fake-slack.js';
import { answeredIn, checkAnswered, cleanupAfterAll, type FaultProxy, type ProxyFault, random, type ReplyTally, randomInt, report, reseed, sleep, startFaultProxy, startLoggedService, TALLY_ENV, tallyScripts, waitForProgress } from './harness.js';

reseed('platform-faults');

const CONVERSATIONS = 12;
const MESSAGES = 4;
/** Each of the three faults hits this share of the posts. */
const RATE = 0.1;

const cleanups = cleanupAfterAll();

interface Outcome extends ReplyTally {
  platform: string;
  faults: Record<string, number>;
  posts: number;
  recoveries: number;
  retriedJobs: number;
}

function startService(env: Record<string, string>, approved: Set<string>) {
  return startLoggedService(cleanups, { env: { ...env, LOG_LEVEL: 'info', ...TALLY_ENV }, ...tallyScripts(approved, () => randomInt(5, 40)) });
}

function faultCounter(proxy: FaultProxy, isPost: (path: string, method: string) => boolean) {
  const counts: Record<string, number> = {};
  for (const entry of proxy.log) {
    if (!isPost(entry.path, entry.method)) continue;
    counts[entry.fault] = (counts[entry.fault] ?? 0) + 1;
  }
  return counts;
}

async function runSlack(): Promise<Outcome> {
  const slack: FakeSlack = await startFakeSlack();
  cleanups.push(() => slack.close());
  const isPost = (path: string) => path.endsWith('/chat.postMessage');
  const proxy = await startFaultProxy(new URL(slack.apiUrl).origin, (request): ProxyFault | null => {
    if (!isPost(request.path)) return null;
    const roll = random();
    if (roll < RATE) return { kind: 'answer', status: 429, headers: { 'retry-after': '1' }, body: JSON.stringify({ ok: false, error: 'ratelimited' }) };
    if (roll < 2 * RATE) return { kind: 'answer', status: randomInt(0, 1) ? 500 : 503, body: JSON.stringify({ ok: false, error: 'internal_error' }) };
    if (roll < 3 * RATE) return { kind: 'drop-response' };
    return null;
  });
  cleanups.push(() => proxy.close());
  const approved = new Set<string>();
  const { pipeline, service, sink } = await startService(
    {
      ADAPTERS: 'slack',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_API_URL: `${proxy.url}${new URL(slack.apiUrl).pathname}`,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_REVIEW_CHANNEL: 'C0REVIEW',
      SLACK_REVIEWERS: 'U0REVIEWER',
      SLACK_REQUEST_TIMEOUT_MS: '2000',
    },
    approved,
  );
  const target = { url: `${service.url}/slack/events` };
  const threads: string[] = [];
  await Promise.all(
    Array.from({ length: CONVERSATIONS }, async (_, index) => {
      for (let message = 1; message <= MESSAGES; message++) {
        const { message: stored, mention } = slack.userMessage({
          channel: 'C0GENERAL',
          user: `U0USER${index}`,
          text: `<@${slack.botUserId}> c${index}-m${message}`,
          mention: true,
          ...(threads[index] ? { threadTs: threads[index] } : {}),
        });
        threads[index] ??= String(stored.ts);
        expect((await slack.sendEvent(target, slack.envelope(mention!))).status).toBe(200);
        await sleep(randomInt(300, 1200));
      }
    }),
  );
  const repliesOf = (index: number) => slack.botPosts({ channel: 'C0GENERAL', threadTs: threads[index]! }).map((post) => post.text);
  for (let index = 0; index < CONVERSATIONS; index++) {
    await waitForProgress(() => repliesOf(index).flatMap(answeredIn).includes(MESSAGES), () => [proxy.log.length, pipeline.actor.calls.length], `Slack thread ${index} to be answered`, { stallMs: 90_000, intervalMs: 100 });
  }
  await pipeline.waitIdle();
  await sleep(1500);
  return summarize('slack', CONVERSATIONS, repliesOf, approved, faultCounter(proxy, isPost), slack.botPosts().length, sink.lines);
}

async function runDiscord(): Promise<Outcome> {
  const discord: FakeDiscord = await startFakeDiscord({ heartbeatIntervalMs: 2000 });
  cleanups.push(() => discord.close());
  const guild = '110000000000000009';
  discord.addGuild({ id: guild, channels: [{ id: '220000000000000009', type: 0, name: 'review' }] });
  const isPost = (path: string, method: string) => method === 'POST' && /\/channels\/\d+\/messages$/.test(path);
  const proxy = await startFaultProxy(discord.url, (request): ProxyFault | null => {
    if (!isPost(request.path.split('?')[0]!, request.method)) return null;
    const roll = random();
    if (roll < RATE) {
      const retry = 0.5;
      return {
        kind: 'answer',
        status: 429,
        headers: { 'retry-after': '1', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': String(retry), 'x-ratelimit-scope': 'user', 'x-ratelimit-bucket': 'fault-proxy' },
        body: JSON.stringify({ message: 'You are being rate limited.', retry_after: retry, global: false }),
      };
    }
    if (roll < 2 * RATE) return { kind: 'answer', status: randomInt(0, 1) ? 500 : 502, body: JSON.stringify({ message: '500: Internal Server Error', code: 0 }) };
    if (roll < 3 * RATE) return { kind: 'drop-response' };
    return null;
  });
  cleanups.push(() => proxy.close());
  const approved = new Set<string>();
  const { pipeline, sink } = await startService(
    {
      ADAPTERS: 'discord',
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_URL: `${proxy.url}/api`,
      DISCORD_REVIEW_CHANNEL: '220000000000000009',
      DISCORD_REQUEST_TIMEOUT_MS: '2000',
    },
    approved,
  );
  const users: FakeUser[] = Array.from({ length: CONVERSATIONS }, (_, index) => ({ id: fakeSnowflake(), username: `user${index}` }));
  const channels = users.map((user) => discord.dmChannel(user));
  await Promise.all(
    users.map(async (user, index) => {
      for (let message = 1; message <= MESSAGES; message++) {
        discord.userMessage({ channelId: channels[index]!.id, author: user, content: `c${index}-m${message}` });
        await sleep(randomInt(300, 1200));
      }
    }),
  );
  const repliesOf = (index: number) =>
    discord
      .messagesIn(channels[index]!.id)
      .filter((message) => message.author.id === discord.botUser.id)
      .map((message) => message.content);
  for (let index = 0; index < CONVERSATIONS; index++) {
    await waitForProgress(() => repliesOf(index).flatMap(answeredIn).includes(MESSAGES), () => [proxy.log.length, pipeline.actor.calls.length], `Discord DM ${index} to be answered`, { stallMs: 90_000, intervalMs: 100 });
  }
  await pipeline.waitIdle();
  await sleep(1500);
  const posts = discord.messages.filter((message) => message.author.id === discord.botUser.id).length;
  return summarize('discord', CONVERSATIONS, repliesOf, approved, faultCounter(proxy, isPost), posts, sink.lines);
}

function summarize(
  platform: string,
  conversations: number,
  repliesOf: (index: number) => string[],
  approved: Set<string>,
  faults: Record<string, number>,
  posts: number,
  lines: Array<Record<string, unknown>>,
): Outcome {
  const outcome: Outcome = { platform, replies: 0, duplicates: 0, lost: 0, disorder: 0, unreviewed: 0, problems: [], faults, posts, recoveries: 0, retriedJobs: 0 };
  for (let index = 0; index < conversations; index++) {
    const replies = repliesOf(index);
    outcome.replies += replies.length;
    outcome.unreviewed += replies.filter((text) => !approved.has(text)).length;
    const checked = checkAnswered(`${platform} ${index}`, replies, MESSAGES);
    outcome.duplicates += checked.duplicates;
    outcome.lost += checked.lost;
    outcome.disorder += checked.disorder;
    outcome.problems.push(...checked.problems);
  }
  outcome.recoveries = lines.filter((line) => line.msg === 'recovery found parts already posted; not posted again').length;
  outcome.retriedJobs = lines.filter((line) => line.msg === 'conversation job failed').length;
  return outcome;
}

describe('platform faults', () => {
  it('429, 5xx and lost responses on Slack and Discord posts: no duplicate reply, none lost', async () => {
    const started = Date.now();
    const slack = await runSlack();
    const discord = await runDiscord();
    const both = [slack, discord];
    report({
      scenario: 'platform-faults',
      load: `${CONVERSATIONS} Slack threads and ${CONVERSATIONS} Discord DMs x ${MESSAGES} messages, 1 in-process service each`,
      faults: `on ${RATE * 100}% of posts each: 429 with Retry-After, 5xx, and a post the platform made whose response was dropped`,
      messagesIn: 2 * CONVERSATIONS * MESSAGES,
      repliesOut: slack.replies + discord.replies,
      duplicates: slack.duplicates + discord.duplicates,
      lost: slack.lost + discord.lost,
      unreviewedPosts: slack.unreviewed + discord.unreviewed,
      details: {
        seconds: Math.round((Date.now() - started) / 1000),
        ...Object.fromEntries(
          both.map((run) => [
            run.platform,
            `post requests by fault ${JSON.stringify(run.faults)}; ${run.posts} bot messages on the platform for ${run.replies} replies; ${run.recoveries} recoveries found the post already made; ${run.retriedJobs} job retries`,
          ]),
        ),
      },
    });
    for (const run of both) {
      expect(run.problems).toEqual([]);
      expect({ duplicates: run.duplicates, lost: run.lost, disorder: run.disorder, unreviewed: run.unreviewed }).toEqual({ duplicates: 0, lost: 0, disorder: 0, unreviewed: 0 });
      // Every bot message on the platform is one of the replies: nothing extra was posted.
      expect(run.posts).toBe(run.replies);
      expect(run.faults['drop-response'] ?? 0).toBeGreaterThan(0);
    }
  });
});
