/**
 * Every branch of the conversation protocol's scripts (src/conversation/scripts/*.lua), run
 * through the conversation store against the real Redis, each from a state built for it, with
 * the keys read back after: what the turn runner and the review service rely on.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createConversationStore } from '../../src/conversation/conversation-store.js';
import type { ConversationStore } from '../../src/core/conversation-ports.js';
import { createKeys, type Keys } from '../../src/core/keys.js';
import type { InboundMessage, Turn } from '../../src/core/types.js';
import { connectRedis, deletePrefix, randomPrefix } from '../helpers/redis.js';

const redis: Redis = connectRedis();
const prefixes: string[] = [];
let keys: Keys;
let store: ConversationStore;
const CONVERSATION = 'web:c1';
const RETENTION = { conversationSeconds: 1000, turnSeconds: 500, reviewedTurnSeconds: 2000 };

afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(redis, prefix);
  await redis.quit();
});

beforeEach(() => {
  const prefix = randomPrefix('scripts');
  prefixes.push(prefix);
  keys = createKeys(prefix);
  store = createConversationStore({ redis, keys, keep: 3, historyBudgetChars: 10_000, maxMessagesPerTurn: 2, retention: RETENTION, inbox: { maxMessages: 100, maxBytes: 1_000_000 } });
});

let ids = 0;
const message = (text: string): InboundMessage => ({ id: `m${++ids}`, conversation: { platform: 'web', id: 'c1' }, user: { id: 'u', name: 'u' }, text, receivedAt: Date.now() });
const accept = (text: string) => store.accept(message(text), CONVERSATION, 60);
const conversationJson = JSON.stringify({ platform: 'web', id: 'c1' });
const begin = (turnId: string) => store.beginTurn(CONVERSATION, turnId, conversationJson);
const state = () => redis.hgetall(keys.state(CONVERSATION));
const approval = (deliveryId: string) => ({ deliveryId, fields: ['state', 'approved', 'turnId', deliveryId, 'text', 'hello'] });
const sampleTurn = async (turnId: string) => (await store.loadTurn(turnId)) as Turn;

describe('begin-turn.lua', () => {
  it('empty: nothing waits; the conversation leaves the reconciler index and starts to expire', async () => {
    await redis.zadd(keys.pendingConversations, 1, CONVERSATION);
    await redis.hset(keys.state(CONVERSATION), 'turns', '4');
    expect(await begin('t1')).toEqual({ kind: 'empty' });
    expect(await redis.zscore(keys.pendingConversations, CONVERSATION)).toBeNull();
    expect(await redis.ttl(keys.state(CONVERSATION))).toBeGreaterThan(0);
  });

  it('new: takes at most maxMessages from the inbox into a new drafting turn, keeps the byte count right, reads the history', async () => {
    await redis.rpush(keys.history(CONVERSATION), JSON.stringify({ role: 'user', text: 'old', at: 1 }));
    for (const text of ['a', 'b', 'c']) await accept(text);
    const result = await begin('t1');
    expect(result).toMatchObject({ kind: 'new', turnId: 't1', turns: 0, history: [{ role: 'user', text: 'old', at: 1 }] });
    expect(result.kind === 'new' && result.messages.map((entry) => entry.text)).toEqual(['a', 'b']);
    expect(await redis.lrange(keys.inbox(CONVERSATION), 0, -1)).toHaveLength(1);
    expect(Number((await state()).inboxBytes)).toBe(Buffer.byteLength(JSON.stringify(message('c'))) - 0 /* one left */);
    expect((await state()).turn).toBe('t1');
    expect(await sampleTurn('t1')).toMatchObject({ status: 'drafting', revisions: 0, folds: 0 });
    // A turn is open: the conversation does not expire.
    expect(await redis.ttl(keys.state(CONVERSATION))).toBe(-1);
  });

  it('resume: a turn in progress is resumed, with the history and the turns so far', async () => {
    await accept('a');
    await begin('t1');
    await redis.hset(keys.state(CONVERSATION), 'turns', '2');
    expect(await begin('t2')).toMatchObject({ kind: 'resume', turnId: 't1', turns: 2, history: [] });
  });

  it('held (the current turn): an escalated turn in progress holds the conversation', async () => {
    await accept('a');
    await begin('t1');
    await store.escalate({ conversation: CONVERSATION, turnId: 't1', hold: true, turnFields: {}, holding: null });
    expect(await begin('t2')).toEqual({ kind: 'held', turnId: 't1' });
  });

  it('ready: a resolved turn of a conversation that went on is delivered first', async () => {
    await redis.rpush(keys.ready(CONVERSATION), 'resolved-1');
    await accept('a');
    expect(await begin('t1')).toEqual({ kind: 'ready', turnId: 'resolved-1' });
  });

  it('held (a hold without a turn): the conversation waits and leaves the reconciler index', async () => {
    await redis.hset(keys.state(CONVERSATION), 'held', 'old-turn');
    await redis.zadd(keys.pendingConversations, 1, CONVERSATION);
    await accept('a');
    expect(await begin('t1')).toEqual({ kind: 'held', turnId: 'old-turn' });
    expect(await redis.zscore(keys.pendingConversations, CONVERSATION)).toBeNull();
    expect(await redis.llen(keys.inbox(CONVERSATION))).toBe(1);
  });
});

describe('approve-if-fresh.lua', () => {
  it('gone: the turn is no longer the conversation’s', async () => {
    expect(await store.approveIfFresh({ conversation: CONVERSATION, turnId: 'nobody', maxFolds: 2, answered: 0, turnFields: {}, approval: approval('nobody') })).toEqual({ kind: 'gone' });
    expect(await redis.exists(keys.outbox('nobody'))).toBe(0);
  });

  it('stale: messages that arrived meanwhile are folded into the turn, and nothing is approved', async () => {
    await accept('a');
    await begin('t1');
    await accept('late');
    const result = await store.approveIfFresh({ conversation: CONVERSATION, turnId: 't1', maxFolds: 2, answered: 1, turnFields: {}, approval: approval('t1') });
    expect(result.kind).toBe('stale');
    expect(result.kind === 'stale' && result.messages.map((entry) => entry.text)).toEqual(['late']);
    const turn = await sampleTurn('t1');
    expect(turn.messages.map((entry) => entry.text)).toEqual(['a', 'late']);
    expect(turn).toMatchObject({ status: 'drafting', folds: 1 });
    expect(await redis.llen(keys.inbox(CONVERSATION))).toBe(0);
    expect((await state()).inboxBytes).toBeUndefined();
    expect(await redis.exists(keys.outbox('t1'))).toBe(0);
  });

  it('approved past the fold bound: late messages wait for the next turn', async () => {
    await accept('a');
    await begin('t1');
    await accept('late');
    const result = await store.approveIfFresh({ conversation: CONVERSATION, turnId: 't1', maxFolds: 0, answered: 1, turnFields: { revisions: 1 }, approval: approval('t1') });
    expect(result).toEqual({ kind: 'approved' });
    expect(await redis.llen(keys.inbox(CONVERSATION))).toBe(1);
  });

  it('approved: the turn is approved with its fields, and the delivery record written in the same step', async () => {
    await accept('a');
    await begin('t1');
    const reply = { text: 'hello', source: { kind: 'critic' as const, decision: 'approve' as const } };
    expect(await store.approveIfFresh({ conversation: CONVERSATION, turnId: 't1', maxFolds: 2, answered: 1, turnFields: { reply, revisions: 1 }, approval: approval('t1') })).toEqual({ kind: 'approved' });
    expect(await sampleTurn('t1')).toMatchObject({ status: 'approved', reply, revisions: 1 });
    expect(await redis.hgetall(keys.outbox('t1'))).toMatchObject({ state: 'approved', text: 'hello' });
  });

  it('behind: a draft that answered fewer messages than the stored turn holds (another run folded some in) is not approved', async () => {
    await accept('a');
    await begin('t1');
    await accept('late');
    // One run folds 'late' in; the other run's draft answered only 'a'.
    expect((await store.approveIfFresh({ conversation: CONVERSATION, turnId: 't1', maxFolds: 2, answered: 1, turnFields: {}, approval: approval('t1') })).kind).toBe('stale');
    const result = await store.approveIfFresh({ conversation: CONVERSATION, turnId: 't1', maxFolds: 2, answered: 1, turnFields: {}, approval: approval('t1') });
    expect(result).toEqual({ kind: 'stale', folded: false, messages: [expect.objectContaining({ text: 'late' })] });
    expect(await sampleTurn('t1')).toMatchObject({ status: 'drafting', folds: 1 });
    expect(await redis.exists(keys.outbox('t1'))).toBe(0);
    expect(await store.approveIfFresh({ conversation: CONVERSATION, turnId: 't1', maxFolds: 2, answered: 2, turnFields: {}, approval: approval('t1') })).toEqual({ kind: 'approved' });
  });

  it('gone: a turn already approved (by another run of it) is not approved again, and its delivery record stays as it was', async () => {
    await accept('a');
    await begin('t1');
    expect(await store.approveIfFresh({ conversation: CONVERSATION, turnId: 't1', maxFolds: 2, answered: 1, turnFields: {}, approval: approval('t1') })).toEqual({ kind: 'approved' });
    await redis.hset(keys.outbox('t1'), 'state', 'sent', 'sent', '1');
    expect(await store.approveIfFresh({ conversation: CONVERSATION, turnId: 't1', maxFolds: 2, answered: 1, turnFields: {}, approval: approval('t1') })).toEqual({ kind: 'gone' });
    expect(await redis.hgetall(keys.outbox('t1'))).toMatchObject({ state: 'sent', sent: '1' });
  });
});

describe('escalate.lua', () => {
  it('not the conversation’s turn: nothing changes', async () => {
    expect(await store.escalate({ conversation: CONVERSATION, turnId: 'nobody', hold: true, turnFields: {}, holding: null })).toBe(false);
    expect(await redis.zcard(keys.reviewPending)).toBe(0);
  });

  it('held: the turn waits for a human in the review queue, the conversation held, the holding message recorded, nothing expires', async () => {
    await accept('a');
    await begin('t1');
    expect(await store.escalate({ conversation: CONVERSATION, turnId: 't1', hold: true, turnFields: { escalation: { source: 'critic', reason: 'r', at: 1 } }, holding: approval('t1:holding') })).toBe(true);
    expect(await sampleTurn('t1')).toMatchObject({ status: 'escalated', escalation: { source: 'critic' } });
    expect(await redis.zscore(keys.reviewPending, 't1')).not.toBeNull();
    expect(await state()).toMatchObject({ turn: 't1', held: 't1' });
    expect(await redis.hget(keys.outbox('t1:holding'), 'state')).toBe('approved');
    expect(await redis.ttl(keys.turn('t1'))).toBe(-1);
    expect(await redis.ttl(keys.state(CONVERSATION))).toBe(-1);
  });

  it('not held: the conversation goes on (the turn leaves it) and is queued again; without a holding message none is recorded', async () => {
    await accept('a');
    await begin('t1');
    expect(await store.escalate({ conversation: CONVERSATION, turnId: 't1', hold: false, turnFields: {}, holding: null })).toBe(true);
    const current = await state();
    expect(current.turn).toBeUndefined();
    expect(current.held).toBeUndefined();
    expect(await redis.zscore(keys.pendingConversations, CONVERSATION)).not.toBeNull();
    expect(await redis.exists(keys.outbox('t1:holding'))).toBe(0);
    expect(await redis.ttl(keys.turn('t1'))).toBe(-1);
  });
});

describe('finalize.lua', () => {
  const entries = [
    { role: 'user' as const, text: 'a', at: 1 },
    { role: 'assistant' as const, text: 'b', at: 2 },
  ];

  it('drained: the turn closes into the history (capped at keep), the conversation released and out of the index; the turn expires', async () => {
    await redis.rpush(keys.history(CONVERSATION), ...['x', 'y'].map((text) => JSON.stringify({ role: 'user', text, at: 0 })));
    await accept('a');
    await begin('t1');
    expect(await store.finalize({ conversation: CONVERSATION, turnId: 't1', status: 'posted', entries, detached: false })).toBe('drained');
    expect((await redis.lrange(keys.history(CONVERSATION), 0, -1)).map((item) => JSON.parse(item).text)).toEqual(['y', 'a', 'b']);
    expect(await state()).toMatchObject({ turns: '1' });
    expect((await state()).turn).toBeUndefined();
    expect(await redis.zscore(keys.pendingConversations, CONVERSATION)).toBeNull();
    const ttl = await redis.ttl(keys.turn('t1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(RETENTION.turnSeconds);
    expect(await redis.ttl(keys.state(CONVERSATION))).toBeGreaterThan(0);
  });

  it('closed: messages wait, so the conversation stays in the index for its next turn', async () => {
    await accept('a');
    await begin('t1');
    await accept('next');
    expect(await store.finalize({ conversation: CONVERSATION, turnId: 't1', status: 'posted', entries, detached: false })).toBe('closed');
    expect(await redis.zscore(keys.pendingConversations, CONVERSATION)).not.toBeNull();
  });

  it('gone: a turn that is not the conversation’s is not closed twice', async () => {
    expect(await store.finalize({ conversation: CONVERSATION, turnId: 'nobody', status: 'posted', entries, detached: false })).toBe('gone');
    expect(await redis.llen(keys.history(CONVERSATION))).toBe(0);
  });

  it('detached: a resolved turn from the ready list is closed only when it is at its head; a reviewed turn keeps its longer retention; a hold is released', async () => {
    await redis.rpush(keys.ready(CONVERSATION), 'r1', 'r2');
    await redis.hset(keys.turn('r2'), 'status', 'approved');
    expect(await store.finalize({ conversation: CONVERSATION, turnId: 'r2', status: 'posted', entries, detached: true })).toBe('gone');
    await redis.hset(keys.turn('r1'), 'status', 'approved', 'resolution', JSON.stringify({ decision: 'approved', reviewer: { via: 'api', id: 'x' }, at: 1 }));
    await redis.hset(keys.state(CONVERSATION), 'held', 'r1');
    expect(await store.finalize({ conversation: CONVERSATION, turnId: 'r1', status: 'posted', entries, detached: true })).toBe('closed');
    expect(await redis.lrange(keys.ready(CONVERSATION), 0, -1)).toEqual(['r2']);
    expect((await state()).held).toBeUndefined();
    const ttl = await redis.ttl(keys.turn('r1'));
    expect(ttl).toBeGreaterThan(RETENTION.turnSeconds);
    expect(ttl).toBeLessThanOrEqual(RETENTION.reviewedTurnSeconds);
  });
});

describe('resolve.lua', () => {
  const resolution = { decision: 'approved' as const, reviewer: { via: 'api', id: 'ada' }, at: Date.now() };
  const reply = { text: 'hello', source: { kind: 'reviewer' as const, reviewer: { via: 'api', id: 'ada' } } };

  async function escalated(hold: boolean): Promise<Turn> {
    await accept('a');
    await begin('t1');
    await store.escalate({ conversation: CONVERSATION, turnId: 't1', hold, turnFields: { escalation: { source: 'critic', reason: 'r', at: 1 } }, holding: null });
    return sampleTurn('t1');
  }

  it('missing: no such turn', async () => {
    const ghost = { id: 'ghost', conversation: { platform: 'web', id: 'c1' } } as Turn;
    expect(await store.resolve({ turn: ghost, resolution, reply, approval: approval('ghost') })).toEqual({ kind: 'missing' });
    expect(await redis.exists(keys.outbox('ghost'))).toBe(0);
  });

  it('conflict: a turn already resolved is not resolved again', async () => {
    const turn = await escalated(true);
    await store.resolve({ turn, resolution, reply: null, approval: null });
    expect(await store.resolve({ turn, resolution, reply, approval: approval('t1') })).toEqual({ kind: 'conflict', status: 'rejected' });
    expect(await redis.exists(keys.outbox('t1'))).toBe(0);
  });

  it('approved in a held conversation: the turn is approved with its delivery record, moves to the resolved index, and its own conversation gets the work', async () => {
    const turn = await escalated(true);
    expect(await store.resolve({ turn, resolution, reply, approval: approval('t1') })).toEqual({ kind: 'resolved' });
    expect(await sampleTurn('t1')).toMatchObject({ status: 'approved', resolution: { decision: 'approved' }, reply });
    expect(await redis.zscore(keys.reviewPending, 't1')).toBeNull();
    expect(await redis.zscore(keys.reviewResolved, 't1')).not.toBeNull();
    expect(await redis.hget(keys.outbox('t1'), 'state')).toBe('approved');
    // Still the conversation's turn: no ready entry; the reconciler index has the conversation.
    expect(await redis.llen(keys.ready(CONVERSATION))).toBe(0);
    expect(await redis.zscore(keys.pendingConversations, CONVERSATION)).not.toBeNull();
  });

  it('rejected in a conversation that went on: no delivery record, and the turn joins the ready list', async () => {
    const turn = await escalated(false);
    expect(await store.resolve({ turn, resolution: { ...resolution, decision: 'rejected' }, reply: null, approval: null })).toEqual({ kind: 'resolved' });
    expect(await sampleTurn('t1')).toMatchObject({ status: 'rejected' });
    expect(await redis.exists(keys.outbox('t1'))).toBe(0);
    expect(await redis.lrange(keys.ready(CONVERSATION), 0, -1)).toEqual(['t1']);
  });
});

describe('accept.lua', () => {
  it('accepts once, refuses a full inbox without remembering the id, and reports work waiting on a duplicate', async () => {
    const small = createConversationStore({ redis, keys, keep: 3, historyBudgetChars: 10_000, retention: RETENTION, inbox: { maxMessages: 1, maxBytes: 1_000_000 } });
    const first = message('a');
    expect(await small.accept(first, CONVERSATION, 60)).toEqual({ outcome: 'accepted', workWaiting: false });
    expect(await small.accept(first, CONVERSATION, 60)).toEqual({ outcome: 'duplicate', workWaiting: true });
    const second = message('b');
    expect(await small.accept(second, CONVERSATION, 60)).toEqual({ outcome: 'inbox-full', workWaiting: false });
    expect(await redis.exists(keys.seen('web', second.id, 'c1'))).toBe(0);
    expect((await state()).refused).toBe('1');
    await redis.zrem(keys.pendingConversations, CONVERSATION);
    expect(await small.accept(first, CONVERSATION, 60)).toEqual({ outcome: 'duplicate', workWaiting: false });
  });
});
