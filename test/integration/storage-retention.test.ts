/**
 * Retention and inbox bounds through the whole pipeline (real service, real Redis): every key a
 * conversation leaves behind expires within its `retention.*` setting; nothing a human still has
 * to decide expires; keys really go away; a held conversation's inbox is capped and the web chat
 * answers 429 past it, never silently.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { ModelScript } from '../../src/demo/model-server.js';
import { createCountersign } from '../../src/main.js';
import { createLogSink } from '../faults/harness.js';
import { census } from '../helpers/key-census.js';
import { conversationHeaders, criticInput, HOLDING, type Pipeline, startPipeline, verdict, waitFor } from '../helpers/pipeline.js';

/** Keys bounded otherwise than by an expiry: indexes (trimmed), streams (trimmed), BullMQ's own. */
const INDEXES = new Set(['audit', 'audit:review', 'review:pending', 'review:resolved', 'conversations:pending', 'bullmq']);

/** Escalates a turn whose newest message mentions a lawyer. */
const escalateLawyers: ModelScript = (request) => ({
  content: /lawyer/i.test(criticInput(request).conversation.at(-1)?.text ?? '') ? verdict('escalate', { reason: 'legal' }) : verdict('approve'),
});

let pipeline: Pipeline | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  await pipeline?.stop();
  pipeline = undefined;
});

function retention(config: Config, seconds: Partial<Config['retention']>, dedupeTtlSeconds?: number) {
  config.retention = { ...config.retention, ...seconds };
  if (dedupeTtlSeconds) config.dedupeTtlSeconds = dedupeTtlSeconds;
}

async function pendingTurn(p: Pipeline, conversation: string): Promise<string> {
  return waitFor(async () => {
    const turns = (await p.reviewApi('GET', '/api/review/turns?status=pending')).body.turns as Array<{ id: string; conversation: string }>;
    return turns.find((turn) => turn.conversation === `web:${conversation}`)?.id;
  }, `the escalated turn of ${conversation}`);
}

describe('storage retention', () => {
  it('an answered conversation leaves only keys that expire within their retention', async () => {
    pipeline = await startPipeline({ configure: (config) => retention(config, { conversationSeconds: 1000, turnSeconds: 500, reviewedTurnSeconds: 2000 }, 700) });
    await pipeline.send('ret-a', 'hello');
    await pipeline.waitForBot('ret-a', 1);
    await pipeline.waitIdle('ret-a');
    const limits: Record<string, number> = {
      seen: 700,
      turn: 500,
      outbox: 500,
      'conv:state': 1000,
      'conv:history': 1000,
      'adapter:web:transcript': 1000,
      'adapter:web:user': 1000,
      'adapter:web:sent': 1000,
      // The conversation's owner (its token's hash) lives exactly as long as its transcript.
      'adapter:web:owner': 1000,
      // The model-call budgets' counters live one budget window.
      'budget:conversation': pipeline.config.turn.modelCalls.windowSeconds,
      'budget:global': pipeline.config.turn.modelCalls.windowSeconds,
    };
    const found = await census(pipeline.redis, pipeline.prefix, { bytes: false });
    const bounded = found.keys.filter((item) => !INDEXES.has(item.group));
    expect(new Set(bounded.map((item) => item.group))).toEqual(new Set(Object.keys(limits)));
    for (const item of bounded) {
      expect(item.ttl, item.key).toBeGreaterThan(0);
      expect(item.ttl, item.key).toBeLessThanOrEqual(limits[item.group]!);
    }
    // Nothing waits: no inbox, no ready list.
    expect(found.keys.some((item) => item.group === 'conv:inbox' || item.group === 'conv:ready')).toBe(false);
  });

  it('a held conversation keeps everything a human needs; after the decision it expires', async () => {
    pipeline = await startPipeline({ critic: escalateLawyers, configure: (config) => retention(config, { conversationSeconds: 1000, turnSeconds: 500, reviewedTurnSeconds: 2000 }) });
    await pipeline.send('ret-b', 'my lawyer will call you');
    await pipeline.waitForBot('ret-b', 1);
    await pipeline.waitIdle('ret-b');
    await pipeline.send('ret-b', 'hello? anyone?');
    await pipeline.send('ret-b', 'still waiting');
    const turnId = await pendingTurn(pipeline, 'ret-b');
    const ttl = (key: string) => pipeline!.redis.ttl(key);
    const { keys } = pipeline;
    expect(await ttl(keys.turn(turnId))).toBe(-1);
    expect(await ttl(keys.state('web:ret-b'))).toBe(-1);
    expect(await ttl(keys.inbox('web:ret-b'))).toBe(-1);
    expect(await pipeline.redis.llen(keys.inbox('web:ret-b'))).toBe(2);
    expect(await pipeline.redis.zscore(keys.reviewPending, turnId)).not.toBeNull();
    // The holding message was sent: its record expires like any sent record.
    const holding = await ttl(keys.outbox(`${turnId}:holding`));
    expect(holding).toBeGreaterThan(0);
    expect(holding).toBeLessThanOrEqual(500);
    // Nothing without an expiry beyond what the human needs and the indexes.
    const found = await census(pipeline.redis, pipeline.prefix, { bytes: false });
    expect(found.withoutTtl.filter((item) => !INDEXES.has(item.group)).map((item) => item.key).sort()).toEqual(
      [keys.inbox('web:ret-b'), keys.state('web:ret-b'), keys.turn(turnId)].sort(),
    );

    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turnId}/approve`, {})).status).toBe(200);
    const texts = await pipeline.waitForBot('ret-b', 3);
    expect(texts).toEqual([HOLDING, 'reply to: my lawyer will call you', 'reply to: still waiting']);
    await pipeline.waitIdle('ret-b');
    const reviewed = await ttl(keys.turn(turnId));
    expect(reviewed).toBeGreaterThan(500);
    expect(reviewed).toBeLessThanOrEqual(2000);
    expect(await ttl(keys.state('web:ret-b'))).toBeGreaterThan(0);
    expect(await pipeline.redis.zscore(keys.reviewResolved, turnId)).not.toBeNull();
    const after = await census(pipeline.redis, pipeline.prefix, { bytes: false });
    expect(after.withoutTtl.filter((item) => !INDEXES.has(item.group)).map((item) => item.key)).toEqual([]);
  });

  it('a conversation that is not held expires while its escalated turn waits; the turn does not, and is delivered later', async () => {
    pipeline = await startPipeline({
      critic: escalateLawyers,
      configure: (config) => {
        config.review.holdConversation = false;
        retention(config, { conversationSeconds: 1000, turnSeconds: 500, reviewedTurnSeconds: 2000 });
      },
    });
    await pipeline.send('ret-f', 'a lawyer question');
    const turnId = await pendingTurn(pipeline, 'ret-f');
    await pipeline.send('ret-f', 'and the opening hours?');
    await pipeline.waitForBot('ret-f', 2);
    await pipeline.waitIdle('ret-f');
    const { keys, redis } = pipeline;
    expect(await redis.ttl(keys.turn(turnId))).toBe(-1);
    const idle = await redis.ttl(keys.state('web:ret-f'));
    expect(idle).toBeGreaterThan(0);
    expect(idle).toBeLessThanOrEqual(1000);
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turnId}/approve`, {})).status).toBe(200);
    await pipeline.waitForBot('ret-f', 3);
    await pipeline.waitIdle('ret-f');
    expect(await redis.exists(keys.ready('web:ret-f'))).toBe(0);
    expect(await redis.ttl(keys.turn(turnId))).toBeGreaterThan(500);
    expect(await redis.ttl(keys.state('web:ret-f'))).toBeGreaterThan(0);
    const found = await census(redis, pipeline.prefix, { bytes: false });
    expect(found.withoutTtl.filter((item) => !INDEXES.has(item.group)).map((item) => item.key)).toEqual([]);
  });

  it('keys really go away after their retention, and old resolved reviews leave the index', async () => {
    pipeline = await startPipeline({
      critic: escalateLawyers,
      configure: (config) => {
        retention(config, { conversationSeconds: 2, turnSeconds: 2, reviewedTurnSeconds: 3 }, 2);
        // The model-call budgets' counters live one budget window: a short one here.
        config.turn.modelCalls.windowSeconds = 2;
      },
    });
    await pipeline.send('ret-c', 'hello');
    await pipeline.send('ret-d', 'a lawyer question');
    await pipeline.waitForBot('ret-c', 1);
    const first = await pendingTurn(pipeline, 'ret-d');
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${first}/reject`, {})).status).toBe(200);
    await pipeline.waitIdle();
    const leftovers = async () => (await census(pipeline!.redis, pipeline!.prefix, { bytes: false })).keys.filter((item) => !INDEXES.has(item.group)).map((item) => item.key);
    await waitFor(async () => (await leftovers()).length === 0, 'every conversation, turn, outbox, dedupe and adapter key to expire', { timeoutMs: 60_000, intervalMs: 250 });
    // A later resolution trims resolutions older than the retention from the index.
    await pipeline.send('ret-e', 'another lawyer question');
    const second = await pendingTurn(pipeline, 'ret-e');
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${second}/reject`, {})).status).toBe(200);
    expect(await pipeline.redis.zrange(pipeline.keys.reviewResolved, 0, -1)).toEqual([second]);
  });

  it('caps a held conversation inbox by messages and bytes: 429 past it, logged and counted, nothing remembered', async () => {
    pipeline = await startPipeline({
      noService: true,
      critic: escalateLawyers,
      configure: (config) => {
        config.inbox = { maxMessages: 5, maxBytes: 4096 };
      },
    });
    const sink = createLogSink('info');
    const service = createCountersign({ config: pipeline.config, logger: sink.logger });
    cleanups.push(() => service.stop());
    await service.start();
    const post = async (conversation: string, text: string, clientMessageId?: string) => {
      const response = await fetch(`${service.url}/api/chat/${conversation}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...conversationHeaders(conversation) },
        body: JSON.stringify({ text, ...(clientMessageId ? { clientMessageId } : {}) }),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
    };
    const transcript = async (conversation: string) =>
      ((await (await fetch(`${service.url}/api/chat/${conversation}/messages`, { headers: conversationHeaders(conversation) })).json()) as { messages: Array<{ role: string; text: string }> }).messages;

    // By messages: five wait, the sixth to eighth are refused.
    expect((await post('cap-a', 'my lawyer says hi')).status).toBe(202);
    await waitFor(async () => (await transcript('cap-a')).some((entry) => entry.text === HOLDING), 'the holding message');
    const statuses: number[] = [];
    for (let index = 1; index <= 7; index++) statuses.push((await post('cap-a', `waiting ${index}`, index === 7 ? 'retry-me' : undefined)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const refused = await post('cap-a', 'one more', 'retry-me-too');
    expect(refused).toMatchObject({ status: 429, retryAfter: '60' });
    expect(String(refused.body.error)).toMatch(/too many messages are waiting/);
    const { keys, redis } = pipeline;
    expect(await redis.llen(keys.inbox('web:cap-a'))).toBe(5);
    expect(await redis.hget(keys.state('web:cap-a'), 'refused')).toBe('3');

    // By bytes: 1,500-character messages, two fit in 4,096 bytes.
    expect((await post('cap-b', 'my lawyer again')).status).toBe(202);
    await waitFor(async () => (await transcript('cap-b')).some((entry) => entry.text === HOLDING), 'the second holding message');
    const big = (index: number) => `${index} ${'b'.repeat(1500)}`;
    const bigStatuses = [];
    for (let index = 1; index <= 4; index++) bigStatuses.push((await post('cap-b', big(index))).status);
    expect(bigStatuses).toEqual([202, 202, 429, 429]);
    const waiting = await redis.lrange(keys.inbox('web:cap-b'), 0, -1);
    const bytes = waiting.reduce((sum, item) => sum + Buffer.byteLength(item), 0);
    expect(bytes).toBeLessThanOrEqual(4096);
    expect(Number(await redis.hget(keys.state('web:cap-b'), 'inboxBytes'))).toBe(bytes);

    // Never silent: a throttled warning per conversation, and a metric per message.
    const warnings = sink.lines.filter((line) => String(line.msg).startsWith('conversation inbox full'));
    expect(warnings.map((line) => line.conversation).sort()).toEqual(['web:cap-a', 'web:cap-b']);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/countersign_inbox_refused_total\{platform="web"\} 5\b/);

    // Refused ids were not remembered: once the human decided and the inbox drained, the same
    // message is accepted (not a duplicate).
    const turns = (await (await fetch(`${service.url}/api/review/turns?status=pending`, { headers: { authorization: 'Bearer test-review-token' } })).json()) as { turns: Array<{ id: string; conversation: string }> };
    const held = turns.turns.find((turn) => turn.conversation === 'web:cap-a')!;
    const approve = await fetch(`${service.url}/api/review/turns/${held.id}/approve`, { method: 'POST', headers: { authorization: 'Bearer test-review-token', 'content-type': 'application/json' }, body: '{}' });
    expect(approve.status).toBe(200);
    await waitFor(async () => (await redis.llen(keys.inbox('web:cap-a'))) === 0, 'the inbox to drain');
    expect(await redis.hget(keys.state('web:cap-a'), 'inboxBytes')).toBeNull();
    const again = await post('cap-a', 'waiting 7', 'retry-me');
    expect(again).toMatchObject({ status: 202, body: { duplicate: false } });
  });
});
