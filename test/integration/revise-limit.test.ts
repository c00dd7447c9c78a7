import { describe, expect, it } from 'vitest';
import { criticInput, HOLDING, verdict, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

describe('the revise bound', () => {
  it('maxRevisions 2: three drafts, three reviews, then escalation "revise-limit"; no draft is posted', async () => {
    let drafts = 0;
    const pipeline = await perTest.start({
      actor: () => ({ content: `draft ${++drafts}` }),
      critic: (request) => ({ content: verdict('revise', { feedback: `do better than ${criticInput(request).draft}` }) }),
      configure: (config) => {
        config.turn.maxRevisions = 2;
      },
    });
    await pipeline.send('revise-limit', 'Tell me something.');
    const turn = await waitFor(async () => {
      const listed = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
      return (listed.body.turns as Array<{ id: string; draft: string; revisions: number; escalation: { source: string; reason: string } }>)[0];
    }, 'the escalated turn');
    expect(turn.escalation.source).toBe('revise-limit');
    expect(turn.escalation.reason).toContain('do better than draft 3');
    expect(turn.draft).toBe('draft 3');
    expect(turn.revisions).toBe(2);
    await pipeline.waitIdle('revise-limit');
    expect(pipeline.actorRequests()).toHaveLength(3);
    expect(pipeline.criticRequests().map((request) => criticInput(request).draft)).toEqual(['draft 1', 'draft 2', 'draft 3']);
    // Each redraft carried the feedback on the draft before it.
    expect(pipeline.actorRequests()[1]!.messages[0]!.content).toContain('do better than draft 1');
    expect(pipeline.actorRequests()[2]!.messages[0]!.content).toContain('do better than draft 2');
    expect(await pipeline.botTexts('revise-limit')).toEqual([HOLDING]);

    // A reviewer can still let the last draft out.
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, {})).status).toBe(200);
    expect(await pipeline.waitForBot('revise-limit', 2)).toEqual([HOLDING, 'draft 3']);
  });

  it('maxRevisions 0: the first revise escalates', async () => {
    const pipeline = await perTest.start({
      critic: () => ({ content: verdict('revise', { feedback: 'shorter' }) }),
      configure: (config) => {
        config.turn.maxRevisions = 0;
      },
    });
    await pipeline.send('revise-zero', 'Hi');
    await pipeline.waitForBot('revise-zero', 1);
    await pipeline.waitIdle('revise-zero');
    expect(pipeline.actorRequests()).toHaveLength(1);
    expect(pipeline.criticRequests()).toHaveLength(1);
    const listed = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
    expect((listed.body.turns as Array<{ escalation: { source: string } }>)[0]!.escalation.source).toBe('revise-limit');
  });
});
