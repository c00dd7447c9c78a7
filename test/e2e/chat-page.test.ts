/**
 * The web chat page end to end in a real headless Chromium (playwright-core): no CSP
 * violation or script error, a conversation id and token from the page's own random source
 * (the token only in localStorage, sent with every request), a reply shown, a reload that
 * finds the conversation again, another browser that cannot open it, and earlier messages
 * loaded a page at a time; nothing about reviews without showReview. Then the demo's page
 * (`npm run demo`: offline models, showReview on): example buttons that say which decision
 * they trigger, and approve, edit, revise and escalate with a reviewer's text each shown as
 * designed, with the drafts the user never received; a phone-sized screen; and the demo's
 * actions: the tool calls a reply rests on with who countersigned each, an edited voucher, and a
 * held cancellation ("the bot wants to cancel reservation EHGLP3") a reviewer then approves.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatAdapter } from '../../src/core/ports.js';
import { type RunningDemo, runDemo } from '../../src/demo/demo-command.js';
import { DEMO_PROMPTS } from '../../src/demo/demo-models.js';
import { CHROMIUM_ARGS } from '../helpers/chromium.js';
import { type Pipeline, startPipeline, waitFor } from '../helpers/pipeline.js';
import { connectRedis, deletePrefix, randomPrefix, REDIS_URL } from '../helpers/redis.js';

// Found by the browser suite's setup (test/setup/chromium-setup.ts), which stops the run with
// instructions when there is none: this test is never skipped.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = CHROMIUM_ARGS;

let pipeline: Pipeline;
let context: BrowserContext;
let stranger: Browser;
let page: Page;
let userDataDir: string;
const pageErrors: string[] = [];
/** Every chat API request the page made, with its token header. */
const apiRequests: Array<{ method: string; url: string; token: string | undefined }> = [];

function watch(target: Page) {
  target.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
  target.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Uncaught/i.test(message.text())) pageErrors.push(message.text());
  });
  target.on('request', (request) => {
    if (request.url().includes('/api/chat/')) apiRequests.push({ method: request.method(), url: request.url(), token: request.headers()['x-conversation-token'] });
  });
}

const conversationOf = (target: Page) => new URL(target.url()).hash.slice(1);
const bubbles = (target: Page) => target.locator('#log .message').allTextContents();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the chat page e2e test needs Chromium (apt-get install chromium). It is never skipped.`);
  pipeline = await startPipeline({
    configure: (config) => {
      config.web = { ...config.web, pageSize: 4 };
    },
  });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'cs-chromium-chat-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 900, height: 600 } });
  context.setDefaultTimeout(30_000);
  page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  stranger = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});

afterAll(async () => {
  await context?.close().catch(() => {});
  await stranger?.close().catch(() => {});
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await pipeline?.stop();
});

describe('the chat page', () => {
  it('is served with a strict CSP and runs without violations; the conversation id and token come from the page, the token only from localStorage', async () => {
    const response = await page.goto(`${pipeline.url()}/`);
    expect(response?.headers()).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff' });
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    const id = await waitFor(() => conversationOf(page) || null, 'a conversation id in the fragment');
    expect(id).toMatch(/^web-[A-Za-z0-9_-]{22}$/);
    // (The test runs without the DOM typings; the function runs in the page.)
    const token = await page.evaluate((key) => (globalThis as unknown as { localStorage: { getItem(name: string): string | null } }).localStorage.getItem(key), `countersign:conversation:${id}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(page.url()).not.toContain(token!);

    await page.fill('#text', 'Where is my bag?');
    await page.press('#text', 'Enter');
    await waitFor(async () => (await bubbles(page)).includes('reply to: Where is my bag?'), 'the reply on the page');
    const posts = apiRequests.filter((request) => request.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(apiRequests.every((request) => request.token === token)).toBe(true);
    // The service keeps the conversation to that token.
    const outside = await fetch(`${pipeline.url()}/api/chat/${id}/messages`);
    expect(outside.status).toBe(404);
    expect(pageErrors).toEqual([]);
  });

  it('shows nothing about reviews when showReview is off (the default)', async () => {
    await waitFor(async () => (await bubbles(page)).includes('reply to: Where is my bag?'), 'the reply on the page');
    expect(await page.locator('#log .entry.bot').count()).toBeGreaterThan(0);
    expect(await page.locator('.countersign, .unsent, .signer, .by-human, .by-operator').count()).toBe(0);
    expect(await page.locator('#log').textContent()).not.toMatch(/critic|reviewer|never received/i);
  });

  it('finds the conversation again after a reload, and another browser with the link gets a new conversation instead', async () => {
    const id = conversationOf(page);
    await page.reload();
    await waitFor(async () => (await bubbles(page)).includes('reply to: Where is my bag?'), 'the transcript after a reload');
    expect(conversationOf(page)).toBe(id);

    const other = await stranger.newPage();
    watch(other);
    await other.goto(`${pipeline.url()}/#${id}`);
    await waitFor(async () => (await other.locator('#status').textContent())?.includes('started in another browser'), 'the notice in the other browser');
    expect(conversationOf(other)).not.toBe(id);
    expect(conversationOf(other)).toMatch(/^web-/);
    expect(await bubbles(other)).toEqual([]);
    await other.close();
    expect(pageErrors).toEqual([]);
  });

  it('shows the newest page first and loads earlier messages on request and on scrolling up', async () => {
    const id = conversationOf(page);
    const web: ChatAdapter = pipeline.service!.adapters.get('web')!;
    // Long entries, so that a page fills the message pane and it scrolls.
    const filler = ' —' + ' and some more words to make this a long message'.repeat(12);
    for (let index = 1; index <= 10; index++) {
      const text = `older entry ${index}${filler}`;
      await web.send({ conversation: { platform: 'web', id }, deliveryId: text, turnId: text, part: 0, parts: 1, text, key: `${text}:0`, replyTo: [], recovering: false, kind: 'reply' });
    }
    await page.reload();
    // 12 entries (the question, its reply, 10 more); a page is 4.
    const shown = async () => (await bubbles(page)).map((text) => text.split(' —')[0]);
    await waitFor(async () => (await bubbles(page)).length === 4, 'the newest page');
    expect(await shown()).toEqual(['older entry 7', 'older entry 8', 'older entry 9', 'older entry 10']);
    await expect.poll(() => page.locator('#earlier').isVisible()).toBe(true);
    await page.click('#earlier');
    await waitFor(async () => (await bubbles(page)).length === 8, 'the page before');
    await page.locator('#log').evaluate((log) => {
      log.scrollTop = 0;
    });
    await waitFor(async () => (await bubbles(page)).length === 12, 'the oldest page after scrolling up');
    expect(await shown()).toEqual(['Where is my bag?', 'reply to: Where is my bag?', ...Array.from({ length: 10 }, (_, index) => `older entry ${index + 1}`)]);
    await expect.poll(() => page.locator('#earlier').isVisible()).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The demo's chat page: showReview on
// ---------------------------------------------------------------------------------------------

interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
}
interface Geometry {
  viewport: { width: number; height: number };
  input: Box;
  send: Box;
  log: Box;
  last: Box;
  /** How far the log is scrolled from its bottom. */
  fromBottom: number;
  scrolls: boolean;
  /** Horizontal overflow of the page. */
  overflow: number;
}

/** Runs in the page (the test has no DOM typings): where the input, the log and its newest entry are. */
const GEOMETRY = `(() => {
  const box = (node) => { const r = node.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; };
  const log = document.querySelector('#log');
  const entries = log.querySelectorAll('.entry');
  return {
    viewport: { width: innerWidth, height: innerHeight },
    input: box(document.querySelector('#text')),
    send: box(document.querySelector('#form button[type="submit"]')),
    log: box(log),
    last: box(entries[entries.length - 1]),
    fromBottom: log.scrollHeight - log.scrollTop - log.clientHeight,
    scrolls: log.scrollHeight > log.clientHeight,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
})()`;

describe("the demo's chat page shows the critic at work (showReview on)", () => {
  const prefix = randomPrefix('demo-chat');
  let demo: RunningDemo;
  let chat: Page;
  const byDecision = Object.fromEntries(DEMO_PROMPTS.filter((prompt) => prompt.subject === 'reply').map((prompt) => [prompt.decision, prompt]));
  const actionPrompt = (decision: string) => DEMO_PROMPTS.find((prompt) => prompt.subject === 'action' && prompt.decision === decision)!;

  beforeAll(async () => {
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    // The real demo: offline models, its generated review token, showReview on; port 0 and a
    // prefix of its own so it never meets another test.
    demo = await runDemo({ env: { PATH: process.env.PATH, REDIS_URL, REDIS_PREFIX: prefix, PORT: '0', LOG_LEVEL: 'silent' }, out: sink });
    chat = await context.newPage();
    watch(chat);
    await chat.setViewportSize({ width: 900, height: 900 });
  });

  afterAll(async () => {
    await chat?.close().catch(() => {});
    await demo?.stop();
    const redis = connectRedis();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  const botEntries = () => chat.locator('#log .entry.bot');
  /** Click an example button and wait for the conversation to have `count` bot entries; returns the newest. */
  async function play(decision: string, count: number): Promise<Locator> {
    await chat.locator('.example', { hasText: byDecision[decision]!.text }).click();
    await waitFor(async () => (await botEntries().count()) >= count, `bot entry ${count} (${decision})`);
    return botEntries().nth(count - 1);
  }
  const signer = (entry: Locator) => entry.locator('.countersign .signer').textContent();

  it('labels each example button with the decision it triggers', async () => {
    await chat.goto(`${demo.url}/`);
    const examples = chat.locator('.example');
    expect(await examples.count()).toBe(7);
    expect(await chat.locator('.example .badge').allTextContents()).toEqual([
      'Critic approves',
      'Critic edits',
      'Critic asks for a redraft',
      'Critic escalates to a human',
      'Critic approves a cancellation',
      'Critic lowers a voucher',
      'Critic holds a cancellation for a human',
    ]);
    expect(await chat.locator('.example .example-text').allTextContents()).toEqual(DEMO_PROMPTS.map((prompt) => prompt.text));
    expect(await examples.first().getAttribute('title')).toBe(byDecision.approve!.explanation);
  });

  it('approve: "Critic approved" with its reason, nothing unsent', async () => {
    const entry = await play('approve', 1);
    expect(await entry.locator('.countersign').getAttribute('data-by')).toBe('critic-approved');
    expect(await signer(entry)).toBe('Critic approved');
    expect(await entry.locator('.countersign .reason').textContent()).toMatch(/^Critic: \S/);
    expect(await entry.locator('.unsent').count()).toBe(0);
  });

  it('edit: "Critic edited", and the draft the user never received, collapsed and marked', async () => {
    const entry = await play('edit', 2);
    expect(await signer(entry)).toBe('Critic edited');
    expect(await entry.locator('.message').textContent()).not.toMatch(/I promise/);
    const unsent = entry.locator('details.unsent');
    expect(await unsent.count()).toBe(1);
    expect(await unsent.getAttribute('data-fate')).toBe('edited');
    // Collapsed by default: the draft is in the page but not shown until asked for.
    expect(await unsent.evaluate((node) => (node as unknown as { open: boolean }).open)).toBe(false);
    expect(await unsent.locator('.unsent-text').isVisible()).toBe(false);
    expect(await unsent.locator('summary').textContent()).toBe('Not sent Draft you never received: the critic edited it');
    await unsent.locator('summary').click();
    expect(await unsent.locator('.unsent-text').isVisible()).toBe(true);
    expect(await unsent.locator('.unsent-text').textContent()).toMatch(/I promise you will get a full refund/);
  });

  it("revise: \"Redrafted after the critic's feedback\", the rude draft never received, with the feedback", async () => {
    const entry = await play('revise', 3);
    expect(await entry.locator('.countersign').getAttribute('data-by')).toBe('critic-redrafted');
    expect(await signer(entry)).toBe("Redrafted after the critic's feedback");
    expect(await entry.locator('.message').textContent()).not.toMatch(/^Ugh/);
    const unsent = entry.locator('details.unsent');
    expect(await unsent.getAttribute('data-fate')).toBe('redrafted');
    expect(await unsent.evaluate((node) => (node as unknown as { open: boolean }).open)).toBe(false);
    expect(await unsent.locator('.unsent-text').textContent()).toMatch(/^Ugh/);
    expect(await unsent.locator('.unsent-note').textContent()).toMatch(/^Critic's feedback: Drop the sarcasm/);
  });

  it("escalate: the operator's holding message, then a reviewer's text that looks like a human's, with the draft it replaced", async () => {
    const holding = await play('escalate', 4);
    expect(await holding.locator('.countersign').getAttribute('data-by')).toBe('operator-holding');
    expect(await holding.locator('.message').getAttribute('class')).toContain('by-operator');
    expect(await holding.locator('.countersign .reason').textContent()).toMatch(/^Held for a human because: .*only a human may answer/);
    expect(await holding.locator('.unsent').count()).toBe(0);
    await waitFor(async () => (await chat.locator('#status').textContent())?.includes('waiting for review by a human'), 'the held status');

    const auth = { authorization: `Bearer ${demo.reviewToken}`, 'content-type': 'application/json' };
    const pending = (await (await fetch(`${demo.url}/api/review/turns?status=pending`, { headers: auth })).json()) as { turns: Array<{ id: string }> };
    expect(pending.turns).toHaveLength(1);
    const written = 'I am sorry about the wedding. A colleague will call you today about compensation.';
    const approved = await fetch(`${demo.url}/api/review/turns/${pending.turns[0]!.id}/approve`, { method: 'POST', headers: auth, body: JSON.stringify({ text: written }) });
    expect(approved.status).toBe(200);

    await waitFor(async () => (await botEntries().count()) >= 5, "the reviewer's reply");
    const reply = botEntries().nth(4);
    expect(await reply.locator('.message').textContent()).toBe(written);
    // A human's text does not look like the bot's.
    expect(await reply.locator('.message').getAttribute('class')).toContain('by-human');
    // (The function runs in the page; the test has no DOM typings.)
    const background = (bubble: Locator) => bubble.evaluate((node) => (globalThis as unknown as { getComputedStyle(element: unknown): { backgroundColor: string } }).getComputedStyle(node).backgroundColor);
    const [human, bot] = await Promise.all([background(reply.locator('.message')), background(botEntries().first().locator('.message'))]);
    expect(human).not.toBe(bot);
    expect(await signer(reply)).toBe('Written by a human reviewer');
    const unsent = reply.locator('details.unsent');
    expect(await unsent.getAttribute('data-fate')).toBe('replaced');
    expect(await unsent.locator('.unsent-text').textContent()).toMatch(/looking into your reservation/);
    expect(pageErrors).toEqual([]);
  });

  it('at 390 px wide: the input stays in view and the log shows the newest message', async () => {
    await chat.setViewportSize({ width: 390, height: 844 });
    await chat.reload();
    await waitFor(async () => (await botEntries().count()) >= 5, 'the transcript after a reload');
    const geometry = () => chat.evaluate<Geometry>(GEOMETRY);
    // The log follows the newest message once it has rendered.
    await expect.poll(async () => (await geometry()).fromBottom).toBeLessThanOrEqual(1);
    let seen = await geometry();
    expect(seen.scrolls, 'the transcript is longer than the log, so the scrolling is tested').toBe(true);
    for (const control of [seen.input, seen.send]) {
      expect(control.top).toBeGreaterThanOrEqual(0);
      expect(control.bottom).toBeLessThanOrEqual(seen.viewport.height);
      expect(control.right).toBeLessThanOrEqual(seen.viewport.width);
    }
    expect(seen.last.bottom).toBeLessThanOrEqual(seen.log.bottom + 1);
    expect(seen.last.bottom).toBeGreaterThan(seen.log.top);
    expect(seen.overflow).toBeLessThanOrEqual(0);

    // A new message and its reply: the log follows them, the input stays where it was.
    await chat.fill('#text', byDecision.approve!.text);
    await chat.press('#text', 'Enter');
    await waitFor(async () => (await botEntries().count()) >= 6, 'the reply on the phone');
    await expect.poll(async () => (await geometry()).fromBottom).toBeLessThanOrEqual(1);
    seen = await geometry();
    expect(seen.input.bottom).toBeLessThanOrEqual(seen.viewport.height);
    expect(await botEntries().nth(5).locator('.signer').isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  /** Click an action example and wait for `count` bot entries; returns the newest. */
  async function playAction(decision: string, count: number): Promise<Locator> {
    await chat.locator('.example', { hasText: actionPrompt(decision).text }).click();
    await waitFor(async () => (await botEntries().count()) >= count, `bot entry ${count} (action ${decision})`);
    return botEntries().nth(count - 1);
  }
  const actionBadges = (entry: Locator) => entry.locator('.countersign .actions li.action .badge').allTextContents();

  it('an approved action: the reply lists the lookup and the cancellation, and who let each run', async () => {
    await chat.setViewportSize({ width: 900, height: 900 });
    const entry = await playAction('approve', 7);
    expect(await entry.locator('.message').textContent()).toMatch(/ZFA04Y .* is cancelled/);
    expect(await signer(entry)).toBe('Critic approved');
    expect(await entry.locator('.countersign .actions summary').textContent()).toBe('Based on: 2 tool calls');
    expect(await entry.locator('.countersign .actions li.action .action-what').allTextContents()).toEqual(['get reservation ZFA04Y', 'cancel reservation ZFA04Y']);
    expect(await actionBadges(entry)).toEqual(['Ran: a lookup, no review needed', 'Ran: the critic approved']);
    expect(await entry.locator('li.action[data-by="critic"] .reason').textContent()).toMatch(/^Critic: A business booking/);
  });

  it('an edited action: the voucher ran with the critic\'s amount, the actor\'s shown struck through', async () => {
    const entry = await playAction('edit', 8);
    expect(await entry.locator('.message').textContent()).toMatch(/of 100 USD/);
    expect(await actionBadges(entry)).toEqual(['Ran: a lookup, no review needed', 'Ran: the critic edited the arguments']);
    const voucher = entry.locator('li.action', { hasText: 'issue voucher' });
    expect(await voucher.locator('.action-args').textContent()).toBe('reservation_id: 4WQ150, amount: 100');
    expect(await voucher.locator('.action-proposed').textContent()).toBe('The actor proposed amount: 300');
    expect(await voucher.locator('.action-proposed').evaluate((node) => (globalThis as unknown as { getComputedStyle(element: unknown): { textDecorationLine: string } }).getComputedStyle(node).textDecorationLine)).toBe('line-through');
  });

  it('a held action: the page says what the bot wants to do and why it waits; a reviewer approves, and the reply says a human let it run', async () => {
    const holding = await playAction('escalate', 9);
    expect(await holding.locator('.countersign').getAttribute('data-by')).toBe('operator-holding');
    expect(await holding.locator('.pending-action strong').textContent()).toBe('Waiting for a human: the bot wants to cancel reservation EHGLP3');
    expect(await holding.locator('.pending-action .action-args').textContent()).toBe('cancel_reservation(reservation_id: EHGLP3)');
    expect(await holding.locator('.pending-action .reason').textContent()).toMatch(/^Held because: .*does not allow/);
    expect(await holding.locator('.countersign .actions summary').textContent()).toBe('Done so far: 1 tool call');
    await waitFor(async () => (await chat.locator('#status').textContent())?.includes('waiting for review by a human'), 'the held status');
    expect(demo.airline.bookings.get('EHGLP3')!.status).toBe('confirmed');

    const auth = { authorization: `Bearer ${demo.reviewToken}`, 'content-type': 'application/json' };
    const pending = (await (await fetch(`${demo.url}/api/review/turns?status=pending`, { headers: auth })).json()) as { turns: Array<{ id: string; kind: string }> };
    expect(pending.turns.map((turn) => turn.kind)).toEqual(['action']);
    const approved = await fetch(`${demo.url}/api/review/turns/${pending.turns[0]!.id}/approve`, { method: 'POST', headers: auth, body: '{}' });
    expect(approved.status).toBe(200);
    await waitFor(async () => (await botEntries().count()) >= 10, 'the reply after the review');
    const reply = botEntries().nth(9);
    expect(await reply.locator('.message').textContent()).toMatch(/EHGLP3 .* is cancelled/);
    expect(await actionBadges(reply)).toEqual(['Ran: a lookup, no review needed', 'Ran: a human reviewer approved']);
    expect(await reply.locator('li.action[data-by="reviewer"] .reason').textContent()).toMatch(/^Held for a human because: .*does not allow/);
    expect(pageErrors).toEqual([]);
  });
});
