import { describe, expect, it } from 'vitest';
import { createModelCallBudget } from '../../src/conversation/model-call-budget.js';
import { redisPerTest } from '../helpers/redis-per-test.js';

const store = redisPerTest('budget');

describe('the model-call budget (Redis, shared by every worker)', () => {
  it('reserves until a conversation budget is spent; a refused reservation takes nothing from either budget', async () => {
    const budget = createModelCallBudget({ redis: store.redis, keyPrefix: `${store.prefix}:budget`, perConversation: 5, global: 100, windowSeconds: 60 });
    expect(await budget.reserve('web:a', 2)).toEqual({ ok: true });
    expect(await budget.reserve('web:a', 2)).toEqual({ ok: true });
    const refused = await budget.reserve('web:a', 2);
    expect(refused).toMatchObject({ ok: false, scope: 'conversation', limit: 5 });
    expect(refused.ok === false && refused.retryInMs > 0 && refused.retryInMs <= 60_000).toBe(true);
    // 4 of 5 used in the conversation, 4 in the global budget: the refusal took nothing.
    expect(Number(await store.redis.get(`${store.prefix}:budget:conversation:web:a`))).toBe(4);
    expect(Number(await store.redis.get(`${store.prefix}:budget:global:all`))).toBe(4);
    // Another conversation has its own budget.
    expect(await budget.reserve('web:b', 2)).toEqual({ ok: true });
  });

  it('the global budget holds across conversations; charge counts past it, refund gives back', async () => {
    const budget = createModelCallBudget({ redis: store.redis, keyPrefix: `${store.prefix}:budget`, perConversation: 0, global: 4, windowSeconds: 60 });
    expect(await budget.reserve('web:a', 2)).toEqual({ ok: true });
    expect(await budget.reserve('web:b', 2)).toEqual({ ok: true });
    expect(await budget.reserve('web:c', 2)).toMatchObject({ ok: false, scope: 'global', limit: 4 });
    await budget.refund('web:b', 2);
    expect(await budget.reserve('web:c', 2)).toEqual({ ok: true });
    await budget.charge('web:c', 3);
    expect(Number(await store.redis.get(`${store.prefix}:budget:global:all`))).toBe(7);
    // No per-conversation keys: that budget is lifted (0).
    expect(await store.redis.exists(`${store.prefix}:budget:conversation:web:a`)).toBe(0);
  });

  it('the window starts again', async () => {
    const budget = createModelCallBudget({ redis: store.redis, keyPrefix: `${store.prefix}:budget`, perConversation: 2, global: 0, windowSeconds: 1 });
    expect(await budget.reserve('web:a', 2)).toEqual({ ok: true });
    const refused = await budget.reserve('web:a', 2);
    expect(refused.ok).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, (refused.ok ? 0 : refused.retryInMs) + 50));
    expect(await budget.reserve('web:a', 2)).toEqual({ ok: true });
  });
});
