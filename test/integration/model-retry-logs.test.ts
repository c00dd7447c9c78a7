/**
 * The actor's model retries (429 with Retry-After, 5xx) happen inside the `openai` client. They
 * must show in the service's log, with the role and model and without the key: before the fix
 * the client kept them to itself, so an operator saw a slow turn and no reason.
 */
import net from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createCountersign } from '../../src/main.js';
import { conversationHeaders, waitFor } from '../helpers/pipeline.js';
import { pipelinePerTest } from '../helpers/pipeline-per-test.js';

const perTest = pipelinePerTest();

describe('model retries in the log', () => {
  it('every retry of the actor call is a log line naming the role and model, never the key', async () => {
    let calls = 0;
    const pipeline = await perTest.start({
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
    const service = perTest.stopAfter(createCountersign({ config: pipeline.config, logger }));
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

  it('a successful model call is not a warning: a healthy turn logs nothing at warn or above', async () => {
    const pipeline = await perTest.start({ noService: true });
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const service = perTest.stopAfter(createCountersign({ config: pipeline.config, logger }));
    await service.start();
    await fetch(`${service.url}/api/chat/healthy/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Hello?' }) });
    await waitFor(() => lines.some((line) => line.msg === 'turn posted'), 'the turn to be posted');
    // The client's per-response lines are still there for those who ask for debug.
    expect(lines.some((line) => line.level === 20 && String(line.msg).startsWith('openai client:'))).toBe(true);
    expect(lines.filter((line) => Number(line.level) >= 40)).toEqual([]);
  });

  it('an unreachable model is named by its endpoint in the log and shown in /healthz detail, which stays 200', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const endpoint = `http://127.0.0.1:${closed}/v1`;
    const pipeline = await perTest.start({ noService: true, env: { OPENAI_BASE_URL: endpoint } });
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const service = perTest.stopAfter(createCountersign({ config: pipeline.config, logger }));
    await service.start();
    await fetch(`${service.url}/api/chat/unreachable/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Hello?' }) });
    await waitFor(() => lines.some((line) => line.msg === 'turn escalated for review'), 'the turn to escalate');
    const escalated = lines.find((line) => line.msg === 'turn escalated for review')!;
    expect(String(escalated.reason)).toContain(`cannot reach ${endpoint}`);
    const health = await fetch(`${service.url}/healthz`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { models: { actor: { status: string; endpoint: string; lastError: string }; critic: { status: string } } };
    expect(body.models.actor).toMatchObject({ status: 'failing', endpoint });
    expect(body.models.actor.lastError).toContain('cannot reach');
    expect(body.models.critic.status).toBe('unknown');
  });
});
