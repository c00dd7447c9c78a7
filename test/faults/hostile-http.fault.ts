/**
 * Scenario 7, hostile HTTP, against a service process started as operators start it (web and
 * Slack adapters, named reviewer tokens from a reviewers file, behind a trusted proxy at
 * 127.0.0.1 with an identity header; requests "from elsewhere" come from 127.0.0.2):
 *
 * - 200 slowloris connections (a byte every 20 s: unfinished headers, trickled chat bodies,
 *   unsigned and signed /slack/events bodies) are all closed, while /healthz keeps answering;
 * - /slack/events without well-formed, current signature headers is refused with 401 before
 *   the body is sent;
 * - a guesser behind the proxy, alone or spread over many addresses, does not lock the right
 *   token out, and the number of wrong tokens the service evaluates stays bounded, at the
 *   sign-in and at the review API (429 with Retry-After);
 * - the Origin check refuses another scheme and userinfo;
 * - the reviewer recorded in the audit log and on the turn is the authenticated one, never the
 *   name the caller claims, and the proxy's header counts only from the proxy;
 * - after a restart with another token, an old session is refused; a session in constant use
 *   ends at its absolute lifetime.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { runSlowBodyAttack } from '../../bench/slow-body-attack.js';
import { createKeys } from '../../src/core/keys.js';
import { createAuditLog } from '../../src/review/audit-log.js';
import { type FakeSlack, startFakeSlack } from '../fakes/fake-slack.js';
import { criticInput, verdict, waitFor } from '../helpers/pipeline.js';
import { rawConnect, rawRequest } from '../helpers/raw-http.js';
import { REDIS_URL } from '../helpers/redis.js';
import { actorTurnTexts, cleanupAfterAll, random, randomInt, report, reseed, scenarioRedis, type ServiceProcess, startProcess, startTrackedModels } from './harness.js';

reseed('hostile-http');

const cleanups = cleanupAfterAll();

/** A token from the seeded generator (so a replay uses the same ones). */
const seededToken = (label: string) => `${label}-${Array.from({ length: 24 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[randomInt(0, 35)]).join('')}`;
const seededAddress = () => `203.0.${randomInt(1, 254)}.${randomInt(1, 254)}`;

describe('hostile HTTP', () => {
  it('slow bodies, unsigned webhooks, guessers behind a proxy, forged origins and names, stale sessions', async () => {
    const started = Date.now();
    const findings: string[] = [];
    const { redis, prefix } = scenarioRedis(cleanups, 'hostile-http');
    const slack: FakeSlack = await startFakeSlack();
    cleanups.push(() => slack.close());
    const { actor, critic } = await startTrackedModels(cleanups, {
      actor: (request) => ({ content: `You said: ${actorTurnTexts(request).join(' / ')}` }),
      critic: (request) => ({ content: criticInput(request).draft.includes('lawyer') ? verdict('escalate', { reason: 'a legal threat' }) : verdict('approve') }),
    });

    const shared = seededToken('shared');
    const ada = seededToken('ada');
    const bob = seededToken('bob');
    const directory = mkdtempSync(path.join(tmpdir(), 'countersign-hostile-http-'));
    const reviewersFile = path.join(directory, 'reviewers');
    writeFileSync(reviewersFile, `# named reviewer tokens\nada:${ada}\n{"name": "bob", "token": "${bob}"}\n`);
    const PER_CLIENT = 5;
    const GLOBAL = 20;
    const env = (overrides: Record<string, string> = {}): Record<string, string> => ({
      REDIS_URL,
      REDIS_PREFIX: prefix,
      ADAPTERS: 'web,slack',
      OPENAI_BASE_URL: actor.url,
      OPENAI_API_KEY: 'fault',
      CRITIC_BASE_URL: critic.url,
      CRITIC_API_KEY: 'fault',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_API_URL: slack.apiUrl,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      REVIEW_TOKEN: shared,
      REVIEW_REVIEWERS_FILE: reviewersFile,
      TRUST_PROXY: '127.0.0.1',
      REVIEW_TRUSTED_HEADER: 'X-Forwarded-User',
      HTTP_REQUEST_TIMEOUT_MS: '6000',
      HTTP_HEADERS_TIMEOUT_MS: '3000',
      HTTP_IDLE_TIMEOUT_MS: '10000',
      REVIEW_AUTH_FAILURES_PER_CLIENT: String(PER_CLIENT),
      REVIEW_AUTH_FAILURES_GLOBAL: String(GLOBAL),
      REVIEW_AUTH_WINDOW_SECONDS: '600',
      // The web chat's own abuse limits are another scenario's business.
      WEB_MESSAGES_PER_MINUTE: '0',
      WEB_CONVERSATIONS_PER_MINUTE: '0',
      ...overrides,
    });
    let service: ServiceProcess = await startProcess({ name: 'hostile-http', role: 'all', env: env() });
    cleanups.push(() => service.stop());
    let url = service.url;
    const host = () => new URL(url).host;

    // ---- 1. 200 slowloris connections, a byte every 20 s; /healthz probed throughout ----
    const attack = await runSlowBodyAttack({ url, connections: 200, byteIntervalMs: 20_000, durationMs: 30_000, checkpointsMs: [10_000, 20_000, 30_000], slackSigningSecret: slack.signingSecret, healthTimeoutMs: 10_000 });
    expect(attack.openAt['30s']).toBe(0);
    expect(attack.kinds['slack-unsigned'].answers).toEqual({ 401: 50 });
    for (const kind of ['slow-headers', 'chat-body', 'slack-signed'] as const) expect(attack.kinds[kind].answers, kind).toEqual({ 408: 50 });
    expect(attack.health.failed).toBe(0);
    findings.push(
      `200 slow connections (a byte every 20 s, time-outs 6 s / headers 3 s): open at 10/20/30 s ${attack.openAt['10s']}/${attack.openAt['20s']}/${attack.openAt['30s']}; unsigned /slack/events 401 after ${attack.kinds['slack-unsigned'].closedAfterSeconds.max} s at most, the rest 408 after ${Math.max(...(['slow-headers', 'chat-body', 'slack-signed'] as const).map((kind) => attack.kinds[kind].closedAfterSeconds.max ?? 0))} s at most; /healthz ${attack.health.ok}/${attack.health.probes} ok (slowest ${attack.health.maxLatencyMs} ms)`,
    );

    // ---- 2. /slack/events: refused before the body ----
    const now = Math.floor(Date.now() / 1000);
    const headerSets = {
      unsigned: '',
      'malformed signature': `X-Slack-Signature: v0=deadbeef\r\nX-Slack-Request-Timestamp: ${now}\r\n`,
      'stale timestamp': `X-Slack-Signature: v0=${'a'.repeat(64)}\r\nX-Slack-Request-Timestamp: ${now - 600}\r\n`,
    };
    const beforeBody: Record<string, number | null> = {};
    for (const [name, headers] of Object.entries(headerSets)) {
      const connection = await rawConnect(url, `POST /slack/events HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n${headers}\r\n`);
      beforeBody[name] = await Promise.race([connection.ended, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 30_000))]);
      connection.destroy();
    }
    expect(beforeBody).toEqual({ unsigned: 401, 'malformed signature': 401, 'stale timestamp': 401 });
    expect(service.logs().some((line) => String(line.msg).includes('refused before its body'))).toBe(true);
    findings.push(`/slack/events with no, malformed or stale signature headers and a 100,000-byte body announced but never sent: ${JSON.stringify(beforeBody)}, connection closed`);

    // ---- 3. a guesser behind the proxy does not lock the right token out ----
    const form = (token: string, name = 'x') => new URLSearchParams({ name, token }).toString();
    const signIn = async (token: string, address: string, name = 'x') => {
      const response = await fetch(`${url}/review/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address }, body: form(token, name) });
      await response.body?.cancel();
      return { status: response.status, retryAfter: response.headers.get('retry-after'), cookie: (response.headers.get('set-cookie') ?? '').split(';')[0]! };
    };
    const guesser = seededAddress();
    const guesserStatuses: number[] = [];
    for (let index = 0; index < 30; index++) guesserStatuses.push((await signIn(`guess-${index}-${randomBytes(4).toString('hex')}`, guesser)).status);
    let evaluated = guesserStatuses.filter((status) => status === 401).length;
    expect(evaluated).toBe(PER_CLIENT);
    expect(guesserStatuses.slice(PER_CLIENT).every((status) => status === 429)).toBe(true);
    const reviewerSignIn = await signIn(shared, '198.51.100.7', 'Reviewer');
    expect(reviewerSignIn.status).toBe(303);
    // Spread over many addresses: each new one is heard once, then refused; the global limit holds the total.
    const addresses = Array.from({ length: 40 }, seededAddress).filter((address) => address !== guesser);
    let spreadEvaluated = 0;
    let spreadRefused = 0;
    for (const address of addresses) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const { status, retryAfter } = await signIn(`spread-${random()}`, address);
        if (status === 401) spreadEvaluated++;
        else if (status === 429 && Number(retryAfter) > 0) spreadRefused++;
        else throw new Error(`unexpected sign-in answer ${status} (Retry-After ${retryAfter})`);
      }
    }
    evaluated += spreadEvaluated;
    const distinct = new Set(addresses).size;
    expect(spreadEvaluated).toBeLessThanOrEqual(GLOBAL + distinct);
    expect(spreadEvaluated).toBeLessThan(distinct * 3);
    const lateReviewer = await signIn(ada, '198.51.100.8', 'ignored');
    expect(lateReviewer.status).toBe(303);
    findings.push(
      `sign-in guesser behind the proxy: 30 wrong tokens, ${PER_CLIENT} evaluated, ${30 - PER_CLIENT} refused 429; ${distinct} more addresses x 3 wrong tokens: ${spreadEvaluated} evaluated, ${spreadRefused} refused (limits ${PER_CLIENT}/client, ${GLOBAL} global); the right token from other clients signed in during both`,
    );

    // ---- 4. bearer guesses on the review API are bounded ----
    const api = (pathName: string, headers: Record<string, string>, body?: unknown) =>
      fetch(`${url}${pathName}`, { method: body === undefined ? 'GET' : 'POST', headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const bearerGuesser = seededAddress();
    const bearerStatuses: number[] = [];
    let missingRetryAfter = 0;
    for (let index = 0; index < 50; index++) {
      const response = await api('/api/review/turns', { authorization: `Bearer guess-${index}-${random()}`, 'x-forwarded-for': bearerGuesser });
      bearerStatuses.push(response.status);
      if (response.status === 429 && !(Number(response.headers.get('retry-after')) > 0)) missingRetryAfter++;
      await response.body?.cancel();
    }
    const bearerEvaluated = bearerStatuses.filter((status) => status === 401).length;
    expect(bearerEvaluated).toBeLessThanOrEqual(PER_CLIENT);
    expect(bearerStatuses.filter((status) => status === 429)).toHaveLength(50 - bearerEvaluated);
    expect(missingRetryAfter).toBe(0);
    for (const [token, address] of [[shared, '198.51.100.20'], [ada, '198.51.100.21'], [bob, '2001:db8:77::1']] as const) {
      const response = await api('/api/review/turns', { authorization: `Bearer ${token}`, 'x-forwarded-for': address });
      expect(response.status, `a valid token from ${address}`).toBe(200);
      await response.body?.cancel();
    }
    findings.push(`review API: 50 wrong bearer tokens from one client, ${bearerEvaluated} evaluated (401${bearerEvaluated < PER_CLIENT ? ': the global limit was already reached above, so a new client is heard once' : ''}), ${50 - bearerEvaluated} answered 429 with Retry-After; valid tokens from three other clients (one IPv6) 200 throughout`);

    // ---- 5. Origin: another scheme, userinfo ----
    const session = await signIn(shared, '198.51.100.30', 'Origin tester');
    const page = await fetch(`${url}/review`, { headers: { cookie: session.cookie, 'x-forwarded-for': '198.51.100.30' } });
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await page.text())![1]!;
    const originStatus = async (origin: string) => {
      const response = await api('/review/api/turns/no-such-turn/reject', { cookie: session.cookie, 'x-csrf-token': csrf, origin }, {});
      await response.body?.cancel();
      return response.status;
    };
    const origins = {
      own: await originStatus(`http://${host()}`),
      https: await originStatus(`https://${host()}`),
      userinfo: await originStatus(`http://reviewer:${shared}@${host()}`),
      user: await originStatus(`http://admin@${host()}`),
      null: await originStatus('null'),
    };
    // 404: the Origin check let it through (no such turn); 403: refused.
    expect(origins).toEqual({ own: 404, https: 403, userinfo: 403, user: 403, null: 403 });
    findings.push(`dashboard writes by Origin: ${JSON.stringify(origins)} (404 = past the check)`);

    // ---- 6. the audit log names the authenticated reviewer ----
    const conversationTokens = new Map<string, string>();
    const chat = async (conversation: string, text: string) => {
      const token = conversationTokens.get(conversation) ?? randomBytes(24).toString('base64url');
      conversationTokens.set(conversation, token);
      const response = await fetch(`${url}/api/chat/${conversation}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-conversation-token': token }, body: JSON.stringify({ text }) });
      expect(response.status).toBe(202);
    };
    const pendingOf = (conversation: string) =>
      waitFor(
        async () => {
          const response = await api('/api/review/turns?status=pending', { authorization: `Bearer ${shared}` });
          return ((await response.json()) as { turns: Array<{ id: string; conversation: string }> }).turns.find((turn) => turn.conversation === `web:${conversation}`)?.id;
        },
        `the escalated turn of ${conversation}`,
        { timeoutMs: 120_000, intervalMs: 200 },
      );
    for (const conversation of ['who-api', 'who-dashboard', 'who-proxy']) await chat(conversation, 'My lawyer will call you about this.');
    const [viaApi, viaDashboard, viaProxy] = [await pendingOf('who-api'), await pendingOf('who-dashboard'), await pendingOf('who-proxy')];
    const claimed = await api(`/api/review/turns/${viaApi}/approve`, { authorization: `Bearer ${ada}`, 'x-reviewer': 'mallory' }, {});
    expect(claimed.status).toBe(200);
    const bobSession = await signIn(bob, '198.51.100.40', 'mallory');
    const bobPage = await fetch(`${url}/review`, { headers: { cookie: bobSession.cookie, 'x-forwarded-for': '198.51.100.40' } });
    const bobCsrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await bobPage.text())![1]!;
    const dashboardDecision = await api(`/review/api/turns/${viaDashboard}/approve`, { cookie: bobSession.cookie, 'x-csrf-token': bobCsrf, origin: `http://${host()}` }, {});
    expect(dashboardDecision.status).toBe(200);
    // The proxy's header from anywhere but the proxy is nobody.
    const forged = await rawRequest(url, { method: 'POST', path: `/api/review/turns/${viaProxy}/reject`, headers: { 'x-forwarded-user': 'ceo@example.com', 'content-type': 'application/json' }, body: '{}' }, { localAddress: '127.0.0.2' });
    expect(forged.status).toBe(401);
    const proxied = await api(`/api/review/turns/${viaProxy}/reject`, { 'x-forwarded-user': 'carol@example.com' }, {});
    expect(proxied.status).toBe(200);
    // Read through the audit log's own reader, wherever it keeps review decisions.
    const audit = createAuditLog({ redis, keys: createKeys(prefix), logger: pino({ level: 'silent' }) });
    const actors = (await audit.read()).filter((entry) => entry.type === 'review').map((entry) => entry.actor);
    expect(actors).toEqual(['api:reviewer:ada', 'dashboard:reviewer:bob', 'api:proxy:carol@example.com']);
    const resolutions = await Promise.all([viaApi, viaDashboard, viaProxy].map(async (id) => ((await (await api(`/api/review/turns/${id}`, { authorization: `Bearer ${shared}` })).json()) as { turn: { resolution: { reviewer: unknown } } }).turn.resolution.reviewer));
    expect(resolutions).toEqual([
      { via: 'api', id: 'reviewer:ada', name: 'ada', verified: true },
      { via: 'dashboard', id: 'reviewer:bob', name: 'bob', verified: true },
      { via: 'api', id: 'proxy:carol@example.com', name: 'carol@example.com', verified: true },
    ]);
    // The approved replies went out (the holding message first).
    for (const conversation of ['who-api', 'who-dashboard']) {
      await waitFor(
        async () => {
          const response = await fetch(`${url}/api/chat/${conversation}/messages`, { headers: { 'x-conversation-token': conversationTokens.get(conversation)! } });
          const messages = ((await response.json()) as { messages: Array<{ role: string }> }).messages;
          return messages.filter((message) => message.role === 'bot').length >= 2;
        },
        `the approved reply in ${conversation}`,
        { timeoutMs: 120_000, intervalMs: 200 },
      );
    }
    findings.push(`audit log of three decisions (ada's token with X-Reviewer "mallory", bob's dashboard session signed in as "mallory", the proxy's carol; a forged proxy header from 127.0.0.2 refused 401): ${JSON.stringify(actors)}`);

    // ---- 7. a restart with another shared token: old sessions refused; the absolute lifetime ----
    const adaSession = await signIn(ada, '198.51.100.50');
    const sessionOk = async (cookie: string, address: string) => {
      const response = await fetch(`${url}/review/api/session`, { headers: { cookie, 'x-forwarded-for': address } });
      await response.body?.cancel();
      return response.status;
    };
    expect(await sessionOk(reviewerSignIn.cookie, '198.51.100.7')).toBe(200);
    await service.stop();
    const rotated = seededToken('rotated');
    service = await startProcess({ name: 'hostile-http-rotated', role: 'all', env: env({ REVIEW_TOKEN: rotated, REVIEW_SESSION_ABSOLUTE_SECONDS: '4' }) });
    url = service.url;
    const afterRotation = { sharedTokenSession: await sessionOk(reviewerSignIn.cookie, '198.51.100.7'), adaSession: await sessionOk(adaSession.cookie, '198.51.100.50') };
    expect(afterRotation).toEqual({ sharedTokenSession: 401, adaSession: 200 });
    const fresh = await signIn(rotated, '198.51.100.60', 'Short-lived');
    expect(fresh.status).toBe(303);
    let uses = 0;
    let usesOk = 0;
    const lifetimeStarted = Date.now();
    await waitFor(
      async () => {
        uses++;
        const status = await sessionOk(fresh.cookie, '198.51.100.60');
        if (status === 200) usesOk++;
        return status === 401;
      },
      'the session to reach its absolute lifetime (4 s) while in use',
      { timeoutMs: 120_000, intervalMs: 300 },
    );
    expect(usesOk).toBeGreaterThan(0);
    findings.push(
      `restart with another REVIEW_TOKEN: the shared-token session ${afterRotation.sharedTokenSession}, ada's (token unchanged) ${afterRotation.adaSession}; a session used every 300 ms with a 4 s absolute lifetime: ${usesOk} of ${uses} uses ok, refused after ${((Date.now() - lifetimeStarted) / 1000).toFixed(1)} s`,
    );

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const serverErrors = service.logs().filter((line) => Number(line.level) >= 50).map((line) => String(line.msg));
    report({
      scenario: 'hostile-http',
      load: `200 slowloris connections, ${30 + distinct * 3} sign-in guesses, 50 bearer guesses, 3 escalated conversations, 2 service processes`,
      faults: 'slow headers and bodies (a byte every 20 s); /slack/events without, with malformed or stale signature headers; wrong review tokens from one and from many addresses behind the proxy; Origin with another scheme, userinfo, null; claimed reviewer names; a forged identity header; a token rotation; a session used past its absolute lifetime',
      messagesIn: 3,
      repliesOut: 3 + 2,
      duplicates: 0,
      lost: 0,
      unreviewedPosts: 0,
      details: { seconds: Math.round((Date.now() - started) / 1000), findings, 'wrong tokens evaluated': evaluated + bearerEvaluated, 'error log lines': serverErrors.length ? serverErrors.slice(0, 5) : 0 },
    });
    expect(serverErrors).toEqual([]);
  });
});
