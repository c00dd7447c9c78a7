/**
 * Review of a held tool call on the dashboard, in a real headless Chromium: the actor calls an
 * in-process write tool, the action critic escalates the call, and the reviewer sees "wants to
 * run cancel_booking" with the server, the effect, the arguments as JSON, the critic's reason,
 * the conversation and this turn's earlier calls; then approves one call, edits another's
 * arguments (JSON that does not parse, then arguments the tool's schema refuses: both shown,
 * nothing run, then valid ones that run), rejects a third (the actor is told a human refused
 * it), and finds tool calls and action verdicts charted on the activity page.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookingActor, bookingCritic, bookingTools, HOLD_REASON } from '../helpers/booking-tools.js';
import { CHROMIUM_ARGS } from '../helpers/chromium.js';
import { HOLDING, type Pipeline, REVIEW_TOKEN, startPipeline, waitFor } from '../helpers/pipeline.js';

// Found by the browser suite's setup (test/setup/chromium-setup.ts): this test is never skipped.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REVIEWER = 'Grace Reviewer';

const { tools, cancelled } = bookingTools();

let pipeline: Pipeline;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const pageErrors: string[] = [];

async function pendingActionOf(conversation: string): Promise<string> {
  return waitFor(async () => {
    const listed = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
    return (listed.body.turns as Array<{ id: string; conversation: string; kind: string }>).find((turn) => turn.conversation === `web:${conversation}` && turn.kind === 'action')?.id;
  }, `a pending action in ${conversation}`);
}

async function openHeldCall(conversation: string, code: string): Promise<string> {
  expect((await pipeline.send(conversation, `Please cancel ${code}, I cannot travel.`)).status).toBe(202);
  const turnId = await pendingActionOf(conversation);
  await page.goto(`${pipeline.url()}/review/turns/${turnId}`);
  await page.locator('#approve').waitFor();
  await page.locator('#live[data-state="open"]').waitFor();
  return turnId;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the dashboard e2e test needs Chromium (apt-get install chromium). It is never skipped.`);
  pipeline = await startPipeline({ actor: bookingActor, critic: bookingCritic, tools });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'cs-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(30_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Uncaught/i.test(message.text())) pageErrors.push(message.text());
  });
  await page.goto(`${pipeline.url()}/review/login`);
  await page.getByLabel('Your name').fill(REVIEWER);
  await page.getByLabel('Review token').fill(REVIEW_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${pipeline.url()}/review`);
});

afterAll(async () => {
  await context?.close().catch(() => {});
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await pipeline?.stop();
});

describe('review of a tool call on the dashboard, in Chromium', { timeout: 120_000 }, () => {
  it('lists the held call, shows it with its arguments, reason and earlier calls, and approving it runs it once', async () => {
    await page.locator('#live[data-state="open"]').waitFor();
    await pipeline.send('act-approve', 'Please cancel ABC123, I cannot travel.');
    const row = page.locator('.row', { hasText: 'act-approve' });
    await row.waitFor();
    expect(await row.locator('.action-excerpt').textContent()).toBe('action wants to run cancel_booking { "bookingId": "ABC123" }');
    await expect.poll(() => row.locator('.reason').textContent()).toBe(HOLD_REASON);

    await row.locator('a').click();
    await page.locator('#approve').waitFor();
    expect(await page.locator('.action-title').textContent()).toBe('action wants to run cancel_booking');
    expect(await page.locator('.call-facts .tool-server').textContent()).toBe('in-process');
    expect(await page.locator('.call-facts .effect').textContent()).toBe('write, not idempotent');
    expect(await page.locator('.call-facts .tool-description').textContent()).toBe('Cancel a booking by its six-character code.');
    expect(await page.locator('#proposed-arguments').textContent()).toBe('{\n  "bookingId": "ABC123"\n}');
    expect(await page.locator('.verdict .verdict-reason').textContent()).toBe(HOLD_REASON);
    expect(await page.locator('.verdict .badge').textContent()).toBe('escalate');
    expect(await page.locator('.msg.current .msg-text').textContent()).toBe('Please cancel ABC123, I cannot travel.');
    // This turn's calls: the lookup that ran, then the held cancellation.
    const calls = page.locator('.tool-steps .tool-call');
    expect(await calls.count()).toBe(2);
    expect(await calls.nth(0).getAttribute('data-status')).toBe('done');
    expect(await calls.nth(0).locator('.tool-result').textContent()).toBe('Booking ABC123: Lisbon to Oslo, 12 May, refundable.');
    expect(await calls.nth(1).getAttribute('data-status')).toBe('held');
    expect(await page.locator('.tool-steps .tool-step-text').last().textContent()).toContain('Cancelling it now.');
    expect(cancelled).toEqual([]);

    await page.locator('#approve').click();
    await page.locator('#confirm[open]').waitFor();
    expect(await page.locator('#confirm-text').textContent()).toBe('Run cancel_booking with the proposed arguments?');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${pipeline.url()}/review`);
    await expect.poll(() => page.locator('#toast').textContent()).toBe('Approved: cancel_booking will run.');
    expect(await pipeline.waitForBot('act-approve', 2)).toEqual([HOLDING, 'Tool said: Booking ABC123 is cancelled.']);
    await pipeline.waitIdle('act-approve');
    expect(cancelled).toEqual([{ bookingId: 'ABC123' }]);
    // The ledger's executions are audited with who let each call run: the read by policy, the
    // cancellation by the reviewer.
    const executions = (await pipeline.service!.audit.read()).filter((entry) => entry.type === 'tool-execution');
    expect(executions.map((entry) => [entry.decision, entry.actor, entry.reason?.split(' ')[0]])).toEqual([
      ['started', 'policy', 'look_up_booking'],
      ['done', 'policy', 'look_up_booking'],
      ['started', 'reviewer:dashboard:shared-token', 'cancel_booking'],
      ['done', 'reviewer:dashboard:shared-token', 'cancel_booking'],
    ]);
  });

  it('edits the arguments: JSON that does not parse and arguments the schema refuses are shown and run nothing; valid ones run', async () => {
    const turnId = await openHeldCall('act-edit', 'XYZ789');
    const editor = page.locator('#edit-arguments');
    const error = page.locator('#arguments-error');
    expect(await editor.inputValue()).toBe('{\n  "bookingId": "XYZ789"\n}');
    expect(await error.isHidden()).toBe(true);

    await editor.fill('{ "bookingId": "XYZ780", }');
    await page.locator('#send-edit').click();
    await expect.poll(() => error.textContent()).toContain('The arguments are not valid JSON');
    expect(await error.isVisible()).toBe(true);

    // Parses, but the tool's schema refuses it: the API's 400, under the editor, the text kept.
    await editor.fill('{ "bookingId": "xyz" }');
    await editor.press('Control+Enter');
    await expect.poll(() => error.textContent()).toMatch(/^Refused: the arguments do not fit cancel_booking's input schema: .*nothing was run$/);
    expect(await editor.inputValue()).toBe('{ "bookingId": "xyz" }');
    await expect.poll(() => page.locator('#toast').textContent()).toBe('The arguments were refused; nothing was run.');
    // Not an object at all: refused too.
    await editor.fill('["XYZ780"]');
    await page.locator('#send-edit').click();
    await expect.poll(() => error.textContent()).toBe('Refused: invalid body: arguments: arguments must be a JSON object');
    expect((await pipeline.reviewApi('GET', `/api/review/turns/${turnId}`)).body.turn).toMatchObject({ status: 'pending' });
    expect(cancelled).toEqual([{ bookingId: 'ABC123' }]);

    // Typing clears the stale error; valid arguments run.
    await editor.fill('{ "bookingId": "XYZ780" }');
    expect(await error.isHidden()).toBe(true);
    await page.locator('#send-edit').click();
    await page.waitForURL(`${pipeline.url()}/review`);
    expect(await pipeline.waitForBot('act-edit', 2)).toEqual([HOLDING, 'Tool said: Booking XYZ780 is cancelled.']);
    expect(cancelled).toEqual([{ bookingId: 'ABC123' }, { bookingId: 'XYZ780' }]);

    // The decided turn shows the edit, who made it, and the arguments it ran with.
    await page.goto(`${pipeline.url()}/review/turns/${turnId}`);
    await expect.poll(() => page.locator('.decision').textContent().catch(() => '')).toContain('edited');
    expect(await page.locator('.decision .reviewer').textContent()).toBe(`${REVIEWER} (dashboard, unverified)`);
    expect(await page.locator('#ran-arguments').textContent()).toBe('{\n  "bookingId": "XYZ780"\n}');
  });

  it('rejects a call: it never runs, and the actor is told a human refused it', async () => {
    const turnId = await openHeldCall('act-reject', 'QRS456');
    await page.keyboard.press('r');
    await page.locator('#confirm[open]').waitFor();
    expect(await page.locator('#confirm-text').textContent()).toBe('Refuse this call of cancel_booking? The actor is told a human refused it.');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${pipeline.url()}/review`);
    const texts = await pipeline.waitForBot('act-reject', 2);
    expect(texts[0]).toBe(HOLDING);
    expect(texts[1]).toMatch(/^Tool said: .*refused/i);
    await pipeline.waitIdle('act-reject');
    expect(cancelled.map((call) => call.bookingId)).not.toContain('QRS456');

    await page.getByRole('link', { name: 'Resolved' }).click();
    const resolved = page.locator('.row', { hasText: 'act-reject' });
    await resolved.waitFor();
    expect(await resolved.locator('.badge').first().textContent()).toBe('rejected');
    expect(await resolved.locator('.action-excerpt').textContent()).toBe('Refused: cancel_booking { "bookingId": "QRS456" }');
    expect((await pipeline.reviewApi('GET', `/api/review/turns/${turnId}`)).body.turn).toMatchObject({ status: 'rejected', kind: 'action' });
  });

  it('charts tool calls by outcome and action verdicts by decision', async () => {
    await page.goto(`${pipeline.url()}/review/activity`);
    await page.locator('svg.chart[data-series="tools"]').waitFor();
    const total = (series: string, key: string) => page.locator(`.legend li[data-series="${series}"][data-key="${key}"] .total`).textContent();
    // Three turns: three lookups (reads, let through by policy) and three cancellations held by
    // the critic; two ran after approval, one was refused.
    expect(await total('actions', 'read')).toBe('3');
    expect(await total('actions', 'escalate')).toBe('3');
    expect(await total('tools', 'escalated')).toBe('3');
    expect(await total('tools', 'done')).toBe('5');
    expect(await total('tools', 'refused')).toBe('1');
    expect(await page.locator('svg.chart[data-series="tools"] rect.bar').count()).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });
});
