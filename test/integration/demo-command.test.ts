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
    const byDecision = Object.fromEntries(DEMO_PROMPTS.filter((prompt) => prompt.subject === 'reply').map((prompt) => [prompt.decision, prompt.text]));
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

  type Entry = { role: string; text: string; review?: { by: string; actions?: Array<Record<string, unknown>>; pending?: Record<string, unknown> } };
  const transcript = async (conversation: string, text?: string): Promise<Entry[]> => {
    await chat(conversation, text);
    const response = await fetch(`${demo.url}/api/chat/${conversation}/messages`, { headers: conversationHeaders(conversation) });
    return ((await response.json()) as { messages: Entry[] }).messages.filter((m) => m.role === 'bot');
  };
  const actionPrompt = (decision: string) => DEMO_PROMPTS.find((prompt) => prompt.subject === 'action' && prompt.decision === decision)!.text;
  const auth = () => ({ authorization: `Bearer ${demo.reviewToken}`, 'content-type': 'application/json' });
  type PendingItem = { id: string; conversation: string; kind: string; action: { tool: string; arguments: Record<string, unknown>; verdict: { reason: string } | null } | null };
  const pendingItem = (conversation: string) =>
    waitFor(async () => {
      const list = (await (await fetch(`${demo.url}/api/review/turns?status=pending`, { headers: auth() })).json()) as { turns: PendingItem[] };
      return list.turns.find((t) => t.conversation === `web:${conversation}`) ?? null;
    }, `the held turn of ${conversation}`);

  it('the critic approves a cancellation the policy allows: it runs once, and the reply shows the actions it rests on', async () => {
    await chat('demo-act-approve', actionPrompt('approve'));
    const [reply] = await waitFor(async () => {
      const found = await transcript('demo-act-approve');
      return found.length ? found : null;
    }, 'the reply after the cancellation');
    expect(reply!.text).toMatch(/ZFA04Y .* is cancelled/);
    expect(demo.airline.bookings.get('ZFA04Y')!.status).toBe('cancelled');
    expect(demo.airline.runs.cancel_reservation).toBe(1);
    expect(reply!.review).toMatchObject({
      by: 'critic-approved',
      actions: [
        { tool: 'get_reservation', arguments: { reservation_id: 'ZFA04Y' }, status: 'done', by: 'policy' },
        { tool: 'cancel_reservation', arguments: { reservation_id: 'ZFA04Y' }, status: 'done', by: 'critic', reason: expect.stringMatching(/business booking/) },
      ],
    });
  });

  it('the critic edits a voucher down to the policy limit before it runs', async () => {
    await chat('demo-act-edit', actionPrompt('edit'));
    const [reply] = await waitFor(async () => {
      const found = await transcript('demo-act-edit');
      return found.length ? found : null;
    }, 'the reply after the voucher');
    expect(demo.airline.vouchers).toEqual([expect.objectContaining({ reservationId: '4WQ150', amount: 100 })]);
    expect(reply!.text).toMatch(/of 100 USD/);
    const voucher = reply!.review!.actions!.find((action) => action.tool === 'issue_voucher');
    expect(voucher).toMatchObject({ arguments: { reservation_id: '4WQ150', amount: 100 }, proposed: { reservation_id: '4WQ150', amount: 300 }, by: 'critic', edited: true, status: 'done' });
  });

  it('the critic holds a cancellation the policy does not allow: the chat shows what waits, nothing runs until a human approves', async () => {
    await chat('demo-act-hold', actionPrompt('escalate'));
    const item = await pendingItem('demo-act-hold');
    expect(item.kind).toBe('action');
    expect(item.action).toMatchObject({ tool: 'cancel_reservation', arguments: { reservation_id: 'EHGLP3' } });
    expect(item.action!.verdict!.reason).toMatch(/does not allow/);
    const [holding] = await waitFor(async () => {
      const found = await transcript('demo-act-hold');
      return found.length ? found : null;
    }, 'the holding message');
    expect(holding!.review).toMatchObject({ by: 'operator-holding', pending: { tool: 'cancel_reservation', arguments: { reservation_id: 'EHGLP3' } } });
    expect(demo.airline.bookings.get('EHGLP3')!.status).toBe('confirmed');

    const approve = await fetch(`${demo.url}/api/review/turns/${item.id}/approve`, { method: 'POST', headers: auth(), body: JSON.stringify({}) });
    expect(approve.status).toBe(200);
    const after = await waitFor(async () => {
      const found = await transcript('demo-act-hold');
      return found.length === 2 ? found : null;
    }, 'the reply after the review');
    expect(after[1]!.text).toMatch(/EHGLP3 .* is cancelled/);
    expect(demo.airline.bookings.get('EHGLP3')!.status).toBe('cancelled');
    expect(after[1]!.review!.actions!.find((action) => action.tool === 'cancel_reservation')).toMatchObject({ by: 'reviewer', status: 'done', reason: expect.stringMatching(/does not allow/) });
  });

  it('a human who rejects the held cancellation: nothing runs, and the actor tells the user', async () => {
    // The booking was cancelled by the test before; the demo airline's next one is fresh.
    demo.airline.bookings.get('EHGLP3')!.status = 'confirmed';
    const cancellations = demo.airline.runs.cancel_reservation;
    await chat('demo-act-reject', actionPrompt('escalate'));
    const item = await pendingItem('demo-act-reject');
    const reject = await fetch(`${demo.url}/api/review/turns/${item.id}/reject`, { method: 'POST', headers: auth(), body: JSON.stringify({}) });
    expect(reject.status).toBe(200);
    const after = await waitFor(async () => {
      const found = await transcript('demo-act-reject');
      return found.length === 2 ? found : null;
    }, 'the reply after the rejection');
    expect(after[1]!.text).toMatch(/could not cancel reservation EHGLP3/);
    expect(demo.airline.runs.cancel_reservation).toBe(cancellations);
    expect(demo.airline.bookings.get('EHGLP3')!.status).toBe('confirmed');
    expect(after[1]!.review!.actions!.find((action) => action.tool === 'cancel_reservation')).toMatchObject({ by: 'reviewer', status: 'refused' });
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
