/**
 * The model gateway of `bench tau` with the real `openai` client: forwarding to a model server
 * (plain and streamed) with the gateway's key, metering tokens and time per episode and role,
 * counting the critic's verdicts by kind, and scripted answers with tool calls.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelServer, startModelServer } from '../../src/demo/model-server.js';
import { startTauModelGateway, type TauModelGateway } from '../../src/tau-bench/tau-model-gateway.js';
import { buildActionCriticDocument } from '../helpers/tau-critic-request.js';

describe('the τ-bench model gateway', () => {
  let upstream: ModelServer;
  let gateway: TauModelGateway;

  beforeAll(async () => {
    upstream = await startModelServer({
      script: (request) => {
        if (request.model.includes('critic')) return { content: request.raw.includes('proposedCall') ? '{"decision": "escalate", "reason": "r"}' : '```json\n{"decision": "edit", "reason": "r"}\n```' };
        return { content: `echo ${request.messages.at(-1)?.content ?? ''}` };
      },
    });
    gateway = await startTauModelGateway();
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  const client = (episode: string, role: 'actor' | 'critic' | 'user') => new OpenAI({ baseURL: gateway.baseUrl(episode, role), apiKey: 'not-the-real-key', maxRetries: 0 });

  it('forwards to the model server and meters the usage it reports, plain and streamed', async () => {
    gateway.register('e1', { actor: { upstream: { baseUrl: upstream.url, apiKey: 'real-key' } } });
    const plain = await client('e1', 'actor').chat.completions.create({ model: 'actor', messages: [{ role: 'user', content: 'hello' }] });
    expect(plain.choices[0]?.message.content).toBe('echo hello');
    const stream = await client('e1', 'actor').chat.completions.create({ model: 'actor', messages: [{ role: 'user', content: 'streamed' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo streamed');
    const meter = gateway.release('e1')!;
    // The model server reports usage 10 + 10 for a plain answer; its stream reports none (estimated).
    expect(meter.usage.actor).toMatchObject({ calls: 2, failures: 0, estimatedCalls: 1 });
    expect(meter.usage.actor.promptTokens).toBeGreaterThan(10);
    expect(meter.usage.actor.modelMs).toBeGreaterThan(0);
    expect(meter.usage.critic.calls).toBe(0);
  });

  it("counts the critic's verdicts apart for replies and actions", async () => {
    gateway.register('e2', { critic: { upstream: { baseUrl: upstream.url, apiKey: 'real-key' } } });
    await client('e2', 'critic').chat.completions.create({ model: 'critic', messages: [{ role: 'user', content: 'Review the draft: hi' }] });
    await client('e2', 'critic').chat.completions.create({ model: 'critic', messages: [{ role: 'user', content: buildActionCriticDocument('cancel_reservation', { reservation_id: 'X' }) }] });
    const meter = gateway.release('e2')!;
    expect(meter.verdicts.reply).toMatchObject({ edit: 1, escalate: 0 });
    expect(meter.verdicts.action).toMatchObject({ escalate: 1, edit: 0 });
  });

  it('answers from a script, tool calls included, plain and streamed', async () => {
    let calls = 0;
    gateway.register('e3', { actor: { script: () => ({ content: null, toolCalls: [{ id: `call_${++calls}`, name: 'get_user_details', arguments: '{"user_id": "u1"}' }] }) } });
    const plain = await client('e3', 'actor').chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'get_user_details', parameters: { type: 'object' } } }] });
    expect(plain.choices[0]?.finish_reason).toBe('tool_calls');
    expect(plain.choices[0]?.message.tool_calls?.[0]).toMatchObject({ id: 'call_1', function: { name: 'get_user_details', arguments: '{"user_id": "u1"}' } });
    const stream = client('e3', 'actor').chat.completions.stream({ model: 'x', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({ id: 'call_2', function: { name: 'get_user_details', arguments: '{"user_id": "u1"}' } });
    const meter = gateway.release('e3')!;
    expect(meter.usage.actor).toMatchObject({ calls: 2, estimatedCalls: 2 });
  });

  it('refuses an unknown episode or role with a 404 the client reports', async () => {
    await expect(client('nobody', 'actor').chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404 });
  });
});
