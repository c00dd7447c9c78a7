/**
 * Scenario 3, model faults: actor and critic answer 500s, 429s with Retry-After, time-outs,
 * truncated streams, invalid JSON and refusals at 10-30% of calls, plain and streamed. The critic
 * script knows which texts it approved; every posted text must be one of those, a reviewer's, or
 * the holding message. Every turn ends posted or waiting for review (a reviewer then resolves the
 * waiting ones, so every message is finally answered exactly once), and retries are bounded and
 * visible in the service's own log.
 */
import { describe, expect, it } from 'vitest';
import type { ModelServerAnswer } from '../../src/demo/model-server.js';
import { criticInput, HOLDING, REVIEW_TOKEN, verdict } from '../helpers/pipeline.js';
import { actorTurnTexts, answeredIn, chance, checkAnswered, cleanupAfterAll, postChat, random, randomInt, report, reseed, sequenceOf, sleep, startLoggedService, TALLY_ENV, webTranscript } from './harness.js';

reseed('model-faults');

const CONVERSATIONS = 24;
const MESSAGES = 4;
const ACTOR_FAULT_RATE = 0.2;
const CRITIC_FAULT_RATE = 0.25;
const TIMEOUT_MS = 1200;

const cleanups = cleanupAfterAll();

type FaultName = '500' | '429' | 'time-out' | 'truncated stream' | 'invalid JSON' | 'refusal' | 'prose around JSON';

function pick<T>(items: readonly T[]): T {
  return items[randomInt(0, items.length - 1)]!;
}

async function runMode(stream: boolean) {
  const injected = { actor: new Map<FaultName, number>(), critic: new Map<FaultName, number>() };
  const count = (role: 'actor' | 'critic', fault: FaultName) => injected[role].set(fault, (injected[role].get(fault) ?? 0) + 1);
  /** Texts the critic let out: drafts it approved, its own edits. */
  const approvedByCritic = new Set<string>();
  const approvedByReviewer = new Set<string>();
  const actorFaults: FaultName[] = stream ? ['500', '429', 'time-out', 'truncated stream', 'refusal'] : ['500', '429', 'time-out', 'refusal'];
  const criticFaults: FaultName[] = stream
    ? ['500', '429', 'time-out', 'truncated stream', 'invalid JSON', 'refusal', 'prose around JSON']
    : ['500', '429', 'time-out', 'invalid JSON', 'refusal', 'prose around JSON'];

  const { pipeline, service, sink } = await startLoggedService(cleanups, {
    env: { CRITIC_TIMEOUT_MS: String(TIMEOUT_MS), LOG_LEVEL: 'info', ...TALLY_ENV },
    configure: (config) => {
      config.actor.timeoutMs = TIMEOUT_MS;
      config.models.actor.stream = stream;
      config.models.critic.stream = stream;
    },
    actor: (request): ModelServerAnswer => {
      const draft = `answered ${actorTurnTexts(request).map(sequenceOf).join(',')}`;
      if (chance(ACTOR_FAULT_RATE)) {
        const fault = pick(actorFaults);
        count('actor', fault);
        if (fault === '500') return { status: 500 };
        if (fault === '429') return { status: 429, retryAfterSeconds: randomInt(0, 1) };
        if (fault === 'time-out') return { hang: true };
        if (fault === 'truncated stream') return { content: draft, truncate: true };
        return { refusal: 'I cannot help with that.' };
      }
      return { content: draft, delayMs: randomInt(0, 30) };
    },
    critic: (request): ModelServerAnswer => {
      const { draft } = criticInput(request);
      if (chance(CRITIC_FAULT_RATE)) {
        const fault = pick(criticFaults);
        count('critic', fault);
        if (fault === '500') return { status: 500 };
        if (fault === '429') return { status: 429, retryAfterSeconds: randomInt(0, 1) };
        if (fault === 'time-out') return { hang: true };
        // A whole approval, cut off: the client must not take the half it got.
        if (fault === 'truncated stream') return { content: verdict('approve'), truncate: true };
        if (fault === 'invalid JSON') return { content: '{"decision": "approve", "reason": "looks fine", ' };
        if (fault === 'refusal') return { refusal: 'I will not review this.' };
        return { content: `Sure, here you go: ${verdict('approve')}` };
      }
      const roll = random();
      if (roll < 0.7) {
        approvedByCritic.add(draft);
        return { content: verdict('approve'), delayMs: randomInt(0, 30) };
      }
      if (roll < 0.85) {
        const edited = `${draft} [edited by the critic]`;
        approvedByCritic.add(edited);
        return { content: verdict('edit', { revised_text: edited }), delayMs: randomInt(0, 30) };
      }
      if (roll < 0.95) return { content: verdict('revise', { feedback: 'say it more kindly' }) };
      return { content: verdict('escalate', { reason: 'a human should look' }) };
    },
  });

  // ---- the load ----
  await Promise.all(
    Array.from({ length: CONVERSATIONS }, async (_, index) => {
      for (let message = 1; message <= MESSAGES; message++) {
        const answer = await postChat(service.url, `mf-${index}`, `c${index}-m${message}`, `mf-${stream ? 's' : 'p'}-${index}-${message}`);
        expect(answer.status).toBe(202);
        await sleep(randomInt(200, 1500));
      }
    }),
  );

  // ---- every turn ends posted or waiting for review ----
  const review = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const response = await fetch(`${service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${REVIEW_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  let escalations = 0;
  const escalationSources = new Map<string, number>();
  const openTurnsAfterLoad: string[] = [];
  let firstRound = true;
  for (;;) {
    await pipeline.waitIdle();
    // Idle: every turn is closed (posted) or escalated; nothing is half-way.
    const states = await Promise.all((await pipeline.redis.keys(`${pipeline.prefix}:turn:*`)).map((key) => pipeline.redis.hget(key, 'status')));
    const open = states.filter((status) => status !== 'posted' && status !== 'escalated' && status !== 'approved' && status !== 'rejected');
    if (firstRound) openTurnsAfterLoad.push(...(open as string[]));
    firstRound = false;
    const pending = (await review('GET', '/api/review/turns?status=pending')).body.turns as Array<{ id: string; draft: string | null; messages: Array<{ text: string }>; escalation: { source: string } }>;
    if (!pending.length) break;
    for (const turn of pending) {
      escalations++;
      escalationSources.set(turn.escalation.source, (escalationSources.get(turn.escalation.source) ?? 0) + 1);
      // The reviewer approves the draft as it is, or writes the reply when there is none (or every other time).
      const text = turn.draft && chance(0.5) ? null : `answered ${turn.messages.map((message) => sequenceOf(message.text)).join(',')} (a reviewer wrote this)`;
      const answer = await review('POST', `/api/review/turns/${turn.id}/approve`, text === null ? {} : { text });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      approvedByReviewer.add(text ?? turn.draft!);
    }
  }

  // ---- a message left behind (in an inbox without a job) would show here ----
  const stuck: string[] = [];
  for (let index = 0; index < CONVERSATIONS; index++) {
    const answered = (await webTranscript(service.url, `mf-${index}`)).filter((entry) => entry.role === 'bot').flatMap((entry) => answeredIn(entry.text));
    if (answered.includes(MESSAGES)) continue;
    const key = `web:mf-${index}`;
    const state = await pipeline.redis.hgetall(pipeline.keys.state(key));
    const turn = state.turn ? await pipeline.redis.hgetall(pipeline.keys.turn(state.turn)) : {};
    stuck.push(
      JSON.stringify({
        conversation: key,
        answered,
        state,
        turn: { status: turn.status, escalation: turn.escalation, messages: turn.messages },
        inbox: await pipeline.redis.lrange(pipeline.keys.inbox(key), 0, -1),
        ready: await pipeline.redis.lrange(pipeline.keys.ready(key), 0, -1),
        pending: await pipeline.redis.zscore(pipeline.keys.pendingConversations, key),
        log: sink.lines.filter((line) => line.conversation === key).map((line) => `${line.msg}${line.source ? ` ${line.source}` : ''}${line.status ? ` ${line.status}` : ''}`),
      }),
    );
  }

  // ---- what was posted ----
  let replies = 0;
  let holding = 0;
  let unreviewed = 0;
  let duplicates = 0;
  let lost = 0;
  let disorder = 0;
  const problems: string[] = [];
  for (let index = 0; index < CONVERSATIONS; index++) {
    const bot = (await webTranscript(service.url, `mf-${index}`)).filter((entry) => entry.role === 'bot').map((entry) => entry.text);
    holding += bot.filter((text) => text === HOLDING).length;
    const answers = bot.filter((text) => text !== HOLDING);
    replies += answers.length;
    const notApproved = answers.filter((text) => !approvedByCritic.has(text) && !approvedByReviewer.has(text));
    unreviewed += notApproved.length;
    if (notApproved.length) problems.push(`mf-${index}: posted without approval: ${JSON.stringify(notApproved)}`);
    if (!answers.every((text) => answeredIn(text).length > 0)) problems.push(`mf-${index}: ${JSON.stringify(answers)}`);
    const checked = checkAnswered(`mf-${index}`, answers, MESSAGES);
    if (checked.problems.length) {
      const key = `web:mf-${index}`;
      const turns = [];
      for (const turnKey of await pipeline.redis.keys(`${pipeline.prefix}:turn:*`)) {
        const turn = await pipeline.redis.hgetall(turnKey);
        if (turn.conversation?.includes(`"mf-${index}"`)) turns.push({ id: turnKey.split(':').at(-1), status: turn.status, messages: JSON.parse(turn.messages ?? '[]').map((m: { text: string }) => m.text), drafts: turn.drafts, reply: turn.reply, escalation: turn.escalation, resolution: turn.resolution, folds: turn.folds, createdAt: turn.createdAt });
      }
      checked.problems.push(
        JSON.stringify({
          transcript: await webTranscript(service.url, `mf-${index}`),
          turns,
          log: sink.lines.filter((line) => line.conversation === key).map((line) => `${line.turn} ${line.msg}${line.source ? ` ${line.source}` : ''}${line.status ? ` ${line.status}` : ''}`),
        }),
      );
    }
    duplicates += checked.duplicates;
    lost += checked.lost;
    disorder += checked.disorder;
    problems.push(...checked.problems);
  }

  // ---- retries: bounded, and in the log ----
  const lines = sink.lines;
  const verdicts = lines.filter((line) => line.msg === 'critic verdict');
  const criticRetries = lines.filter((line) => line.msg === 'critic failed; retrying once').length;
  const criticFailures = lines.filter((line) => line.msg === 'turn escalated for review' && line.source === 'critic-failure').length;
  const actorFailures = lines.filter((line) => line.msg === 'turn escalated for review' && line.source === 'actor-failure').length;
  const actorRetryLines = lines.filter((line) => /retrying/.test(String(line.msg)) && line.role === 'actor').length;
  const criticCalls = pipeline.critic.calls.length;
  const actorCalls = pipeline.actor.calls.length;
  // Every review is one call, or two after a failure; a review that failed twice escalated.
  const criticCallsAccounted = verdicts.reduce((sum, line) => sum + Number(line.attempts), 0) + 2 * criticFailures;
  // Every draft is 1 + at most actor.maxRetries calls.
  const drafts = verdicts.length + criticFailures + lines.filter((line) => line.msg === 'an escalation rule decided the turn').length;
  const maxActorCalls = (1 + pipeline.config.actor.maxRetries) * (drafts + actorFailures);
  await service.stop();
  return {
    injected,
    replies,
    holding,
    unreviewed,
    duplicates,
    lost,
    disorder,
    problems,
    stuck,
    escalations,
    escalationSources: Object.fromEntries(escalationSources),
    openTurnsAfterLoad,
    criticCalls,
    criticCallsAccounted,
    criticRetries,
    criticFailures,
    actorCalls,
    maxActorCalls,
    actorFailures,
    actorRetryLines,
    drafts,
  };
}

describe('model faults', () => {
  it('500, 429 + Retry-After, time-outs, truncated streams, invalid JSON and refusals: nothing unreviewed posted, every turn posted or waiting for review, retries bounded and logged', async () => {
    const started = Date.now();
    const plain = await runMode(false);
    const streamed = await runMode(true);
    const both = [plain, streamed];
    const sum = (pick: (run: typeof plain) => number) => both.reduce((total, run) => total + pick(run), 0);
    const faultsText = (role: 'actor' | 'critic') =>
      [...new Set(both.flatMap((run) => [...run.injected[role].keys()]))].map((fault) => `${fault} x${sum((run) => run.injected[role].get(fault) ?? 0)}`).join(', ');
    report({
      scenario: 'model-faults',
      load: `${CONVERSATIONS} conversations x ${MESSAGES} messages, twice (plain and streamed answers), 1 in-process service`,
      faults: `actor ${ACTOR_FAULT_RATE * 100}% of calls (${faultsText('actor')}); critic ${CRITIC_FAULT_RATE * 100}% (${faultsText('critic')}); time-outs at ${TIMEOUT_MS} ms`,
      messagesIn: 2 * CONVERSATIONS * MESSAGES,
      repliesOut: sum((run) => run.replies),
      duplicates: sum((run) => run.duplicates),
      lost: sum((run) => run.lost),
      unreviewedPosts: sum((run) => run.unreviewed),
      details: {
        'seconds': Math.round((Date.now() - started) / 1000),
        'escalated to review (then resolved by a reviewer)': both.map((run) => run.escalationSources),
        'holding messages posted': sum((run) => run.holding),
        'turns neither posted nor waiting for review when the load settled': sum((run) => run.openTurnsAfterLoad.length),
        'critic calls': `${sum((run) => run.criticCalls)}, every one accounted for by a verdict's attempts or a failed review's two (${sum((run) => run.criticCallsAccounted)}); ${sum((run) => run.criticRetries)} retries logged`,
        'actor calls': `${sum((run) => run.actorCalls)} for ${sum((run) => run.drafts + run.actorFailures)} drafts (bound ${sum((run) => run.maxActorCalls)}); ${sum((run) => run.actorRetryLines)} retries logged`,
      },
    });
    for (const run of both) {
      expect(run.stuck).toEqual([]);
      expect(run.problems).toEqual([]);
      expect({ unreviewed: run.unreviewed, duplicates: run.duplicates, lost: run.lost, disorder: run.disorder }).toEqual({ unreviewed: 0, duplicates: 0, lost: 0, disorder: 0 });
      expect(run.openTurnsAfterLoad).toEqual([]);
      expect(run.criticCalls).toBe(run.criticCallsAccounted);
      expect(run.actorCalls).toBeLessThanOrEqual(run.maxActorCalls);
      expect(run.criticRetries).toBeGreaterThan(0);
      expect(run.actorRetryLines).toBeGreaterThan(0);
    }
  });
});
