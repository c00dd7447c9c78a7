/**
 * The web chat's limits (docs/security.md): messages and new conversations per minute, per
 * client address and for everyone, through the real service and Redis. Clients are distinct
 * loopback addresses (test/helpers/web-client.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { conversationHeaders, type Pipeline, startPipeline } from '../helpers/pipeline.js';
import { type WebAnswer, webRequest } from '../helpers/web-client.js';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

/** Limits as environment variables: the harness lifts all four; a test sets the ones it tests. */
async function start(limits: Partial<Record<'WEB_MESSAGES_PER_MINUTE' | 'WEB_CONVERSATIONS_PER_MINUTE' | 'WEB_GLOBAL_MESSAGES_PER_MINUTE' | 'WEB_GLOBAL_CONVERSATIONS_PER_MINUTE', string>>) {
  pipeline = await startPipeline({ env: limits });
  return pipeline;
}

const post = (p: Pipeline, conversation: string, text: string, from = '127.0.0.1'): Promise<WebAnswer> =>
  webRequest(`${p.url()}/api/chat/${conversation}/messages`, { method: 'POST', from, body: { text, user: 'tester' }, headers: conversationHeaders(conversation) });

function expectRefused(answer: WebAnswer, error: RegExp) {
  expect(answer.status).toBe(429);
  const retryAfter = Number(answer.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${answer.headers['retry-after']}`).toBe(true);
  expect(answer.json?.error).toMatch(error);
  expect(String(answer.json?.error)).toContain(`${retryAfter} s`);
}

async function refusals(p: Pipeline): Promise<Record<string, number>> {
  const text = await (await fetch(`${p.url()}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^countersign_http_limit_refusals_total\{limit="([^"]+)"\} (\d+)$/gm)) counts[match[1]!] = Number(match[2]);
  return counts;
}

describe('web chat limits', () => {
  it('refuses a client past its messages per minute (429, Retry-After, an error) and stores and queues nothing of the refused message', async () => {
    const p = await start({ WEB_MESSAGES_PER_MINUTE: '3' });
    const answers = [];
    for (let index = 1; index <= 5; index++) answers.push(await post(p, 'flood-one', `message ${index} of the flood`));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 429, 429]);
    expectRefused(answers[3]!, /too many messages from this client \(at most 3 a minute\)/);
    // Another client is not held up by this one.
    expect((await post(p, 'other-client', 'hello from elsewhere', '127.0.0.2')).status).toBe(202);
    await p.waitForBot('other-client', 1);
    await p.waitIdle('flood-one');
    const users = (await p.transcript('flood-one')).filter((entry) => entry.role === 'user').map((entry) => entry.text);
    expect(users).toEqual(['message 1 of the flood', 'message 2 of the flood', 'message 3 of the flood']);
    const actorSaw = p.actorRequests().map((request) => request.raw).join('\n');
    expect(actorSaw).toContain('message 3 of the flood');
    expect(actorSaw).not.toContain('message 4 of the flood');
    expect(actorSaw).not.toContain('message 5 of the flood');
    expect(await p.redis.keys(`${p.prefix}:seen:web:*`)).toHaveLength(4);
    expect(await refusals(p)).toEqual({ 'web.client.messages': 2 });
  });

  it('counts the conversations a client starts; its messages into conversations it has still go in', async () => {
    const p = await start({ WEB_CONVERSATIONS_PER_MINUTE: '2' });
    expect((await post(p, 'start-1', 'first conversation')).status).toBe(202);
    expect((await post(p, 'start-2', 'second conversation')).status).toBe(202);
    const third = await post(p, 'start-3', 'third conversation');
    expectRefused(third, /too many new conversations from this client \(at most 2 a minute\)/);
    expect((await post(p, 'start-1', 'more in the first')).status).toBe(202);
    // The refused conversation was never made: nobody owns it, and its transcript is empty...
    expect(await p.redis.exists(p.keys.adapter('web', 'owner:start-3'))).toBe(0);
    expect(await p.redis.llen(p.keys.adapter('web', 'transcript:start-3'))).toBe(0);
    // ...and the limit is this client's: from another address it can be started.
    expect((await post(p, 'start-3', 'third conversation, from elsewhere', '127.0.0.2')).status).toBe(202);
    expect(await refusals(p)).toEqual({ 'web.client.conversations': 1 });
  });

  it('counts every client together in the global limits', async () => {
    const p = await start({ WEB_GLOBAL_CONVERSATIONS_PER_MINUTE: '3', WEB_GLOBAL_MESSAGES_PER_MINUTE: '5' });
    const starts = [];
    for (let client = 1; client <= 4; client++) starts.push(await post(p, `global-${client}`, `hello from client ${client}`, `127.0.0.${10 + client}`));
    expect(starts.map((answer) => answer.status)).toEqual([202, 202, 202, 429]);
    expectRefused(starts[3]!, /the chat is taking too many new conversations right now/);
    // Three messages are in; two more fit, from any client, then the global message limit refuses.
    expect((await post(p, 'global-1', 'second message', '127.0.0.11')).status).toBe(202);
    expect((await post(p, 'global-2', 'second message', '127.0.0.12')).status).toBe(202);
    expectRefused(await post(p, 'global-3', 'second message', '127.0.0.13'), /the chat is taking too many messages right now/);
    expect(await refusals(p)).toEqual({ 'web.global.conversations': 1, 'web.global.messages': 1 });
  });

  it('gives back what a request took when a later limit refuses it', async () => {
    const p = await start({ WEB_MESSAGES_PER_MINUTE: '4', WEB_CONVERSATIONS_PER_MINUTE: '1' });
    expect((await post(p, 'refund-1', 'one')).status).toBe(202);
    // Refused by the conversation limit after the message limit counted it: the message point comes back.
    expect((await post(p, 'refund-2', 'refused')).status).toBe(429);
    expect((await post(p, 'refund-2', 'refused again')).status).toBe(429);
    const more = [];
    for (const text of ['two', 'three', 'four', 'five']) more.push((await post(p, 'refund-1', text)).status);
    expect(more).toEqual([202, 202, 202, 429]);
  });

  it('lifts a limit set to 0', async () => {
    const p = await start({});
    const statuses = [];
    for (let index = 0; index < 30; index++) statuses.push((await post(p, `lifted-${index}`, `hello ${index}`)).status);
    expect(statuses.every((status) => status === 202)).toBe(true);
    expect(await refusals(p)).toEqual({});
  });
});
