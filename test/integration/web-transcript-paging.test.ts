/**
 * Paged transcript reads (`limit`, `before`, `previous`) and the transcript cap (trimmed on
 * append), through the real service and Redis, with a small page and cap to keep it quick.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatAdapter } from '../../src/core/ports.js';
import { conversationHeaders, type Pipeline, startPipeline } from '../helpers/pipeline.js';

const CONVERSATION = 'paging';
let pipeline: Pipeline;
let web: ChatAdapter;

interface Page {
  messages: Array<{ id: string; role: string; text: string }>;
  state: string;
  previous: string | null;
}

async function get(path: string): Promise<{ status: number; body: Page & { error?: string } }> {
  const response = await fetch(`${pipeline.url()}${path}`, { headers: conversationHeaders(CONVERSATION) });
  return { status: response.status, body: (await response.json()) as Page & { error?: string } };
}

/** A bot entry through the adapter's own send (as the outbox posts a reply). */
async function post(text: string) {
  await web.send({ conversation: { platform: 'web', id: CONVERSATION }, deliveryId: text, turnId: text, part: 0, parts: 1, text, key: `${text}:0`, replyTo: [], recovering: false, kind: 'reply' });
}

const texts = (page: Page) => page.messages.map((message) => message.text);
const entries = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => `entry ${from + index}`);

beforeAll(async () => {
  pipeline = await startPipeline({
    configure: (config) => {
      config.web = { ...config.web, transcriptKeep: 30, pageSize: 4, maxPageSize: 10 };
    },
  });
  web = pipeline.service!.adapters.get('web')!;
  expect((await pipeline.send(CONVERSATION, 'the first question')).status).toBe(202);
  await pipeline.waitForBot(CONVERSATION, 1);
  await pipeline.waitIdle(CONVERSATION);
  // Positions 0 and 1 are the question and its reply; entries 1..40 are positions 2..41.
  for (let index = 1; index <= 40; index++) await post(`entry ${index}`);
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('the web transcript', () => {
  it('keeps only the newest transcriptKeep entries in Redis', async () => {
    expect(await pipeline.redis.llen(pipeline.keys.adapter('web', `transcript:${CONVERSATION}`))).toBe(30);
    expect(await pipeline.redis.get(pipeline.keys.adapter('web', `transcript:${CONVERSATION}:trimmed`))).toBe('12');
  });

  it('answers the newest page, oldest first, with the way to the previous one; following it reads every kept entry once, in order', async () => {
    const newest = await get(`/api/chat/${CONVERSATION}/messages`);
    expect(newest.status).toBe(200);
    expect(texts(newest.body)).toEqual(entries(37, 40));
    expect(newest.body.previous).toBe(`/api/chat/${CONVERSATION}/messages?before=38&limit=4`);
    const pages: string[][] = [texts(newest.body)];
    let previous = newest.body.previous;
    while (previous) {
      const page = await get(previous);
      expect(page.status).toBe(200);
      pages.unshift(texts(page.body));
      previous = page.body.previous;
    }
    expect(pages).toHaveLength(8);
    expect(pages.flat()).toEqual(entries(11, 40));
    expect((await get(`/api/chat/${CONVERSATION}/messages?limit=10`)).body.messages).toHaveLength(10);
  });

  it('keeps a cursor on the same entries while newer ones push the oldest out', async () => {
    const first = await get(`/api/chat/${CONVERSATION}/messages?limit=5`);
    const cursor = first.body.previous!;
    const before = texts((await get(cursor)).body);
    for (const text of ['entry 41', 'entry 42', 'entry 43']) await post(text);
    const after = await get(cursor);
    expect(texts(after.body)).toEqual(before);
    // A cursor into entries since trimmed answers an empty page with nowhere further to go.
    const gone = await get(`/api/chat/${CONVERSATION}/messages?before=13&limit=4`);
    expect(gone).toMatchObject({ status: 200, body: { messages: [], previous: null } });
  });

  it('refuses a limit or cursor that is not one, with a clear 400', async () => {
    for (const [query, message] of [
      ['limit=11', 'limit must be at most 10'],
      ['limit=0', 'limit must be at least 1'],
      ['limit=abc', 'limit must be a number'],
      ['limit=2.5', 'limit must be a whole number'],
      ['before=-1', 'before must not be negative'],
      ['before=x', 'before must be a number'],
    ]) {
      const answer = await get(`/api/chat/${CONVERSATION}/messages?${query}`);
      expect({ query, status: answer.status, error: answer.body.error }).toEqual({ query, status: 400, error: message });
    }
  });
});
