/**
 * A turn that folded late messages in and then could not be redrafted (the actor refused)
 * escalates. Its newest draft was written for fewer messages than the turn now answers: it must
 * not be offered to the reviewer as the draft, or "approve as drafted" posts a reply that leaves
 * the folded messages unanswered for good. Found by the model-faults scenario of the fault suite.
 */
import { describe, expect, it } from 'vitest';
import { deferred, turnMessages, verdict, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

describe('an escalated turn whose draft predates folded messages', () => {
  it('has no draft to approve as it is; the reviewer writes the reply for every message', async () => {
    const secondAccepted = deferred();
    let drafts = 0;
    let reviews = 0;
    const pipeline = await perTest.start({
      actor: (request) => {
        if (++drafts === 1) return { content: `answered ${turnMessages(request).join(', ')}` };
        return { refusal: 'I cannot help with that.' };
      },
      // The first review waits until the second message is in: the approval then finds it and folds it in.
      critic: async () => {
        if (++reviews === 1) await secondAccepted.promise;
        return { content: verdict('approve') };
      },
    });
    expect((await pipeline.send('fold', 'first question')).status).toBe(202);
    await waitFor(() => pipeline.criticRequests().length === 1, 'the first review');
    expect((await pipeline.send('fold', 'second question')).status).toBe(202);
    secondAccepted.resolve();

    const turn = await waitFor(async () => {
      const listed = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
      return (listed.body.turns as Array<{ id: string; draft: string | null; messages: Array<{ text: string }>; escalation: { source: string } }>)[0];
    }, 'the escalated turn');
    expect(turn.escalation.source).toBe('actor-failure');
    expect(turn.messages.map((message) => message.text)).toEqual(['first question', 'second question']);
    // "answered first question" was approved for the first message only.
    expect(turn.draft).toBeNull();
    const asDrafted = await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, {});
    expect(asDrafted.status).toBe(400);
    const written = await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, { text: 'Answers to both questions.' });
    expect(written.status).toBe(200);
    const texts = await waitFor(async () => {
      const bot = await pipeline.botTexts('fold');
      return bot.length === 2 ? bot : null;
    }, 'the reviewer reply');
    expect(texts.at(-1)).toBe('Answers to both questions.');
    expect(texts).not.toContain('answered first question');
  });
});
