import { describe, expect, it } from 'vitest';
import type { ModelServerAnswer } from '../../src/demo/model-server.js';
import { HOLDING, verdict, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

const DRAFT = 'UNREVIEWED DRAFT';

/**
 * Every critic failure is retried exactly once and then escalates with the failure as its
 * reason; the draft is never posted (fail closed).
 */
async function expectFailClosed(conversation: string, answer: ModelServerAnswer, reason: RegExp, options: { env?: Record<string, string>; stream?: boolean } = {}) {
  const pipeline = await perTest.start({
    actor: () => ({ content: DRAFT }),
    critic: () => answer,
    ...(options.env ? { env: options.env } : {}),
    configure: (config) => {
      if (options.stream) config.models.critic.stream = true;
    },
  });
  await pipeline.send(conversation, 'Hi there');
  const turn = await waitFor(async () => {
    const listed = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
    return (listed.body.turns as Array<{ id: string; draft: string; escalation: { source: string; reason: string } }>)[0];
  }, 'the escalated turn');
  expect(turn.escalation.source).toBe('critic-failure');
  expect(turn.escalation.reason).toMatch(reason);
  expect(turn.draft).toBe(DRAFT);
  expect(await pipeline.waitForBot(conversation, 1)).toEqual([HOLDING]);
  await pipeline.waitIdle(conversation);
  expect(pipeline.criticRequests()).toHaveLength(2);
  expect(pipeline.actorRequests()).toHaveLength(1);
  const transcript = await pipeline.transcript(conversation);
  expect(transcript.map((message) => message.text)).not.toContain(DRAFT);
  expect(await pipeline.botTexts(conversation)).toEqual([HOLDING]);
  if (options.stream) expect(pipeline.criticRequests().every((request) => request.stream)).toBe(true);
}

describe('fail closed on critic failures', () => {
  it('a time-out (the critic never answers)', async () => {
    await expectFailClosed('timeout', { hang: true }, /timeout|did not answer within 400 ms/, { env: { CRITIC_TIMEOUT_MS: '400' } });
  });

  it('HTTP 500', async () => {
    await expectFailClosed('http500', { status: 500 }, /HTTP 500/);
  });

  it('HTTP 429 with Retry-After is not retried inside the client either', async () => {
    await expectFailClosed('http429', { status: 429, retryAfterSeconds: 0 }, /HTTP 429/);
  });

  it('malformed JSON', async () => {
    await expectFailClosed('malformed', { content: '{"decision": "approve", "reason": ' }, /not JSON/);
  });

  it('a refusal', async () => {
    await expectFailClosed('refusal', { refusal: 'I cannot help with reviewing this.' }, /refused: I cannot help/);
  });

  it('an edit without revised_text', async () => {
    await expectFailClosed('edit-no-text', { content: verdict('edit', { revised_text: null }) }, /revised_text/);
  });

  it('a revise without feedback', async () => {
    await expectFailClosed('revise-no-feedback', { content: verdict('revise', { feedback: '  ' }) }, /feedback/);
  });

  it('an unknown decision', async () => {
    await expectFailClosed('unknown-decision', { content: verdict('approve', { decision: 'post-it' }) }, /decision/);
  });

  it('prose around the verdict JSON', async () => {
    await expectFailClosed('prose', { content: `Sure! Here is my verdict: ${verdict('approve')}` }, /not JSON/);
  });

  it('a streamed critic whose stream is cut off mid-answer', async () => {
    await expectFailClosed('truncated', { content: verdict('approve'), truncate: true }, /stream ended|connection/, { stream: true });
  });

  it('a failure then a good verdict: retried once, then approved and posted', async () => {
    let calls = 0;
    const pipeline = await perTest.start({
      actor: () => ({ content: 'A reviewed draft.' }),
      critic: () => (++calls === 1 ? { status: 500 } : { content: verdict('approve') }),
    });
    await pipeline.send('retry-ok', 'Hi');
    expect(await pipeline.waitForBot('retry-ok', 1)).toEqual(['A reviewed draft.']);
    await pipeline.waitIdle('retry-ok');
    expect(pipeline.criticRequests()).toHaveLength(2);
    expect(await pipeline.botTexts('retry-ok')).toEqual(['A reviewed draft.']);
  });

  it('a streamed critic that answers in full approves', async () => {
    const pipeline = await perTest.start({
      actor: () => ({ content: 'Streamed review.' }),
      critic: () => ({ content: verdict('approve') }),
      configure: (config) => {
        config.models.critic.stream = true;
      },
    });
    await pipeline.send('stream-ok', 'Hi');
    expect(await pipeline.waitForBot('stream-ok', 1)).toEqual(['Streamed review.']);
    expect(pipeline.criticRequests()).toHaveLength(1);
    expect(pipeline.criticRequests()[0]!.stream).toBe(true);
  });
});
