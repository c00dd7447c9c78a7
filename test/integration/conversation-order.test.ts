import { describe, expect, it } from 'vitest';
import { turnMessages, verdict, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

const CONVERSATIONS = 20;
const MESSAGES = 5;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** `c7-m3` -> 3 */
const sequenceOf = (text: string) => Number(/-m(\d+)$/.exec(text)?.[1] ?? Number.NaN);

describe('order inside a conversation, across two worker processes', () => {
  it(`${CONVERSATIONS} conversations x ${MESSAGES} messages: every message answered by exactly one reply, replies in order`, async () => {
    const pipeline = await perTest.start({
      role: 'ingest',
      // The actor names every message of its turn (a fold may merge several into one reply).
      actor: (request) => ({ content: `answered ${turnMessages(request).map(sequenceOf).join(',')}`, delayMs: Math.floor(Math.random() * 40) }),
      critic: () => ({ content: verdict('approve'), delayMs: Math.floor(Math.random() * 40) }),
      env: { WORKER_CONCURRENCY: '10' },
    });
    const env = { ...pipeline.env, WORKER_CONCURRENCY: '10' };
    await Promise.all([perTest.startWorker({ env }), perTest.startWorker({ env })]);

    const ids = Array.from({ length: CONVERSATIONS }, (_, index) => `order-${index}`);
    await Promise.all(
      ids.map(async (id, index) => {
        for (let message = 1; message <= MESSAGES; message++) {
          const sent = await pipeline.send(id, `c${index}-m${message}`);
          expect(sent.status).toBe(202);
          await pause(Math.floor(Math.random() * 30));
        }
      }),
    );

    const answered = (texts: string[]) => texts.flatMap((text) => text.replace(/^answered /, '').split(',').map(Number));
    for (const id of ids) {
      await waitFor(async () => answered(await pipeline.botTexts(id)).includes(MESSAGES), `the last message of ${id} to be answered`, { timeoutMs: 60_000 });
    }
    await pipeline.waitIdle();
    let replies = 0;
    for (const id of ids) {
      const texts = await pipeline.botTexts(id);
      replies += texts.length;
      // Exactly once and in order: the replies, read in posting order, answer 1..5 each once.
      expect(answered(texts), `${id}: ${JSON.stringify(texts)}`).toEqual([1, 2, 3, 4, 5]);
      // The transcript shows every user message before the reply that answered it.
      const transcript = await pipeline.transcript(id);
      for (const [position, entry] of transcript.entries()) {
        if (entry.role !== 'bot') continue;
        const newest = Math.max(...answered([entry.text]));
        const usersBefore = transcript.slice(0, position).filter((item) => item.role === 'user').map((item) => sequenceOf(item.text));
        expect(usersBefore, `${id}: reply ${entry.text}`).toContain(newest);
      }
    }
    // Every turn was drafted once plus once per fold (late messages), and no turn ran twice.
    const turnKeys = await pipeline.redis.keys(`${pipeline.prefix}:turn:*`);
    expect(turnKeys).toHaveLength(replies);
    const turns = await Promise.all(turnKeys.map((key) => pipeline.redis.hmget(key, 'status', 'folds')));
    expect(turns.every(([status]) => status === 'posted')).toBe(true);
    const folds = turns.reduce((sum, [, count]) => sum + Number(count), 0);
    expect(pipeline.actor.calls).toHaveLength(replies + folds);
    expect(pipeline.critic.calls).toHaveLength(replies + folds);
    const posted = perTest.workers.map((worker) => worker.logs().filter((line) => line.msg === 'turn posted').length);
    expect(posted.reduce((a, b) => a + b, 0)).toBe(replies);
  }, 120_000);
});
