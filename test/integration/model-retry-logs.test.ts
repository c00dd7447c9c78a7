/**
 * The actor's model retries (429 with Retry-After, 5xx) happen inside the `openai` client. They
 * must show in the service's log, with the role and model and without the key: before the fix
 * the client kept them to itself, so an operator saw a slow turn and no reason.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type Countersign, createCountersign } from '../../src/main.js';
import { conversationHeaders, type Pipeline, startPipeline, waitFor } from '../helpers/pipeline.js';

let pipeline: Pipeline | undefined;
let service: Countersign | undefined;
afterEach(async () => {
  await service?.stop();
  await pipeline?.stop();
  service = undefined;
  pipeline = undefined;
});

describe('model retries in the log', () => {
  it('every retry of the actor call is a log line naming the role and model, never the key', async () => {
    let calls = 0;
    pipeline = await startPipeline({
      noService: true,
      actor: () => {
        calls++;
        if (calls === 1) return { status: 503 };
        if (calls === 2) return { status: 429, retryAfterSeconds: 0 };
        return { content: 'Third time lucky.' };
      },
    });
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    service = createCountersign({ config: pipeline.config, logger });
    await service.start();
    await fetch(`${service.url}/api/chat/retries/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...conversationHeaders('retries') }, body: JSON.stringify({ text: 'Hello?' }) });
    await waitFor(() => lines.some((line) => line.msg === 'turn posted'), 'the turn to be posted');
    expect(calls).toBe(3);
    const retries = lines.filter((line) => /retrying/.test(String(line.msg)));
    expect(retries).toHaveLength(2);
    for (const line of retries) expect(line).toMatchObject({ role: 'actor', model: 'test-actor', level: 40 });
    expect(String(retries[0]!.msg)).toMatch(/status 503/);
    expect(String(retries[1]!.msg)).toMatch(/status 429/);
    expect(JSON.stringify(lines)).not.toContain('test-key');
  });
});
