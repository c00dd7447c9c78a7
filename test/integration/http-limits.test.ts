/**
 * The HTTP server's limits against a real service (web and Slack adapters, the fake Slack):
 * slow bodies and unfinished headers are cut off with 408, `/slack/events` refuses a request
 * without well-formed, current signature headers with 401 before its body arrives, /healthz
 * answers while slow connections are open, the connection cap refuses the connection past it,
 * and the idle time-out does not cut the dashboard's live stream. Time-outs are shortened so
 * the tests wait seconds, not minutes; every wait has a generous deadline and nothing asserts
 * on how long something took.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, signSlackBody, startFakeSlack } from '../fakes/fake-slack.js';
import { type Pipeline, REVIEW_TOKEN, startPipeline, waitFor } from '../helpers/pipeline.js';
import { slackEnv } from '../helpers/slack-env.js';
import { type RawConnection, rawConnect } from '../helpers/raw-http.js';

const LIMITS = { HTTP_REQUEST_TIMEOUT_MS: '3000', HTTP_HEADERS_TIMEOUT_MS: '1500', HTTP_IDLE_TIMEOUT_MS: '2000' };

/** Trickle `body` one byte per `everyMs` until the server closes the connection. */
function trickle(connection: RawConnection, body: string, everyMs: number): () => void {
  let sent = 0;
  const timer = setInterval(() => {
    if (connection.closed() || sent >= body.length) return clearInterval(timer);
    connection.write(body[sent++]!);
  }, everyMs);
  return () => clearInterval(timer);
}

const closedWithin = (connection: RawConnection, what: string) => waitFor(() => connection.closed(), what, { timeoutMs: 30_000, intervalMs: 50 });

describe('HTTP limits', () => {
  let slack: FakeSlack;
  let pipeline: Pipeline;
  const open: RawConnection[] = [];

  beforeAll(async () => {
    slack = await startFakeSlack();
    pipeline = await startPipeline({
      env: { ADAPTERS: 'web,slack', ...slackEnv(slack), ...LIMITS },
    });
  });
  afterAll(async () => {
    for (const connection of open) connection.destroy();
    await pipeline?.stop();
    await slack?.close();
  });

  const connect = async (head: string) => {
    const connection = await rawConnect(pipeline.url(), head);
    open.push(connection);
    return connection;
  };
  const host = () => new URL(pipeline.url()).host;

  it('a body trickled in one byte at a time is cut off: 408 and the connection closed', async () => {
    const body = JSON.stringify({ text: 'x'.repeat(500), user: 'slow' });
    const connection = await connect(`POST /api/chat/slow-body/messages HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    const stop = trickle(connection, body, 200);
    await closedWithin(connection, 'the server to close the slow-body connection');
    stop();
    expect(connection.status()).toBe(408);
    // Nothing of it was accepted.
    expect(await pipeline.redis.exists(pipeline.keys.inbox('web:slow-body'))).toBe(0);
  });

  it('headers that never end are cut off: 408 and the connection closed', async () => {
    const connection = await connect(`GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nX-Padding: `);
    const stop = trickle(connection, 'a'.repeat(10_000), 200);
    await closedWithin(connection, 'the server to close the slow-headers connection');
    stop();
    expect(connection.status()).toBe(408);
  });

  it('a connection that sends nothing is closed', async () => {
    const connection = await connect('');
    await closedWithin(connection, 'the server to close the silent connection');
    expect(connection.received()).not.toMatch(/^HTTP\/1\.1 2/);
  });

  it('/slack/events: no, malformed or stale signature headers get 401 before the body is sent, and the connection closes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const wellFormed = `v0=${'0'.repeat(64)}`;
    const cases: Record<string, string> = {
      unsigned: '',
      'signature without a timestamp': `X-Slack-Signature: ${wellFormed}\r\n`,
      'timestamp without a signature': `X-Slack-Request-Timestamp: ${now}\r\n`,
      'malformed signature': `X-Slack-Signature: v0=not-hex\r\nX-Slack-Request-Timestamp: ${now}\r\n`,
      'non-numeric timestamp': `X-Slack-Signature: ${wellFormed}\r\nX-Slack-Request-Timestamp: 17e8\r\n`,
      'stale timestamp': `X-Slack-Signature: ${wellFormed}\r\nX-Slack-Request-Timestamp: ${now - 6 * 60}\r\n`,
      'future timestamp': `X-Slack-Signature: ${wellFormed}\r\nX-Slack-Request-Timestamp: ${now + 6 * 60}\r\n`,
    };
    const statuses: Record<string, number | null> = {};
    for (const [name, signatureHeaders] of Object.entries(cases)) {
      // The body is announced and never sent: only an answer given before it can arrive.
      const connection = await connect(`POST /slack/events HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n${signatureHeaders}\r\n`);
      statuses[name] = await Promise.race([connection.ended, new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), 20_000))]).then((status) => (status === 'no answer' ? -1 : status));
      expect(connection.received()).toContain('"error":"invalid Slack signature"');
      expect(connection.received().toLowerCase()).toContain('connection: close');
    }
    expect(statuses).toEqual(Object.fromEntries(Object.keys(cases).map((name) => [name, 401])));
  });

  it('/slack/events: an unsigned body that is not JSON is 401 (unsigned), not 400; a signed one is checked as before', async () => {
    const unsigned = await fetch(`${pipeline.url()}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type": "url_verif' });
    expect(unsigned.status).toBe(401);
    // A well-formed, current signature that does not match the bytes: refused after the body, still 401.
    const timestamp = Math.floor(Date.now() / 1000);
    const forged = await fetch(`${pipeline.url()}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signSlackBody('not-the-secret', timestamp, '{}') },
      body: '{}',
    });
    expect(forged.status).toBe(401);
    const verification = await slack.sendSigned(`${pipeline.url()}/slack/events`, JSON.stringify({ type: 'url_verification', challenge: 'c-123' }), 'application/json');
    expect(verification.status).toBe(200);
    expect(verification.json()).toEqual({ challenge: 'c-123' });
  });

  it('/healthz keeps answering while slow connections are open', async () => {
    const slow: Array<() => void> = [];
    for (let index = 0; index < 30; index++) {
      const connection = await connect(`POST /api/chat/slow-${index}/messages HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
      slow.push(trickle(connection, 'x'.repeat(1000), 250));
    }
    for (let probe = 0; probe < 5; probe++) {
      const health = await fetch(`${pipeline.url()}/healthz`);
      expect(health.status).toBe(200);
    }
    for (const stop of slow) stop();
  });

  it('the idle time-out does not cut the dashboard live stream: its keep-alives come faster', async () => {
    const login = await fetch(`${pipeline.url()}/review/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'idle tester', token: REVIEW_TOKEN }).toString(),
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const stream = await fetch(`${pipeline.url()}/review/events`, { headers: { cookie } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let received = '';
    // Four keep-alives at half the idle time-out span twice that time-out: the stream outlived it.
    while ((received.match(/: keep-alive/g) ?? []).length < 4) {
      const { value, done } = await reader.read();
      expect(done, 'the live stream was closed').toBe(false);
      received += new TextDecoder().decode(value);
    }
    await reader.cancel();
  });
});

describe('connection cap', () => {
  let pipeline: Pipeline;
  const open: RawConnection[] = [];
  beforeAll(async () => {
    pipeline = await startPipeline({ env: { HTTP_MAX_CONNECTIONS: '10', HTTP_REQUEST_TIMEOUT_MS: '60000', HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_IDLE_TIMEOUT_MS: '60000' } });
  });
  afterAll(async () => {
    for (const connection of open) connection.destroy();
    await pipeline?.stop();
  });

  it('past the cap a connection is closed without an answer; once connections end, requests are served again', async () => {
    const server = pipeline.service!.http.server;
    const connections = () => new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    const host = new URL(pipeline.url()).host;
    for (let index = 0; index < 10; index++) open.push(await rawConnect(pipeline.url(), `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Slow: `));
    await waitFor(async () => (await connections()) === 10, 'the server to hold the 10 connections');
    const extra = await rawConnect(pipeline.url(), `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect(await extra.ended).toBeNull();
    for (const connection of open.splice(0)) connection.destroy();
    await waitFor(async () => (await connections()) === 0, 'the held connections to end');
    expect((await fetch(`${pipeline.url()}/healthz`)).status).toBe(200);
  });
});
