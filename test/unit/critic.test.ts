/**
 * The critic over the in-process mock model: a verdict on the first answer, one bounded retry of
 * a failed or unusable answer, and a failure (which the turn escalates) after the last attempt;
 * never an exception for a model problem.
 */
import { describe, expect, it } from 'vitest';
import { createCritic } from '../../src/agents/critic.js';
import { VERDICT_JSON_SCHEMA } from '../../src/agents/verdict-schema.js';
import { createMockModelClient, type MockModelAnswer, modelAnswers } from '../fakes/mock-model-client.js';

/** Every answer takes 10 ms of model time, so the critic's sum of latencies can be checked. */
const timed = (answer: MockModelAnswer): MockModelAnswer => (typeof answer === 'string' ? { content: answer, latencyMs: 10 } : 'fail' in answer ? answer : { ...answer, latencyMs: 10 });

const input = {
  history: [],
  messages: [{ text: 'Can I get a refund?', user: { id: 'u1', name: 'ann' } }],
  draft: 'Yes, a full refund, no questions asked.',
};
const approve = { decision: 'approve', reason: 'Polite and within policy.', categories: [], confidence: 0.9, revised_text: null, feedback: null };
const escalate = { decision: 'escalate', reason: 'Promises a refund.', categories: ['refund'], confidence: 0.8, revised_text: null, feedback: null };

function critic(answer: MockModelAnswer[], options: { attempts?: number; timeoutMs?: number } = {}) {
  const model = createMockModelClient({ answer: answer.map(timed) });
  return { model, critic: createCritic({ model, policy: 'No refunds without a human.', attempts: 2, ...options }) };
}

describe('the critic', () => {
  it('returns the verdict of the first valid answer, asking for the verdict schema within its time limit', async () => {
    const { model, critic: reviewer } = critic([JSON.stringify(escalate)]);
    const outcome = await reviewer.review(input);
    expect(outcome).toEqual({ ok: true, verdict: escalate, attempts: 1, latencyMs: 10 });
    const request = model.requests[0]!;
    expect(request.json).toEqual({ name: 'verdict', schema: VERDICT_JSON_SCHEMA });
    expect(request.timeoutMs).toBe(20_000);
    expect(request.messages[0]!.content).toContain('No refunds without a human.');
    expect(request.messages.at(-1)!.content).toContain(JSON.stringify(input.draft));
  });

  it('retries once after an unusable answer and says why through onRetry', async () => {
    for (const unusable of ['not json at all', modelAnswers.truncated('{"decision": "appr'), JSON.stringify({ decision: 'edit', reason: 'x' }), modelAnswers.refusal('No.')]) {
      const { model, critic: reviewer } = critic([unusable, JSON.stringify(approve)]);
      const retries: string[] = [];
      const outcome = await reviewer.review(input, (failure) => retries.push(failure));
      expect(outcome).toEqual({ ok: true, verdict: approve, attempts: 2, latencyMs: 20 });
      expect(retries).toHaveLength(1);
      expect(model.calls).toHaveLength(2);
    }
  });

  it('retries once after a failed call: a time-out, an HTTP error, a cut stream', async () => {
    for (const failed of [modelAnswers.timeout(), modelAnswers.http(503), modelAnswers.truncatedStream(), modelAnswers.connection()]) {
      const { critic: reviewer } = critic([failed, JSON.stringify(approve)], { timeoutMs: 900 });
      const retries: string[] = [];
      const outcome = await reviewer.review(input, (failure) => retries.push(failure));
      expect(outcome).toMatchObject({ ok: true, attempts: 2, latencyMs: 10 });
      expect(retries[0]).toMatch(/^the critic call failed: model\./);
    }
  });

  it('fails closed after the last attempt, with the last problem and the attempts made', async () => {
    const { model, critic: reviewer } = critic([modelAnswers.http(500), modelAnswers.timeout()], { timeoutMs: 900 });
    const outcome = await reviewer.review(input);
    expect(outcome).toEqual({ ok: false, failure: 'the critic call failed: model.timeout: mock-model at http://mock.invalid/v1 did not answer within 900 ms', attempts: 2, latencyMs: 0 });
    expect(model.calls.map((call) => (call.error ? 'failed' : 'answered'))).toEqual(['failed', 'failed']);
  });

  it('a refusal on every attempt is a failure that names the refusal', async () => {
    const { critic: reviewer } = critic([modelAnswers.refusal('I will not judge this.'), modelAnswers.refusal('I will not judge this.')]);
    const outcome = await reviewer.review(input);
    expect(outcome).toMatchObject({ ok: false, failure: 'the critic refused: I will not judge this.', attempts: 2, latencyMs: 20 });
  });

  it('makes as many attempts as configured, and no more', async () => {
    const { model, critic: reviewer } = critic(['bad', 'bad', 'bad', JSON.stringify(approve)], { attempts: 3 });
    const outcome = await reviewer.review(input);
    expect(outcome).toMatchObject({ ok: false, attempts: 3 });
    expect(model.calls).toHaveLength(3);
  });
});
