import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAIModelClient } from '../../src/agents/openai-model-client.js';
import { CountersignError } from '../../src/core/errors.js';
import { type ModelServer, startModelServer } from '../../src/demo/model-server.js';

describe('the OpenAI-compatible model client', () => {
  let server: ModelServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const client = (url: string, stream: boolean) => createOpenAIModelClient({ baseUrl: url, apiKey: 'k', model: 'm', stream, maxRetries: 0, timeoutMs: 5000 });

  it('assembles a streamed answer', async () => {
    server = await startModelServer({ script: () => ({ content: 'a streamed answer of several chunks' }) });
    const completion = await client(server.url, true).complete({ messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.content).toBe('a streamed answer of several chunks');
    expect(completion.finishReason).toBe('stop');
  });

  for (const stream of [false, true]) {
    it(`tools: sends the tools and the calls and results so far in the wire shape, and reads tool_calls back (${stream ? 'streamed' : 'plain'})`, async () => {
      const bodies: Array<Record<string, unknown>> = [];
      server = await startModelServer({
        script: (request) => {
          bodies.push(request.body);
          return { toolCalls: [{ id: 'call_a', name: 'lookup', arguments: '{"account":"acct-1","note":"a longer argument text"}' }, { id: 'call_b', name: 'charge', arguments: '{"amount":5}' }] };
        },
      });
      const completion = await client(server.url, stream).complete({
        messages: [
          { role: 'user', content: 'look it up' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'lookup', arguments: '{"account":"acct-0"}' }] },
          { role: 'tool', toolCallId: 'call_0', content: 'Account acct-0: 1 charge.' },
        ],
        tools: [{ name: 'lookup', description: 'Look up an account.', parameters: { type: 'object', properties: { account: { type: 'string' } } } }],
      });
      expect(completion.toolCalls).toEqual([
        { id: 'call_a', name: 'lookup', arguments: '{"account":"acct-1","note":"a longer argument text"}' },
        { id: 'call_b', name: 'charge', arguments: '{"amount":5}' },
      ]);
      expect(completion.finishReason).toBe('tool_calls');
      expect(bodies[0]!.tools).toEqual([{ type: 'function', function: { name: 'lookup', description: 'Look up an account.', parameters: { type: 'object', properties: { account: { type: 'string' } } } } }]);
      expect(bodies[0]!.messages).toEqual([
        { role: 'user', content: 'look it up' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'lookup', arguments: '{"account":"acct-0"}' } }] },
        { role: 'tool', tool_call_id: 'call_0', content: 'Account acct-0: 1 charge.' },
      ]);
    });
  }

  it('a stream that ends without a finish_reason is model.truncated, never a partial answer', async () => {
    server = await startModelServer({ script: () => ({ content: '{"decision": "approve", "reason": "fine"}', truncate: 'clean' }) });
    const error = await client(server.url, true).complete({ messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CountersignError);
    expect((error as CountersignError).code).toBe('model.truncated');
  });

  it('falls back from json_schema to json_object when the server refuses it, and remembers', async () => {
    const formats: string[] = [];
    server = await startModelServer({
      script: (request) => {
        const format = (request.body.response_format as { type?: string } | undefined)?.type ?? 'none';
        formats.push(format);
        return format === 'json_schema' ? { status: 400 } : { content: '{}' };
      },
    });
    const model = client(server.url, false);
    const json = { name: 'verdict', schema: { type: 'object' } };
    await model.complete({ messages: [{ role: 'user', content: 'a' }], json });
    await model.complete({ messages: [{ role: 'user', content: 'b' }], json });
    expect(formats).toEqual(['json_schema', 'json_object', 'json_object']);
  });

  it('translates HTTP errors, keeping the status and whether a retry can help', async () => {
    server = await startModelServer({ script: () => ({ status: 503 }) });
    const error = (await client(server.url, false).complete({ messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught)) as CountersignError;
    expect(error.code).toBe('model.http');
    expect(error.details.status).toBe(503);
    expect(error.retryable).toBe(true);
  });
});
