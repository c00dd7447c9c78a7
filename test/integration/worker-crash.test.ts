import { describe, expect, it } from 'vitest';
import { deferred, verdict, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

describe('a worker process killed in the middle of a turn', () => {
  it('SIGKILL while the critic call is in flight: after a restart the turn completes once and nothing is posted twice', async () => {
    const firstReview = deferred();
    let reviews = 0;
    const pipeline = await perTest.start({
      role: 'ingest',
      env: { CRITIC_TIMEOUT_MS: '60000', QUEUE_LOCK_DURATION_MS: '2000', QUEUE_STALLED_INTERVAL_MS: '1000' },
      critic: () => {
        if (++reviews === 1) {
          firstReview.resolve();
          return { hang: true }; // the worker dies before this answers
        }
        return { content: verdict('approve') };
      },
    });
    const first = await perTest.startWorker({ env: pipeline.env });
    expect((await pipeline.send('crash', 'Will this survive?')).status).toBe(202);
    await firstReview.promise;
    // The model server's log shows the critic call in flight, after the actor's draft.
    await waitFor(() => pipeline.critic.calls.length === 1, 'the critic call log');
    expect(pipeline.critic.calls[0]!.answer.hang).toBe(true);
    expect(pipeline.actor.calls).toHaveLength(1);
    expect(await first.kill()).toBe('SIGKILL');
    expect(await pipeline.botTexts('crash')).toEqual([]);

    const second = await perTest.startWorker({ env: pipeline.env });
    expect(await pipeline.waitForBot('crash', 1, 45_000)).toEqual(['reply to: Will this survive?']);
    await pipeline.waitIdle('crash');
    expect(await pipeline.botTexts('crash')).toEqual(['reply to: Will this survive?']);
    // The interrupted turn was drafted and reviewed again from the start, and finished once.
    expect(pipeline.critic.calls).toHaveLength(2);
    expect(pipeline.actor.calls).toHaveLength(2);
    const turnKeys = await pipeline.redis.keys(`${pipeline.prefix}:turn:*`);
    expect(turnKeys).toHaveLength(1);
    expect(await pipeline.redis.hget(turnKeys[0]!, 'status')).toBe('posted');
    const turnId = turnKeys[0]!.split(':').at(-1)!;
    expect(await pipeline.redis.hgetall(pipeline.keys.outbox(turnId))).toMatchObject({ state: 'sent', sent: '1' });
    const history = await pipeline.redis.lrange(pipeline.keys.history('web:crash'), 0, -1);
    expect(history.map((entry) => JSON.parse(entry).role)).toEqual(['user', 'assistant']);
    // The survivor logged the stalled job it took over.
    await waitFor(() => second.logs().some((line) => line.msg === 'turn posted'), 'the restarted worker to log the post');

    // The conversation goes on normally afterwards.
    await pipeline.send('crash', 'And after?');
    expect(await pipeline.waitForBot('crash', 2)).toEqual(['reply to: Will this survive?', 'reply to: And after?']);
    expect(await second.stop()).toBe(0);
  });
});
