/**
 * The offline demo's actions: the scripted actor calls the demo airline's tools and the scripted
 * critic of actions decides on each call, through the real `openai` client against the demo's
 * model server, with requests built by the service's own prompt builders (the actor's messages
 * with this turn's tool steps, the critic's action document).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildActionCriticMessages } from '../../src/agents/action-critic-prompt.js';
import { buildActorMessages } from '../../src/agents/actor-prompt.js';
import { toOpenAIMessages } from '../../src/agents/openai-model-client.js';
import { buildCriticMessages } from '../../src/agents/critic-prompt.js';
import { parseActionVerdict, parseVerdict } from '../../src/agents/verdict-schema.js';
import type { EarlierToolCall } from '../../src/core/conversation-ports.js';
import type { ActionVerdict, InboundMessage, ToolStep } from '../../src/core/types.js';
import { createDemoAirline, type DemoAirline } from '../../src/demo/demo-airline-tools.js';
import { DEMO_ACTOR_MODEL, DEMO_CRITIC_MODEL, DEMO_PROMPTS, startDemoModels } from '../../src/demo/demo-models.js';

let models: Awaited<ReturnType<typeof startDemoModels>>;
let client: OpenAI;
let airline: DemoAirline;

beforeAll(async () => {
  models = await startDemoModels();
  client = new OpenAI({ baseURL: models.actor.baseUrl, apiKey: models.actor.apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await models.close();
});

const actionPrompt = (decision: string) => DEMO_PROMPTS.find((entry) => entry.subject === 'action' && entry.decision === decision)!.text;
const message = (text: string): InboundMessage => ({ id: 'm1', conversation: { platform: 'web', id: 'c1' }, user: { id: 'u1', name: 'Mia' }, text, receivedAt: 0 });
const toolOf = (name: string) => airline.tools.find((tool) => tool.name === name)!;
const openAITools = () => airline.tools.map((tool) => ({ type: 'function' as const, function: { name: tool.name, description: tool.description, parameters: tool.inputSchema } }));

/** Run an in-process tool as the ledger would (the parsed arguments, a key). */
async function run(name: string, args: Record<string, unknown>, key = `key-${name}-${Math.random()}`): Promise<string> {
  const tool = toolOf(name);
  try {
    const output = await tool.execute(tool.input.parse(args), { idempotencyKey: key, signal: new AbortController().signal });
    return typeof output === 'string' ? output : (output.text ?? '');
  } catch (error) {
    return `Error: ${(error as Error).message}`;
  }
}

/** One actor request as the service builds it; the actor's answer (a reply or tool calls). */
async function actor(userText: string, steps: ToolStep[] = [], toolChoice?: 'none') {
  const messages = buildActorMessages({ systemPrompt: 'You are an airline support assistant.', history: [], messages: [message(userText)], toolSteps: steps });
  const completion = await client.chat.completions.create({ model: DEMO_ACTOR_MODEL, messages: toOpenAIMessages(messages), tools: openAITools(), ...(toolChoice ? { tool_choice: toolChoice } : {}) });
  return completion.choices[0]!;
}

/** Drive the actor through its tool calls, running each (the critic's edit applied when given), until it replies. */
async function agentLoop(userText: string, decide: (name: string, args: Record<string, unknown>, steps: ToolStep[]) => Promise<{ run: Record<string, unknown> } | { refuse: string }>) {
  const steps: ToolStep[] = [];
  for (let step = 0; step < 5; step++) {
    const choice = await actor(userText, steps);
    const calls = choice.message.tool_calls ?? [];
    if (!calls.length) return { reply: choice.message.content ?? '', steps };
    expect(choice.finish_reason).toBe('tool_calls');
    const entries = [];
    for (const call of calls) {
      if (call.type !== 'function') throw new Error('not a function call');
      const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
      const decided = await decide(call.function.name, args, steps);
      const result = 'run' in decided ? await run(call.function.name, decided.run) : decided.refuse;
      entries.push({ id: call.id, name: call.function.name, arguments: call.function.arguments, outcome: { status: 'run' in decided ? ('done' as const) : ('refused' as const), result, ...('run' in decided ? { ran: decided.run } : {}), at: 0 } });
    }
    steps.push({ step, content: choice.message.content, calls: entries });
  }
  throw new Error('the actor never replied');
}

const earlierOf = (steps: ToolStep[]): EarlierToolCall[] =>
  steps.flatMap((step) => step.calls.map((call) => ({ tool: call.name, arguments: call.outcome!.ran ?? JSON.parse(call.arguments), status: call.outcome!.status, result: call.outcome!.result })));

/** The critic's verdict on a proposed call, asked as the action gate asks it. */
async function criticOnCall(userText: string, name: string, args: Record<string, unknown>, earlier: EarlierToolCall[]): Promise<ActionVerdict> {
  const tool = toolOf(name);
  const messages = buildActionCriticMessages({
    policy: 'Cancel only what the policy allows; vouchers at most $50 per passenger.',
    history: [],
    messages: [message(userText)],
    earlierCalls: earlier,
    call: { tool: name, description: tool.description, inputSchema: tool.inputSchema, arguments: args, effect: tool.effect },
  });
  const completion = await client.chat.completions.create({ model: DEMO_CRITIC_MODEL, messages: toOpenAIMessages(messages), response_format: { type: 'json_object' } });
  const parsed = parseActionVerdict(completion.choices[0]!.message.content);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.verdict;
}

/** The gate as the demo plays it: reads run, writes go to the critic (approve/edit run, escalate is a human's). */
const gate = (userText: string, human: 'approve' | 'reject' = 'approve') => async (name: string, args: Record<string, unknown>, steps: ToolStep[]) => {
  if (toolOf(name).effect === 'read') return { run: args };
  const verdict = await criticOnCall(userText, name, args, earlierOf(steps));
  if (verdict.decision === 'approve') return { run: args };
  if (verdict.decision === 'edit') return { run: verdict.revised_arguments! };
  if (human === 'approve') return { run: args };
  return { refuse: 'Not run: a human reviewer refused this call. Do not make it again; tell the user it was not done.' };
};

describe('the demo actor with the airline tools, and the critic of actions', () => {
  beforeAll(() => {
    airline = createDemoAirline();
  });

  it('approve: looks the booking up, the critic approves a cancellation the policy allows, the reply reports it', async () => {
    const text = actionPrompt('approve');
    const first = await actor(text);
    expect(first.message.tool_calls?.map((call) => call.type === 'function' && [call.function.name, JSON.parse(call.function.arguments)])).toEqual([['get_reservation', { reservation_id: 'ZFA04Y' }]]);
    const lookup = await run('get_reservation', { reservation_id: 'ZFA04Y' });
    const verdict = await criticOnCall(text, 'cancel_reservation', { reservation_id: 'ZFA04Y' }, [{ tool: 'get_reservation', arguments: { reservation_id: 'ZFA04Y' }, status: 'done', result: lookup }]);
    expect(verdict).toMatchObject({ decision: 'approve', revised_arguments: null });
    expect(verdict.reason).toMatch(/business booking/);

    const { reply, steps } = await agentLoop(text, gate(text));
    expect(steps.map((step) => step.calls.map((call) => call.name))).toEqual([['get_reservation'], ['cancel_reservation']]);
    expect(reply).toMatch(/ZFA04Y .* is cancelled/);
    expect(airline.bookings.get('ZFA04Y')!.status).toBe('cancelled');
  });

  it('edit: a voucher above the policy limit gets revised_arguments with the limit, which fit the tool schema', async () => {
    const text = actionPrompt('edit');
    const lookup = await run('get_reservation', { reservation_id: '4WQ150' });
    const verdict = await criticOnCall(text, 'issue_voucher', { reservation_id: '4WQ150', amount: 300 }, [{ tool: 'get_reservation', arguments: { reservation_id: '4WQ150' }, status: 'done', result: lookup }]);
    expect(verdict).toMatchObject({ decision: 'edit', revised_arguments: { reservation_id: '4WQ150', amount: 100 } });
    expect(toolOf('issue_voucher').input.safeParse(verdict.revised_arguments).success).toBe(true);
    // Within the limit it is approved as proposed.
    expect(await criticOnCall(text, 'issue_voucher', { reservation_id: '4WQ150', amount: 80 }, [{ tool: 'get_reservation', arguments: { reservation_id: '4WQ150' }, status: 'done', result: lookup }])).toMatchObject({ decision: 'approve' });

    const { reply, steps } = await agentLoop(text, gate(text));
    expect(steps.at(-1)!.calls[0]).toMatchObject({ name: 'issue_voucher', outcome: { ran: { reservation_id: '4WQ150', amount: 100 } } });
    expect(JSON.parse(steps.at(-1)!.calls[0]!.arguments)).toEqual({ reservation_id: '4WQ150', amount: 300 });
    expect(reply).toMatch(/of 100 USD/);
    expect(reply).toMatch(/most our policy allows/);
  });

  it('escalate: a cancellation the policy does not allow is held for a human; rejected, the actor says so and calls nothing more', async () => {
    const text = actionPrompt('escalate');
    const lookup = await run('get_reservation', { reservation_id: 'EHGLP3' });
    const verdict = await criticOnCall(text, 'cancel_reservation', { reservation_id: 'EHGLP3' }, [{ tool: 'get_reservation', arguments: { reservation_id: 'EHGLP3' }, status: 'done', result: lookup }]);
    expect(verdict.decision).toBe('escalate');
    expect(verdict.reason).toMatch(/does not allow/);

    const { reply } = await agentLoop(text, gate(text, 'reject'));
    expect(reply).toMatch(/could not cancel reservation EHGLP3/);
    expect(airline.bookings.get('EHGLP3')!.status).toBe('confirmed');
    // With tool_choice "none" (after a human refused a call) the actor replies, whatever it has.
    const none = await actor(text, [], 'none');
    expect(none.message.tool_calls ?? []).toEqual([]);
    expect(none.message.content).toMatch(/EHGLP3/);
  });

  it('goes to a human when the call is unchecked or unasked for, or its tool unknown; approves reads', async () => {
    expect(await criticOnCall('Please cancel ZFA04Y', 'cancel_reservation', { reservation_id: 'ZFA04Y' }, [])).toMatchObject({ decision: 'escalate', categories: ['unchecked'] });
    const lookup = await run('get_reservation', { reservation_id: 'EHGLP3' });
    expect(await criticOnCall('What is on booking EHGLP3?', 'cancel_reservation', { reservation_id: 'EHGLP3' }, [{ tool: 'get_reservation', arguments: { reservation_id: 'EHGLP3' }, status: 'done', result: lookup }])).toMatchObject({
      decision: 'escalate',
      categories: ['unrequested-action'],
    });
    expect(await criticOnCall('Send a voucher for 4WQ150', 'issue_voucher', { reservation_id: '4WQ150', amount: 20 }, [])).toMatchObject({ decision: 'escalate' });
    expect(await criticOnCall('Look up EHGLP3', 'get_reservation', { reservation_id: 'EHGLP3' }, [])).toMatchObject({ decision: 'approve' });
    const unknown = buildActionCriticMessages({
      policy: 'p',
      history: [],
      messages: [message('Delete my account')],
      earlierCalls: [],
      call: { tool: 'delete_account', description: 'Delete an account', inputSchema: { type: 'object' }, arguments: { user: 'u1' }, effect: 'write' },
    });
    const completion = await client.chat.completions.create({ model: DEMO_CRITIC_MODEL, messages: toOpenAIMessages(unknown) });
    expect(parseActionVerdict(completion.choices[0]!.message.content)).toMatchObject({ ok: true, verdict: { decision: 'escalate', categories: ['unknown-tool'] } });
  });

  it('without a reservation id, or without tools offered, the actor answers from the FAQ as before', async () => {
    const faq = await client.chat.completions.create({ model: DEMO_ACTOR_MODEL, messages: [{ role: 'user', content: 'Please cancel my reservation ZFA04Y.' }] });
    expect(faq.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(faq.choices[0]!.message.content).toMatch(/within 24 hours/);
    const noId = await actor('Can I cancel my flight?');
    expect(noId.message.tool_calls ?? []).toEqual([]);
  });

  it('the reply critic lets a reply report a voucher the critic of actions let through (and still escalates legal threats)', async () => {
    const text = actionPrompt('edit');
    const toolCalls = [{ tool: 'issue_voucher', arguments: { reservation_id: '4WQ150', amount: 100 }, result: 'Voucher VC-1001 of 100 USD is issued for reservation 4WQ150, valid for one year.' }];
    const ask = async (user: string, calls = toolCalls) => {
      const messages = buildCriticMessages({ policy: 'p', history: [], messages: [message(user)], draft: 'Voucher VC-1001 of 100 USD is issued for reservation 4WQ150.', toolCalls: calls });
      const completion = await client.chat.completions.create({ model: DEMO_CRITIC_MODEL, messages: toOpenAIMessages(messages), response_format: { type: 'json_object' } });
      const parsed = parseVerdict(completion.choices[0]!.message.content);
      if (!parsed.ok) throw new Error(parsed.problem);
      return parsed.verdict;
    };
    expect((await ask(text)).decision).toBe('approve');
    expect((await ask(text, [])).decision).toBe('escalate');
    expect(await ask(`${text} Or I will sue you.`)).toMatchObject({ decision: 'escalate', categories: ['legal'] });
  });
});

describe('the demo airline tools', () => {
  it('cancels a booking once: a second cancellation fails and changes nothing', async () => {
    airline = createDemoAirline();
    expect(await run('cancel_reservation', { reservation_id: 'ZFA04Y' })).toMatch(/is cancelled/);
    expect(await run('cancel_reservation', { reservation_id: 'ZFA04Y' })).toMatch(/^Error: reservation ZFA04Y is already cancelled/);
    expect(airline.runs.cancel_reservation).toBe(1);
    expect(await run('get_reservation', { reservation_id: 'NOPE12' })).toMatch(/^Error: there is no reservation NOPE12/);
  });

  it('issues a voucher once per idempotency key (the tool is marked idempotent, and is)', async () => {
    airline = createDemoAirline();
    const first = await run('issue_voucher', { reservation_id: '4WQ150', amount: 100 }, 'key-1');
    expect(await run('issue_voucher', { reservation_id: '4WQ150', amount: 100 }, 'key-1')).toBe(first);
    await run('issue_voucher', { reservation_id: '4WQ150', amount: 50 }, 'key-2');
    expect(airline.vouchers.map((voucher) => [voucher.id, voucher.amount])).toEqual([
      ['VC-1001', 100],
      ['VC-1002', 50],
    ]);
    expect(toolOf('issue_voucher')).toMatchObject({ effect: 'write', idempotent: true });
    expect(toolOf('cancel_reservation')).toMatchObject({ effect: 'write', idempotent: false });
    expect(toolOf('get_reservation')).toMatchObject({ effect: 'read' });
  });
});
