/** The actor over the in-process mock model: what it asks, what it makes of the answers and failures. */
import { describe, expect, it } from 'vitest';
import { createActor } from '../../src/agents/actor.js';
import { readRevisionData } from '../../src/agents/actor-prompt.js';
import type { CountersignError } from '../../src/core/errors.js';
import { createMockModelClient, modelAnswers } from '../fakes/mock-model-client.js';

const input = {
  history: [
    { role: 'user' as const, text: 'Hi, I ordered a lamp.', at: 1, user: 'ann' },
    { role: 'assistant' as const, text: 'Thanks, Ann. How can I help?', at: 2 },
  ],
  messages: [{ text: 'Where is it?' }, { text: 'Order 1234.' }],
};

const failureOf = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error as CountersignError);

describe('the actor', () => {
  it('drafts from the conversation in order, with the system prompt first and its time limit', async () => {
    const model = createMockModelClient({ answer: '  Your lamp ships tomorrow.  \n' });
    const actor = createActor({ model, systemPrompt: 'You are the shop assistant.', timeoutMs: 7000 });
    const draft = await actor.draft(input);
    expect(draft.text).toBe('Your lamp ships tomorrow.');
    expect(model.calls).toHaveLength(1);
    expect(model.calls[0]!.request).toEqual({
      messages: [
        { role: 'system', content: 'You are the shop assistant.' },
        { role: 'user', content: 'Hi, I ordered a lamp.' },
        { role: 'assistant', content: 'Thanks, Ann. How can I help?' },
        { role: 'user', content: 'Where is it?' },
        { role: 'user', content: 'Order 1234.' },
      ],
      timeoutMs: 7000,
    });
    expect(draft.latencyMs).toBe(model.calls[0]!.completion!.latencyMs);
  });

  it('a redraft carries the previous draft and the critic feedback in the system message', async () => {
    const model = createMockModelClient({ answer: 'A better reply.' });
    await createActor({ model, systemPrompt: 'Be kind.' }).draft({ ...input, revision: { previousDraft: 'Go away.', feedback: 'Be polite.' } });
    const system = model.requests[0]!.messages[0]!;
    expect(system.role).toBe('system');
    // Both are data, in the delimited JSON block (not instructions spliced into the prompt).
    expect(readRevisionData(system.content)).toEqual({ previousDraft: 'Go away.', feedback: 'Be polite.' });
    expect(model.requests[0]!.timeoutMs).toBeUndefined();
  });

  it('a refusal is actor.refused, which no retry helps', async () => {
    const model = createMockModelClient({ answer: modelAnswers.refusal('I cannot discuss orders.') });
    const error = await failureOf(createActor({ model, systemPrompt: 's' }).draft(input));
    expect(error).toMatchObject({ code: 'actor.refused', retryable: false });
    expect(error!.message).toContain('I cannot discuss orders.');
  });

  it('an empty or blank answer is actor.empty, retryable', async () => {
    for (const answer of ['', '   \n', modelAnswers.text('')]) {
      const model = createMockModelClient({ answer });
      expect(await failureOf(createActor({ model, systemPrompt: 's' }).draft(input))).toMatchObject({ code: 'actor.empty', retryable: true });
    }
  });

  it('model failures reach the caller as the model reported them', async () => {
    const model = createMockModelClient({ answer: [modelAnswers.timeout(), modelAnswers.http(500), modelAnswers.http(401)] });
    const actor = createActor({ model, systemPrompt: 's', timeoutMs: 1500 });
    expect(await failureOf(actor.draft(input))).toMatchObject({ code: 'model.timeout', retryable: true, message: expect.stringContaining('within 1500 ms') });
    expect(await failureOf(actor.draft(input))).toMatchObject({ code: 'model.http', retryable: true, details: { status: 500 } });
    expect(await failureOf(actor.draft(input))).toMatchObject({ code: 'model.http', retryable: false, details: { status: 401 } });
  });

  it('an answer cut at the token limit is still a draft: the critic reviews what would be posted', async () => {
    const model = createMockModelClient({ answer: modelAnswers.truncated('Your lamp ships tom') });
    expect((await createActor({ model, systemPrompt: 's' }).draft(input)).text).toBe('Your lamp ships tom');
  });
});
