import { afterEach, describe, expect, it } from 'vitest';
import { criticInput, HOLDING, type Pipeline, startPipeline, turnMessages, verdict, waitFor } from '../helpers/pipeline.js';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

/** The critic escalates every draft that mentions a lawyer (the echo actor quotes the user). */
async function escalatingPipeline() {
  return startPipeline({
    critic: (request) => ({ content: criticInput(request).draft.includes('lawyer') ? verdict('escalate', { reason: 'a legal threat' }) : verdict('approve') }),
  });
}

async function pendingTurn(p: Pipeline, conversation: string): Promise<Record<string, unknown>> {
  return waitFor(async () => {
    const listed = await p.reviewApi('GET', '/api/review/turns?status=pending');
    const turns = listed.body.turns as Array<Record<string, unknown>>;
    return turns.find((turn) => turn.conversation === `web:${conversation}`);
  }, `a pending review turn in ${conversation}`);
}

describe('escalation and the review API', () => {
  it('escalate then approve as drafted: the holding message, then the draft; a second resolution is 409', async () => {
    pipeline = await escalatingPipeline();
    await pipeline.send('esc-approve', 'My lawyer will call you.');
    const turn = await pendingTurn(pipeline, 'esc-approve');
    expect(turn).toMatchObject({ status: 'pending', draft: 'reply to: My lawyer will call you.', verdict: { decision: 'escalate', reason: 'a legal threat' } });
    expect(await pipeline.waitForBot('esc-approve', 1)).toEqual([HOLDING]);

    const one = await pipeline.reviewApi('GET', `/api/review/turns/${turn.id}`);
    expect(one.status).toBe(200);
    expect((one.body.turn as { context: unknown[] }).context).toEqual([]);

    const approved = await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.turn).toMatchObject({ id: turn.id, status: 'approved' });
    expect(await pipeline.waitForBot('esc-approve', 2)).toEqual([HOLDING, 'reply to: My lawyer will call you.']);

    for (const action of ['approve', 'reject'] as const) {
      const again = await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/${action}`, {});
      expect(again.status).toBe(409);
      expect(typeof again.body.error).toBe('string');
    }
    await pipeline.waitIdle('esc-approve');
    expect(await pipeline.botTexts('esc-approve')).toEqual([HOLDING, 'reply to: My lawyer will call you.']);
    const resolved = await pipeline.reviewApi('GET', '/api/review/turns?status=approved');
    expect((resolved.body.turns as Array<{ id: string }>).map((t) => t.id)).toContain(turn.id);
  });

  it('escalate then approve with the reviewer text: the reviewer text is posted, not the draft', async () => {
    pipeline = await escalatingPipeline();
    await pipeline.send('esc-edit', 'My lawyer says hi.');
    const turn = await pendingTurn(pipeline, 'esc-edit');
    const edited = await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, { text: 'Our legal team will contact you.' });
    expect(edited.status).toBe(200);
    await pipeline.waitForBot('esc-edit', 2);
    await pipeline.waitIdle('esc-edit');
    expect(await pipeline.botTexts('esc-edit')).toEqual([HOLDING, 'Our legal team will contact you.']);
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, { text: 'again' })).status).toBe(409);
  });

  it('escalate then reject: nothing more is posted; 409 on a second resolution', async () => {
    pipeline = await escalatingPipeline();
    await pipeline.send('esc-reject', 'I will sue, my lawyer is ready.');
    const turn = await pendingTurn(pipeline, 'esc-reject');
    const rejected = await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/reject`, {});
    expect(rejected.status).toBe(200);
    expect(rejected.body.turn).toMatchObject({ status: 'rejected' });
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, {})).status).toBe(409);
    // The conversation is released: the next message gets an answer, and the rejected draft never went out.
    await pipeline.send('esc-reject', 'Hello again');
    expect(await pipeline.waitForBot('esc-reject', 2)).toEqual([HOLDING, 'reply to: Hello again']);
    await pipeline.waitIdle('esc-reject');
    expect(await pipeline.botTexts('esc-reject')).toEqual([HOLDING, 'reply to: Hello again']);
  });

  it('messages that arrive while a turn is held wait, and are answered after the resolution, in order', async () => {
    pipeline = await escalatingPipeline();
    await pipeline.send('held', 'My lawyer is reading this.');
    const turn = await pendingTurn(pipeline, 'held');
    await pipeline.waitForBot('held', 1);
    await pipeline.send('held', 'Are you there?');
    await pipeline.send('held', 'Hello??');
    await pipeline.waitIdle('held');
    // Held: the actor was not asked again and nothing else was posted.
    expect(pipeline.actorRequests()).toHaveLength(1);
    expect(await pipeline.botTexts('held')).toEqual([HOLDING]);
    expect(await pipeline.redis.llen(pipeline.keys.inbox('web:held'))).toBe(2);
    // The reviewer sees what the user got (the holding message) and what they wrote since.
    const detail = (await pipeline.reviewApi('GET', `/api/review/turns/${turn.id}`)).body.turn as { holding: unknown; waiting: Array<{ text: string; user: string }> };
    expect(detail.holding).toMatchObject({ text: HOLDING, posted: true });
    expect(detail.waiting.map((message) => [message.user, message.text])).toEqual([
      ['tester', 'Are you there?'],
      ['tester', 'Hello??'],
    ]);

    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, {})).status).toBe(200);
    const texts = await pipeline.waitForBot('held', 3);
    await pipeline.waitIdle('held');
    expect(await pipeline.botTexts('held')).toEqual([HOLDING, 'reply to: My lawyer is reading this.', 'reply to: Hello??']);
    expect(texts[1]).toBe('reply to: My lawyer is reading this.');
    // The waiting messages were answered in one turn that saw both, after the approved reply.
    const last = pipeline.actorRequests().at(-1)!;
    expect(turnMessages(last)).toEqual(['Are you there?', 'Hello??']);
    expect(last.messages.map((message) => message.content)).toContain('reply to: My lawyer is reading this.');
  });

  it('the review API needs the token', async () => {
    pipeline = await escalatingPipeline();
    const response = await fetch(`${pipeline.url()}/api/review/turns`);
    expect(response.status).toBe(401);
    const wrong = await fetch(`${pipeline.url()}/api/review/turns`, { headers: { authorization: 'Bearer nope-nope-nope' } });
    expect(wrong.status).toBe(401);
    expect((await pipeline.reviewApi('POST', '/api/review/turns/doesnotexist/approve', {})).status).toBe(404);
  });

  it('with holdConversation off, later messages are answered meanwhile and the resolved turn is posted afterwards, once', async () => {
    pipeline = await startPipeline({
      critic: (request) => ({ content: criticInput(request).draft.includes('lawyer') ? verdict('escalate', { reason: 'a legal threat' }) : verdict('approve') }),
      configure: (config) => {
        config.review.holdConversation = false;
      },
    });
    await pipeline.send('not-held', 'My lawyer wants a word.');
    const turn = await pendingTurn(pipeline, 'not-held');
    await pipeline.send('not-held', 'Anyway, what time is it?');
    expect(await pipeline.waitForBot('not-held', 2)).toEqual([HOLDING, 'reply to: Anyway, what time is it?']);
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, {})).status).toBe(200);
    await pipeline.waitForBot('not-held', 3);
    await pipeline.waitIdle('not-held');
    expect(await pipeline.botTexts('not-held')).toEqual([HOLDING, 'reply to: Anyway, what time is it?', 'reply to: My lawyer wants a word.']);
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turn.id}/reject`, {})).status).toBe(409);
  });
});
