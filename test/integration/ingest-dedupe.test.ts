import { Queue } from 'bullmq';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createConversationStore } from '../../src/conversation/conversation-store.js';
import { CONVERSATION_QUEUE } from '../../src/queue/conversation-queue.js';
import { createReviewService } from '../../src/review/review-service.js';
import { HOLDING, type Pipeline, verdict, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';
import { REDIS_URL } from '../helpers/redis.js';

/** Long enough that the reconciler cannot be what queues a conversation during a test. */
const NO_RECONCILER_MS = 3_600_000;

/** Jobs of the pipeline's queue in any state but done. */
async function queuedJobs(pipeline: Pipeline): Promise<number> {
  const queue = new Queue(CONVERSATION_QUEUE, { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: pipeline.prefix });
  try {
    const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  } finally {
    await queue.close();
  }
}

const perTest = pipelinePerTest();

describe('a platform message id is accepted once', () => {
  it('the web body clientMessageId sent twice gives one turn and one reply', async () => {
    const pipeline = await perTest.start();
    const first = await pipeline.send('dedupe-web', 'Hello once', { clientMessageId: 'client-1' });
    const second = await pipeline.send('dedupe-web', 'Hello once', { clientMessageId: 'client-1' });
    expect(first).toEqual({ status: 202, body: { messageId: 'client-1', duplicate: false } });
    expect(second).toEqual({ status: 202, body: { messageId: 'client-1', duplicate: true } });
    // Remembered with a TTL (SET NX EX), not forever.
    expect(await pipeline.redis.ttl(pipeline.keys.seen('web', 'client-1', 'dedupe-web'))).toBeGreaterThan(0);
    await pipeline.waitForBot('dedupe-web', 1);
    await pipeline.waitIdle('dedupe-web');
    expect(pipeline.actorRequests()).toHaveLength(1);
    const transcript = await pipeline.transcript('dedupe-web');
    expect(transcript.map((message) => [message.role, message.text])).toEqual([
      ['user', 'Hello once'],
      ['bot', 'reply to: Hello once'],
    ]);
    // Another id with the same text is a new message.
    await pipeline.send('dedupe-web', 'Hello once', { clientMessageId: 'client-2' });
    await pipeline.waitForBot('dedupe-web', 2);
    expect(pipeline.actorRequests()).toHaveLength(2);
  });

  it('service.ingest twice with the same id (a platform retry) gives one turn', async () => {
    // A conversation made by service.ingest, not by a chat POST, has no owner, so with
    // conversation tokens on nobody could read it through the chat API: this test reads it openly.
    const pipeline = await perTest.start({ env: { WEB_CONVERSATION_TOKENS: 'off' } });
    const message = { id: 'platform-42', conversation: { platform: 'web' as const, id: 'dedupe-ingest' }, user: { id: 'u1', name: 'Una' }, text: 'Retry me' };
    const [a, b] = await Promise.all([pipeline.service!.ingest(message), pipeline.service!.ingest(message)]);
    expect([a.accepted, b.accepted].sort()).toEqual([false, true]);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    const again = await pipeline.service!.ingest(message);
    expect(again).toMatchObject({ accepted: false, duplicate: true, messageId: 'platform-42' });
    expect(await pipeline.waitForBot('dedupe-ingest', 1)).toEqual(['reply to: Retry me']);
    await pipeline.waitIdle('dedupe-ingest');
    expect(pipeline.actorRequests()).toHaveLength(1);
    expect(await pipeline.botTexts('dedupe-ingest')).toEqual(['reply to: Retry me']);
  });

  it('bad bodies are refused and nothing is queued', async () => {
    const pipeline = await perTest.start();
    expect((await pipeline.send('dedupe-bad', '   ')).status).toBe(400);
    expect((await pipeline.send('dedupe-bad', 'x'.repeat(16_001))).status).toBe(413);
    const invalid = await fetch(`${pipeline.url()}/api/chat/dedupe-bad/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":' });
    expect(invalid.status).toBe(400);
    expect(await pipeline.redis.llen(pipeline.keys.inbox('web:dedupe-bad'))).toBe(0);
    await pipeline.waitIdle('dedupe-bad');
    expect(pipeline.actorRequests()).toHaveLength(0);
  });

  it('a clientMessageId is unique within its conversation: the same id in another conversation is another message', async () => {
    const pipeline = await perTest.start();
    const first = await pipeline.send('per-conv-a', 'Hello from A', { clientMessageId: 'msg-1' });
    const second = await pipeline.send('per-conv-b', 'Hello from B', { clientMessageId: 'msg-1' });
    expect(first).toEqual({ status: 202, body: { messageId: 'msg-1', duplicate: false } });
    expect(second).toEqual({ status: 202, body: { messageId: 'msg-1', duplicate: false } });
    expect(await pipeline.waitForBot('per-conv-a', 1)).toEqual(['reply to: Hello from A']);
    expect(await pipeline.waitForBot('per-conv-b', 1)).toEqual(['reply to: Hello from B']);
    expect((await pipeline.transcript('per-conv-b')).map((entry) => [entry.role, entry.text])).toEqual([
      ['user', 'Hello from B'],
      ['bot', 'reply to: Hello from B'],
    ]);
    // Within a conversation it still dedupes.
    expect((await pipeline.send('per-conv-b', 'Hello from B', { clientMessageId: 'msg-1' })).body.duplicate).toBe(true);
    await pipeline.waitIdle();
    expect(pipeline.actorRequests()).toHaveLength(2);
  });

  it('Slack and Discord ids stay unique on their platform: a replay naming another conversation is still a duplicate', async () => {
    const pipeline = await perTest.start();
    const ingest = pipeline.service!.ingest;
    const slack = { id: 'T1:C1:1700000000.000100', user: { id: 'U1' }, text: 'hi', conversation: { platform: 'slack' as const, id: 'T1:C1:1700000000.000100' } };
    expect((await ingest(slack)).accepted).toBe(true);
    expect((await ingest({ ...slack, conversation: { platform: 'slack', id: 'T1:C1:other-thread' } })).duplicate).toBe(true);
    const discord = { id: '112233445566778899', user: { id: '42' }, text: 'hi', conversation: { platform: 'discord' as const, id: 'G1:C1' } };
    expect((await ingest(discord)).accepted).toBe(true);
    expect((await ingest({ ...discord, conversation: { platform: 'discord', id: 'G1:C2' } })).duplicate).toBe(true);
  });

  it('a process killed between accepting a message and queueing its job: the retried POST queues it, without the reconciler', async () => {
    const pipeline = await perTest.start({ reconcileIntervalMs: NO_RECONCILER_MS });
    // The first POST's process "died" right after the accept: the message is in the inbox, no job.
    const store = createConversationStore({ redis: pipeline.redis, keys: pipeline.keys, keep: 200, historyBudgetChars: 50_000 });
    const message = { id: 'retry-1', conversation: { platform: 'web' as const, id: 'crashed' }, user: { id: 'tester', name: 'tester' }, text: 'Anyone there?', receivedAt: Date.now() };
    expect(await store.accept(message, 'web:crashed', 60)).toEqual({ outcome: 'accepted', workWaiting: false });
    expect(await queuedJobs(pipeline)).toBe(0);
    // The client retries with the same clientMessageId: a duplicate, and the turn gets queued.
    const retried = await pipeline.send('crashed', 'Anyone there?', { clientMessageId: 'retry-1' });
    expect(retried).toEqual({ status: 202, body: { messageId: 'retry-1', duplicate: true } });
    expect(await pipeline.waitForBot('crashed', 1)).toEqual(['reply to: Anyone there?']);
    await pipeline.waitIdle('crashed');
    expect(pipeline.actorRequests()).toHaveLength(1);
    // Once the conversation has nothing waiting, a duplicate queues nothing.
    expect((await pipeline.send('crashed', 'Anyone there?', { clientMessageId: 'retry-1' })).body.duplicate).toBe(true);
    expect(await queuedJobs(pipeline)).toBe(0);
  });

  it('a process killed between recording a review decision and queueing the conversation: the retried decision (409) queues it', async () => {
    const pipeline = await perTest.start({ reconcileIntervalMs: NO_RECONCILER_MS, critic: () => ({ content: verdict('escalate', { reason: 'a human decides' }) }) });
    await pipeline.send('review-crash', 'I want a refund');
    const turn = await waitFor(async () => {
      const turns = (await pipeline.reviewApi('GET', '/api/review/turns?status=pending')).body.turns as Array<{ id: string }>;
      return turns[0] ?? null;
    }, 'a pending turn');
    await pipeline.waitIdle('review-crash');
    // The decision is recorded by a review service whose process "dies" before it queues the job.
    const store = createConversationStore({ redis: pipeline.redis, keys: pipeline.keys, keep: 200, historyBudgetChars: 50_000 });
    const dying = createReviewService({ redis: pipeline.redis, keys: pipeline.keys, store, enqueue: async () => {}, logger: pino({ level: 'silent' }) });
    await dying.approve(turn.id, { reviewer: { via: 'api', id: 'first-try' } });
    expect(await queuedJobs(pipeline)).toBe(0);
    expect(await pipeline.botTexts('review-crash')).toEqual([HOLDING]);
    // The reviewer's client retries: 409, and the approved reply goes out.
    const retried = await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, {});
    expect(retried.status).toBe(409);
    expect(await pipeline.waitForBot('review-crash', 2)).toEqual([HOLDING, 'reply to: I want a refund']);
  });
});
