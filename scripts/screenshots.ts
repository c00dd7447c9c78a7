/**
 * `npm run screenshots`: the pictures of the documentation, made from the demo's real
 * conversations. It starts the offline demo (its stand-in models, the Redis it finds or starts,
 * a key prefix of its own, any free port), plays the example prompts on the chat page (approve,
 * edit, revise, escalate), photographs the escalated turn on the dashboard with its context,
 * resolves it there with a reviewer's own text, and photographs the chat page showing who
 * countersigned each reply. Writes docs/chat.png and docs/dashboard.png (or into `--out DIR`).
 * Chromium or Chrome is found like the browser tests find it (CHROMIUM_PATH, or where it is
 * usually installed). No test writes these files: run this after a change to the pages.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type RunningDemo, runDemo } from '../src/demo/demo-command.js';
import { DEMO_PROMPTS } from '../src/demo/demo-models.js';
import { CHROMIUM_ARGS, findChromium } from '../test/helpers/chromium.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outArgument = process.argv.indexOf('--out');
const outDirectory = outArgument > 0 && process.argv[outArgument + 1] ? path.resolve(process.argv[outArgument + 1]!) : path.join(root, 'docs');
const REVIEWER = 'Ada Reviewer';
const REVIEWER_TEXT = "I'm so sorry you missed the wedding. I have opened a compensation case for your cancelled flight, and a colleague will call you today.";

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Wait until `check` is truthy, or fail naming `what`. */
async function until<T>(check: () => Promise<T> | T, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const botCount = (page: Page) => page.locator('#log .entry.bot').count();

/** Play the example prompts on the chat page, each after the previous reply. */
async function playConversation(chat: Page, url: string): Promise<void> {
  await chat.goto(url);
  for (const [index, prompt] of DEMO_PROMPTS.entries()) {
    say(`  chat: ${prompt.label.toLowerCase()} ("${prompt.text}")`);
    await chat.locator('.example', { hasText: prompt.text }).click();
    await until(async () => (await botCount(chat)) > index, `the reply to "${prompt.text}"`);
  }
  await until(async () => (await chat.locator('#status').textContent())?.includes('waiting for review'), 'the held conversation');
}

/** Sign in, photograph the waiting turn, and answer it with the reviewer's own text. */
async function reviewInDashboard(dashboard: Page, demo: RunningDemo, file: string): Promise<void> {
  await dashboard.goto(`${demo.url}/review/login`);
  await dashboard.getByLabel('Your name').fill(REVIEWER);
  await dashboard.getByLabel('Review token').fill(demo.reviewToken);
  await dashboard.getByRole('button', { name: 'Sign in' }).click();
  await dashboard.locator('#live[data-state="open"]').waitFor();
  const row = dashboard.locator('.row').first();
  await row.waitFor();
  await row.locator('a').click();
  await dashboard.locator('#edit-text').waitFor();
  await dashboard.locator('.msg.holding').waitFor();
  await dashboard.screenshot({ path: file, fullPage: true });
  say(`  wrote ${path.relative(root, file)}`);
  say('  dashboard: the reviewer writes the reply');
  await dashboard.locator('#edit-text').fill(REVIEWER_TEXT);
  await dashboard.keyboard.press('Control+Enter');
  await dashboard.waitForURL(`${demo.url}/review`);
}

/** Open the edited reply's unsent draft, fit the page to the whole conversation, and photograph it. */
async function photographChat(chat: Page, file: string): Promise<void> {
  await until(async () => (await botCount(chat)) >= DEMO_PROMPTS.length + 1, "the reviewer's reply on the chat page");
  await chat.locator('.countersign[data-by="critic-edited"] details.unsent summary').click();
  // The log scrolls inside the page: make the page tall enough to show all of it.
  const extra = await chat.locator('#log').evaluate((log) => log.scrollHeight - log.clientHeight);
  const size = chat.viewportSize()!;
  await chat.setViewportSize({ width: size.width, height: size.height + Math.max(0, extra) + 8 });
  await chat.locator('#log').evaluate((log) => {
    log.scrollTop = 0;
  });
  await chat.screenshot({ path: file });
  say(`  wrote ${path.relative(root, file)}`);
}

async function main(): Promise<void> {
  const found = findChromium();
  if (found.path === null) {
    process.stderr.write(`${found.problem}\n`);
    process.exit(1);
  }
  mkdirSync(outDirectory, { recursive: true });
  // The offline demo, whatever the environment says: the pictures show its stand-in models.
  const { OPENAI_API_KEY: _key, REDIS_PREFIX: _prefix, PORT: _port, ...env } = process.env;
  const prefix = `countersign-screenshots-${randomBytes(4).toString('hex')}`;
  say('starting the demo (offline models)');
  const demo = await runDemo({ env: { ...env, REDIS_PREFIX: prefix, PORT: '0', LOG_LEVEL: 'error' }, out: new Writable({ write: (_chunk, _encoding, done) => done() }) });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: found.path, headless: true, args: CHROMIUM_ARGS });
    const chat = await browser.newPage({ viewport: { width: 820, height: 900 } });
    const dashboard = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await playConversation(chat, `${demo.url}/`);
    await reviewInDashboard(dashboard, demo, path.join(outDirectory, 'dashboard.png'));
    await photographChat(chat, path.join(outDirectory, 'chat.png'));
  } finally {
    await browser?.close().catch(() => {});
    await demo.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`screenshots: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
