import { describe, expect, it } from 'vitest';
import { deferred, turnMessages, verdict, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

/** The actor answers every user message of its turn, so a reply shows which messages it saw. */
const seeingActor = (request: Parameters<typeof turnMessages>[0]) => ({ content: `saw: ${turnMessages(request).join(' | ')}` });

describe('no stale replies', () => {
  it('a message that arrives while the critic reviews the first draft: the redraft that saw both is posted, once', async () => {
    const criticStarted = deferred();
    const release = deferred();
    let reviews = 0;
    const pipeline = await perTest.start({
      actor: seeingActor,
      critic: async () => {
        if (++reviews === 1) {
          criticStarted.resolve();
          await release.promise;
        }
        return { content: verdict('approve') };
      },
    });
    await pipeline.send('stale', 'first question');
    await criticStarted.promise;
    // 202 means the message is in the inbox before the critic answers.
    expect((await pipeline.send('stale', 'second question')).status).toBe(202);
    release.resolve();

    expect(await pipeline.waitForBot('stale', 1)).toEqual(['saw: first question | second question']);
    await pipeline.waitIdle('stale');
    expect(await pipeline.botTexts('stale')).toEqual(['saw: first question | second question']);
    const actorRequests = pipeline.actorRequests();
    expect(actorRequests).toHaveLength(2);
    expect(turnMessages(actorRequests[0]!)).toEqual(['first question']);
    expect(turnMessages(actorRequests[1]!)).toEqual(['first question', 'second question']);
    expect(pipeline.criticRequests()).toHaveLength(2);
    // The first, stale draft was never posted.
    const transcript = await pipeline.transcript('stale');
    expect(transcript.map((message) => message.text)).not.toContain('saw: first question');
  });

  it('the fold bound: with maxFolds 1, the second late message waits for the next turn', async () => {
    let reviews = 0;
    const started = [deferred(), deferred(), deferred()];
    const release = [deferred(), deferred(), deferred()];
    const pipeline = await perTest.start({
      actor: seeingActor,
      critic: async () => {
        const index = reviews++;
        if (index < 2) {
          started[index]!.resolve();
          await release[index]!.promise;
        }
        return { content: verdict('approve') };
      },
      configure: (config) => {
        config.turn.maxFolds = 1;
      },
    });
    await pipeline.send('folds', 'm1');
    await started[0]!.promise;
    await pipeline.send('folds', 'm2');
    release[0]!.resolve();
    // The fold: a redraft with m1 and m2, reviewed again; m3 arrives during that review.
    await started[1]!.promise;
    await pipeline.send('folds', 'm3');
    release[1]!.resolve();

    expect(await pipeline.waitForBot('folds', 2)).toEqual(['saw: m1 | m2', 'saw: m3']);
    await pipeline.waitIdle('folds');
    expect(await pipeline.botTexts('folds')).toEqual(['saw: m1 | m2', 'saw: m3']);
    expect(pipeline.actorRequests().map((request) => turnMessages(request))).toEqual([['m1'], ['m1', 'm2'], ['m3']]);
    const turns = await waitFor(async () => {
      const ids = await pipeline.redis.keys(`${pipeline.prefix}:turn:*`);
      return ids.length === 2 ? ids : null;
    }, 'two turns');
    const folds = await Promise.all(turns.map((key) => pipeline.redis.hget(key, 'folds')));
    expect(folds.sort()).toEqual(['0', '1']);
  });
});
