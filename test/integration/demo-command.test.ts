import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/demo-command.js';
import { DEMO_PROMPTS } from '../../src/demo/demo-models.js';
import { conversationHeaders, waitFor } from '../helpers/pipeline.js';
import { connectRedis, deletePrefix, randomPrefix, REDIS_URL } from '../helpers/redis.js';

describe('npm run demo (offline models)', () => {
  const prefix = randomPrefix('demo');
  let banner = '';
  let demo: Awaited<ReturnType<typeof runDemo>>;

  beforeAll(async () => {
    const out = new Writable({
      write(chunk, _encoding, done) {
        banner += String(chunk);
        done();
      },
    });
    // No OPENAI_API_KEY: the offline stand-ins; PORT 0 so tests never collide.
    demo = await runDemo({ env: { PATH: process.env.PATH, REDIS_URL, REDIS_PREFIX: prefix, PORT: '0', LOG_LEVEL: 'silent' }, out });
  });

  afterAll(async () => {
    await demo?.stop();
    const redis = connectRedis();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('prints the dashboard, and one export line that points another terminal\'s commands at its data (its address, token, Redis and prefix)', () => {
    expect(banner).toMatch(/dashboard: +http:\/\/localhost:\d+\/review/);
    expect(banner).toMatch(new RegExp(`export DEMO_URL=http://localhost:\\d+ REVIEW_TOKEN=${demo.reviewToken} REDIS_URL=${REDIS_URL} REDIS_PREFIX=${prefix}\n`));
    expect(banner).toContain('  npx countersign review list\n');
    expect(banner).toContain('  npx countersign export --out reviews.jsonl\n');
    expect(banner).toContain('npm run demo -- --keep');
  });

  const chat = async (conversation: string, text?: string) => {
    if (text !== undefined) {
      const response = await fetch(`${demo.url}/api/chat/${conversation}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...conversationHeaders(conversation) }, body: JSON.stringify({ text }) });
      expect(response.status).toBe(202);
    }
    const response = await fetch(`${demo.url}/api/chat/${conversation}/messages`, { headers: conversationHeaders(conversation) });
    return ((await response.json()) as { messages: Array<{ role: string; text: string }> }).messages.filter((m) => m.role === 'bot').map((m) => m.text);
  };

  it('prints the chat page, the review API and a generated token, and labels the models as stand-ins', async () => {
    expect(banner).toContain('chat page:');
    expect(banner).toContain('/api/review/turns');
    expect(banner).toMatch(/REVIEW_TOKEN=\S{16,}/);
    expect(banner).toContain('offline stand-ins');
    const page = await (await fetch(`${demo.url}/`)).text();
    expect(page).toContain('Offline demo');
    for (const prompt of DEMO_PROMPTS) expect(page).toContain(prompt.text.replace(/'/g, '&#39;'));
  });

  it('shows approve, edit, revise and escalate, and a reviewer resolves the escalation', async () => {
    const byDecision = Object.fromEntries(DEMO_PROMPTS.map((prompt) => [prompt.decision, prompt.text]));
    const approved = await (async () => {
      await chat('demo-approve', byDecision.approve);
      return waitFor(async () => ((await chat('demo-approve')).length ? chat('demo-approve') : null), 'an approved reply');
    })();
    expect(approved).toHaveLength(1);

    await chat('demo-edit', byDecision.edit);
    const edited = await waitFor(async () => ((await chat('demo-edit')).length ? chat('demo-edit') : null), 'an edited reply');
    expect(edited[0]).not.toMatch(/I promise/i);
    expect(edited[0]).toMatch(/cannot promise a refund/i);

    await chat('demo-revise', byDecision.revise);
    const revised = await waitFor(async () => ((await chat('demo-revise')).length ? chat('demo-revise') : null), 'a polite redraft');
    expect(revised[0]).not.toMatch(/^Ugh/);

    await chat('demo-escalate', byDecision.escalate);
    const auth = { authorization: `Bearer ${demo.reviewToken}`, 'content-type': 'application/json' };
    const turn = await waitFor(async () => {
      const list = (await (await fetch(`${demo.url}/api/review/turns?status=pending`, { headers: auth })).json()) as { turns: Array<{ id: string; conversation: string }> };
      return list.turns.find((t) => t.conversation === 'web:demo-escalate') ?? null;
    }, 'the escalated turn');
    const holding = await chat('demo-escalate');
    expect(holding).toHaveLength(1);
    const approve = await fetch(`${demo.url}/api/review/turns/${turn.id}/approve`, { method: 'POST', headers: auth, body: JSON.stringify({ text: 'A colleague will call you today.' }) });
    expect(approve.status).toBe(200);
    const after = await waitFor(async () => ((await chat('demo-escalate')).length === 2 ? chat('demo-escalate') : null), 'the reviewed reply');
    expect(after[1]).toBe('A colleague will call you today.');
  });

  it('removes its keys when it stops (and only its own)', async () => {
    const redis = connectRedis();
    const neighbour = `${prefix}-neighbour:keep-me`;
    await redis.set(neighbour, '1');
    try {
      expect((await redis.keys(`${prefix}:*`)).length).toBeGreaterThan(0);
      const { removedKeys } = await demo.stop();
      expect(removedKeys).toBeGreaterThan(0);
      expect(await redis.keys(`${prefix}:*`)).toEqual([]);
      expect(await redis.get(neighbour)).toBe('1');
    } finally {
      await redis.del(neighbour);
      await redis.quit();
    }
  });
});
