/**
 * Scenario: hostile web clients, the attacks of the security review against the anonymous web
 * chat, each now failing. Two service processes started as operators start them, scripted
 * models whose every call is counted, and clients on distinct loopback addresses (127.0.0.x,
 * each its own client IP):
 *
 *   flood        hundreds of one-message conversations from one address, at once, with the
 *                default limits: all but the per-client limit refused (429, Retry-After,
 *                {"error"}), no model call beyond the accepted ones
 *   burst        a legitimate user's message right after another address's burst: at most the
 *                burst's allowance of turns ahead of it
 *   spread       the same from many addresses: each held to its own limit, all together to the
 *                global one
 *   trespass     reading and posting into other clients' conversations without their token, with
 *                guessed tokens and with the token of another conversation: the same 404 as a
 *                conversation that does not exist, nothing stored, nothing reaches the models
 *   transcript   a 1,000-message conversation of 7,500-character messages, pulled by ten clients
 *                for 20 s: the stored transcript capped, every answer a page, /healthz 200 all along
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { inParallel } from '../helpers/in-parallel.js';
import { conversationHeaders, criticInput, verdict } from '../helpers/pipeline.js';
import { deletePrefix, REDIS_URL, randomPrefix } from '../helpers/redis.js';
import { type WebAnswer, webRequest } from '../helpers/web-client.js';
import { actorTurnTexts, cleanupAfterAll, processEnv, randomInt, report, reseed, type ServiceProcess, sleep, startProcess, startTrackedModels, TALLY_ENV, type TrackedModel, waitForProgress, webTranscript } from './harness.js';

reseed('hostile-web');

const STALL_MS = 90_000;
/** The defaults of the web chat's limits (adapters/web/web-limits.ts), which this scenario attacks. */
const PER_CLIENT_CONVERSATIONS = 10;
const GLOBAL_CONVERSATIONS = 120;
/** An empty value is no setting: the service uses its default (the harness lifts the limits otherwise). */
const DEFAULT_LIMITS = { WEB_MESSAGES_PER_MINUTE: '', WEB_CONVERSATIONS_PER_MINUTE: '', WEB_GLOBAL_MESSAGES_PER_MINUTE: '', WEB_GLOBAL_CONVERSATIONS_PER_MINUTE: '' };

const cleanups = cleanupAfterAll();

/** A token a client might guess: the right shape, from the seeded generator. */
const guessedToken = () => Array.from({ length: 24 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[randomInt(0, 63)]).join('');

const post = (base: string, conversation: string, text: string, from: string, headers: Record<string, string> = conversationHeaders(conversation)) =>
  webRequest(`${base}/api/chat/${conversation}/messages`, { method: 'POST', from, body: { text, user: 'someone' }, headers });
const read = (base: string, conversation: string, from: string, headers: Record<string, string> = conversationHeaders(conversation)) =>
  webRequest(`${base}/api/chat/${conversation}/messages`, { from, headers });

/** Every 429 carries a whole-second Retry-After within the minute and an {"error"} body. */
function checkRefusals(answers: WebAnswer[]): { refused: number; malformed: string[] } {
  const malformed: string[] = [];
  let refused = 0;
  for (const answer of answers) {
    if (answer.status !== 429) continue;
    refused++;
    const retryAfter = Number(answer.headers['retry-after']);
    if (!(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60) || typeof answer.json?.error !== 'string') malformed.push(`${answer.headers['retry-after']} ${answer.text.slice(0, 100)}`);
  }
  return { refused, malformed };
}

async function refusalMetrics(base: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^countersign_http_limit_refusals_total\{limit="([^"]+)"\} (\d+)$/gm)].map((match) => [match[1]!, Number(match[2])]));
}

function environment(prefix: string, actor: TrackedModel, critic: TrackedModel, extra: Record<string, string>): Record<string, string> {
  return { ...processEnv({ prefix, actor, critic }), ADAPTERS: 'web', REVIEW_TOKEN: 'fault-review-token', WORKER_CONCURRENCY: '10', ...extra };
}

describe('hostile web clients', () => {
  it('floods are refused at the limits, conversations stay their owners\', and a huge transcript is read a page at a time while /healthz answers', async () => {
    const started = Date.now();
    const redis = new Redis(REDIS_URL);
    cleanups.push(() => redis.quit());
    const findings: string[] = [];

    // ================= floods, with the default limits =================
    const floodPrefix = randomPrefix('fault-web-flood');
    cleanups.push(() => deletePrefix(redis, floodPrefix));
    const { actor, critic } = await startTrackedModels(cleanups, {
      actor: (request) => ({ content: `answered: ${actorTurnTexts(request).join(' / ')}`, delayMs: randomInt(150, 300) }),
      critic: () => ({ content: verdict('approve'), delayMs: randomInt(50, 150) }),
    });
    const service: ServiceProcess = await startProcess({ name: 'web-limits', role: 'all', env: environment(floodPrefix, actor, critic, DEFAULT_LIMITS) });
    cleanups.push(() => service.stop());
    const windowStart = Date.now();
    /** Conversations the service took in, per client address, all scenarios of this service together. */
    const acceptedBy = new Map<string, number>();
    const count = (from: string, answers: WebAnswer[]) => acceptedBy.set(from, (acceptedBy.get(from) ?? 0) + answers.filter((answer) => answer.status === 202).length);
    const modelCalls = () => ({ actor: actor.calls.length, critic: critic.calls.length });
    const settle = async (expected: number, what: string) => {
      await waitForProgress(() => actor.calls.length >= expected && critic.calls.length >= expected, modelCalls, what, { stallMs: STALL_MS });
      // Nothing more comes: a refused message never reaches a model later either.
      await sleep(3000);
    };

    // ---- flood: one address, hundreds of one-message conversations at once ----
    const floodSize = randomInt(400, 800);
    const floodStarted = Date.now();
    const flood = await inParallel(floodSize, 50, (index) => post(service.url, `flood-${index}`, `flood ${index}: give me a long answer`, '127.0.0.1'));
    const floodSeconds = (Date.now() - floodStarted) / 1000;
    count('127.0.0.1', flood);
    const floodAccepted = acceptedBy.get('127.0.0.1')!;
    const floodRefusals = checkRefusals(flood);
    expect(flood.every((answer) => answer.status === 202 || answer.status === 429)).toBe(true);
    expect(floodRefusals.malformed).toEqual([]);
    // The per-client window is a minute: a flood that took longer may start a second one.
    expect(floodAccepted).toBeLessThanOrEqual(PER_CLIENT_CONVERSATIONS * Math.ceil(floodSeconds / 60));
    expect(floodAccepted).toBeGreaterThan(0);
    await settle(floodAccepted, 'the accepted flood conversations to be answered');
    expect(modelCalls()).toEqual({ actor: floodAccepted, critic: floodAccepted });
    findings.push(`flood: ${floodSize} one-message conversations from one address in ${floodSeconds.toFixed(1)} s: ${floodAccepted} accepted, ${floodRefusals.refused} refused (429 with Retry-After); ${actor.calls.length} actor and ${critic.calls.length} critic calls`);

    // ---- burst: another address, 300 at once, then a legitimate user ----
    const callsBeforeBurst = actor.calls.length;
    const burst = await inParallel(300, 300, (index) => post(service.url, `burst-${index}`, `burst ${index}`, '127.0.0.3'));
    count('127.0.0.3', burst);
    expect(checkRefusals(burst).malformed).toEqual([]);
    const legitSent = Date.now();
    expect((await post(service.url, 'legit-user', 'Hello, where is my refund?', '127.0.0.2')).status).toBe(202);
    count('127.0.0.2', [{ status: 202 } as WebAnswer]);
    await waitForProgress(
      async () => (await webTranscript(service.url, 'legit-user')).some((entry) => entry.role === 'bot'),
      modelCalls,
      "the legitimate user's reply",
      { stallMs: STALL_MS },
    );
    const legitSeconds = (Date.now() - legitSent) / 1000;
    const legitCall = actor.calls.findIndex((call) => call.request.raw.includes('where is my refund'));
    const turnsAhead = actor.calls.slice(callsBeforeBurst, legitCall).length;
    expect(turnsAhead).toBeLessThanOrEqual(acceptedBy.get('127.0.0.3')!);
    expect(acceptedBy.get('127.0.0.3')).toBeLessThanOrEqual(PER_CLIENT_CONVERSATIONS);
    await settle(floodAccepted + acceptedBy.get('127.0.0.3')! + 1, 'the burst to be answered');
    findings.push(`burst: 300 conversations from one address, then a legitimate user from another: ${acceptedBy.get('127.0.0.3')} of the burst accepted, ${turnsAhead} turns ahead of the user's, reply in ${legitSeconds.toFixed(1)} s`);

    // ---- spread: many addresses, each within its own limit, together past the global one ----
    const addresses = randomInt(15, 25);
    const each = randomInt(PER_CLIENT_CONVERSATIONS, PER_CLIENT_CONVERSATIONS + 4);
    const spread = await inParallel(addresses * each, 100, (index) => {
      const from = `127.0.4.${10 + (index % addresses)}`;
      return post(service.url, `spread-${index}`, `spread ${index}`, from).then((answer) => ({ from, answer }));
    });
    for (const { from, answer } of spread) count(from, [answer]);
    const spreadAnswers = spread.map((item) => item.answer);
    expect(checkRefusals(spreadAnswers).malformed).toEqual([]);
    const globalRefusals = spreadAnswers.filter((answer) => answer.status === 429 && /the chat is taking too many new conversations/.test(String(answer.json?.error))).length;
    const windows = Math.ceil((Date.now() - windowStart) / 60_000);
    const acceptedTotal = [...acceptedBy.values()].reduce((sum, value) => sum + value, 0);
    for (const [from, accepted] of acceptedBy) expect(accepted, from).toBeLessThanOrEqual(PER_CLIENT_CONVERSATIONS * windows);
    expect(acceptedTotal).toBeLessThanOrEqual(GLOBAL_CONVERSATIONS * windows);
    if (windows === 1) expect(globalRefusals).toBeGreaterThan(0);
    await settle(acceptedTotal, 'the spread conversations to be answered');
    expect(modelCalls()).toEqual({ actor: acceptedTotal, critic: acceptedTotal });
    const metrics = await refusalMetrics(service.url);
    const refusedTotal = [...flood, ...burst, ...spreadAnswers].filter((answer) => answer.status === 429).length;
    expect(Object.values(metrics).reduce((sum, value) => sum + value, 0)).toBe(refusedTotal);
    findings.push(
      `spread: ${addresses} addresses x ${each} conversations: ${spreadAnswers.filter((answer) => answer.status === 202).length} accepted, ${globalRefusals} refused by the global limit; ${acceptedTotal} conversations in all (global limit ${GLOBAL_CONVERSATIONS}/min, ${windows} window(s)), ${actor.calls.length} actor calls; refusals by limit ${JSON.stringify(metrics)}`,
    );

    // ================= trespass and a huge transcript, limits lifted =================
    const openPrefix = randomPrefix('fault-web-open');
    cleanups.push(() => deletePrefix(redis, openPrefix));
    const holding = 'A teammate will look at this.';
    const { actor: actor2, critic: critic2 } = await startTrackedModels(cleanups, {
      actor: (request) => ({ content: `answered: ${actorTurnTexts(request).join(' / ').slice(0, 200)}` }),
      // The fill conversation escalates (held: its messages wait); everything else is approved.
      critic: (request) => ({ content: criticInput(request).draft.includes('fill ') ? verdict('escalate') : verdict('approve') }),
    });
    // This service is about who may read and write a conversation, and about one huge transcript:
    // the inbox cap and the model budgets (bounds of their own, tested elsewhere) are lifted, so
    // the 1,000 messages of the transcript below all get in whatever the turns' pace.
    const open = await startProcess({
      name: 'web-tokens',
      role: 'all',
      env: environment(openPrefix, actor2, critic2, { HOLDING_MESSAGE: holding, INBOX_MAX_MESSAGES: '2000', INBOX_MAX_BYTES: String(64 * 1024 * 1024), ...TALLY_ENV }),
    });
    cleanups.push(() => open.stop());

    // ---- trespass ----
    const victims = Array.from({ length: randomInt(3, 6) }, (_, index) => ({ conversation: `victim-${index}`, messages: randomInt(1, 3) }));
    for (const victim of victims) {
      for (let message = 1; message <= victim.messages; message++) {
        expect((await post(open.url, victim.conversation, `${victim.conversation} private message ${message}: my card ends 4242`, '127.0.0.20')).status).toBe(202);
        await waitForProgress(
          async () => (await webTranscript(open.url, victim.conversation)).filter((entry) => entry.role === 'bot').length >= message,
          () => actor2.calls.length,
          `${victim.conversation}'s reply ${message}`,
          { stallMs: STALL_MS },
        );
      }
    }
    const before = new Map(await Promise.all(victims.map(async (victim) => [victim.conversation, JSON.stringify(await webTranscript(open.url, victim.conversation))] as const)));
    expect((await post(open.url, 'attacker-own', 'my own conversation', '127.0.0.21')).status).toBe(202);
    const nowhere = await read(open.url, `never-started-${randomInt(0, 1e9)}`, '127.0.0.21', { 'x-conversation-token': guessedToken() });
    expect(nowhere).toMatchObject({ status: 404, json: { error: 'conversation not found' } });
    let attempts = 0;
    const leaks: string[] = [];
    for (const victim of victims) {
      const tries: Array<[string, Promise<WebAnswer>]> = [
        ['GET, no token', read(open.url, victim.conversation, '127.0.0.21', {})],
        ["GET, the attacker's own token", read(open.url, victim.conversation, '127.0.0.21', conversationHeaders('attacker-own'))],
        ['POST, no token', post(open.url, victim.conversation, 'attacker: approve my refund', '127.0.0.21', {})],
        ['POST, a guessed token', post(open.url, victim.conversation, 'attacker: approve my refund', '127.0.0.21', { 'x-conversation-token': guessedToken() })],
        ...Array.from({ length: randomInt(5, 15) }, (): [string, Promise<WebAnswer>] => ['GET, a guessed token', read(open.url, victim.conversation, '127.0.0.21', { 'x-conversation-token': guessedToken() })]),
      ];
      for (const [what, attempt] of tries) {
        const answer = await attempt;
        attempts++;
        if (answer.status !== nowhere.status || answer.text !== nowhere.text) leaks.push(`${victim.conversation} ${what}: ${answer.status} ${answer.text.slice(0, 100)}`);
      }
    }
    expect(leaks).toEqual([]);
    for (const victim of victims) expect(JSON.stringify(await webTranscript(open.url, victim.conversation))).toBe(before.get(victim.conversation));
    expect(actor2.calls.some((call) => call.request.raw.includes('attacker: approve my refund'))).toBe(false);
    findings.push(`trespass: ${attempts} reads and posts into ${victims.length} other clients' conversations (no token, guessed tokens, the attacker's own token): all the 404 of a conversation that does not exist; their transcripts unchanged, nothing reached the models`);

    // ---- a huge transcript, pulled by ten clients while /healthz is probed ----
    const MESSAGES = 1000;
    const text = (index: number) => `fill ${index} `.padEnd(7500, 'x');
    const fill = await inParallel(MESSAGES, 20, (index) => post(open.url, 'huge', text(index), '127.0.0.30'));
    expect(fill.every((answer) => answer.status === 202)).toBe(true);
    const stored = await redis.llen(`${openPrefix}:adapter:web:transcript:huge`);
    expect(stored).toBe(500);
    const firstPage = await read(open.url, 'huge', '127.0.0.30');
    const firstEntries = ((firstPage.json?.messages ?? []) as unknown[]).length;
    expect(firstEntries).toBe(50);
    const pullUntil = Date.now() + 20_000;
    const health: Record<string, number> = {};
    let slowestHealthMs = 0;
    const prober = (async () => {
      while (Date.now() < pullUntil) {
        const at = Date.now();
        const status = await fetch(`${open.url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
          (response) => String(response.status),
          () => 'no answer',
        );
        slowestHealthMs = Math.max(slowestHealthMs, Date.now() - at);
        health[status] = (health[status] ?? 0) + 1;
        await sleep(250);
      }
    })();
    const pulls = await Promise.all(
      Array.from({ length: 10 }, async (_, reader) => {
        let bytes = 0;
        let requests = 0;
        let largest = 0;
        const statuses: Record<string, number> = {};
        while (Date.now() < pullUntil) {
          // The attacker asks for far more than a page; bytes only, no parsing, so the readers
          // cost the test process little.
          const response = await fetch(`${open.url}/api/chat/huge/messages?limit=200`, { headers: conversationHeaders('huge') });
          const body = await response.arrayBuffer();
          bytes += body.byteLength;
          largest = Math.max(largest, body.byteLength);
          requests++;
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        }
        return { reader, bytes, requests, largest, statuses };
      }),
    );
    await prober;
    const pulledMb = pulls.reduce((sum, pull) => sum + pull.bytes, 0) / 1e6;
    for (const pull of pulls) {
      expect(Object.keys(pull.statuses)).toEqual(['200']);
      // 200 entries of 7,500 characters at most, whatever the transcript holds.
      expect(pull.largest).toBeLessThan(200 * 7700);
    }
    expect(health).toEqual({ '200': expect.any(Number) });
    findings.push(
      `transcript: ${MESSAGES} messages of 7,500 characters into one conversation: ${stored} stored, a default GET ${firstEntries} entries (${(firstPage.text.length / 1e3).toFixed(0)} kB); ten clients pulling ?limit=200 for 20 s: ${pulls.reduce((sum, pull) => sum + pull.requests, 0)} requests, ${pulledMb.toFixed(0)} MB, largest answer ${(Math.max(...pulls.map((pull) => pull.largest)) / 1e6).toFixed(2)} MB; /healthz ${JSON.stringify(health)}, slowest ${slowestHealthMs} ms`,
    );

    report({
      scenario: 'hostile-web',
      load: `${floodSize} + 300 + ${addresses * each} conversation floods; ${attempts} trespass attempts; ${MESSAGES} 7,500-character messages, then ten clients pulling the transcript for 20 s`,
      faults: 'one-address, burst and many-address floods of new conversations; reads and posts without the conversation token or with guessed and foreign tokens; a huge transcript pulled in a loop',
      // The floods' service: what it took in and answered (the trespass and transcript figures are in the findings).
      messagesIn: acceptedTotal,
      // One approved turn per accepted conversation (checked above: actor and critic calls equal them).
      repliesOut: actor.calls.length,
      duplicates: 0,
      lost: 0,
      unreviewedPosts: 0,
      details: { seconds: Math.round((Date.now() - started) / 1000), findings },
    });
  });
});
