/**
 * Who may review, and under which name, against a real service: named reviewer tokens and the
 * shared REVIEW_TOKEN on the review API and the dashboard (the audit log and the turn record the
 * authenticated name), the identity-aware proxy's header believed only from the trusted proxy,
 * dashboard sessions that end when their credential changes or at their absolute lifetime, the
 * limits on wrong tokens (a guesser behind the proxy does not lock the right token out; guesses
 * are bounded per client and globally; bearer guesses get 429 with Retry-After), the Origin check
 * with scheme and userinfo, and Secure cookies.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { createCountersign } from '../../src/main.js';
import { criticInput, type Pipeline, REVIEW_TOKEN, startPipeline, verdict, waitFor } from '../helpers/pipeline.js';
import { rawRequest } from '../helpers/raw-http.js';

const ADA = 'ada-personal-token-0123456789';
const BOB = 'bob-personal-token-0123456789';

const pipelines: Pipeline[] = [];
afterAll(async () => {
  for (const pipeline of pipelines) await pipeline.stop();
});

/** A pipeline whose critic escalates drafts about lawyers, with named reviewers and the proxy settings given. */
async function reviewPipeline(configure: (config: Config) => void = () => {}): Promise<Pipeline> {
  const pipeline = await startPipeline({
    critic: (request) => ({ content: criticInput(request).draft.includes('lawyer') ? verdict('escalate', { reason: 'a legal threat' }) : verdict('approve') }),
    configure: (config) => {
      config.review.reviewers = [
        { name: 'ada', token: ADA },
        { name: 'bob', token: BOB },
      ];
      configure(config);
    },
  });
  pipelines.push(pipeline);
  return pipeline;
}

async function escalated(pipeline: Pipeline, conversation: string): Promise<string> {
  await pipeline.send(conversation, 'My lawyer will call you.');
  return waitFor(async () => {
    const listed = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
    return (listed.body.turns as Array<{ id: string; conversation: string }>).find((turn) => turn.conversation === `web:${conversation}`)?.id;
  }, `an escalated turn in ${conversation}`);
}

async function signIn(url: string, form: { token: string; name?: string }, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/review/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ name: form.name ?? '', token: form.token }).toString(),
  });
  const setCookie = response.headers.get('set-cookie') ?? '';
  await response.body?.cancel();
  return { status: response.status, cookie: setCookie.split(';')[0] ?? '', setCookie, retryAfter: response.headers.get('retry-after') };
}

async function csrfOf(url: string, cookie: string): Promise<string> {
  const page = await fetch(`${url}/review`, { headers: { cookie } });
  const match = /<meta name="csrf-token" content="([^"]+)">/.exec(await page.text());
  if (!match) throw new Error(`no CSRF token in the dashboard page (${page.status})`);
  return match[1]!;
}

const bearer = (url: string, path: string, token: string, headers: Record<string, string> = {}, body?: unknown) =>
  fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const auditActors = async (pipeline: Pipeline) => (await pipeline.service!.audit.read()).filter((entry) => entry.type === 'review').map((entry) => entry.actor);

describe('review identity', () => {
  it('a named token decides under its reviewer name whatever X-Reviewer says; the shared token records the given name, unverified', async () => {
    const pipeline = await reviewPipeline();
    const first = await escalated(pipeline, 'named-1');
    const second = await escalated(pipeline, 'named-2');
    const approved = await bearer(pipeline.url(), `/api/review/turns/${first}/approve`, ADA, { 'x-reviewer': 'mallory' }, {});
    expect(approved.status).toBe(200);
    expect(((await approved.json()) as { turn: { resolution: unknown } }).turn.resolution).toMatchObject({ reviewer: { via: 'api', id: 'reviewer:ada', name: 'ada', verified: true } });
    const rejected = await bearer(pipeline.url(), `/api/review/turns/${second}/reject`, REVIEW_TOKEN, { 'x-reviewer': '  Sam ' }, {});
    expect(rejected.status).toBe(200);
    expect(((await rejected.json()) as { turn: { resolution: unknown } }).turn.resolution).toMatchObject({ reviewer: { via: 'api', id: 'shared-token', name: 'Sam', verified: false } });
    expect(await auditActors(pipeline)).toEqual(['api:reviewer:ada', 'api:shared-token (Sam, unverified)']);
  });

  it('the dashboard signs a named token in under its reviewer, not the typed name; the shared token needs a name', async () => {
    const pipeline = await reviewPipeline();
    const turn = await escalated(pipeline, 'dash-named');
    const bob = await signIn(pipeline.url(), { name: 'mallory', token: BOB });
    expect(bob.status).toBe(303);
    const session = await fetch(`${pipeline.url()}/review/api/session`, { headers: { cookie: bob.cookie } });
    expect(await session.json()).toEqual({ name: 'bob', verified: true });
    const csrf = await csrfOf(pipeline.url(), bob.cookie);
    const approved = await fetch(`${pipeline.url()}/review/api/turns/${turn}/approve`, {
      method: 'POST',
      headers: { cookie: bob.cookie, 'x-csrf-token': csrf, 'content-type': 'application/json', origin: pipeline.url() },
      body: '{}',
    });
    expect(approved.status).toBe(200);
    expect(await auditActors(pipeline)).toEqual(['dashboard:reviewer:bob']);
    // The shared token says nobody's name: without one typed, no session.
    const nameless = await signIn(pipeline.url(), { token: REVIEW_TOKEN });
    expect(nameless.status).toBe(400);
    expect(nameless.cookie).toBe('');
    const sam = await signIn(pipeline.url(), { name: 'Sam', token: REVIEW_TOKEN });
    expect(await (await fetch(`${pipeline.url()}/review/api/session`, { headers: { cookie: sam.cookie } })).json()).toEqual({ name: 'Sam', verified: false });
  });

  it("the identity-aware proxy's header is believed only from the trusted proxy's address", async () => {
    const pipeline = await reviewPipeline((config) => {
      config.http.trustProxy = ['127.0.0.1'];
      config.review.trustedHeader = 'x-forwarded-user';
    });
    const turn = await escalated(pipeline, 'proxied');
    const url = pipeline.url();
    // From the proxy (127.0.0.1): no token needed, the header names the reviewer.
    const listed = await fetch(`${url}/api/review/turns`, { headers: { 'x-forwarded-user': 'carol@example.com' } });
    expect(listed.status).toBe(200);
    // From anywhere else (127.0.0.2): the header means nothing.
    const elsewhere = await rawRequest(url, { method: 'GET', path: '/api/review/turns', headers: { 'x-forwarded-user': 'carol@example.com' } }, { localAddress: '127.0.0.2' });
    expect(elsewhere.status).toBe(401);
    const forged = await rawRequest(url, { method: 'POST', path: `/api/review/turns/${turn}/reject`, headers: { 'x-forwarded-user': 'carol@example.com', 'content-type': 'application/json' }, body: '{}' }, { localAddress: '127.0.0.2' });
    expect(forged.status).toBe(401);
    const approved = await fetch(`${url}/api/review/turns/${turn}/approve`, { method: 'POST', headers: { 'x-forwarded-user': 'carol@example.com', 'content-type': 'application/json' }, body: '{}' });
    expect(approved.status).toBe(200);
    expect(await auditActors(pipeline)).toEqual(['api:proxy:carol@example.com']);

    // The dashboard: the proxy's user is signed in on arrival, and the session holds only while the proxy names the same user.
    const arrival = await fetch(`${url}/review/login?next=/review/resolved`, { redirect: 'manual', headers: { 'x-forwarded-user': 'carol@example.com' } });
    expect(arrival.status).toBe(303);
    expect(arrival.headers.get('location')).toBe('/review/resolved');
    const cookie = (arrival.headers.get('set-cookie') ?? '').split(';')[0]!;
    const asCarol = await fetch(`${url}/review/api/session`, { headers: { cookie, 'x-forwarded-user': 'carol@example.com' } });
    expect(await asCarol.json()).toEqual({ name: 'carol@example.com', verified: true });
    const notFromProxy = await rawRequest(url, { method: 'GET', path: '/review/api/session', headers: { cookie, 'x-forwarded-user': 'carol@example.com' } }, { localAddress: '127.0.0.2' });
    expect(notFromProxy.status).toBe(401);
    const otherUser = await fetch(`${url}/review/api/session`, { headers: { cookie, 'x-forwarded-user': 'dave@example.com' } });
    expect(otherUser.status).toBe(401);
    // That ended the session for good.
    expect((await fetch(`${url}/review/api/session`, { headers: { cookie, 'x-forwarded-user': 'carol@example.com' } })).status).toBe(401);
    // Without the header, from the proxy, the sign-in page asks for a token as usual.
    expect((await fetch(`${url}/review/login`, { redirect: 'manual' })).status).toBe(200);
  });
});

describe('dashboard sessions', () => {
  it('a session ends when the token it was opened with changes, and only then', async () => {
    const pipeline = await reviewPipeline();
    const sam = await signIn(pipeline.url(), { name: 'Sam', token: REVIEW_TOKEN });
    const ada = await signIn(pipeline.url(), { token: ADA });
    for (const cookie of [sam.cookie, ada.cookie]) expect((await fetch(`${pipeline.url()}/review/api/session`, { headers: { cookie } })).status).toBe(200);

    // The same deployment restarted with another shared token (ada's unchanged).
    const rotated = structuredClone(pipeline.config);
    rotated.review.token = 'a-brand-new-shared-token';
    const second = createCountersign({ config: rotated });
    await second.start();
    try {
      expect((await fetch(`${second.url}/review/api/turns`, { headers: { cookie: sam.cookie } })).status).toBe(401);
      expect((await fetch(`${second.url}/review/api/session`, { headers: { cookie: ada.cookie } })).status).toBe(200);
    } finally {
      await second.stop();
    }
    // And with ada's token changed.
    const adaRotated = structuredClone(rotated);
    adaRotated.review.reviewers = [{ name: 'ada', token: 'ada-new-personal-token-987654' }];
    const third = createCountersign({ config: adaRotated });
    await third.start();
    try {
      expect((await fetch(`${third.url}/review/api/session`, { headers: { cookie: ada.cookie } })).status).toBe(401);
    } finally {
      await third.stop();
    }
    // The old sessions are gone, not only refused: the original service does not take them back.
    expect((await fetch(`${pipeline.url()}/review/api/session`, { headers: { cookie: sam.cookie } })).status).toBe(401);
  });

  it('a session in constant use still ends at its absolute lifetime', async () => {
    const pipeline = await reviewPipeline((config) => {
      config.review.session = { idleSeconds: 60, absoluteSeconds: 2 };
    });
    const { cookie, setCookie } = await signIn(pipeline.url(), { name: 'Sam', token: REVIEW_TOKEN });
    expect(setCookie).toMatch(/Max-Age=2\b/);
    expect((await fetch(`${pipeline.url()}/review/api/session`, { headers: { cookie } })).status).toBe(200);
    // Each call renews the idle time (60 s); only the absolute limit can end it.
    let calls = 0;
    await waitFor(
      async () => {
        calls++;
        return (await fetch(`${pipeline.url()}/review/api/session`, { headers: { cookie } })).status === 401;
      },
      'the session to reach its absolute lifetime',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(calls).toBeGreaterThan(1);
  });
});

describe('limits on wrong tokens', () => {
  it('behind the trusted proxy a guesser is refused, the right token from anyone else gets in, and the global limit spares clean clients', async () => {
    const pipeline = await reviewPipeline((config) => {
      config.http.trustProxy = ['127.0.0.1'];
      config.http.authLimits = { perClient: 3, global: 6, windowSeconds: 600 };
    });
    const url = pipeline.url();
    const from = (address: string) => ({ 'x-forwarded-for': address });
    const guesses = [];
    for (let index = 0; index < 5; index++) guesses.push((await signIn(url, { name: 'x', token: `wrong-${index}` }, from('203.0.113.9'))).status);
    expect(guesses).toEqual([401, 401, 401, 429, 429]);
    const refused = await signIn(url, { name: 'x', token: REVIEW_TOKEN }, from('203.0.113.9'));
    // The guesser's own client is refused whatever it sends: otherwise its guesses would not be bounded.
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    const reviewer = await signIn(url, { name: 'Ada', token: REVIEW_TOKEN }, from('198.51.100.7'));
    expect(reviewer.status).toBe(303);

    // Three more guessers bring all wrong guesses to the global limit (6).
    for (const address of ['203.0.113.10', '203.0.113.11', '203.0.113.12']) expect((await signIn(url, { name: 'x', token: 'wrong' }, from(address))).status).toBe(401);
    expect((await signIn(url, { name: 'x', token: 'wrong' }, from('203.0.113.10'))).status).toBe(429);
    // A new address is heard once (then it has a wrong guess of its own)...
    expect((await signIn(url, { name: 'x', token: 'wrong' }, from('203.0.113.50'))).status).toBe(401);
    expect((await signIn(url, { name: 'x', token: 'wrong' }, from('203.0.113.50'))).status).toBe(429);
    // ...and the right token from a client without wrong guesses still gets in, at the dashboard and the API.
    expect((await signIn(url, { name: 'Bea', token: REVIEW_TOKEN }, from('198.51.100.8'))).status).toBe(303);
    expect((await bearer(url, '/api/review/turns', ADA, from('198.51.100.9'))).status).toBe(200);
  });

  it('review API: wrong bearer tokens get 401 up to the limit, then 429 with Retry-After; a valid token from another client is never refused', async () => {
    const pipeline = await reviewPipeline((config) => {
      config.http.trustProxy = ['127.0.0.1'];
      config.http.authLimits = { perClient: 3, global: 100, windowSeconds: 600 };
    });
    const url = pipeline.url();
    const statuses: number[] = [];
    const retryAfter: Array<string | null> = [];
    for (let index = 0; index < 10; index++) {
      const response = await bearer(url, '/api/review/turns', `guess-${index}-0123456789`, { 'x-forwarded-for': '203.0.113.9' });
      statuses.push(response.status);
      retryAfter.push(response.headers.get('retry-after'));
      await response.body?.cancel();
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    expect(retryAfter.slice(3).every((value) => Number(value) > 0 && Number(value) <= 600)).toBe(true);
    for (const [token, address] of [[REVIEW_TOKEN, '198.51.100.7'], [ADA, '198.51.100.8'], [BOB, '2001:db8::1']] as const) {
      expect((await bearer(url, '/api/review/turns', token, { 'x-forwarded-for': address })).status).toBe(200);
    }
    // Sign-in and API count together: the guesser cannot switch doors.
    expect((await signIn(url, { name: 'x', token: 'another-guess' }, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
    // An IPv6 guesser cannot rotate through its /64.
    const v6: number[] = [];
    for (let index = 1; index <= 5; index++) v6.push((await bearer(url, '/api/review/turns', 'wrong-token-0123456789', { 'x-forwarded-for': `2001:db8:1:2::${index}` })).status);
    expect(v6).toEqual([401, 401, 401, 429, 429]);
  });

  it('without a trusted proxy X-Forwarded-For is ignored: rotating it does not make a guesser a new client', async () => {
    const pipeline = await reviewPipeline((config) => {
      config.http.authLimits = { perClient: 3, global: 100, windowSeconds: 600 };
    });
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) statuses.push((await signIn(pipeline.url(), { name: 'x', token: 'wrong' }, { 'x-forwarded-for': `203.0.113.${index}` })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});

describe('Origin and cookies', () => {
  it('a state-changing request from another scheme, with userinfo or from null is refused; the trusted proxy forwards the scheme and host', async () => {
    const pipeline = await reviewPipeline((config) => {
      config.http.trustProxy = ['127.0.0.1'];
    });
    const url = pipeline.url();
    const host = new URL(url).host;
    const { cookie } = await signIn(url, { name: 'Sam', token: REVIEW_TOKEN });
    const csrf = await csrfOf(url, cookie);
    const attempt = async (headers: Record<string, string>) => {
      const response = await fetch(`${url}/review/api/turns/no-such-turn/reject`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json', ...headers },
        body: '{}',
      });
      await response.body?.cancel();
      // 404: past the Origin check (there is no such turn); 403: refused by it.
      return response.status;
    };
    expect(await attempt({ origin: `http://${host}` })).toBe(404);
    expect(await attempt({ origin: `https://${host}` })).toBe(403);
    expect(await attempt({ origin: `http://user:secret@${host}` })).toBe(403);
    expect(await attempt({ origin: `http://user@${host}` })).toBe(403);
    expect(await attempt({ origin: 'null' })).toBe(403);
    expect(await attempt({ origin: `http://${host}/review` })).toBe(403);
    // TLS ends at the proxy, which forwards the scheme (and here the public host).
    expect(await attempt({ origin: `https://${host}`, 'x-forwarded-proto': 'https' })).toBe(404);
    expect(await attempt({ origin: 'https://review.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'review.example.com' })).toBe(404);
    expect(await attempt({ origin: `http://${host}`, 'x-forwarded-proto': 'https' })).toBe(403);
    // The same forwarded scheme from a peer that is not the proxy counts for nothing.
    const untrusted = await rawRequest(
      url,
      { method: 'POST', path: '/review/api/turns/no-such-turn/reject', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json', origin: `https://${host}`, 'x-forwarded-proto': 'https' }, body: '{}' },
      { localAddress: '127.0.0.2' },
    );
    expect(untrusted.status).toBe(403);
  });

  it('the session cookie is Secure over HTTPS as forwarded, and always with secureCookies: always', async () => {
    const auto = await reviewPipeline();
    expect((await signIn(auto.url(), { name: 'Sam', token: REVIEW_TOKEN })).setCookie).not.toMatch(/;\s*Secure/i);
    expect((await signIn(auto.url(), { name: 'Sam', token: REVIEW_TOKEN }, { 'x-forwarded-proto': 'https' })).setCookie).toMatch(/;\s*Secure/i);
    const always = await reviewPipeline((config) => {
      config.http.secureCookies = 'always';
    });
    const signed = await signIn(always.url(), { name: 'Sam', token: REVIEW_TOKEN });
    expect(signed.status).toBe(303);
    expect(signed.setCookie).toMatch(/;\s*Secure/i);
    expect(signed.setCookie).toMatch(/HttpOnly/i);
    expect(signed.setCookie).toMatch(/SameSite=Strict/i);
  });
});
