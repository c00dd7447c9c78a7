/**
 * Storage soak: steady traffic for several times the longest retention, and Redis stays flat.
 *
 * Time is compressed by configuring retentions of seconds (a conversation kept 20 s after its
 * last activity instead of 30 days, closed turns 15 s, reviewed turns 30 s, the audit streams
 * 30-40 s), so the plateau that a deployment reaches after its longest retention shows here
 * after about a minute. The load is what a deployment sees: new conversations and returning
 * ones at a steady rate, messages of mixed sizes, a share of them escalated (the Slack review
 * channel is on, with its notification limits) and decided by a reviewer a few seconds later.
 * Every 10 s the scenario counts the keys under its own prefix and sums their MEMORY USAGE (never
 * INFO: the Redis is shared with other tests), prints the samples, and checks that after the
 * warm-up neither the key count nor the bytes keep growing.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { ModelServer } from '../../src/demo/model-server.js';
import { startModelServer } from '../../src/demo/model-server.js';
import { type Countersign, createCountersign } from '../../src/main.js';
import { type FakeSlack, startFakeSlack } from '../fakes/fake-slack.js';
import { census } from '../helpers/key-census.js';
import { conversationHeaders, criticInput, REVIEW_TOKEN, verdict } from '../helpers/pipeline.js';
import { REDIS_URL } from '../helpers/redis.js';
import { chance, cleanupAfterAll, createLogSink, LIFTED_WEB_LIMITS, randomInt, report, reseed, scenarioRedis, sleep } from './harness.js';

reseed('storage-soak');

const RATE_PER_SECOND = 5;
/**
 * Warm up for twice the longest compressed retention, then measure for four times it: long
 * enough for every kind of key to have been written and expired several times over, short
 * enough for CI (the whole fault suite shares a 20-minute budget with the rest of CI).
 */
const WARM_UP_MS = 40_000;
const MEASURE_MS = 80_000;
const SAMPLE_MS = 5_000;
/** The compressed retentions, in seconds (the longest, 20 s, sets the spans above). */
const RETENTION = { conversationSeconds: 20, turnSeconds: 10, reviewedTurnSeconds: 15, auditSeconds: 15, reviewAuditSeconds: 20 };
/** Keys bounded by trimming rather than expiry, and BullMQ's own. */
const INDEXES = new Set(['audit', 'audit:review', 'review:pending', 'review:resolved', 'conversations:pending', 'bullmq']);

const cleanups = cleanupAfterAll();

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(values.length, 1);

interface Sample {
  second: number;
  keys: number;
  bytes: number;
  withoutTtl: number;
  /** Conversations with work not yet done (queued, in a turn, or held for a human): their keys may live without an expiry. */
  pending: number;
  messages: number;
}

describe('storage soak', () => {
  it('Redis memory under the prefix is flat after the warm-up, at a steady rate of traffic', async () => {
    const started = Date.now();
    const { redis, prefix } = scenarioRedis(cleanups, 'soak');
    const actor: ModelServer = await startModelServer({ script: (request) => ({ content: `answer to ${request.messages.filter((message) => message.role === 'user').length} messages` }) });
    const critic: ModelServer = await startModelServer({
      script: (request) => ({ content: /lawyer/.test(criticInput(request).conversation.at(-1)?.text ?? '') ? verdict('escalate', { reason: 'legal' }) : verdict('approve') }),
    });
    const slack: FakeSlack = await startFakeSlack({ rateLimits: { 'chat.postMessage': { limit: 60, windowMs: 60_000 }, 'chat.update': { limit: 50, windowMs: 60_000 } } });
    cleanups.push(() => actor.close(), () => critic.close(), () => slack.close());
    const config = loadConfig({
      file: '/nonexistent-countersign.yaml',
      env: {
        PORT: '0',
        REDIS_URL,
        REDIS_PREFIX: prefix,
        ADAPTERS: 'web,slack',
        OPENAI_BASE_URL: actor.url,
        OPENAI_API_KEY: 'soak',
        CRITIC_BASE_URL: critic.url,
        REVIEW_TOKEN,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_API_URL: slack.apiUrl,
        SLACK_SIGNING_SECRET: slack.signingSecret,
        SLACK_REVIEW_CHANNEL: 'C0REVIEW',
        SLACK_REVIEWERS: 'U0REVIEWER',
        // The web chat's own abuse limits are not what this measures.
        ...LIFTED_WEB_LIMITS,
      },
    });
    config.retention = { ...config.retention, ...RETENTION, queueEventsMaxEntries: 300 };
    config.dedupeTtlSeconds = 20;
    // The model-call budgets' counters live one budget window: compressed like the retentions.
    config.turn.modelCalls = { ...config.turn.modelCalls, windowSeconds: 20 };
    config.reviewNotifications = { ...config.reviewNotifications, windowSeconds: 10, summaryUpdateSeconds: 1 };
    config.shutdownTimeoutMs = 2000;
    const sink = createLogSink('warn');
    const service: Countersign = createCountersign({ config, logger: sink.logger });
    cleanups.push(() => service.stop());
    await service.start();
    const url = service.url;

    // ---- steady traffic: new and returning conversations, some escalated, decided soon ----
    let running = true;
    let sent = 0;
    let refused = 0;
    let conversations = 0;
    const recent: string[] = [];
    const unexpected: number[] = [];
    const traffic = (async () => {
      const interval = 1000 / RATE_PER_SECOND;
      let next = Date.now();
      while (running) {
        const conversation = recent.length < 5 || chance(0.5) ? `soak-${conversations++}` : recent[randomInt(0, recent.length - 1)]!;
        if (!recent.includes(conversation)) {
          recent.push(conversation);
          if (recent.length > 15) recent.shift();
        }
        const text = `${chance(0.1) ? 'my lawyer says ' : ''}message ${sent} ${'x'.repeat(randomInt(20, 2000))}`;
        sent++;
        fetch(`${url}/api/chat/${conversation}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...conversationHeaders(conversation) }, body: JSON.stringify({ text }) })
          .then(async (response) => {
            if (response.status === 429) refused++;
            else if (response.status !== 202) unexpected.push(response.status);
            await response.body?.cancel();
          })
          .catch(() => {});
        next += interval;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();
    let decided = 0;
    const reviewer = (async () => {
      while (running) {
        await sleep(1500);
        try {
          const response = await fetch(`${url}/api/review/turns?status=pending`, { headers: { authorization: `Bearer ${REVIEW_TOKEN}` } });
          const turns = ((await response.json()) as { turns: Array<{ id: string; escalation?: { at: number } }> }).turns;
          for (const turn of turns.filter((item) => Date.now() - (item.escalation?.at ?? 0) > 2000)) {
            const decision = chance(0.7) ? 'approve' : 'reject';
            const answer = await fetch(`${url}/api/review/turns/${turn.id}/${decision}`, { method: 'POST', headers: { authorization: `Bearer ${REVIEW_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
            await answer.body?.cancel();
            if (answer.status === 200) decided++;
          }
        } catch {
          // the next round tries again
        }
      }
    })();

    // ---- sampling ----
    const samples: Sample[] = [];
    const printed: string[] = [];
    for (let at = 0; at <= WARM_UP_MS + MEASURE_MS; at += SAMPLE_MS) {
      await sleep(Math.max(0, started + at - Date.now()));
      const found = await census(redis, prefix);
      const pending = await redis.zcard(`${prefix}:conversations:pending`);
      const sample = { second: Math.round((Date.now() - started) / 1000), keys: found.total, bytes: found.bytes, withoutTtl: found.withoutTtl.filter((item) => !INDEXES.has(item.group)).length, pending, messages: sent };
      samples.push(sample);
      const line = `t=${String(sample.second).padStart(3)}s  messages ${String(sample.messages).padStart(5)}  keys ${String(sample.keys).padStart(5)}  bytes ${String(sample.bytes).padStart(9)}  keys without expiry (beyond indexes) ${sample.withoutTtl} for ${sample.pending} conversations with work pending`;
      printed.push(line);
      console.log(`[soak] ${line}`);
    }
    running = false;
    await Promise.all([traffic, reviewer]);
    const last = await census(redis, prefix);

    // ---- the plateau ----
    const after = samples.filter((sample) => sample.second * 1000 >= WARM_UP_MS);
    const third = Math.max(1, Math.floor(after.length / 3));
    const early = after.slice(0, third);
    const late = after.slice(-third);
    const growth = {
      keys: mean(late.map((sample) => sample.keys)) / mean(early.map((sample) => sample.keys)),
      bytes: mean(late.map((sample) => sample.bytes)) / mean(early.map((sample) => sample.bytes)),
    };
    // What an unbounded store would have grown by over the same span: the messages sent.
    const trafficGrowth = mean(late.map((sample) => sample.messages)) / mean(early.map((sample) => sample.messages));
    const groups = Object.fromEntries(Object.entries(last.groups).sort((a, b) => b[1].bytes - a[1].bytes));
    report({
      scenario: 'storage-soak',
      load: `${sent} messages at ${RATE_PER_SECOND}/s over ${Math.round((Date.now() - started) / 1000)} s: ${conversations} conversations (half new, half returning), ~10% escalated and decided after 2-4 s (${decided} decisions), web + Slack review channel`,
      faults: `retentions compressed to seconds (${JSON.stringify(RETENTION)}, dedupe 20 s, queue events 300)`,
      messagesIn: sent,
      repliesOut: 0,
      duplicates: 0,
      lost: 0,
      unreviewedPosts: 0,
      details: {
        samples: printed,
        'growth after the warm-up (mean of the last third / the first third)': `keys x${growth.keys.toFixed(2)}, bytes x${growth.bytes.toFixed(2)} (messages sent x${trafficGrowth.toFixed(2)})`,
        'keys by group at the end': groups,
        'refused (429)': refused,
        'log lines at warn and above, by message': Object.fromEntries(
          [...sink.lines.reduce((counts, line) => counts.set(String(line.msg), (counts.get(String(line.msg)) ?? 0) + 1), new Map<string, number>())].sort((a, b) => b[1] - a[1]).slice(0, 8),
        ),
      },
    });
    expect(trafficGrowth).toBeGreaterThan(1.5);
    // Every message got in or was refused by a limit: none went missing (a 404 would be).
    expect(unexpected).toEqual([]);
    expect(growth.keys).toBeLessThan(1.2);
    expect(growth.bytes).toBeLessThan(1.2);
    // Nothing but the keys of work still to do (a conversation's state, history and turn until
    // the turn ends or a human decides it) and the trimmed indexes lives without an expiry: a
    // bound per pending conversation, so that a slow machine's longer backlog is not mistaken
    // for a leak, while keys left behind by finished work would still break it. Six a
    // conversation (state, history, inbox, ready, the turn, its outbox record), because the
    // census and the count of pending conversations are not read at the same instant.
    const untilExpiry = after.map((sample) => ({ second: sample.second, withoutTtl: sample.withoutTtl, bound: 6 * sample.pending + 10 }));
    expect(untilExpiry.filter((sample) => sample.withoutTtl > sample.bound)).toEqual([]);
    expect(refused).toBe(0);
    expect(sink.lines.filter((line) => Number(line.level) >= 50).map((line) => line.msg)).toEqual([]);
  });
});
