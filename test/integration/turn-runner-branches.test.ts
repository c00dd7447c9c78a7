/**
 * The turn runner's branches of begin-turn, in process: the real conversation store and outbox on
 * Redis, the real actor and critic over scripted in-process model clients (no HTTP), and a
 * recording chat adapter. What happens on `new`, on `resume` (a drafting turn a worker left
 * mid-review; an approved turn whose post a crash interrupted), on `held` (announced once, no
 * model call while a human decides; then the decision delivered and the waiting messages
 * answered) and on `ready` (a resolved turn of a conversation that went on).
 */
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createActor } from '../../src/agents/actor.js';
import { createCritic } from '../../src/agents/critic.js';
import { createConversationStore } from '../../src/conversation/conversation-store.js';
import { createTurnRunner } from '../../src/conversation/turn-runner.js';
import type { ConversationStore, ReviewService } from '../../src/core/conversation-ports.js';
import { createKeys, type Keys } from '../../src/core/keys.js';
import type { ChatAdapter, OutboundPart, SentPart } from '../../src/core/ports.js';
import type { InboundMessage, Platform, Reviewer, Turn } from '../../src/core/types.js';
import { createOutbox } from '../../src/delivery/outbox.js';
import { createReviewService } from '../../src/review/review-service.js';
import { createMockModelClient, type MockModelClient, type MockModelScript } from '../fakes/mock-model-client.js';
import { criticInput, deferred, verdict } from '../helpers/pipeline.js';
import { connectRedis, deletePrefix, randomPrefix } from '../helpers/redis.js';

const redis: Redis = connectRedis();
const prefixes: string[] = [];
const HOLDING = 'A teammate will follow up here shortly.';
const REVIEWER: Reviewer = { via: 'api', id: 'reviewer:ada', name: 'ada', verified: true };

afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(redis, prefix);
  await redis.quit();
});

/** A chat adapter that records what it posts; `failNextSend` makes the next send throw, as a worker killed mid-post. */
function createRecordingAdapter() {
  const posted: OutboundPart[] = [];
  let failures = 0;
  const adapter: ChatAdapter & { posted: OutboundPart[]; failNextSend(): void; presented: string[] } = {
    platform: 'web',
    posted,
    presented: [],
    failNextSend: () => void failures++,
    async start() {},
    async stop() {},
    render: (text) => [text],
    async send(part): Promise<SentPart> {
      if (failures > 0) {
        failures--;
        throw new Error('worker killed while posting');
      }
      // Idempotent while recovering, as every adapter must be: a part already posted is found.
      const earlier = part.recovering ? posted.find((entry) => entry.key === part.key) : undefined;
      if (earlier) return { messageId: `msg-${posted.indexOf(earlier)}` };
      posted.push(part);
      return { messageId: `msg-${posted.length - 1}` };
    },
    async presentEscalation(turn) {
      adapter.presented.push(turn.id);
    },
  };
  return adapter;
}

interface Setup {
  keys: Keys;
  store: ConversationStore;
  adapter: ReturnType<typeof createRecordingAdapter>;
  actor: MockModelClient;
  critic: MockModelClient;
  review: ReviewService;
  /** A worker: a fresh runner over the same Redis (as another process would be). */
  worker(): ReturnType<typeof createTurnRunner>;
  say(text: string): Promise<void>;
  posts(): string[];
  logs: Array<Record<string, unknown>>;
}

let setup: Setup;
const CONVERSATION = 'web:branches';
let ids = 0;

function start(options: { actor?: MockModelScript; critic: MockModelScript; holdConversation?: boolean }): Setup {
  const prefix = randomPrefix('branches');
  prefixes.push(prefix);
  const keys = createKeys(prefix);
  const store = createConversationStore({ redis, keys, keep: 50, historyBudgetChars: 100_000 });
  const adapter = createRecordingAdapter();
  const adapters = new Map<Platform, ChatAdapter>([['web', adapter]]);
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const actor = createMockModelClient({ answer: options.actor ?? ((request) => `reply to: ${String(request.messages.at(-1)?.content)}`) });
  const critic = createMockModelClient({ answer: options.critic });
  const outbox = createOutbox({ redis, keys, adapters, logger });
  const review = createReviewService({ redis, keys, store, enqueue: async () => {}, logger });
  const worker = () =>
    createTurnRunner({
      store,
      outbox,
      actor: createActor({ model: actor, systemPrompt: 'You help.' }),
      critic: createCritic({ model: critic, policy: 'Approve helpful replies.', attempts: 1 }),
      adapters,
      logger,
      maxRevisions: 2,
      maxFolds: 2,
      history: { budget: 100_000, unit: 'characters' },
      holdingMessage: HOLDING,
      holdConversation: options.holdConversation ?? true,
      presentEscalation: async (turn) => adapter.presentEscalation!(turn as never),
    });
  const message = (text: string): InboundMessage => ({ id: `m${++ids}`, conversation: { platform: 'web', id: 'branches' }, user: { id: 'u1', name: 'user' }, text, receivedAt: Date.now() });
  return {
    keys,
    store,
    adapter,
    actor,
    critic,
    review,
    worker,
    logs,
    say: async (text) => void (await store.accept(message(text), CONVERSATION, 3600)),
    posts: () => adapter.posted.map((part) => part.text),
  };
}

const turnOf = async (turnId: string): Promise<Turn> => (await setup.store.loadTurn(turnId))!;
const conversationTurn = async () => (await redis.hget(setup.keys.state(CONVERSATION), 'turn')) ?? null;

beforeEach(() => {
  ids = 0;
});

describe('the turn runner, branch by branch (no HTTP)', () => {
  it('new: drafts, reviews, posts once and closes the turn into the history', async () => {
    setup = start({ critic: verdict('approve') });
    await setup.say('hello');
    expect(await setup.worker().runConversation(CONVERSATION)).toEqual({ handled: 1 });
    expect(setup.posts()).toEqual(['reply to: hello']);
    expect(setup.actor.calls).toHaveLength(1);
    expect(criticInput(setup.critic.calls[0]!.request as never).draft).toBe('reply to: hello');
    expect(await conversationTurn()).toBeNull();
    const history = (await redis.lrange(setup.keys.history(CONVERSATION), 0, -1)).map((entry) => JSON.parse(entry) as { role: string; text: string });
    expect(history.map((entry) => [entry.role, entry.text])).toEqual([
      ['user', 'hello'],
      ['assistant', 'reply to: hello'],
    ]);
  });

  it('resume (drafting): a turn a worker left during its review is drafted and reviewed again by the next, and posted once', async () => {
    let stuck = true;
    setup = start({
      // The first review never answers: that worker is as good as dead.
      critic: () => (stuck ? new Promise<never>(() => {}) : verdict('approve')),
    });
    await setup.say('where is my order?');
    void setup.worker().runConversation(CONVERSATION);
    await expect.poll(() => setup.critic.calls.length, { timeout: 30_000 }).toBe(1);
    const turnId = (await conversationTurn())!;
    expect((await turnOf(turnId)).status).toBe('drafting');

    stuck = false;
    expect(await setup.worker().runConversation(CONVERSATION)).toEqual({ handled: 1 });
    expect(setup.posts()).toEqual(['reply to: where is my order?']);
    expect(setup.actor.calls).toHaveLength(2);
    expect(setup.critic.calls).toHaveLength(2);
    // The same turn was finished (not a new one started beside it).
    expect((await turnOf(turnId)).status).toBe('posted');
    expect(await setup.store.turnsSoFar(CONVERSATION)).toBe(1);
  });

  it('resume (approved): a turn approved but not posted when its worker died is posted by the next without a model call', async () => {
    setup = start({ critic: verdict('edit', { revised_text: 'The edited reply.' }) });
    await setup.say('hi');
    setup.adapter.failNextSend();
    await expect(setup.worker().runConversation(CONVERSATION)).rejects.toThrow('worker killed while posting');
    const turnId = (await conversationTurn())!;
    expect((await turnOf(turnId)).status).toBe('approved');
    expect(setup.posts()).toEqual([]);

    expect(await setup.worker().runConversation(CONVERSATION)).toEqual({ handled: 1 });
    expect(setup.posts()).toEqual(['The edited reply.']);
    expect(setup.actor.calls).toHaveLength(1);
    expect(setup.critic.calls).toHaveLength(1);
    expect(await conversationTurn()).toBeNull();
  });

  it('held: announced once; no model call while a human decides; then the decision is posted and the messages that waited are answered', async () => {
    setup = start({ critic: (request) => (criticInput(request as never).draft.includes('refund') ? verdict('escalate', { reason: 'money' }) : verdict('approve')) });
    await setup.say('I want a refund');
    expect(await setup.worker().runConversation(CONVERSATION)).toEqual({ handled: 1 });
    const turnId = (await conversationTurn())!;
    expect((await turnOf(turnId)).status).toBe('escalated');
    expect(setup.posts()).toEqual([HOLDING]);
    expect(setup.adapter.presented).toEqual([turnId]);

    // The user goes on; the held conversation takes no new turn, and the escalation is not shown twice.
    await setup.say('hello?');
    expect(await setup.worker().runConversation(CONVERSATION)).toEqual({ handled: 0 });
    expect(setup.actor.calls).toHaveLength(1);
    expect(setup.critic.calls).toHaveLength(1);
    expect(setup.adapter.presented).toEqual([turnId]);

    await setup.review.approve(turnId, { reviewer: REVIEWER, text: 'A teammate approved your refund.' });
    // Two turns handled: the decided one delivered, then the waiting message's.
    expect(await setup.worker().runConversation(CONVERSATION)).toEqual({ handled: 2 });
    expect(setup.posts()).toEqual([HOLDING, 'A teammate approved your refund.', 'reply to: hello?']);
    expect((await turnOf(turnId)).status).toBe('posted');
    // The waiting message's turn saw the reviewer's reply in its history.
    expect(setup.actor.calls[1]!.request.messages.map((message) => message.content)).toContain('A teammate approved your refund.');
  });

  it('held by a turn that is gone: says so and leaves the conversation be, without a model call', async () => {
    setup = start({ critic: verdict('escalate') });
    await setup.say('anything');
    await setup.worker().runConversation(CONVERSATION);
    const turnId = (await conversationTurn())!;
    // A damaged state no script writes (an operator deleted keys by hand): the hold remains, the turn does not.
    await redis.hdel(setup.keys.state(CONVERSATION), 'turn');
    await redis.del(setup.keys.turn(turnId));
    await setup.say('more');
    expect(await setup.worker().runConversation(CONVERSATION)).toEqual({ handled: 0 });
    expect(setup.logs.some((line) => line.msg === 'the conversation is held by a turn that does not exist' && line.level === 50)).toBe(true);
    expect(setup.actor.calls).toHaveLength(1);
  });

  it('ready: a resolved turn of a conversation that was not held is posted before the next turn', async () => {
    setup = start({
      holdConversation: false,
      critic: (request) => (criticInput(request as never).draft.includes('refund') ? verdict('escalate') : verdict('approve')),
    });
    await setup.say('refund me');
    await setup.worker().runConversation(CONVERSATION);
    const [escalated] = await setup.review.list('pending');
    expect(escalated).toBeDefined();
    // Not held: the conversation goes on while the turn waits.
    await setup.say('and my invoice?');
    await setup.worker().runConversation(CONVERSATION);
    expect(setup.posts()).toEqual([HOLDING, 'reply to: and my invoice?']);

    await setup.review.approve(escalated!.id, { reviewer: REVIEWER });
    expect(await redis.lrange(setup.keys.ready(CONVERSATION), 0, -1)).toEqual([escalated!.id]);
    await setup.say('thanks');
    expect(await setup.worker().runConversation(CONVERSATION)).toEqual({ handled: 2 });
    // The decision first (the draft the reviewer approved as it was), then the new turn.
    expect(setup.posts()).toEqual([HOLDING, 'reply to: and my invoice?', 'reply to: refund me', 'reply to: thanks']);
    expect(await redis.llen(setup.keys.ready(CONVERSATION))).toBe(0);
  });

  it('resume of a turn that is gone: released (closed as rejected) and the conversation goes on', async () => {
    let stuck = true;
    setup = start({ critic: () => (stuck ? new Promise<never>(() => {}) : verdict('approve')) });
    await setup.say('first');
    void setup.worker().runConversation(CONVERSATION);
    await expect.poll(() => setup.critic.calls.length, { timeout: 30_000 }).toBe(1);
    const turnId = (await conversationTurn())!;
    await redis.del(setup.keys.turn(turnId));
    stuck = false;
    await setup.say('second');
    expect(await setup.worker().runConversation(CONVERSATION)).toEqual({ handled: 2 });
    expect(setup.logs.some((line) => line.msg === 'the conversation points at a turn that does not exist; releasing it')).toBe(true);
    expect(setup.posts()).toEqual(['reply to: second']);
  });
});

/**
 * A turn handed back at shutdown is taken over by another worker as a stalled job while the old
 * worker's run of it is still going (its process is still closing): two runs of one drafting
 * turn. Each knows only the messages it folded in itself; whichever approves must answer every
 * message the stored turn holds, or the ones the other folded in are closed into the history
 * unanswered (a fault run lost whole ranges of messages this way).
 */
describe('two workers on one handed-back turn', () => {
  /** The actor answers with the user messages it saw; `hold` keeps the given calls (1-based) waiting. */
  function heldActor(hold: Map<number, Promise<void>>) {
    return async (request: { messages: Array<{ role: string; content?: unknown }> }, call: number) => {
      await hold.get(call);
      const texts = request.messages.filter((message) => message.role === 'user').map((message) => String(message.content));
      return `saw: ${texts.join(' | ')}`;
    };
  }
  const never = new Promise<void>(() => {});
  const historyTexts = async () => (await redis.lrange(setup.keys.history(CONVERSATION), 0, -1)).map((entry) => (JSON.parse(entry) as { role: string; text: string }).text);

  it('the old worker folds in a late message, then the new one approves: the reply answers it too', async () => {
    const oldDraft = deferred();
    const newDraft = deferred();
    // Call 1: the old worker's draft; 2: the new worker's; 3: the old worker's redraft after its
    // fold, which never comes back (its process exits).
    setup = start({ actor: heldActor(new Map([[1, oldDraft.promise], [2, newDraft.promise], [3, never]])) as MockModelScript, critic: verdict('approve') });
    await setup.say('first');
    void setup.worker().runConversation(CONVERSATION).catch(() => {});
    await expect.poll(() => setup.actor.calls.length, { timeout: 30_000 }).toBe(1);
    const taken = setup.worker().runConversation(CONVERSATION);
    await expect.poll(() => setup.actor.calls.length, { timeout: 30_000 }).toBe(2);
    await setup.say('second');
    oldDraft.resolve();
    // The old worker's approval found 'second' waiting and folded it into the stored turn.
    await expect.poll(() => setup.actor.calls.length, { timeout: 30_000 }).toBe(3);
    newDraft.resolve();
    await taken;
    expect(setup.posts()).toEqual(['saw: first | second']);
    expect(await historyTexts()).toEqual(['first', 'second', 'saw: first | second']);
  });

  it('the new worker folds in a late message, then the old one approves: the reply answers it too, posted once', async () => {
    const oldDraft = deferred();
    const newRedraft = deferred();
    // Call 1: the old worker's draft; 2: the new worker's (answered at once); 3: the new worker's
    // redraft after its fold.
    setup = start({ actor: heldActor(new Map([[1, oldDraft.promise], [3, newRedraft.promise]])) as MockModelScript, critic: verdict('approve') });
    await setup.say('first');
    const old = setup.worker().runConversation(CONVERSATION);
    await expect.poll(() => setup.actor.calls.length, { timeout: 30_000 }).toBe(1);
    await setup.say('second');
    const taken = setup.worker().runConversation(CONVERSATION);
    await expect.poll(() => setup.actor.calls.length, { timeout: 30_000 }).toBe(3);
    oldDraft.resolve();
    await old;
    newRedraft.resolve();
    await taken;
    expect(setup.posts()).toEqual(['saw: first | second']);
    expect(await historyTexts()).toEqual(['first', 'second', 'saw: first | second']);
  });
});
