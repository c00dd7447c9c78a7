/**
 * The cost limits of a turn, in the running service: what one model request carries of a turn
 * (turn.prompt), the model-call budgets (turn.modelCalls), and fairness between conversations
 * (queue.turnsPerJob); each limit that holds something back shows in /metrics.
 */
import { describe, expect, it } from 'vitest';
import { createConversationStore } from '../../src/conversation/conversation-store.js';
import { criticInput, HOLDING, type Pipeline, turnMessages, verdict, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

async function metric(service: Pipeline, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${service.url()}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('turn.prompt: what one model request carries of a turn', () => {
  it('a turn of 10 messages sends the newest 3 to both models, says how many were cut, and keeps all 10 in the history', async () => {
    const pipeline = await perTest.start({ env: { TURN_PROMPT_MAX_MESSAGES: '3' } });
    // Nine messages wait in the inbox (accepted, not yet queued); the tenth queues the turn.
    const store = createConversationStore({ redis: pipeline.redis, keys: pipeline.keys, keep: 200, historyBudgetChars: 50_000 });
    const texts = Array.from({ length: 10 }, (_, index) => `message ${index} ${'.'.repeat(index)}`);
    for (const [index, text] of texts.slice(0, 9).entries()) {
      await store.accept({ id: `p${index}`, conversation: { platform: 'web', id: 'cut' }, user: { id: 'tester' }, text, receivedAt: Date.now() }, 'web:cut', 60);
    }
    await pipeline.send('cut', texts[9]!);
    await pipeline.waitForBot('cut', 1);
    await pipeline.waitIdle('cut');
    const [actor] = pipeline.actorRequests();
    expect(turnMessages(actor!)).toEqual(texts.slice(7));
    const cutCharacters = texts.slice(0, 7).reduce((sum, text) => sum + text.length, 0);
    expect(actor!.messages[0]!.content).toContain(`7 earlier messages of the user in this turn were cut from this request (${cutCharacters} characters)`);
    const [critic] = pipeline.criticRequests();
    expect(criticInput(critic!).conversation.map((entry) => entry.text)).toEqual(texts.slice(7));
    expect(critic!.messages[0]!.content).toContain('7 earlier messages of the user in this turn were cut');
    // The turn still answers all ten, and the history keeps them for the next turns.
    expect(await pipeline.redis.llen(pipeline.keys.history('web:cut'))).toBe(11);
    expect(await metric(pipeline, 'countersign_prompt_cuts_total', 'role="actor"')).toBe(1);
    expect(await metric(pipeline, 'countersign_prompt_cut_messages_total', 'role="critic"')).toBe(7);
  });
});

describe('turn.modelCalls: budgets of model calls', () => {
  it('past the conversation budget the turn waits for the window (a delayed job) and then answers, in order; other conversations are not held up', async () => {
    const pipeline = await perTest.start({
      env: { MODEL_CALLS_PER_CONVERSATION: '2' },
      configure: (config) => {
        config.turn.modelCalls.windowSeconds = 3;
      },
    });
    await pipeline.send('budget', 'first');
    expect(await pipeline.waitForBot('budget', 1)).toEqual(['reply to: first']);
    await pipeline.waitIdle('budget');
    // The budget (one turn: a draft and a review) is spent: the next turn waits.
    await pipeline.send('budget', 'second');
    await waitFor(() => metric(pipeline!, 'countersign_model_budget_spent_total', 'scope="conversation",action="wait"'), 'the turn to find the budget spent');
    await pipeline.send('budget', 'third');
    // Another conversation has a budget of its own.
    await pipeline.send('other', 'hello');
    expect(await pipeline.waitForBot('other', 1)).toEqual(['reply to: hello']);
    expect(await pipeline.botTexts('budget')).toEqual(['reply to: first']);
    // When the window starts again, one turn answers both waiting messages, in order (the
    // waiting turn took "second"; "third" is folded into it before anything is posted).
    expect(await pipeline.waitForBot('budget', 2)).toEqual(['reply to: first', 'reply to: third']);
    expect(turnMessages(pipeline.actorRequests().at(-1)!)).toEqual(['second', 'third']);
  });

  it('whenSpent escalate: the turn goes to a human instead, with the budget named', async () => {
    const pipeline = await perTest.start({ env: { MODEL_CALLS_PER_CONVERSATION: '2', MODEL_CALLS_WHEN_SPENT: 'escalate' } });
    await pipeline.send('budget-escalate', 'first');
    await pipeline.waitForBot('budget-escalate', 1);
    await pipeline.waitIdle('budget-escalate');
    await pipeline.send('budget-escalate', 'second');
    const turn = await waitFor(async () => {
      const turns = (await pipeline.reviewApi('GET', '/api/review/turns?status=pending')).body.turns as Array<{ escalation: { source: string; reason: string } }>;
      return turns[0] ?? null;
    }, 'an escalated turn');
    expect(turn.escalation).toMatchObject({ source: 'budget', reason: "the conversation's budget of 2 model calls is spent for now" });
    expect(await pipeline.waitForBot('budget-escalate', 2)).toEqual(['reply to: first', HOLDING]);
    expect(pipeline.actorRequests()).toHaveLength(1);
    expect(await metric(pipeline, 'countersign_model_budget_spent_total', 'scope="conversation",action="escalate"')).toBe(1);
  });

  it('the global budget holds across conversations; every call of a turn counts (a redraft too)', async () => {
    let reviews = 0;
    const pipeline = await perTest.start({
      env: { MODEL_CALLS_PER_CONVERSATION: '0', MODEL_CALLS_GLOBAL: '4' },
      // The first review asks for a redraft: the first turn makes 4 calls.
      critic: () => ({ content: reviews++ === 0 ? verdict('revise', { feedback: 'shorter' }) : verdict('approve') }),
    });
    await pipeline.send('global-a', 'hi');
    await pipeline.waitForBot('global-a', 1);
    await pipeline.send('global-b', 'hi');
    await waitFor(() => metric(pipeline!, 'countersign_model_budget_spent_total', 'scope="global",action="wait"'), 'the global budget to stop the second conversation');
    expect(await pipeline.botTexts('global-b')).toEqual([]);
    expect(Number(await pipeline.redis.get(`${pipeline.keys.budget}:global:all`))).toBe(4);
  });
});

describe('queue.turnsPerJob: one flooding conversation does not starve the others', () => {
  it('with one worker slot, a second conversation is answered while a flood is still being answered', async () => {
    const pipeline = await perTest.start({
      env: { WORKER_CONCURRENCY: '1', MODEL_CALLS_PER_CONVERSATION: '0', MODEL_CALLS_GLOBAL: '0' },
      // Slow models: each flood turn holds the only worker slot for a while.
      actor: (request) => ({ content: `reply to: ${turnMessages(request).at(-1) ?? ''}`, delayMs: 150 }),
      critic: () => ({ content: verdict('approve'), delayMs: 50 }),
    });
    let floodSent = 0;
    let answered = false;
    // The flood keeps sending for as long as the other conversation waits (at most 600 messages).
    const flood = (async () => {
      while (!answered && floodSent < 600) {
        await pipeline.send('flood', `flood ${floodSent++}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await waitFor(async () => (await pipeline.botTexts('flood')).length >= 2, 'the flood to be answered');
    await pipeline.send('quiet', 'just one question');
    await pipeline.waitForBot('quiet', 1, 60_000);
    const floodRepliesBefore = (await pipeline.botTexts('flood')).length;
    answered = true;
    await flood;
    // The quiet conversation got its turn while the flood still sent and waited: the flood was
    // far from done (it kept sending until the answer came), and only a few of its turns ran first.
    expect(floodSent).toBeLessThan(600);
    expect(floodRepliesBefore).toBeLessThan(10);
    expect(await metric(pipeline, 'countersign_conversation_handbacks_total')).toBeGreaterThan(0);
  });
});
