/**
 * The storage and review-flood figures of the security review, measured against one in-process
 * service (web and Slack adapters, the fake Slack, scripted models, the real Redis under a
 * random prefix, deleted at the end). Prints one JSON document.
 *
 *   npx tsx bench/storage-figures.ts
 *
 *   transcript   1,050 messages into one web conversation: transcript entries stored in Redis
 *                against entries the chat API shows, and the transcript key's TTL
 *   reviewFlood  100 escalations at once: posts to the Slack review channel, the summary's text,
 *                and the turns in the review queue
 *   heldInbox    a held conversation flooded with 600 messages of 15,000 characters: HTTP
 *                statuses, messages and bytes (MEMORY USAGE) of its inbox
 *   keys         after all of it (half the escalations resolved): every key under the prefix,
 *                grouped by pattern, with and without a TTL
 *
 * It uses only the public surfaces (HTTP, environment, Redis keys), so the same file measures
 * an older checkout of the code as well.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load-config.js';
import { startModelServer } from '../src/demo/model-server.js';
import { createCountersign } from '../src/main.js';
import { startFakeSlack } from '../test/fakes/fake-slack.js';
import { inParallel } from '../test/helpers/in-parallel.js';
import { conversationHeaders } from '../test/helpers/pipeline.js';
import { deletePrefix, scanPrefix } from '../test/helpers/redis.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REVIEW_TOKEN = 'figures-review-token';
const REVIEW_CHANNEL = 'C0REVIEW';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 300_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const prefix = `cs-figures-${randomBytes(4).toString('hex')}`;
const redis = new Redis(REDIS_URL);
const lastUser = (messages: Array<{ role: string; content: string }>) => messages.filter((message) => message.role === 'user').at(-1)?.content ?? '';
const actor = await startModelServer({ script: (request) => ({ content: `reply: ${lastUser(request.messages).slice(-60)}` }) });
const critic = await startModelServer({
  script: (request) => {
    const escalate = /ESCALATE/.test(lastUser(request.messages));
    const decision = escalate ? 'escalate' : 'approve';
    return { content: JSON.stringify({ decision, reason: `scripted ${decision}`, categories: [], confidence: 0.9, revised_text: null, feedback: null }) };
  },
});
const slack = await startFakeSlack();
const env: Record<string, string> = {
  PORT: '0',
  REDIS_URL,
  REDIS_PREFIX: prefix,
  ADAPTERS: 'web,slack',
  OPENAI_BASE_URL: actor.url,
  OPENAI_API_KEY: 'figures',
  CRITIC_BASE_URL: critic.url,
  REVIEW_TOKEN,
  HOLDING_MESSAGE: 'HOLDING',
  LOG_LEVEL: 'silent',
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_API_URL: slack.apiUrl,
  SLACK_SIGNING_SECRET: slack.signingSecret,
  SLACK_REVIEW_CHANNEL: REVIEW_CHANNEL,
  SLACK_REVIEWERS: 'U0REVIEWER',
  // Limits of other parts of the service that would stop this load before storage sees it.
  WEB_MESSAGES_PER_MINUTE: '0',
  WEB_CONVERSATIONS_PER_MINUTE: '0',
  WEB_GLOBAL_MESSAGES_PER_MINUTE: '0',
  WEB_GLOBAL_CONVERSATIONS_PER_MINUTE: '0',
  MODEL_CALLS_PER_CONVERSATION: '0',
  MODEL_CALLS_GLOBAL: '0',
};
const config = loadConfig({ file: '/nonexistent-countersign.yaml', env });
config.shutdownTimeoutMs = 2000;
const service = createCountersign({ config });
await service.start();
const url = service.url;

async function post(conversation: string, text: string): Promise<number> {
  const response = await fetch(`${url}/api/chat/${conversation}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...conversationHeaders(conversation) },
    body: JSON.stringify({ text, user: 'tester' }),
  });
  await response.body?.cancel();
  return response.status;
}
async function shown(conversation: string): Promise<number> {
  const response = await fetch(`${url}/api/chat/${conversation}/messages`, { headers: conversationHeaders(conversation) });
  return ((await response.json()) as { messages: unknown[] }).messages.length;
}
async function review(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${REVIEW_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return (await response.json()) as Record<string, unknown>;
}
async function pendingTurns(): Promise<Array<{ id: string; conversation: string }>> {
  return ((await review('GET', '/api/review/turns?status=pending')).turns ?? []) as Array<{ id: string; conversation: string }>;
}
/** Nothing queued, running or waiting in any web conversation that is not held. */
async function settled(): Promise<boolean> {
  const jobs = await Promise.all(['wait', 'active', 'delayed', 'prioritized'].map((list) => redis.exists(`${prefix}:conversations:${list}`)));
  return jobs.every((exists) => exists === 0);
}

const figures: Record<string, unknown> = { prefix };

// ---- transcript entries stored vs shown ----
const transcriptStatuses = await inParallel(1050, 20, (index) => post('figures-transcript', `message ${index}`));
await waitFor(settled, 'the transcript conversation to settle');
await sleep(500);
const transcriptKey = `${prefix}:adapter:web:transcript:figures-transcript`;
figures.transcript = {
  posted: transcriptStatuses.length,
  accepted: transcriptStatuses.filter((status) => status === 202).length,
  stored: await redis.llen(transcriptKey),
  shown: await shown('figures-transcript'),
  ttlSeconds: await redis.ttl(transcriptKey),
};

// ---- 100 escalations at once: posts to the review channel ----
const reviewPosts = () => slack.botPosts({ channel: REVIEW_CHANNEL });
const floodStarted = Date.now();
await Promise.all(Array.from({ length: 100 }, (_, index) => post(`figures-flood-${index}`, `ESCALATE flood ${index}`)));
await waitFor(async () => (await pendingTurns()).filter((turn) => turn.conversation.startsWith('web:figures-flood-')).length === 100, '100 escalated turns');
await waitFor(settled, 'the flood to settle');
// Let trailing notification updates land (the summary is edited at most every 10 s by default):
// wait until no Slack call for 15 s.
let calls = slack.calls.length;
for (let quiet = 0; quiet < 150; ) {
  await sleep(100);
  quiet = slack.calls.length === calls ? quiet + 1 : 0;
  calls = slack.calls.length;
}
const posts = reviewPosts();
const summary = posts.find((message) => /more/i.test(message.text) && !/Reply waiting for review \(turn/.test(message.text));
figures.reviewFlood = {
  escalations: 100,
  seconds: Math.round((Date.now() - floodStarted) / 100) / 10,
  inReviewQueue: (await pendingTurns()).filter((turn) => turn.conversation.startsWith('web:figures-flood-')).length,
  reviewChannelPosts: posts.length,
  individualPosts: posts.filter((message) => /Reply waiting for review \(turn/.test(message.text)).length,
  summary: summary?.text ?? null,
  chatUpdates: slack.calls.filter((call) => call.method === 'chat.update').length,
  rateLimited: slack.calls.filter((call) => call.status === 429).length,
};

// ---- a held conversation flooded ----
await post('figures-held', 'ESCALATE hold this conversation');
await waitFor(async () => (await pendingTurns()).some((turn) => turn.conversation === 'web:figures-held'), 'the held turn');
await waitFor(settled, 'the held conversation to settle');
const big = 'x'.repeat(14_990);
const floodStatuses = await inParallel(600, 20, (index) => post('figures-held', `${String(index).padStart(5, '0')} ${big}`));
const inboxKey = `${prefix}:conv:web:figures-held:inbox`;
const statusCounts: Record<string, number> = {};
for (const status of floodStatuses) statusCounts[status] = (statusCounts[status] ?? 0) + 1;
figures.heldInbox = {
  posted: floodStatuses.length,
  characters: 15_000,
  statuses: statusCounts,
  inboxMessages: await redis.llen(inboxKey),
  inboxBytes: Number(await redis.call('MEMORY', 'USAGE', inboxKey, 'SAMPLES', '0')),
};

// ---- keys with and without a TTL ----
const flood = (await pendingTurns()).filter((turn) => turn.conversation.startsWith('web:figures-flood-'));
for (const turn of flood.slice(0, 50)) await review('POST', `/api/review/turns/${turn.id}/approve`, {});
await waitFor(settled, 'the resolved turns to be delivered');
await sleep(1000);
const groups = new Map<string, { keys: number; withoutTtl: number; bytes: number }>();
for await (const batch of scanPrefix(redis, prefix)) {
  for (const key of batch) {
    const pattern = key
      .slice(prefix.length + 1)
      .replace(/figures-[a-z]+(-\d+)?/g, '{conversation}')
      .replace(/:[0-9a-z]{13,}(:holding)?(?=$|:)/g, ':{turn}$1')
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{uuid}')
      .replace(/:\d+$/g, ':{n}');
    const group = groups.get(pattern) ?? { keys: 0, withoutTtl: 0, bytes: 0 };
    group.keys += 1;
    if ((await redis.ttl(key)) === -1) group.withoutTtl += 1;
    group.bytes += Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
    groups.set(pattern, group);
  }
}
const sorted = [...groups.entries()].sort((a, b) => b[1].keys - a[1].keys);
figures.keys = {
  total: sorted.reduce((sum, [, group]) => sum + group.keys, 0),
  withoutTtl: sorted.reduce((sum, [, group]) => sum + group.withoutTtl, 0),
  byPattern: Object.fromEntries(sorted),
};

console.log(JSON.stringify(figures, null, 2));
await service.stop();
await actor.close();
await critic.close();
await slack.close();
await deletePrefix(redis, prefix);
await redis.quit();
process.exit(0);
