/**
 * A worker that dies in the middle of a send leaves its claim on the part. The claim must not
 * keep the delivery from the worker that takes the stalled job over for longer than the job
 * lock: before the fix the claim lasted a fixed 60 s, so a reply interrupted at the send waited
 * a minute (and a chain of job retries) however short the queue's lock was.
 */
import { describe, expect, it } from 'vitest';
import { createWebAdapter } from '../../adapters/web/web-adapter.js';
import type { ChatAdapter } from '../../src/core/ports.js';
import { createCountersign } from '../../src/main.js';
import { conversationHeaders, deferred, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

describe('a send interrupted by a dying worker', () => {
  it('is delivered once by the next worker as soon as the job lock lapses, not after a fixed claim lease', async () => {
    const pipeline = await perTest.start({ noService: true, env: { QUEUE_LOCK_DURATION_MS: '2000', QUEUE_STALLED_INTERVAL_MS: '1000' } });
    pipeline.config.shutdownTimeoutMs = 500;
    // The first worker's send reaches the platform's door and never comes back (the process dies there).
    const web = createWebAdapter();
    const reached = deferred();
    const dying: ChatAdapter = {
      ...web,
      send: () => {
        reached.resolve();
        return new Promise(() => {});
      },
    };
    const first = perTest.stopAfter(createCountersign({ config: pipeline.config, adapters: [dying] }));
    await first.start();
    const response = await fetch(`${first.url}/api/chat/lease/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...conversationHeaders('lease') },
      body: JSON.stringify({ text: 'Are you there?' }),
    });
    expect(response.status).toBe(202);
    await reached.promise;
    const turnId = (await pipeline.redis.hget(pipeline.keys.state('web:lease'), 'turn'))!;
    const outbox = await pipeline.redis.hgetall(pipeline.keys.outbox(turnId));
    expect(outbox.state).toBe('approved');
    expect(Object.keys(outbox).filter((field) => field.startsWith('claim:'))).toEqual(['claim:0']);
    // The worker stops renewing its job lock with the send still open, as a killed process would.
    await first.stop();

    const second = perTest.stopAfter(createCountersign({ config: pipeline.config }));
    await second.start();
    const transcript = async () => {
      const answer = await fetch(`${second.url}/api/chat/lease/messages`, { headers: conversationHeaders('lease') });
      return ((await answer.json()) as { messages: Array<{ role: string; text: string }> }).messages.filter((entry) => entry.role === 'bot');
    };
    // Lock (2 s) + stalled checks (1 s) + a short job retry; the old fixed 60 s lease cannot make it.
    await waitFor(async () => (await transcript()).length === 1, 'the reply delivered by the second worker', { timeoutMs: 25_000 });
    await pipeline.waitIdle('lease');
    expect((await transcript()).map((entry) => entry.text)).toEqual(['reply to: Are you there?']);
    expect(await pipeline.redis.hget(pipeline.keys.outbox(turnId), 'state')).toBe('sent');
    expect(await pipeline.redis.hget(pipeline.keys.turn(turnId), 'status')).toBe('posted');
  }, 60_000);
});
