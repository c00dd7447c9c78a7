import { describe, expect, it } from 'vitest';
import { criticInput, turnMessages, verdict } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

describe('the critic verdict paths', () => {
  it('approve: posts the draft, once, after the critic saw the whole conversation and the draft', async () => {
    const pipeline = await perTest.start({ critic: () => ({ content: verdict('approve') }) });
    const sent = await pipeline.send('approve-1', 'What are your opening hours?');
    expect(sent.status).toBe(202);
    expect(await pipeline.waitForBot('approve-1', 1)).toEqual(['reply to: What are your opening hours?']);
    await pipeline.waitIdle('approve-1');
    expect(await pipeline.botTexts('approve-1')).toEqual(['reply to: What are your opening hours?']);
    expect(pipeline.actorRequests()).toHaveLength(1);
    expect(pipeline.criticRequests()).toHaveLength(1);
    const shown = criticInput(pipeline.criticRequests()[0]!);
    expect(shown.conversation.map((entry) => entry.text)).toEqual(['What are your opening hours?']);
    expect(shown.draft).toBe('reply to: What are your opening hours?');
    // The critic asked for structured output.
    expect((pipeline.criticRequests()[0]!.body.response_format as { type: string }).type).toBe('json_schema');

    // The next turn's requests carry the history in order, the newest user message last.
    await pipeline.send('approve-1', 'And on Sundays?');
    await pipeline.waitForBot('approve-1', 2);
    const second = pipeline.actorRequests()[1]!;
    expect(second.messages.map((message) => [message.role, message.content])).toEqual([
      ['system', expect.any(String)],
      ['user', 'What are your opening hours?'],
      ['assistant', 'reply to: What are your opening hours?'],
      ['user', 'And on Sundays?'],
    ]);
    expect(criticInput(pipeline.criticRequests()[1]!).conversation.map((entry) => entry.text)).toEqual([
      'What are your opening hours?',
      'reply to: What are your opening hours?',
      'And on Sundays?',
    ]);
  });

  it('edit: posts the revised_text and never the draft', async () => {
    const pipeline = await perTest.start({
      actor: () => ({ content: 'Sure, I will refund you twice!' }),
      critic: () => ({ content: verdict('edit', { revised_text: 'A teammate will check the refund for you.' }) }),
    });
    await pipeline.send('edit-1', 'I want a refund');
    await pipeline.waitForBot('edit-1', 1);
    await pipeline.waitIdle('edit-1');
    expect(await pipeline.botTexts('edit-1')).toEqual(['A teammate will check the refund for you.']);
    expect(pipeline.criticRequests()).toHaveLength(1);
  });

  it('revise then approve: the actor redrafts with the feedback and the critic reviews the redraft', async () => {
    const pipeline = await perTest.start({
      actor: (request) => ({ content: request.messages[0]!.content.includes('Be polite') ? 'A polite answer.' : 'A rude answer.' }),
      critic: (request) => {
        const { draft } = criticInput(request);
        return { content: draft === 'A rude answer.' ? verdict('revise', { feedback: 'Be polite.' }) : verdict('approve') };
      },
    });
    await pipeline.send('revise-1', 'Hello?');
    await pipeline.waitForBot('revise-1', 1);
    await pipeline.waitIdle('revise-1');
    expect(await pipeline.botTexts('revise-1')).toEqual(['A polite answer.']);
    expect(pipeline.actorRequests()).toHaveLength(2);
    expect(pipeline.criticRequests().map((request) => criticInput(request).draft)).toEqual(['A rude answer.', 'A polite answer.']);
    // The redraft request names the previous draft and still ends with the user's message.
    const redraft = pipeline.actorRequests()[1]!;
    expect(redraft.messages[0]!.content).toContain('A rude answer.');
    expect(turnMessages(redraft)).toEqual(['Hello?']);
  });

  it('the history shown to actor and critic is bounded by the budget, oldest out; the turn\'s own message always goes', async () => {
    const pipeline = await perTest.start({
      actor: (request) => ({ content: `ok ${turnMessages(request).at(-1)!.slice(0, 3)}` }),
      configure: (config) => {
        config.turn.history.budget = 40;
      },
    });
    for (const [index, text] of ['first message, quite long', 'second message, quite long', 'third', 'x'.repeat(60)].entries()) {
      await pipeline.send('budget', text);
      await pipeline.waitForBot('budget', index + 1);
    }
    const requests = pipeline.actorRequests();
    // Before the third turn the history is 25 + 6 + 26 + 6 characters: the oldest entry is out.
    expect(requests[2]!.messages.slice(1).map((message) => message.content)).toEqual(['ok fir', 'second message, quite long', 'ok sec', 'third']);
    // The fourth message alone is over the budget, and is sent anyway.
    expect(requests[3]!.messages.at(-1)!.content).toBe('x'.repeat(60));
    expect(criticInput(pipeline.criticRequests()[3]!).conversation.at(-1)!.text).toBe('x'.repeat(60));
    expect(criticInput(pipeline.criticRequests()[3]!).conversation.map((entry) => entry.text)).not.toContain('first message, quite long');
  });
});
