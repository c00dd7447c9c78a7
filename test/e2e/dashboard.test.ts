/**
 * The review dashboard end to end in a real headless Chromium (playwright-core): sign in, a
 * pending turn arriving live over SSE after an escalation through the web chat API, edit and
 * send, the text posted through the web adapter, the resolved list, the activity chart,
 * keyboard approve and reject, a phone-sized screen, and refused requests (no session, bad
 * CSRF token, cross-site). (README's pictures are made by `npm run screenshots`, not here:
 * no test writes a tracked file.)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../helpers/chromium.js';
import { criticInput, HOLDING, type Pipeline, REVIEW_TOKEN, startPipeline, verdict, } from '../helpers/pipeline.js';

// Found by the browser suite's setup (test/setup/chromium-setup.ts), which stops the run with
// instructions when there is none: this test is never skipped.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REVIEWER = 'Ada Reviewer';

let pipeline: Pipeline;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
/** Console errors and uncaught page errors: a CSP violation or a script error fails the run. */
const pageErrors: string[] = [];

/** The critic escalates drafts about lawyers or refunds (the echo actor quotes the user) and approves the rest. */
function critic(request: Parameters<typeof criticInput>[0]) {
  const draft = criticInput(request).draft;
  if (draft.includes('lawyer')) return { content: verdict('escalate', { reason: 'a legal threat', categories: ['legal'], confidence: 0.92 }) };
  if (draft.includes('refund')) return { content: verdict('escalate', { reason: 'asks for a refund', categories: ['refund'], confidence: 0.7 }) };
  return { content: verdict('approve') };
}

async function pendingIds(): Promise<string[]> {
  const listed = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
  return (listed.body.turns as Array<{ id: string; conversation: string }>).map((turn) => turn.id);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the dashboard e2e test needs Chromium (apt-get install chromium). It is never skipped.`);
  }
  pipeline = await startPipeline({ critic });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'cs-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(30_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Uncaught/i.test(message.text())) pageErrors.push(message.text());
  });
});

afterAll(async () => {
  await context?.close().catch(() => {});
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await pipeline?.stop();
});

describe('review dashboard in Chromium', { timeout: 120_000 }, () => {
  it('refuses pages and API calls without a session', async () => {
    const pageResponse = await fetch(`${pipeline.url()}/review`, { redirect: 'manual' });
    expect(pageResponse.status).toBe(303);
    expect(pageResponse.headers.get('location')).toBe('/review/login?next=%2Freview');
    const apiResponse = await fetch(`${pipeline.url()}/review/api/turns`);
    expect(apiResponse.status).toBe(401);
    expect(await apiResponse.json()).toEqual({ error: expect.any(String) });
    const post = await fetch(`${pipeline.url()}/review/api/turns/x/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(401);
    expect((await fetch(`${pipeline.url()}/review/events`)).status).toBe(401);
    // A forged session cookie is no session.
    const forged = await fetch(`${pipeline.url()}/review/api/turns`, { headers: { cookie: `cs_review_session=${'A'.repeat(43)}` } });
    expect(forged.status).toBe(401);
  });

  it('signs in with the review token: a wrong token is refused, then an HttpOnly SameSite=Strict session cookie', async () => {
    await page.goto(`${pipeline.url()}/review`);
    await page.waitForURL(/\/review\/login/);
    await page.getByLabel('Your name').fill(REVIEWER);
    await page.getByLabel('Review token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.error').textContent()).toContain('not a valid review token');
    expect(await context.cookies()).toEqual([]);

    await page.getByLabel('Review token').fill(REVIEW_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${pipeline.url()}/review`);
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'cs_review_session', httpOnly: true, sameSite: 'Strict', path: '/review' });
    expect(cookies[0]!.value).not.toContain(REVIEW_TOKEN);
    await page.locator('.empty').waitFor();
    expect(await page.locator('.who').textContent()).toBe(REVIEWER);
    // The token itself is never in the page.
    expect(await page.content()).not.toContain(REVIEW_TOKEN);
  });

  it('shows an escalated turn live, edit and send posts the text through the web adapter, and it moves to the resolved list', async () => {
    await page.locator('#live[data-state="open"]').waitFor();
    await page.evaluate('window.notReloaded = true');

    const hostile = 'My lawyer will call you. <img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    expect((await pipeline.send('dash-edit', hostile)).status).toBe(202);
    const row = page.locator('.row', { hasText: 'dash-edit' });
    await row.waitFor();
    // Arrived over the event stream: the page was not reloaded.
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await expect.poll(() => row.locator('.badge.why').textContent()).toBe('critic');
    expect(await row.locator('.reason').textContent()).toBe('a legal threat');
    expect(await row.locator('.platform').textContent()).toBe('web');
    expect(await row.locator('.age').count()).toBe(1);
    // The list shows what the user said and the draft; model and user text is text, never markup.
    expect(await row.locator('.excerpt.user-said').textContent()).toBe(`tester: ${hostile}`);
    expect(await row.locator('.excerpt').last().textContent()).toBe(`Draft: reply to: ${hostile}`);
    expect(await page.locator('#app img, #app script').count()).toBe(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    expect(await page.locator('#pending-count').textContent()).toBe('1');

    // Keyboard: j/k select, e opens the turn's editor.
    await page.keyboard.press('j');
    expect(await row.getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('e');
    await page.waitForURL(/\/review\/turns\//);
    const editor = page.locator('#edit-text');
    await editor.waitFor();
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.id')).toBe('edit-text');
    // The turn page: the conversation, the draft, the verdict and what fired.
    expect(await page.locator('.msg.current .msg-text').textContent()).toBe(hostile);
    expect(await page.locator('.draft').textContent()).toBe(`reply to: ${hostile}`);
    expect(await page.locator('.verdict').textContent()).toContain('a legal threat');
    expect(await page.locator('.verdict').textContent()).toContain('legal');
    expect(await page.locator('.why .badge').textContent()).toBe('critic');

    const edited = 'Our legal team will contact you today.';
    const turnUrl = page.url();
    await editor.fill(edited);
    await page.keyboard.press('Control+Enter');
    // With nothing else waiting, the reviewer lands on the (empty) queue, told what was done.
    await page.waitForURL(`${pipeline.url()}/review`);
    await page.locator('.empty').waitFor();
    await expect.poll(() => page.locator('#toast').textContent()).toBe('Sent your reply.');
    // The decided turn's page shows the decision as edited (not "approved"), and who made it:
    // signed in with the shared token, the typed name, marked unverified.
    await page.goto(turnUrl);
    await expect.poll(() => page.locator('.decision').textContent().catch(() => '')).toContain('edited');
    expect(await page.locator('h1 .badge').textContent()).toBe('edited');
    expect(await page.locator('.decision .reviewer').textContent()).toBe(`${REVIEWER} (dashboard, unverified)`);

    // Posted through the web adapter, after the holding message.
    const texts = await pipeline.waitForBot('dash-edit', 2);
    expect(texts).toEqual([HOLDING, edited]);
    await pipeline.waitIdle('dash-edit');
    expect(await pipeline.botTexts('dash-edit')).toEqual([HOLDING, edited]);

    await page.getByRole('link', { name: 'Resolved' }).click();
    await page.waitForURL(/\/review\/resolved$/);
    const resolved = page.locator('.row', { hasText: 'dash-edit' });
    await resolved.waitFor();
    expect(await resolved.locator('.badge').textContent()).toBe('edited');
    expect(await resolved.locator('.reviewer').textContent()).toBe(`${REVIEWER} (dashboard, unverified)`);
    expect(await resolved.locator('.excerpt').textContent()).toBe(`Posted: ${edited}`);

    // The audit log names the reviewer.
    const entries = await pipeline.service!.audit.read();
    expect(entries.find((entry) => entry.type === 'review')).toMatchObject({ decision: 'edited', actor: `dashboard:shared-token (${REVIEWER}, unverified)` });
  });

  it('a held turn shows the holding message and what the user wrote since; a decision moves on to the next waiting turn', async () => {
    await page.goto(`${pipeline.url()}/review`);
    await page.locator('#live[data-state="open"]').waitFor();
    await pipeline.send('dash-held-1', 'My lawyer wants the booking records.');
    const first = await pipeline.waitForPendingTurn('dash-held-1');
    await pipeline.waitForBot('dash-held-1', 1);
    // The conversation is held: these wait for the reviewer's decision.
    await pipeline.send('dash-held-1', 'Hello? Anyone there?');
    await pipeline.send('dash-held-1', 'I am still waiting.');
    await pipeline.send('dash-held-2', 'I want a refund for the upgrade.');
    const second = await pipeline.waitForPendingTurn('dash-held-2');

    await page.goto(`${pipeline.url()}/review/turns/${first}`);
    await page.locator('#approve').waitFor();
    expect(await page.locator('.msg.holding .msg-text').textContent()).toBe(HOLDING);
    expect(await page.locator('.msg.holding .msg-meta').textContent()).toContain('holding message, posted');
    expect(await page.locator('.msg.waiting .msg-text').allTextContents()).toEqual(['Hello? Anyone there?', 'I am still waiting.']);

    await page.locator('#approve').click();
    await page.locator('#confirm[open]').waitFor();
    await page.keyboard.press('Enter');
    // On to the next waiting turn, with the confirmation of the one just decided.
    await page.waitForURL(`${pipeline.url()}/review/turns/${second}`);
    await page.locator('#approve').waitFor();
    await expect.poll(() => page.locator('#toast').textContent()).toContain('Approved');
    // The held messages are answered after the decision.
    await pipeline.waitForBot('dash-held-1', 3);
    await page.locator('#reject').click();
    await page.locator('#confirm[open]').waitFor();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${pipeline.url()}/review`);
    await page.locator('.empty').waitFor();
  });

  it('approves and rejects from the queue with the keyboard, after confirming', async () => {
    await page.goto(`${pipeline.url()}/review`);
    await page.locator('#live[data-state="open"]').waitFor();
    await pipeline.send('dash-keys-1', 'My lawyer has questions.');
    await page.locator('.row', { hasText: 'dash-keys-1' }).waitFor();
    await pipeline.send('dash-keys-2', 'I want a refund now.');
    await page.locator('.row', { hasText: 'dash-keys-2' }).waitFor();
    expect(await page.locator('.row').count()).toBe(2);

    // Oldest first: j/k move between the two.
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    expect(await page.locator('.row.selected').getAttribute('data-id')).toBe((await pendingIds())[0]);
    await page.keyboard.press('a');
    await page.locator('#confirm[open]').waitFor();
    // Esc cancels: nothing decided.
    await page.keyboard.press('Escape');
    await page.locator('#confirm[open]').waitFor({ state: 'detached' });
    expect((await pendingIds()).length).toBe(2);
    await page.keyboard.press('a');
    await page.locator('#confirm[open]').waitFor();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.row').count()).toBe(1);
    expect(await pipeline.waitForBot('dash-keys-1', 2)).toEqual([HOLDING, 'reply to: My lawyer has questions.']);

    await page.keyboard.press('j');
    await page.keyboard.press('r');
    await page.locator('#confirm[open]').waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.empty').waitFor();
    await pipeline.waitIdle('dash-keys-2');
    expect(await pipeline.botTexts('dash-keys-2')).toEqual([HOLDING]);
    const rejected = await pipeline.reviewApi('GET', '/api/review/turns?status=rejected');
    expect((rejected.body.turns as Array<{ conversation: string; resolution: { reviewer: { via: string; name: string } } }>)[0]).toMatchObject({
      conversation: 'web:dash-keys-2',
      resolution: { reviewer: { via: 'dashboard', name: REVIEWER } },
    });

    // The help lists the shortcuts.
    await page.keyboard.press('?');
    await page.locator('#help[open]').waitFor();
    expect(await page.locator('#help').textContent()).toContain('approve the draft');
    await page.keyboard.press('Escape');
  });

  it('charts the critic decisions and review outcomes from the audit log', async () => {
    await page.goto(`${pipeline.url()}/review/activity`);
    await page.locator('svg.chart[data-series="critic"]').waitFor();
    const total = (series: string, key: string) => page.locator(`.legend li[data-series="${series}"][data-key="${key}"] .total`).textContent();
    // So far: the edited turn, the two held turns (approved, rejected) and the two keyboard turns.
    expect(await total('critic', 'escalate')).toBe('5');
    expect(await total('review', 'edited')).toBe('1');
    expect(await total('review', 'approved')).toBe('2');
    expect(await total('review', 'rejected')).toBe('2');
    expect(await page.locator('svg.chart[data-series="critic"] rect.bar').count()).toBeGreaterThan(0);
  });

  it('refuses a state-changing request with a bad or missing CSRF token, or from another site', async () => {
    await pipeline.send('dash-csrf', 'My lawyer again.');
    const turnId = await pipeline.waitForPendingTurn('dash-csrf');
    await page.goto(`${pipeline.url()}/review/turns/${turnId}`);
    await page.locator('#approve').waitFor();
    const statuses = await page.evaluate(async (id) => {
      const post = (headers: Record<string, string>) =>
        fetch(`/review/api/turns/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' }).then(async (response) => ({
          status: response.status,
          body: await response.json(),
        }));
      return { bad: await post({ 'x-csrf-token': 'forged-token' }), missing: await post({}) };
    }, turnId);
    expect(statuses.bad).toEqual({ status: 403, body: { error: 'missing or invalid CSRF token' } });
    expect(statuses.missing.status).toBe(403);

    // The right token from a different origin is refused too.
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const crossSite = await fetch(`${pipeline.url()}/review/api/turns/${turnId}/reject`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf!, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(crossSite.status).toBe(403);
    const fetchSite = await fetch(`${pipeline.url()}/review/api/turns/${turnId}/reject`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf!, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(fetchSite.status).toBe(403);
    // Nothing happened to the turn.
    expect(await pendingIds()).toEqual([turnId]);

    // The same request with the session's token works (so the refusals above were about the token).
    const allowed = await fetch(`${pipeline.url()}/review/api/turns/${turnId}/reject`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf!, origin: pipeline.url(), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(allowed.status).toBe(200);
    // The open page sees the resolution live.
    await expect.poll(() => page.locator('.decision').textContent().catch(() => '')).toContain('rejected');
  });

  it('works on a phone-sized screen', async () => {
    await pipeline.send('dash-shot-1', 'Hi, is my flight to Lisbon on time?');
    await pipeline.waitForBot('dash-shot-1', 1);
    await pipeline.send('dash-shot-1', 'It was cancelled and I missed a wedding. I want a refund, or I talk to my lawyer.');
    const turnId = await pipeline.waitForPendingTurn('dash-shot-1');
    await pipeline.send('dash-shot-2', 'Can I get a refund for my seat upgrade?');
    await pipeline.waitForPendingTurn('dash-shot-2');

    const phone = await context.newPage();
    await phone.setViewportSize({ width: 375, height: 740 });
    for (const url of ['/review', `/review/turns/${turnId}`, '/review/resolved', '/review/activity']) {
      await phone.goto(`${pipeline.url()}${url}`);
      await phone.locator('#app > :not(.muted)').first().waitFor();
      const overflow = await phone.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow, `horizontal overflow on ${url}`).toBeLessThanOrEqual(0);
    }
    await phone.close();

    await page.goto(`${pipeline.url()}/review/turns/${turnId}`);
    await page.locator('#approve').waitFor();
    await page.locator('#live[data-state="open"]').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('signs out: the session is gone', async () => {
    await page.goto(`${pipeline.url()}/review`);
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/review\/login/);
    expect((await fetch(`${pipeline.url()}/review/api/turns`, { headers: { cookie } })).status).toBe(401);
  });

  it('streams review events to a signed-in client, and stopping the service ends the stream', async () => {
    const login = await fetch(`${pipeline.url()}/review/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'stream tester', token: REVIEW_TOKEN, next: '/review' }).toString(),
    });
    expect(login.status).toBe(303);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\/review/);
    const cookie = setCookie.split(';')[0]!;
    const stream = await fetch(`${pipeline.url()}/review/events`, { headers: { cookie } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(received)) {
        const { value, done } = await reader.read();
        if (done) return false;
        received += decoder.decode(value, { stream: true });
      }
      return true;
    };
    expect(await readUntil(/retry: 3000/)).toBe(true);
    await pipeline.send('dash-stream', 'My lawyer, once more.');
    const turnId = await pipeline.waitForPendingTurn('dash-stream');
    expect(await readUntil(/event: review\ndata: .*escalated/)).toBe(true);
    const data = JSON.parse(/event: review\ndata: (.*)\n/.exec(received)![1]!);
    expect(data).toEqual({ type: 'escalated', turnId, at: expect.any(Number) });

    // An open stream must not keep the service from stopping.
    await pipeline.service!.stop();
    expect(await readUntil(/never/)).toBe(false);
  });
});
