/**
 * The review notifier on the real Redis, with recording adapters: limits per channel, per
 * conversation, per user and per rule; one decision per turn however often it is announced;
 * shared by processes; the summary edited at most once per `summaryUpdateSeconds`, always ending
 * on the right counts.
 */
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REVIEW_NOTIFICATION_DEFAULTS } from '../../src/config/storage-schema.js';
import { type Keys, createKeys } from '../../src/core/keys.js';
import type { ChatAdapter, ReviewSummary } from '../../src/core/ports.js';
import type { Platform, Turn } from '../../src/core/types.js';
import { createReviewNotifier, type ReviewNotificationLimits } from '../../src/review/review-notifier.js';
import { waitFor } from '../helpers/pipeline.js';
import { connectRedis, deletePrefix, randomPrefix } from '../helpers/redis.js';

let redis: Redis;
let prefix: string;
let keys: Keys;
const stops: Array<() => void> = [];
const extra: Redis[] = [];
beforeEach(() => {
  redis = connectRedis();
  prefix = randomPrefix('notify');
  keys = createKeys(prefix);
});
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  for (const connection of extra.splice(0)) await connection.quit();
  await deletePrefix(redis, prefix);
  await redis.quit();
});

interface Recording {
  adapter: ChatAdapter;
  posted: string[];
  summaries: Array<ReviewSummary & { at: number }>;
}

function recordingAdapter(platform: Platform = 'slack', withSummary = true): Recording {
  const posted: string[] = [];
  const summaries: Recording['summaries'] = [];
  const adapter: ChatAdapter = {
    platform,
    async start() {},
    async stop() {},
    render: (text) => [text],
    send: async () => ({ messageId: 'unused' }),
    async presentEscalation(turn) {
      posted.push(turn.id);
    },
    ...(withSummary
      ? {
          async presentReviewSummary(summary: ReviewSummary) {
            summaries.push({ ...summary, at: Date.now() });
          },
        }
      : {}),
  };
  return { adapter, posted, summaries };
}

const limits = (overrides: Partial<ReviewNotificationLimits>): ReviewNotificationLimits => ({
  ...REVIEW_NOTIFICATION_DEFAULTS,
  perPlatform: 0,
  perConversation: 0,
  perUser: 0,
  perRule: 0,
  summaryUpdateSeconds: 1,
  ...overrides,
});

function notifier(adapters: ChatAdapter[], overrides: Partial<ReviewNotificationLimits>, connection = redis) {
  const created = createReviewNotifier({ redis: connection, keys, adapters: new Map(adapters.map((adapter) => [adapter.platform, adapter])), limits: limits(overrides), logger: pino({ level: 'silent' }) });
  stops.push(() => created.stop());
  return created;
}

/** An escalated turn, stored as the conversation store would (hash and pending index). */
async function escalated(id: string, options: { conversation?: string; user?: string; rule?: string } = {}): Promise<Turn> {
  const now = Date.now();
  const turn: Turn = {
    id,
    conversation: { platform: 'web', id: options.conversation ?? `c-${id}` },
    messages: [{ id: `m-${id}`, conversation: { platform: 'web', id: options.conversation ?? `c-${id}` }, user: { id: options.user ?? `u-${id}` }, text: 'hi', receivedAt: now }],
    status: 'escalated',
    drafts: [],
    escalation: { source: options.rule ? 'rule' : 'critic', ...(options.rule ? { rule: options.rule } : {}), reason: 'test', at: now },
    revisions: 0,
    folds: 0,
    createdAt: now,
    updatedAt: now,
  };
  await redis.multi().hset(keys.turn(id), 'status', 'escalated', 'escalation', JSON.stringify(turn.escalation)).zadd(keys.reviewPending, now, id).exec();
  return turn;
}

const lastSummary = (recordings: Recording[]) => recordings.flatMap((recording) => recording.summaries).sort((a, b) => a.at - b.at).at(-1);

describe('review notifier', () => {
  it('posts at most `perPlatform` per window across two processes; the rest end in one summary with the right count', async () => {
    const one = recordingAdapter();
    const two = recordingAdapter();
    const second = connectRedis();
    extra.push(second);
    const notifiers = [notifier([one.adapter], { perPlatform: 5 }), notifier([two.adapter], { perPlatform: 5 }, second)];
    const turns = await Promise.all(Array.from({ length: 40 }, (_, index) => escalated(`t${index}`)));
    await Promise.all(turns.map((turn, index) => notifiers[index % 2]!.present(turn)));
    expect(one.posted.length + two.posted.length).toBe(5);
    const summary = await waitFor(() => {
      const last = lastSummary([one, two]);
      return last && last.folded === 35 ? last : null;
    }, 'the summary to show 35 folded');
    expect(summary.waiting).toBe(35);
    // One summary message for the whole burst, and every turn decided exactly once.
    expect(new Set([...one.summaries, ...two.summaries].map((item) => item.id)).size).toBe(1);
    const decisions = await Promise.all(turns.map((turn) => redis.hget(keys.turn(turn.id), 'notice:slack')));
    expect(decisions.filter((decision) => decision === 'post')).toHaveLength(5);
    expect(decisions.filter((decision) => decision?.startsWith('fold:'))).toHaveLength(35);
  });

  it('limits per conversation, per user and per rule', async () => {
    const recording = recordingAdapter();
    const notify = notifier([recording.adapter], { perConversation: 1, perUser: 2, perRule: 3 });
    const plan: Array<[string, { conversation: string; user: string; rule: string }]> = [
      ['a1', { conversation: 'A', user: 'u1', rule: 'r1' }],
      ['a2', { conversation: 'A', user: 'u9', rule: 'r9' }], // conversation A already had its one
      ['b1', { conversation: 'B', user: 'u1', rule: 'r1' }],
      ['c1', { conversation: 'C', user: 'u1', rule: 'r8' }], // user u1 already had two
      ['d1', { conversation: 'D', user: 'u2', rule: 'r1' }],
      ['e1', { conversation: 'E', user: 'u3', rule: 'r1' }], // rule r1 already had three
      ['f1', { conversation: 'F', user: 'u4', rule: 'r2' }],
    ];
    for (const [id, options] of plan) await notify.present(await escalated(id, options));
    expect(recording.posted).toEqual(['a1', 'b1', 'd1', 'f1']);
    await waitFor(() => lastSummary([recording])?.folded === 3, 'the summary of the three folded');
  });

  it('a decision frees its place: once the posted escalations are decided, the next ones are posted again', async () => {
    const recording = recordingAdapter();
    const notify = notifier([recording.adapter], { perConversation: 2 });
    const turns: Turn[] = [];
    for (let index = 0; index < 3; index++) turns.push(await escalated(`same-${index}`, { conversation: 'same' }));
    for (const turn of turns) await notify.present(turn);
    expect(recording.posted).toEqual(['same-0', 'same-1']);
    // A reviewer decides the first two (the review service removes them from the pending index).
    for (const turn of turns.slice(0, 2)) {
      await redis.zrem(keys.reviewPending, turn.id);
      await notify.resolved(turn);
    }
    const later = [await escalated('same-3', { conversation: 'same' }), await escalated('same-4', { conversation: 'same' }), await escalated('same-5', { conversation: 'same' })];
    for (const turn of later) await notify.present(turn);
    expect(recording.posted).toEqual(['same-0', 'same-1', 'same-3', 'same-4']);
    // Deciding a folded turn frees nothing: it never had a place.
    await redis.zrem(keys.reviewPending, 'same-2');
    await notify.resolved(turns[2]!);
    await notify.present(await escalated('same-6', { conversation: 'same' }));
    expect(recording.posted).toEqual(['same-0', 'same-1', 'same-3', 'same-4']);
  });

  it('decides once per turn: a repeated announcement neither posts a second decision nor counts twice', async () => {
    const recording = recordingAdapter();
    const notify = notifier([recording.adapter], { perPlatform: 1 });
    const first = await escalated('first');
    const second = await escalated('second');
    for (let round = 0; round < 3; round++) {
      await notify.present(first);
      await notify.present(second);
    }
    expect(await redis.zrange(keys.reviewNotice('slack', 'posted:platform'), 0, -1)).toEqual(['first']);
    expect(new Set(recording.posted)).toEqual(new Set(['first']));
    const episode = await redis.get(keys.reviewNotice('slack', 'episode'));
    expect(await redis.zrange(keys.reviewNotice('slack', `folded:${episode}`), 0, -1)).toEqual(['second']);
  });

  it('edits the summary at most once per summaryUpdateSeconds, ends on the right counts, and shows resolutions', async () => {
    const recording = recordingAdapter();
    const notify = notifier([recording.adapter], { perPlatform: 1, summaryUpdateSeconds: 1 });
    await notify.present(await escalated('shown'));
    const folded: Turn[] = [];
    for (let index = 0; index < 20; index++) {
      const turn = await escalated(`f${index}`);
      folded.push(turn);
      await notify.present(turn);
    }
    await waitFor(() => lastSummary([recording])?.folded === 20, 'the summary to reach 20');
    const times = recording.summaries.map((summary) => summary.at);
    for (let index = 1; index < times.length; index++) expect(times[index]! - times[index - 1]!).toBeGreaterThanOrEqual(990);
    // Five of them are decided elsewhere (dashboard, API): the summary says so.
    for (const turn of folded.slice(0, 5)) {
      await redis.zrem(keys.reviewPending, turn.id);
      await notify.resolved(turn);
    }
    const final = await waitFor(() => {
      const last = lastSummary([recording]);
      return last?.waiting === 15 ? last : null;
    }, 'the summary to show 15 still waiting');
    expect(final.folded).toBe(20);
    expect(final.since).toBeLessThanOrEqual(final.latest);
  });

  it('gives every escalation to an adapter without summaries, and nothing for a turn that is gone', async () => {
    const plain = recordingAdapter('discord', false);
    const notify = notifier([plain.adapter], { perPlatform: 1 });
    for (let index = 0; index < 4; index++) await notify.present(await escalated(`p${index}`));
    expect(plain.posted).toEqual(['p0', 'p1', 'p2', 'p3']);
    const limited = recordingAdapter('slack');
    const other = notifier([limited.adapter], { perPlatform: 5 });
    const turn = await escalated('vanished');
    await redis.del(keys.turn('vanished'));
    await other.present(turn);
    expect(limited.posted).toEqual([]);
    expect(await redis.exists(keys.turn('vanished'))).toBe(0);
  });
});
