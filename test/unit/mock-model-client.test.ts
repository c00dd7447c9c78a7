/**
 * The in-process mock ModelClient: its scripts (function, value, list), what it records, and
 * failures that look exactly like the real OpenAI-compatible client's, compared side by side
 * against that client talking to a model server that fails the same way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAIModelClient, displayEndpoint } from '../../src/agents/openai-model-client.js';
import type { CountersignError } from '../../src/core/errors.js';
import type { CompletionRequest, ModelClient } from '../../src/core/ports.js';
import { type ModelServer, type ModelServerAnswer, startModelServer } from '../../src/demo/model-server.js';
import { createMockModelClient, type MockModelAnswer, modelAnswers } from '../fakes/mock-model-client.js';

const ask = (content: string, extra: Partial<CompletionRequest> = {}): CompletionRequest => ({ messages: [{ role: 'user', content }], ...extra });

describe('the mock model client: scripts and records', () => {
  it('answers from a single value, every call', async () => {
    const model = createMockModelClient({ answer: 'always this' });
    expect((await model.complete(ask('a'))).content).toBe('always this');
    expect((await model.complete(ask('b'))).content).toBe('always this');
    expect(model.calls.map((call) => call.call)).toEqual([1, 2]);
  });

  it('answers from a list, one per call, then fails (or repeats the last, when asked)', async () => {
    const strict = createMockModelClient({ answer: ['one', 'two'] });
    expect((await strict.complete(ask('a'))).content).toBe('one');
    expect((await strict.complete(ask('b'))).content).toBe('two');
    await expect(strict.complete(ask('c'))).rejects.toThrow(/call 3 has no scripted answer \(2 scripted\)/);
    expect(strict.calls[2]!.error).toBeInstanceOf(Error);

    const lenient = createMockModelClient({ answer: ['one', 'two'], whenExhausted: 'repeat-last' });
    const answers = [];
    for (const text of ['a', 'b', 'c', 'd']) answers.push((await lenient.complete(ask(text))).content);
    expect(answers).toEqual(['one', 'two', 'two', 'two']);
  });

  it('answers from a function of the request and the call number', async () => {
    const model = createMockModelClient({ answer: (request, call) => `${call}: ${request.messages.at(-1)!.content.toUpperCase()}` });
    expect((await model.complete(ask('hello'))).content).toBe('1: HELLO');
    expect((await model.complete(ask('again'))).content).toBe('2: AGAIN');
  });

  it('records each request as made and what it answered or threw', async () => {
    const model = createMockModelClient({ answer: [modelAnswers.text('fine'), modelAnswers.http(500)] });
    const request = ask('first', { timeoutMs: 1234, json: { name: 'verdict', schema: { type: 'object' } } });
    await model.complete(request);
    request.messages[0]!.content = 'changed afterwards';
    await model.complete(ask('second')).catch(() => {});
    expect(model.requests.map((item) => item.messages[0]!.content)).toEqual(['first', 'second']);
    expect(model.calls[0]).toMatchObject({ call: 1, request: { timeoutMs: 1234, json: { name: 'verdict' } }, completion: { content: 'fine', refusal: null, finishReason: 'stop' } });
    expect(model.calls[1]!.completion).toBeUndefined();
    expect((model.calls[1]!.error as CountersignError).code).toBe('model.http');
  });

  it('takes a new script mid-test, counting calls on', async () => {
    const model = createMockModelClient({ answer: 'before' });
    await model.complete(ask('a'));
    model.script((_request, call) => `after, call ${call}`);
    expect((await model.complete(ask('b'))).content).toBe('after, call 2');
  });

  it('a hanging model fails when the request is aborted, or at its time limit', async () => {
    const model = createMockModelClient({ answer: modelAnswers.hang() });
    const controller = new AbortController();
    const pending = model.complete(ask('wait', { signal: controller.signal, timeoutMs: 60_000 }));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'model.aborted', retryable: true });
    await expect(model.complete(ask('wait', { timeoutMs: 50 }))).rejects.toMatchObject({ code: 'model.timeout', message: 'mock-model at http://mock.invalid/v1 did not answer within 50 ms' });
  });
});

describe('the mock model client fails like the OpenAI-compatible client', () => {
  let server: ModelServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** The real client against a model server answering `served`, and the mock answering `mocked`. */
  async function both(served: ModelServerAnswer, mocked: MockModelAnswer, options: { stream?: boolean; timeoutMs?: number } = {}) {
    server = await startModelServer({ script: () => served });
    const real: ModelClient = createOpenAIModelClient({ baseUrl: server.url, apiKey: 'k', model: 'm', stream: options.stream ?? false, maxRetries: 0, timeoutMs: 5000 });
    const mock = createMockModelClient({ model: 'm', endpoint: displayEndpoint(server.url), answer: mocked });
    const request = ask('hi', { timeoutMs: options.timeoutMs ?? 5000 });
    const outcome = async (client: ModelClient) =>
      client.complete(request).then(
        (completion) => ({ completion: { ...completion, latencyMs: 0 } }),
        (error: CountersignError) => ({ error: { name: error.name, code: error.code, message: error.message, retryable: error.retryable, details: error.details } }),
      );
    return { real: await outcome(real), mock: await outcome(mock) };
  }

  it('HTTP errors: model.http with the status, retryable for 429 and 5xx only', async () => {
    for (const status of [503, 429, 400]) {
      const { real, mock } = await both({ status }, modelAnswers.http(status));
      expect(mock).toEqual(real);
      expect('error' in mock && mock.error).toMatchObject({ code: 'model.http', details: { status }, retryable: status !== 400 });
      await server?.close();
      server = undefined;
    }
  });

  it('a time-out: model.timeout naming the limit', async () => {
    const { real, mock } = await both({ hang: true }, modelAnswers.timeout(), { timeoutMs: 300 });
    expect(mock).toEqual(real);
    expect('error' in mock && mock.error.code).toBe('model.timeout');
  });

  it('a stream cut off before its finish reason: model.truncated', async () => {
    const { real, mock } = await both({ content: '{"decision": "approve"}', truncate: 'clean' }, modelAnswers.truncatedStream(), { stream: true });
    expect(mock).toEqual(real);
  });

  it('a refusal: no content, the refusal text', async () => {
    const { real, mock } = await both({ refusal: 'I cannot help with that.' }, modelAnswers.refusal('I cannot help with that.'));
    expect(mock).toEqual(real);
    expect(mock).toEqual({ completion: { content: null, refusal: 'I cannot help with that.', finishReason: 'stop', latencyMs: 0 } });
  });

  it('a plain answer', async () => {
    const { real, mock } = await both({ content: 'Hello there.' }, 'Hello there.');
    expect(mock).toEqual(real);
  });
});
