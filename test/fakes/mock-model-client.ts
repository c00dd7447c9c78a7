/**
 * A scriptable, in-process ModelClient for tests that need a model without HTTP (the agents, the
 * turn runner's branches). After vercel/ai's MockLanguageModelV2: it records every call (the
 * request and what it answered), and answers from a function, a single value, or a list (one
 * per call; past its end, the last one again or an error, as chosen).
 *
 * An answer is the model's text, a Completion (refusals, finish reasons such as a `length`
 * truncation), or a failure, reported the way src/agents/openai-model-client.ts reports it:
 * the same CountersignError codes, messages, `retryable` and details (`model.timeout`,
 * `model.http` with its status, `model.connection`, `model.truncated` for a stream cut off,
 * `model.empty`, `model.aborted`). A `hang` failure waits like an unresponsive server: until the
 * request's signal aborts (`model.aborted`) or its `timeoutMs` passes (`model.timeout`).
 *
 * @example
 * const critic = createMockModelClient({ answer: [modelAnswers.timeout(), JSON.stringify(verdict)] });
 * await createCritic({ model: critic, policy, attempts: 2 }).review(input);
 * expect(critic.calls.map((call) => call.error ? 'failed' : 'answered')).toEqual(['failed', 'answered']);
 */
import { CountersignError } from '../../src/core/errors.js';
import type { Completion, CompletionRequest, ModelClient } from '../../src/core/ports.js';

/** A failure the mock reports instead of answering. */
export type MockModelFailure =
  | { fail: 'timeout' }
  | { fail: 'http'; status: number }
  | { fail: 'connection'; cause?: string }
  | { fail: 'truncated-stream' }
  | { fail: 'empty' }
  | { fail: 'aborted' }
  | { fail: 'hang' };

/** What one call answers: the text, a (partial) Completion, or a failure. */
export type MockModelAnswer = string | (Partial<Omit<Completion, 'latencyMs'>> & { latencyMs?: number }) | MockModelFailure;

export type MockModelScript =
  | MockModelAnswer
  | MockModelAnswer[]
  | ((request: CompletionRequest, call: number) => MockModelAnswer | Promise<MockModelAnswer>);

export interface MockModelClientOptions {
  /** @defaultValue 'mock-model' */
  model?: string;
  /** How the mock answers. @defaultValue 'OK' */
  answer?: MockModelScript;
  /**
   * Past the end of a list of answers: `repeat-last` answers the last one again, `fail` throws
   * (a test that calls the model more often than it scripted finds out).
   * @defaultValue 'fail'
   */
  whenExhausted?: 'repeat-last' | 'fail';
  /** Shown in error messages as the real client shows its endpoint. @defaultValue 'http://mock.invalid/v1' */
  endpoint?: string;
  /** Time limit of a call whose request names none, as the real client's option. @defaultValue 60000 */
  timeoutMs?: number;
}

export interface MockModelCall {
  /** 1-based. */
  call: number;
  /** The request as it was made (messages copied, so later changes do not show here). */
  request: CompletionRequest;
  /** What the call answered, if it answered. */
  completion?: Completion;
  /** What it threw, if it failed. */
  error?: unknown;
}

export interface MockModelClient extends ModelClient {
  readonly endpoint: string;
  /** Every call so far, in order. */
  readonly calls: MockModelCall[];
  /** The requests alone (`calls.map((call) => call.request)`). */
  readonly requests: CompletionRequest[];
  /** Replace the script (the call count goes on). */
  script(answer: MockModelScript): void;
}

/** Ready-made answers and failures. */
export const modelAnswers = {
  text: (content: string): MockModelAnswer => ({ content, refusal: null, finishReason: 'stop' }),
  /** The model calls tools: `[name, arguments]` pairs, ids `call_1`, `call_2`, ... unless given. */
  toolCalls: (...calls: Array<[name: string, args: Record<string, unknown> | string, id?: string]>): MockModelAnswer => ({
    content: null,
    refusal: null,
    finishReason: 'tool_calls',
    toolCalls: calls.map(([name, args, id], index) => ({ id: id ?? `call_${index + 1}`, name, arguments: typeof args === 'string' ? args : JSON.stringify(args) })),
  }),
  refusal: (refusal: string): MockModelAnswer => ({ content: null, refusal, finishReason: 'stop' }),
  /** An answer cut at the token limit: the partial text with `finish_reason: length`. */
  truncated: (partial: string): MockModelAnswer => ({ content: partial, refusal: null, finishReason: 'length' }),
  /** A streamed answer that ended without a finish reason (`model.truncated`). */
  truncatedStream: (): MockModelFailure => ({ fail: 'truncated-stream' }),
  timeout: (): MockModelFailure => ({ fail: 'timeout' }),
  http: (status: number): MockModelFailure => ({ fail: 'http', status }),
  connection: (cause = 'ECONNREFUSED'): MockModelFailure => ({ fail: 'connection', cause }),
  empty: (): MockModelFailure => ({ fail: 'empty' }),
  aborted: (): MockModelFailure => ({ fail: 'aborted' }),
  /** Never answers: fails when the request's signal aborts or its time limit passes. */
  hang: (): MockModelFailure => ({ fail: 'hang' }),
};

const isFailure = (answer: MockModelAnswer): answer is MockModelFailure => typeof answer === 'object' && answer !== null && 'fail' in answer;

export function createMockModelClient(options: MockModelClientOptions = {}): MockModelClient {
  const model = options.model ?? 'mock-model';
  const endpoint = options.endpoint ?? 'http://mock.invalid/v1';
  const defaultTimeoutMs = options.timeoutMs ?? 60_000;
  let script: MockModelScript = options.answer ?? 'OK';
  const calls: MockModelCall[] = [];

  async function pick(request: CompletionRequest, call: number): Promise<MockModelAnswer> {
    if (typeof script === 'function') return script(request, call);
    if (!Array.isArray(script)) return script;
    const answers = script;
    const index = call - 1;
    if (index < answers.length) return answers[index]!;
    if (options.whenExhausted === 'repeat-last' && answers.length) return answers.at(-1)!;
    throw new Error(`mock model client ${model}: call ${call} has no scripted answer (${answers.length} scripted)`);
  }

  /** The errors of src/agents/openai-model-client.ts, word for word. */
  function failure(answer: MockModelFailure, request: CompletionRequest): Promise<never> {
    const limit = request.timeoutMs ?? defaultTimeoutMs;
    switch (answer.fail) {
      case 'timeout':
        return Promise.reject(new CountersignError('model.timeout', `${model} at ${endpoint} did not answer within ${limit} ms`, { details: { endpoint } }));
      case 'http':
        return Promise.reject(
          new CountersignError('model.http', `${model} at ${endpoint} answered HTTP ${answer.status}`, {
            retryable: answer.status === 429 || answer.status >= 500,
            details: { status: answer.status, endpoint },
          }),
        );
      case 'connection':
        return Promise.reject(new CountersignError('model.connection', `${model}: cannot reach ${endpoint} (${answer.cause ?? 'ECONNREFUSED'})`, { details: { endpoint } }));
      case 'truncated-stream':
        return Promise.reject(new CountersignError('model.truncated', `${model}: the stream ended before the answer was complete`, {  }));
      case 'empty':
        return Promise.reject(new CountersignError('model.empty', `${model} answered no choices`, {  }));
      case 'aborted':
        return Promise.reject(new CountersignError('model.aborted', `${model} call aborted`, {  }));
      case 'hang':
        return new Promise<never>((_, reject) => {
          if (request.signal?.aborted) return reject(new CountersignError('model.aborted', `${model} call aborted`, {  }));
          const timer = setTimeout(() => {
            request.signal?.removeEventListener('abort', onAbort);
            reject(new CountersignError('model.timeout', `${model} at ${endpoint} did not answer within ${limit} ms`, { details: { endpoint } }));
          }, limit);
          const onAbort = () => {
            clearTimeout(timer);
            reject(new CountersignError('model.aborted', `${model} call aborted`, {  }));
          };
          request.signal?.addEventListener('abort', onAbort, { once: true });
        });
    }
  }

  const client: MockModelClient = {
    model,
    endpoint,
    calls,
    get requests() {
      return calls.map((call) => call.request);
    },
    script(next) {
      script = next;
    },
    async complete(request) {
      const started = performance.now();
      const record: MockModelCall = { call: calls.length + 1, request: { ...request, messages: request.messages.map((message) => ({ ...message })) } };
      calls.push(record);
      try {
        if (request.signal?.aborted) throw new CountersignError('model.aborted', `${model} call aborted`, {  });
        const answer = await pick(request, record.call);
        if (isFailure(answer)) return await failure(answer, request);
        const partial = typeof answer === 'string' ? { content: answer } : answer;
        const completion: Completion = {
          content: partial.content ?? null,
          refusal: partial.refusal ?? null,
          finishReason: partial.finishReason === undefined ? 'stop' : partial.finishReason,
          latencyMs: partial.latencyMs ?? performance.now() - started,
          ...(partial.toolCalls?.length ? { toolCalls: partial.toolCalls.map((call) => ({ ...call })) } : {}),
        };
        record.completion = completion;
        return completion;
      } catch (error) {
        record.error = error;
        throw error;
      }
    },
  };
  return client;
}
