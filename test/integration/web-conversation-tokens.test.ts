/**
 * Who may read and post into a web conversation (docs/security.md): conversation tokens
 * (the client's secret in X-Conversation-Token, only its SHA-256 kept), a service-made token
 * for a first POST without one, tokens turned off, and the operator's authenticate hook.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebAuthenticate, WebIdentity } from '../../adapters/web/conversation-access.js';
import type { HttpRequest } from '../../src/core/ports.js';
import { type Countersign, createCountersign } from '../../src/main.js';
import { conversationHeaders, criticInput, type Pipeline, startPipeline, waitFor } from '../helpers/pipeline.js';
import { type WebAnswer, webRequest } from '../helpers/web-client.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const newToken = () => randomBytes(18).toString('base64url');

async function start(env: Record<string, string> = {}): Promise<Pipeline> {
  const pipeline = await startPipeline({ env });
  cleanups.push(() => pipeline.stop());
  return pipeline;
}

const chat = (base: string, conversation: string, options: { token?: string | undefined; text?: string; headers?: Record<string, string>; query?: string } = {}): Promise<WebAnswer> =>
  webRequest(`${base}/api/chat/${conversation}/messages${options.query ?? ''}`, {
    method: options.text === undefined ? 'GET' : 'POST',
    ...(options.text === undefined ? {} : { body: { text: options.text, user: 'tester' } }),
    headers: { ...(options.token ? { 'x-conversation-token': options.token } : {}), ...options.headers },
  });

function texts(answer: WebAnswer): string[] {
  const messages = answer.json?.messages as Array<{ role: string; text: string }> | undefined;
  if (!messages) throw new Error(`no transcript in ${answer.status} ${answer.text.slice(0, 200)}`);
  return messages.map((entry) => `${entry.role}: ${entry.text}`);
}

describe('conversation tokens', () => {
  it('only the token that started a conversation reads it or posts into it; others get the 404 of a conversation that does not exist', async () => {
    const p = await start();
    // The token the pipeline's helpers send for this conversation (waitForBot reads with it).
    const alice = conversationHeaders('tok-private')['x-conversation-token'];
    expect((await chat(p.url(), 'tok-private', { token: alice, text: 'my booking is ABC123' })).status).toBe(202);
    await p.waitForBot('tok-private', 1);

    const mine = await chat(p.url(), 'tok-private', { token: alice });
    expect(mine.status).toBe(200);
    expect(texts(mine)).toEqual(['user: my booking is ABC123', 'bot: reply to: my booking is ABC123']);

    const missing = await chat(p.url(), 'tok-nobody-started-this', { token: newToken() });
    expect((await p.send('tok-other', 'hello')).status).toBe(202);
    const attempts = {
      'GET without a token': await chat(p.url(), 'tok-private'),
      'GET with another token': await chat(p.url(), 'tok-private', { token: newToken() }),
      'GET with the token of another conversation': await chat(p.url(), 'tok-private', { token: conversationHeaders('tok-other')['x-conversation-token'] }),
      'POST without a token': await chat(p.url(), 'tok-private', { text: 'mallory was here' }),
      'POST with another token': await chat(p.url(), 'tok-private', { token: newToken(), text: 'mallory was here too' }),
    };
    for (const [what, answer] of Object.entries(attempts)) {
      // The same answer as for a conversation nobody started: its existence is not revealed.
      expect({ what, status: answer.status, body: answer.json }).toEqual({ what, status: missing.status, body: missing.json });
    }
    expect(missing).toMatchObject({ status: 404, json: { error: 'conversation not found' } });

    await p.waitIdle('tok-private');
    expect(texts(await chat(p.url(), 'tok-private', { token: alice }))).toEqual(['user: my booking is ABC123', 'bot: reply to: my booking is ABC123']);
    expect(p.actorRequests().map((request) => request.raw).join('\n')).not.toContain('mallory');
    // The service keeps only the token's SHA-256, nowhere the token itself.
    expect(await p.redis.get(p.keys.adapter('web', 'owner:tok-private'))).toBe(`token:${createHash('sha256').update(alice).digest('hex')}`);
    const keys = await p.redis.keys(`${p.prefix}:*`);
    expect(keys.join('\n')).not.toContain(alice);
    for (const key of keys) {
      const type = await p.redis.type(key);
      const values = type === 'string' ? [await p.redis.get(key)] : type === 'list' ? await p.redis.lrange(key, 0, -1) : type === 'hash' ? Object.values(await p.redis.hgetall(key)) : [];
      expect(values.join('\n'), key).not.toContain(alice);
    }
  });

  it('gives a first POST without a token a service-made token, which alone opens the conversation', async () => {
    const p = await start();
    const first = await chat(p.url(), 'tok-simple', { text: 'hello, I am a simple client' });
    expect(first.status).toBe(202);
    const made = String(first.json?.conversationToken);
    expect(made).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await chat(p.url(), 'tok-simple', { token: made })).status).toBe(200);
    expect((await chat(p.url(), 'tok-simple')).status).toBe(404);
    expect((await chat(p.url(), 'tok-simple', { text: 'again without it' })).status).toBe(404);
    const second = await chat(p.url(), 'tok-simple', { token: made, text: 'with it' });
    expect(second.status).toBe(202);
    expect(second.json).not.toHaveProperty('conversationToken');
  });

  it('accepts a retried first POST with the same token, and gives a conversation raced for by several tokens to exactly one', async () => {
    const p = await start();
    const token = conversationHeaders('tok-retry')['x-conversation-token'];
    const body = { text: 'the first message, sent twice', user: 'tester', clientMessageId: 'first-1' };
    const [one, two] = await Promise.all(
      [1, 2].map(() => webRequest(`${p.url()}/api/chat/tok-retry/messages`, { method: 'POST', body, headers: { 'x-conversation-token': token } })),
    );
    expect([one!.status, two!.status]).toEqual([202, 202]);
    expect([one!.json?.duplicate, two!.json?.duplicate].sort()).toEqual([false, true]);
    await p.waitForBot('tok-retry', 1);
    expect(texts(await chat(p.url(), 'tok-retry', { token })).filter((line) => line.startsWith('user:'))).toEqual(['user: the first message, sent twice']);

    const racers = Array.from({ length: 6 }, newToken);
    const answers = await Promise.all(racers.map((racer, index) => chat(p.url(), 'tok-race', { token: racer, text: `racer ${index}` })));
    const winners = answers.flatMap((answer, index) => (answer.status === 202 ? [index] : []));
    expect(winners).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 404)).toHaveLength(5);
    await p.waitIdle('tok-race');
    expect(texts(await chat(p.url(), 'tok-race', { token: racers[winners[0]!] })).filter((line) => line.startsWith('user:'))).toEqual([`user: racer ${winners[0]}`]);
  });

  it('refuses a malformed token with 400 and keeps conversations from before tokens closed', async () => {
    const p = await start();
    for (const bad of ['short', 'x'.repeat(21), `${'a'.repeat(30)} b`, `${'a'.repeat(30)}<script>`]) {
      const answer = await chat(p.url(), 'tok-bad', { token: bad, text: 'hi' });
      expect(answer.status, bad).toBe(400);
      expect(String(answer.json?.error)).toMatch(/x-conversation-token/);
    }
    // A transcript an older version stored without an owner: nobody may claim it now.
    await p.redis.rpush(p.keys.adapter('web', 'transcript:tok-legacy'), JSON.stringify({ id: 'm1', role: 'user', text: 'an old secret', at: 1 }));
    expect((await chat(p.url(), 'tok-legacy', { token: newToken() })).status).toBe(404);
    expect((await chat(p.url(), 'tok-legacy', { token: newToken(), text: 'mine now?' })).status).toBe(404);
    expect(await p.redis.exists(p.keys.adapter('web', 'owner:tok-legacy'))).toBe(0);
  });

  it('with conversation tokens off, every conversation is open to anyone who knows its id', async () => {
    const p = await start({ WEB_CONVERSATION_TOKENS: 'off' });
    expect((await chat(p.url(), 'tok-open', { text: 'anyone can read this' })).status).toBe(202);
    await p.waitForBot('tok-open', 1);
    expect(texts(await chat(p.url(), 'tok-open'))).toEqual(['user: anyone can read this', 'bot: reply to: anyone can read this']);
    expect((await chat(p.url(), 'tok-open', { token: newToken(), text: 'and write' })).status).toBe(202);
    const nobody = await chat(p.url(), 'tok-never-started');
    expect(nobody).toMatchObject({ status: 200, json: { messages: [], previous: null } });
  });
});

describe('the authenticate hook', () => {
  /** A stand-in for the operator's session lookup: `Authorization: Session <user>`; the limit key is the user's account. */
  const authenticate: WebAuthenticate = (request: HttpRequest) => {
    const match = /^Session (\w+)$/.exec(String(request.headers.authorization ?? ''));
    if (match?.[1] === 'broken') return { user: { name: 'no id' } } as unknown as WebIdentity;
    return match ? { user: { id: `user-${match[1]}`, name: match[1] }, key: `account-${match[1]}` } : null;
  };

  it('gives conversations to the operator\'s users, refuses requests it does not know (401), and keys the limits on its key', async () => {
    const pipeline = await startPipeline({ noService: true, env: { WEB_MESSAGES_PER_MINUTE: '2' } });
    cleanups.push(() => pipeline.stop());
    const service: Countersign = createCountersign({ config: pipeline.config, web: { authenticate } });
    cleanups.push(() => service.stop());
    await service.start();
    const as = (user: string) => ({ headers: { authorization: `Session ${user}` } });

    expect((await chat(service.url, 'hook-1', { ...as('alice'), text: 'alice asks' })).status).toBe(202);
    await waitFor(async () => {
      const answer = await chat(service.url, 'hook-1', as('alice'));
      return answer.status === 200 && texts(answer).length === 2;
    }, 'the reply to alice');
    // The critic saw the hook's user, not whatever the body said.
    const criticRequest = JSON.parse(pipeline.critic.calls[0]!.raw) as { messages: Array<{ role: string; content: string }> };
    expect(criticInput(criticRequest).conversation.at(-1)).toMatchObject({ user: 'alice', text: 'alice asks' });

    expect((await chat(service.url, 'hook-1', as('bob'))).status).toBe(404);
    expect((await chat(service.url, 'hook-1', { ...as('bob'), text: 'bob was here' })).status).toBe(404);
    // A conversation token is no way in when the hook decides.
    expect((await chat(service.url, 'hook-1', { token: newToken() })).status).toBe(401);
    expect(await chat(service.url, 'hook-1', { text: 'anonymous' })).toMatchObject({ status: 401, json: { error: 'sign in to use the chat' } });

    // A hook that answers something other than an identity or null is the operator's bug: 500, logged, no details out.
    expect(await chat(service.url, 'hook-1', { headers: { authorization: 'Session broken' } })).toMatchObject({ status: 500, json: { error: 'internal error' } });

    // Both users post from the same address; the per-client limit counts each account.
    expect((await chat(service.url, 'hook-2', { ...as('alice'), text: 'alice again' })).status).toBe(202);
    expect((await chat(service.url, 'hook-2', { ...as('alice'), text: 'alice a third time' })).status).toBe(429);
    expect((await chat(service.url, 'hook-3', { ...as('bob'), text: 'bob asks' })).status).toBe(202);
  });
});
