import { describe, expect, it } from 'vitest';
import { buildActionCriticDocument } from '../helpers/tau-critic-request.js';
import { airlineToolName, createReplayingActor, createScriptedCritic, oracleApproves, proposedCallOf, recordedTurns, REPLAY_END_TEXT, stepsIntoTurn } from '../../src/tau-bench/scripted-models.js';
import type { GatewayRequest } from '../../src/tau-bench/tau-model-gateway.js';
import type { TauTrajectory } from '../../src/tau-bench/tau-trajectories.js';
import { createReplayingUser, tauUserSystemPrompt, UserOutOfMessages } from '../../src/tau-bench/tau-user-simulator.js';

const cancel = { reservation_id: 'ABC123' };
const trajectory: TauTrajectory = {
  task_id: 7,
  trial: 0,
  reward: 0,
  info: { task: { user_id: 'u1', instruction: 'Cancel ABC123.', actions: [{ name: 'cancel_reservation', kwargs: cancel }], outputs: [] } },
  traj: [
    { role: 'system', content: 'policy' },
    { role: 'user', content: 'Hi, cancel my trip.' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_reservation_details', arguments: '{"reservation_id": "ABC123"}' } }, { id: 'call_x', type: 'function', function: { name: 'think', arguments: '{}' } }] },
    { role: 'tool', content: '{"reservation_id": "ABC123"}', tool_call_id: 'call_1', name: 'get_reservation_details' },
    { role: 'assistant', content: 'Shall I cancel ABC123?', tool_calls: null },
    { role: 'user', content: 'yes' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'cancel_reservation', arguments: '{"reservation_id": "ABC123"}' } }] },
    { role: 'tool', content: 'ok', tool_call_id: 'call_2', name: 'cancel_reservation' },
    { role: 'assistant', content: 'Done.', tool_calls: null },
    { role: 'user', content: '###STOP###' },
  ],
};

const request = (messages: GatewayRequest['messages'], tools: string[] = []): GatewayRequest => ({ model: 'm', messages, tools: tools.map((name) => ({ type: 'function', function: { name } })) });

describe('the replaying actor', () => {
  it('splits the recording into the assistant messages after each user message', () => {
    expect(recordedTurns(trajectory).map((turn) => turn.length)).toEqual([2, 2, 0]);
  });

  it('counts the tool results since the newest user message', () => {
    expect(stepsIntoTurn([{ role: 'user', content: 'a' }, { role: 'assistant' }, { role: 'tool', content: 'x' }, { role: 'user', content: 'b' }, { role: 'assistant' }, { role: 'tool' }, { role: 'tool' }])).toBe(2);
    expect(stepsIntoTurn([{ role: 'system', content: 'p' }, { role: 'user', content: 'a' }])).toBe(0);
  });

  it('answers each step of a turn with the recorded message: only the first call, then the reply', () => {
    let turn = 0;
    const actor = createReplayingActor(trajectory, () => turn);
    const first = actor.answer(request([{ role: 'user', content: 'Hi, cancel my trip.' }]));
    expect(first).toEqual({ content: null, toolCalls: [{ id: 'call_1', name: 'get_reservation_details', arguments: '{"reservation_id": "ABC123"}' }] });
    expect(actor.answer(request([{ role: 'user', content: 'Hi' }, { role: 'assistant' }, { role: 'tool', content: '{}' }]))).toEqual({ content: 'Shall I cancel ABC123?' });
    turn = 1;
    const namespaced = actor.answer(request([{ role: 'user', content: 'yes' }], ['airline_get_reservation_details', 'airline_cancel_reservation']));
    expect(namespaced.toolCalls?.[0]?.name).toBe('airline_cancel_reservation');
    // Told to reply now (a human refused a call): the turn's recorded reply, its later calls skipped.
    expect(actor.answer({ ...request([{ role: 'user', content: 'yes' }, { role: 'tool' }]), tool_choice: 'none' })).toEqual({ content: 'Done.' });
    turn = 0;
    expect(actor.answer({ ...request([{ role: 'user', content: 'Hi' }]), tool_choice: 'none' })).toEqual({ content: 'Shall I cancel ABC123?' });
    turn = 1;
    // Past the recording (after a transfer, say): a fixed text.
    expect(actor.answer(request([{ role: 'user', content: 'yes' }, { role: 'tool' }, { role: 'tool' }]))).toEqual({ content: REPLAY_END_TEXT });
  });
});

describe('the replaying user', () => {
  it('says the recorded user messages in order, then has nothing more', async () => {
    const user = createReplayingUser(trajectory);
    expect(await user.start()).toBe('Hi, cancel my trip.');
    expect(await user.reply('anything')).toBe('yes');
    expect(await user.reply('anything')).toBe('###STOP###');
    await expect(user.reply('more?')).rejects.toBeInstanceOf(UserOutOfMessages);
  });

  it("gets τ-bench's user prompt with the task's instruction", () => {
    const prompt = tauUserSystemPrompt('Cancel ABC123.');
    expect(prompt.startsWith('You are a user interacting with an agent.\n\nInstruction: Cancel ABC123.\nRules:\n- Just generate one line at a time')).toBe(true);
    expect(prompt).toContain("generate '###STOP###' as a standalone message");
  });
});

describe('the scripted critic and the oracle', () => {
  const actionRequest = (tool: string, args: Record<string, unknown>): GatewayRequest => request([{ role: 'system', content: 'critic' }, { role: 'user', content: buildActionCriticDocument(tool, args) }]);

  it('finds the proposed call in the data block of an action review', () => {
    expect(proposedCallOf(actionRequest('cancel_reservation', cancel))).toEqual({ tool: 'cancel_reservation', arguments: cancel });
    // A message that is a call itself works too; a reply review has none, even with tool calls in its conversation.
    expect(proposedCallOf(request([{ role: 'user', content: JSON.stringify({ tool: 'send_certificate', arguments: { user_id: 'u', amount: 5 } }) }]))).toEqual({ tool: 'send_certificate', arguments: { user_id: 'u', amount: 5 } });
    const replyReview = `<<<REVIEW-DATA b1>>>\n${JSON.stringify({ conversation: [{ role: 'tool', tool: 'cancel_reservation', arguments: cancel, text: 'ok' }], draft: 'Done.' })}\n<<<END REVIEW-DATA b1>>>`;
    expect(proposedCallOf(request([{ role: 'user', content: replyReview }]))).toBeNull();
    expect(proposedCallOf(request([{ role: 'user', content: 'Review this reply: Hello' }]))).toBeNull();
  });

  it('escalates write calls outside the expected actions and approves expected ones, reads and replies', () => {
    const critic = createScriptedCritic(trajectory.info.task, 'escalate-unexpected');
    const decision = (answer: { content?: string | null }) => (JSON.parse(answer.content!) as { decision: string }).decision;
    expect(decision(critic.answer(actionRequest('cancel_reservation', cancel)))).toBe('approve');
    expect(decision(critic.answer(actionRequest('airline_cancel_reservation', cancel)))).toBe('approve');
    expect(decision(critic.answer(actionRequest('cancel_reservation', { reservation_id: 'OTHER1' })))).toBe('escalate');
    expect(decision(critic.answer(actionRequest('send_certificate', { user_id: 'u1', amount: 100 })))).toBe('escalate');
    expect(decision(critic.answer(actionRequest('get_reservation_details', { reservation_id: 'OTHER1' })))).toBe('approve');
    expect(decision(critic.answer(request([{ role: 'user', content: 'a reply to review' }])))).toBe('approve');
    expect(decision(createScriptedCritic(trajectory.info.task, 'approve').answer(actionRequest('send_certificate', { user_id: 'u1', amount: 100 })))).toBe('approve');
  });

  it('answers only the keys a JSON schema response format names', () => {
    const critic = createScriptedCritic(trajectory.info.task, 'approve');
    const answer = critic.answer({ ...request([{ role: 'user', content: 'reply' }]), response_format: { type: 'json_schema', json_schema: { schema: { properties: { decision: {}, reason: {} } } } } });
    expect(Object.keys(JSON.parse(answer.content!) as object)).toEqual(['decision', 'reason']);
  });

  it('the oracle approves exactly the calls equal to an expected action', () => {
    expect(oracleApproves(trajectory.info.task, { tool: 'cancel_reservation', arguments: { reservation_id: 'ABC123' } })).toBe(true);
    expect(oracleApproves(trajectory.info.task, { tool: 'cancel_reservation', arguments: { reservation_id: 'ABC123', extra: 1 } })).toBe(false);
    expect(oracleApproves(trajectory.info.task, { tool: 'book_reservation', arguments: { reservation_id: 'ABC123' } })).toBe(false);
    expect(airlineToolName('airline.cancel_reservation')).toBe('cancel_reservation');
    expect(airlineToolName('xcancel_reservation')).toBe('xcancel_reservation');
  });
});

describe('the gated replay', () => {
  it('a left-out call ends its turn with skipEndsTurn: the later calls of the turn are left out too', async () => {
    const { replayTauTrajectory } = await import('../../src/tau-bench/replay.js');
    const withTwo: TauTrajectory = {
      ...trajectory,
      traj: [
        ...trajectory.traj.slice(0, 5),
        { role: 'user', content: 'yes' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'send_certificate', arguments: '{"user_id": "u1", "amount": 5}' } }] },
        { role: 'tool', content: 'x', tool_call_id: 'c1', name: 'send_certificate' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c2', type: 'function', function: { name: 'think', arguments: '{"thought": "a"}' } }] },
        { role: 'tool', content: 'y', tool_call_id: 'c2', name: 'think' },
        { role: 'assistant', content: 'Done.', tool_calls: null },
        { role: 'user', content: 'and the other one' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c3', type: 'function', function: { name: 'think', arguments: '{"thought": "b"}' } }] },
        { role: 'tool', content: 'z', tool_call_id: 'c3', name: 'think' },
        { role: 'user', content: '###STOP###' },
      ],
    };
    const data = { flights: new Map(), reservations: new Map(), users: new Map() } as never;
    const skip = (call: { name: string }) => call.name === 'send_certificate';
    const ran = (options: Parameters<typeof replayTauTrajectory>[2]) => replayTauTrajectory(data, withTwo, options).calls.map((call) => `${call.name}:${call.skipped ? 'skipped' : 'ran'}`);
    expect(ran({ skip, skipEndsTurn: true })).toEqual(['get_reservation_details:ran', 'send_certificate:skipped', 'think:skipped', 'think:ran']);
    expect(ran({ skip })).toEqual(['get_reservation_details:ran', 'send_certificate:skipped', 'think:ran', 'think:ran']);
  });
});
