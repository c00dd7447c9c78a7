/**
 * The web chat page end to end in a real headless Chromium (playwright-core): no CSP
 * violation or script error, a conversation id and token from the page's own random source
 * (the token only in localStorage, sent with every request), a reply shown, a reload that
 * finds the conversation again, another browser that cannot open it, and earlier messages
 * loaded a page at a time.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatAdapter } from '../../src/core/ports.js';
import { type Pipeline, startPipeline, waitFor } from '../helpers/pipeline.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

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
