import { afterEach, describe, expect, it } from 'vitest';
import { type Pipeline, startPipeline } from '../helpers/pipeline.js';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

describe('a platform message id is accepted once', () => {
  it('the web body clientMessageId sent twice gives one turn and one reply', async () => {
    pipeline = await startPipeline();
    const first = await pipeline.send('dedupe-web', 'Hello once', { clientMessageId: 'client-1' });
    const second = await pipeline.send('dedupe-web', 'Hello once', { clientMessageId: 'client-1' });
    expect(first).toEqual({ status: 202, body: { messageId: 'client-1', duplicate: false } });
    expect(second).toEqual({ status: 202, body: { messageId: 'client-1', duplicate: true } });
    // Remembered with a TTL (SET NX EX), not forever.
    expect(await pipeline.redis.ttl(pipeline.keys.seen('web', 'client-1'))).toBeGreaterThan(0);
    await pipeline.waitForBot('dedupe-web', 1);
    await pipeline.waitIdle('dedupe-web');
    expect(pipeline.actorRequests()).toHaveLength(1);
    const transcript = await pipeline.transcript('dedupe-web');
    expect(transcript.map((message) => [message.role, message.text])).toEqual([
      ['user', 'Hello once'],
      ['bot', 'reply to: Hello once'],
    ]);
    // Another id with the same text is a new message.
    await pipeline.send('dedupe-web', 'Hello once', { clientMessageId: 'client-2' });
    await pipeline.waitForBot('dedupe-web', 2);
    expect(pipeline.actorRequests()).toHaveLength(2);
  });

  it('service.ingest twice with the same id (a platform retry) gives one turn', async () => {
    // A conversation made by service.ingest, not by a chat POST, has no owner, so with
    // conversation tokens on nobody could read it through the chat API: this test reads it openly.
    pipeline = await startPipeline({ env: { WEB_CONVERSATION_TOKENS: 'off' } });
    const message = { id: 'platform-42', conversation: { platform: 'web' as const, id: 'dedupe-ingest' }, user: { id: 'u1', name: 'Una' }, text: 'Retry me' };
    const [a, b] = await Promise.all([pipeline.service!.ingest(message), pipeline.service!.ingest(message)]);
    expect([a.accepted, b.accepted].sort()).toEqual([false, true]);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    const again = await pipeline.service!.ingest(message);
    expect(again).toMatchObject({ accepted: false, duplicate: true, messageId: 'platform-42' });
    expect(await pipeline.waitForBot('dedupe-ingest', 1)).toEqual(['reply to: Retry me']);
    await pipeline.waitIdle('dedupe-ingest');
    expect(pipeline.actorRequests()).toHaveLength(1);
    expect(await pipeline.botTexts('dedupe-ingest')).toEqual(['reply to: Retry me']);
  });

  it('bad bodies are refused and nothing is queued', async () => {
    pipeline = await startPipeline();
    expect((await pipeline.send('dedupe-bad', '   ')).status).toBe(400);
    expect((await pipeline.send('dedupe-bad', 'x'.repeat(16_001))).status).toBe(413);
    const invalid = await fetch(`${pipeline.url()}/api/chat/dedupe-bad/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":' });
    expect(invalid.status).toBe(400);
    expect(await pipeline.redis.llen(pipeline.keys.inbox('web:dedupe-bad'))).toBe(0);
    await pipeline.waitIdle('dedupe-bad');
    expect(pipeline.actorRequests()).toHaveLength(0);
  });
});
