/**
 * Scenario 1, killed workers (web adapter): one ingest process and two worker processes, started
 * like operators start them, take 100 conversations of paced user messages while worker
 * processes are SIGKILLed at random moments, aimed at the actor call, the critic call and the
 * delivery, and restarted. Afterwards every user message must be answered exactly once, in order
 * within its conversation, by a text the critic approved.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { type FakeUser, fakeSnowflake, startFakeDiscord } from '../fakes/fake-discord.js';
import { startFakeSlack } from '../fakes/fake-slack.js';
import { criticInput } from '../helpers/pipeline.js';
import { connectRedis, REDIS_URL } from '../helpers/redis.js';
import { actorTurnTexts, answeredIn, armed, checkAnswered, cleanupAfterAll, type FaultProxy, modelEnv, postChat, processEnv, processesKilledAtEnd, queueTimersEnv, randomInt, redoAllowance, replyLatencies, report, reseed, scenarioRedis, type ServiceProcess, sleep, startFaultProxy, startProcess, startTrackedModels, TALLY_ENV, tallyScripts, tallyWebReplies, type TrackedCall, type TrackedModel, waitForProgress, webTranscript } from './harness.js';

reseed('killed-workers');

const CONVERSATIONS = 100;
/** Each conversation sends at least this many messages, and goes on until the kills are done. */
const MIN_MESSAGES = 10;
/** A bound on a run whose kills never finish (each is bounded below, so this is not reached). */
const SAFETY_MESSAGES = 80;
const KILLS = 12;
/** An aimed kill waits this long for its step while traffic flows; past it the kill is a miss. */
const AIM_DEADLINE_MS = 45_000;
/** The waits after the load fail only when nothing moves for this long. */
const STALL_MS = 90_000;
const LOCK_MS = 2000;
const STALLED_MS = 1000;
/**
 * The stated bound: a dead worker's job is taken over within lock + 2 stalled checks; the turn
 * then redoes at most a draft and a review, which takes as long as a turn takes on this machine
 * in this run (`redoAllowance`: 2 s on a quiet machine).
 */
const recoveryBound = (allowance: number) => LOCK_MS + 2 * STALLED_MS + allowance;

const cleanups = cleanupAfterAll();

/** `c12-m3` -> conversation index 12 */
const conversationIndexOf = (text: string) => Number(/c(\d+)-m\d+/.exec(text)?.[1] ?? Number.NaN);

interface Slot {
  name: string;
  actor: TrackedModel;
  critic: TrackedModel;
  process: ServiceProcess | null;
}

type Phase = 'actor' | 'critic' | 'delivery' | 'random';

interface Kill {
  slot: string;
  aimed: Phase;
  /** 0 when the aimed step did not come within AIM_DEADLINE_MS (a miss: nothing was killed). */
  at: number;
  /** What the killed process was doing, from the model servers' logs and Redis. */
  found: string[];
  conversations: number[];
}

describe('killed workers', () => {
  it(`${CONVERSATIONS} conversations through an ingest and two worker processes, ${KILLS} SIGKILLs: every message answered once, in order`, async () => {
    const { redis, prefix } = scenarioRedis(cleanups, 'fault-kill');
    const watcher: Redis = connectRedis();
    cleanups.push(() => watcher.quit());
    const keys = createKeys(prefix);
    const approved = new Set<string>();
    const scripts = tallyScripts(approved, () => randomInt(10, 80));
    const slots: Slot[] = [];
    for (const name of ['worker-a', 'worker-b']) slots.push({ name, ...(await startTrackedModels(cleanups, scripts)), process: null });
    const baseEnv = {
      // The ingest process never calls a model; the first slot's models only satisfy its configuration.
      ...processEnv({ prefix, ...slots[0]! }),
      ADAPTERS: 'web',
      REVIEW_TOKEN: 'fault-review-token',
      ...queueTimersEnv(LOCK_MS, STALLED_MS),
      WORKER_CONCURRENCY: '10',
      ...TALLY_ENV,
    };
    const startSlot = async (slot: Slot) => {
      slot.process = await startProcess({ name: slot.name, role: 'worker', env: { ...baseEnv, ...modelEnv(slot) } });
      return slot.process;
    };
    const everyProcess = processesKilledAtEnd(cleanups);
    const ingest = await startProcess({ name: 'ingest', role: 'ingest', env: baseEnv });
    everyProcess.push(ingest);
    for (const slot of slots) everyProcess.push(await startSlot(slot));

    // ---- the load: paced messages in every conversation, until the kills are done ----
    // The traffic must outlast the kills: each kill waits for the killed worker's restart (a
    // tsx start-up of several seconds on a slow machine), and an aimed kill needs traffic to
    // reach its step. So every conversation goes on until the killer says it is done.
    let killsDone = false;
    const sent = new Array<number>(CONVERSATIONS).fill(0);
    const started = Date.now();
    const load = Promise.all(
      Array.from({ length: CONVERSATIONS }, async (_, index) => {
        await sleep(randomInt(0, 3000));
        for (let message = 1; message <= SAFETY_MESSAGES; message++) {
          if (message > MIN_MESSAGES && killsDone) break;
          const answer = await postChat(ingest.url, `kw-${index}`, `c${index}-m${message}`, `kw-${index}-m${message}`);
          expect(answer.status).toBe(202);
          sent[index] = message;
          await sleep(randomInt(1500, 4500));
        }
      }),
    );

    // ---- the kills ----
    const kills: Kill[] = [];
    let deliveryKills = 0;
    const phases: Phase[] = ['actor', 'critic', 'delivery', 'random'];
    const killer = (async () => {
      await sleep(4000);
      for (let index = 0; index < KILLS; index++) {
        await sleep(randomInt(300, 1500));
        const slot = slots[randomInt(0, 1)]!;
        const proc = slot.process!;
        const aimed = phases[index % phases.length]!;
        const kill: Kill = { slot: slot.name, aimed, at: 0, found: [], conversations: [] };
        let deliveryConversation: number | null = null;
        let missed = false;
        const fire = () => {
          if (kill.at || missed) return;
          kill.at = Date.now();
          proc.child.kill('SIGKILL');
          // Frozen picture of the dead worker's model calls (its Redis state cannot move until another worker takes over).
          const actorCalls = slot.actor.inFlight(kill.at);
          const criticCalls = slot.critic.inFlight(kill.at);
          if (actorCalls.length) kill.found.push(`actor call x${actorCalls.length}`);
          if (criticCalls.length) kill.found.push(`critic call x${criticCalls.length}`);
          const conversationOf = (call: TrackedCall) => conversationIndexOf(JSON.stringify(call.request.messages.at(-1)?.content ?? ''));
          kill.conversations = [...new Set([...actorCalls, ...criticCalls].map(conversationOf).filter((value) => !Number.isNaN(value)))];
        };
        const model = aimed === 'actor' ? slot.actor : slot.critic;
        const landed = await armed(
          (done) => {
            if (aimed === 'random') {
              fire();
              done();
              return;
            }
            model.onCall = (call) => {
              model.onCall = null;
              const delay = call.answer.delayMs ?? 0;
              if (aimed === 'delivery') {
                // Just after the critic's approval reached the worker: approval, outbox and send follow.
                deliveryConversation = conversationIndexOf(criticInput(call.request).conversation.at(-1)?.text ?? '');
                const key = `web:kw-${deliveryConversation}`;
                setTimeout(async () => {
                  // Watch the turn's outbox record appear (the approval) and kill right then,
                  // while the claim, the send and its record are under way.
                  // Every other time wait for the part's claim instead: the send is then under way.
                  const field = deliveryKills++ % 2 === 0 ? 'state' : 'claim:0';
                  const deadline = Date.now() + 1000;
                  while (Date.now() < deadline) {
                    const turnId = await watcher.hget(keys.state(key), 'turn');
                    if (!turnId || (await watcher.hexists(keys.outbox(turnId), field))) break;
                  }
                  fire();
                  done();
                }, delay);
              } else {
                setTimeout(() => {
                  fire();
                  done();
                }, randomInt(0, Math.max(0, delay - 3)));
              }
            };
          },
          () => {
            missed = true;
            model.onCall = null;
          },
          AIM_DEADLINE_MS,
        );
        if (!landed) {
          // The aimed step never came (no traffic reached this worker in time): a miss, counted
          // and reported; nothing was killed, so there is nothing to restart.
          kill.found.push(`missed: no ${aimed} step within ${AIM_DEADLINE_MS} ms`);
          kills.push(kill);
          continue;
        }
        await proc.exited;
        if (deliveryConversation !== null) {
          // Where exactly the delivery was cut, read from the frozen Redis state.
          const key = `web:kw-${deliveryConversation}`;
          const turnId = await redis.hget(keys.state(key), 'turn');
          if (!kill.conversations.includes(deliveryConversation)) kill.conversations.push(deliveryConversation);
          if (!turnId) kill.found.push('delivery: turn already closed');
          else {
            const [status] = await redis.hmget(keys.turn(turnId), 'status');
            const outbox = await redis.hgetall(keys.outbox(turnId));
            const claimed = Object.keys(outbox).some((field) => field.startsWith('claim:'));
            if (status === 'drafting') kill.found.push('delivery: verdict in, approval not yet stored');
            else if (outbox.state === 'approved' && !claimed) kill.found.push('delivery: approved, not yet claimed');
            else if (outbox.state === 'approved') kill.found.push('delivery: claimed, send outcome not recorded');
            else if (outbox.state === 'sent') kill.found.push('delivery: sent, turn not yet closed');
            else kill.found.push(`delivery: turn ${status}`);
          }
        }
        if (!kill.found.length) kill.found.push('idle between calls');
        kills.push(kill);
        await sleep(randomInt(100, 800));
        everyProcess.push(await startSlot(slot));
      }
      killsDone = true;
    })();

    await killer;
    await load;
    const messagesIn = sent.reduce((sum, count) => sum + count, 0);

    // ---- wait until every message is answered (failing only when nothing moves) ----
    const transcripts = new Map<number, Awaited<ReturnType<typeof webTranscript>>>();
    const modelCalls = () => slots.reduce((sum, slot) => sum + slot.actor.calls.length + slot.critic.calls.length, 0);
    for (let index = 0; index < CONVERSATIONS; index++) {
      await waitForProgress(
        async () => {
          const transcript = await webTranscript(ingest.url, `kw-${index}`);
          transcripts.set(index, transcript);
          return transcript.filter((entry) => entry.role === 'bot').flatMap((entry) => answeredIn(entry.text)).includes(sent[index]!);
        },
        modelCalls,
        `the last message of kw-${index} to be answered`,
        { stallMs: STALL_MS },
      );
    }
    // Let anything still running finish, then look once more (a duplicate would come late).
    await sleep(LOCK_MS + 2 * STALLED_MS);
    const tally = await tallyWebReplies(ingest.url, 'kw', CONVERSATIONS, (index) => sent[index]!, approved);
    for (const [index, transcript] of tally.transcripts) transcripts.set(index, transcript);
    const { replies, duplicates, lost, disorder, unreviewed, problems } = tally;
    const turnKeys = await redis.keys(`${prefix}:turn:*`);
    const statuses = await Promise.all(turnKeys.map((key) => redis.hget(key, 'status')));
    const posted = statuses.filter((status) => status === 'posted').length;

    // ---- recovery times: kill -> the conversation's turn runs again (a new draft or the post) ----
    const recoveries: number[] = [];
    for (const kill of kills.filter((item) => item.at > 0)) {
      for (const conversation of kill.conversations) {
        const nextActor = slots
          .flatMap((slot) => slot.actor.calls)
          .filter((call) => call.at > kill.at && actorTurnTexts(call.request).some((text) => conversationIndexOf(text) === conversation))
          .map((call) => call.at);
        const nextPost = (transcripts.get(conversation) ?? []).filter((entry) => entry.role === 'bot' && entry.at > kill.at).map((entry) => entry.at);
        const next = Math.min(...nextActor, ...nextPost);
        if (Number.isFinite(next)) recoveries.push(next - kill.at);
      }
    }
    const worstRecovery = Math.max(0, ...recoveries);
    const allowance = redoAllowance([...transcripts.values()].flatMap(replyLatencies));
    const RECOVERY_BOUND_MS = recoveryBound(allowance);
    const stalledLogs = everyProcess.flatMap((proc) => proc.logs()).filter((line) => String(line.msg).includes('stalled')).length;
    const byFound = kills.map((kill) => `${kill.slot} aimed at ${kill.aimed}: ${kill.found.join('; ')}`);
    const landed = kills.filter((kill) => kill.at > 0);

    report({
      scenario: 'killed-workers',
      load: `${CONVERSATIONS} conversations, ${messagesIn} user messages (${posted} turns) through 1 ingest + 2 worker processes (concurrency 10 each), web adapter, models 10-80 ms`,
      faults: `${landed.length} SIGKILLs of a worker process, each restarted (${kills.length - landed.length} of ${KILLS} aimed kills missed their step)`,
      messagesIn,
      repliesOut: replies,
      duplicates,
      lost,
      unreviewedPosts: unreviewed,
      details: {
        'out of order': disorder,
        'seconds': Math.round((Date.now() - started) / 1000),
        'kills': byFound,
        'recovery bound (stated)': `${RECOVERY_BOUND_MS} ms = lockDuration ${LOCK_MS} + 2 x stalledInterval ${STALLED_MS} + ${allowance} ms to redo the turn (4 x this run's median reply time, at least 2000 ms)`,
        'recovery measured': `${recoveries.length} interrupted turns, worst ${worstRecovery} ms, median ${recoveries.sort((a, b) => a - b)[Math.floor(recoveries.length / 2)] ?? 0} ms`,
        'stalled-job log lines': stalledLogs,
      },
    });

    expect(problems).toEqual([]);
    expect({ duplicates, lost, disorder, unreviewed }).toEqual({ duplicates: 0, lost: 0, disorder: 0, unreviewed: 0 });
    expect(landed.length).toBeGreaterThanOrEqual(10);
    expect(posted).toBeGreaterThanOrEqual(1000);
    expect(posted).toBe(replies);
    for (const phase of ['actor call', 'critic call'] as const) {
      expect(kills.some((kill) => kill.found.some((found) => found.startsWith(phase))), `a kill during the ${phase}`).toBe(true);
    }
    // The web send is one Redis script, so the kill lands somewhere between the stored approval
    // and the closed turn; the Slack and Discord run below kills inside the platform call itself.
    expect(kills.some((kill) => kill.found.some((found) => /^delivery: (approved|claimed|sent)/.test(found))), 'a kill during the delivery').toBe(true);
    expect(worstRecovery).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
  });
});

// ---------------------------------------------------------------------------------------------
// The same on the Slack and Discord fakes, smaller: the kill during the send is exact here: the
// platform has made the post and the worker dies before it hears back.
// ---------------------------------------------------------------------------------------------

const PLATFORM_CONVERSATIONS = 10;
const PLATFORM_KILLS: Array<'actor' | 'critic' | 'send'> = ['actor', 'critic', 'send', 'send'];

interface PlatformSlot {
  name: string;
  actor: TrackedModel;
  critic: TrackedModel;
  proxy: FaultProxy;
  process: ServiceProcess | null;
  /** Set while a kill waits for this slot's next post. */
  onPost: (() => void) | null;
}

interface PlatformDriver {
  /** Environment of every process; `apiUrl` is where this process reaches the platform. */
  env(apiUrl: string): Record<string, string>;
  directApi: string;
  proxyTarget: string;
  isPost(method: string, path: string): boolean;
  /** A user writes message `sequence` in conversation `index`. */
  send(ingestUrl: string, index: number, sequence: number): Promise<void>;
  replies(index: number): string[];
  botMessages(): number;
  close(): Promise<void>;
}

async function slackDriver(): Promise<PlatformDriver> {
  const slack = await startFakeSlack();
  const threads: string[] = [];
  const apiPath = new URL(slack.apiUrl).pathname;
  return {
    env: (apiUrl) => ({
      ADAPTERS: 'slack',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_API_URL: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}${apiPath}`,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_REVIEW_CHANNEL: 'C0REVIEW',
      SLACK_REVIEWERS: 'U0REVIEWER',
      SLACK_REQUEST_TIMEOUT_MS: '3000',
    }),
    directApi: slack.apiUrl,
    proxyTarget: new URL(slack.apiUrl).origin,
    isPost: (_method, path) => path.endsWith('/chat.postMessage'),
    async send(ingestUrl, index, sequence) {
      const { message, mention } = slack.userMessage({
        channel: 'C0GENERAL',
        user: `U0USER${index}`,
        text: `<@${slack.botUserId}> c${index}-m${sequence}`,
        mention: true,
        ...(threads[index] ? { threadTs: threads[index] } : {}),
      });
      threads[index] ??= String(message.ts);
      const answer = await slack.sendEvent({ url: `${ingestUrl}/slack/events` }, slack.envelope(mention!));
      expect(answer.status).toBe(200);
    },
    replies: (index) => (threads[index] ? slack.botPosts({ channel: 'C0GENERAL', threadTs: threads[index] }).map((post) => post.text) : []),
    botMessages: () => slack.botPosts().length,
    close: () => slack.close(),
  };
}

async function discordDriver(): Promise<PlatformDriver> {
  const discord = await startFakeDiscord({ heartbeatIntervalMs: 2000 });
  discord.addGuild({ id: '110000000000000007', channels: [{ id: '220000000000000007', type: 0, name: 'review' }] });
  const users: FakeUser[] = Array.from({ length: PLATFORM_CONVERSATIONS }, (_, index) => ({ id: fakeSnowflake(), username: `user${index}` }));
  const channels = users.map((user) => discord.dmChannel(user));
  return {
    env: (apiUrl) => ({
      ADAPTERS: 'discord',
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_URL: apiUrl,
      DISCORD_REVIEW_CHANNEL: '220000000000000007',
      DISCORD_REQUEST_TIMEOUT_MS: '3000',
    }),
    directApi: discord.apiUrl,
    proxyTarget: discord.url,
    isPost: (method, path) => method === 'POST' && /\/channels\/\d+\/messages$/.test(path.split('?')[0]!),
    async send(_ingestUrl, index, sequence) {
      discord.userMessage({ channelId: channels[index]!.id, author: users[index]!, content: `c${index}-m${sequence}` });
    },
    replies: (index) =>
      discord
        .messagesIn(channels[index]!.id)
        .filter((message) => message.author.id === discord.botUser.id)
        .map((message) => message.content),
    botMessages: () => discord.messages.filter((message) => message.author.id === discord.botUser.id).length,
    close: () => discord.close(),
  };
}

async function killedPlatformWorkers(platform: 'slack' | 'discord') {
  const driver = platform === 'slack' ? await slackDriver() : await discordDriver();
  cleanups.push(() => driver.close());
  const { prefix } = scenarioRedis(cleanups, `fault-kill-${platform}`);
  const approved = new Set<string>();
  const scripts = tallyScripts(approved, () => randomInt(20, 120));
  const slots: PlatformSlot[] = [];
  for (const name of ['worker-a', 'worker-b']) {
    const slot: PlatformSlot = { name, ...(await startTrackedModels(cleanups, scripts)), proxy: undefined as unknown as FaultProxy, process: null, onPost: null };
    slot.proxy = await startFaultProxy(driver.proxyTarget, (request) => {
      if (!slot.onPost || !driver.isPost(request.method, request.path)) return null;
      const run = slot.onPost;
      slot.onPost = null;
      // The platform has the post; the worker dies before the answer reaches it.
      return { kind: 'before-response', run };
    });
    cleanups.push(() => slot.proxy.close());
    slots.push(slot);
  }
  const common = { REDIS_URL, REDIS_PREFIX: prefix, ...queueTimersEnv(LOCK_MS, STALLED_MS), WORKER_CONCURRENCY: '5', ...TALLY_ENV };
  const processes = processesKilledAtEnd(cleanups);
  const ingest = await startProcess({
    name: `${platform}-ingest`,
    role: 'ingest',
    env: { ...common, ...driver.env(driver.directApi), ...modelEnv(slots[0]!) },
  });
  processes.push(ingest);
  const startSlot = async (slot: PlatformSlot) => {
    slot.process = await startProcess({
      name: `${platform}-${slot.name}`,
      role: 'worker',
      env: { ...common, ...driver.env(platform === 'slack' ? slot.proxy.url : `${slot.proxy.url}/api`), ...modelEnv(slot) },
    });
    processes.push(slot.process);
  };
  for (const slot of slots) await startSlot(slot);

  // As above: the traffic goes on until every kill is done, so an aimed kill always has work to
  // wait for; a kill whose step does not come within AIM_DEADLINE_MS is a miss and is tried again
  // on the other worker (at most twice more).
  let killsDone = false;
  const sent = new Array<number>(PLATFORM_CONVERSATIONS).fill(0);
  const load = Promise.all(
    Array.from({ length: PLATFORM_CONVERSATIONS }, async (_, index) => {
      await sleep(randomInt(0, 1000));
      for (let message = 1; message <= SAFETY_MESSAGES; message++) {
        if (message > 4 && killsDone) break;
        await driver.send(ingest.url, index, message);
        sent[index] = message;
        await sleep(randomInt(800, 2000));
      }
    }),
  );
  const kills: Array<{ slot: string; aimed: string; found: string; at: number }> = [];
  const misses: string[] = [];
  for (const aimed of PLATFORM_KILLS) {
    let slotIndex = randomInt(0, 1);
    for (let attempt = 1; attempt <= 3; attempt++, slotIndex = 1 - slotIndex) {
      await sleep(randomInt(500, 1500));
      const slot = slots[slotIndex]!;
      const proc = slot.process!;
      let found = 'idle';
      let at = 0;
      let missed = false;
      const model = aimed === 'actor' ? slot.actor : slot.critic;
      const disarm = () => {
        slot.onPost = null;
        slot.actor.onCall = null;
        slot.critic.onCall = null;
      };
      const landed = await armed(
        (done) => {
          const fire = (what: string) => {
            if (at || missed) return;
            at = Date.now();
            found = what;
            proc.child.kill('SIGKILL');
            disarm();
            done();
          };
          if (aimed === 'send') slot.onPost = () => fire('send: the platform made the post, its answer not yet back');
          else {
            model.onCall = (call) => {
              model.onCall = null;
              setTimeout(() => fire(`${aimed} call in flight`), randomInt(0, Math.max(0, (call.answer.delayMs ?? 0) - 5)));
            };
          }
        },
        () => {
          missed = true;
          disarm();
        },
        AIM_DEADLINE_MS,
      );
      if (!landed) {
        misses.push(`${slot.name} ${aimed}: no ${aimed} step within ${AIM_DEADLINE_MS} ms`);
        continue;
      }
      await proc.exited;
      kills.push({ slot: slot.name, aimed, found, at });
      await sleep(randomInt(100, 600));
      await startSlot(slot);
      break;
    }
  }
  killsDone = true;
  await load;
  const progress = () => driver.botMessages() + slots.reduce((sum, slot) => sum + slot.actor.calls.length + slot.critic.calls.length, 0);
  for (let index = 0; index < PLATFORM_CONVERSATIONS; index++) {
    await waitForProgress(() => driver.replies(index).flatMap(answeredIn).includes(sent[index]!), progress, `${platform} conversation ${index} to be answered`, { stallMs: STALL_MS });
  }
  await sleep(LOCK_MS + 2 * STALLED_MS);
  let replies = 0;
  let duplicates = 0;
  let lost = 0;
  let disorder = 0;
  let unreviewed = 0;
  const problems: string[] = [];
  for (let index = 0; index < PLATFORM_CONVERSATIONS; index++) {
    const texts = driver.replies(index);
    replies += texts.length;
    unreviewed += texts.filter((text) => !approved.has(text)).length;
    const checked = checkAnswered(`${platform} ${index}`, texts, sent[index]!);
    duplicates += checked.duplicates;
    lost += checked.lost;
    disorder += checked.disorder;
    problems.push(...checked.problems);
  }
  return {
    platform,
    messagesIn: sent.reduce((sum, count) => sum + count, 0),
    replies,
    botMessages: driver.botMessages(),
    duplicates,
    lost,
    disorder,
    unreviewed,
    problems,
    kills,
    misses,
  };
}

describe('killed workers on Slack and Discord', () => {
  it(`${PLATFORM_CONVERSATIONS} conversations each, ${PLATFORM_KILLS.length} SIGKILLs each (actor, critic, and after the platform made the post): answered once, in order`, async () => {
    const started = Date.now();
    const runs = [await killedPlatformWorkers('slack'), await killedPlatformWorkers('discord')];
    report({
      scenario: 'killed-workers-slack-discord',
      load: runs.map((run) => `${run.platform}: ${PLATFORM_CONVERSATIONS} conversations, ${run.messagesIn} messages`).join('; ') + ', 1 ingest + 2 worker processes each',
      faults: `${runs.reduce((sum, run) => sum + run.kills.length, 0)} SIGKILLs of a worker process, each restarted`,
      messagesIn: runs.reduce((sum, run) => sum + run.messagesIn, 0),
      repliesOut: runs.reduce((sum, run) => sum + run.replies, 0),
      duplicates: runs.reduce((sum, run) => sum + run.duplicates, 0),
      lost: runs.reduce((sum, run) => sum + run.lost, 0),
      unreviewedPosts: runs.reduce((sum, run) => sum + run.unreviewed, 0),
      details: {
        seconds: Math.round((Date.now() - started) / 1000),
        ...Object.fromEntries(
          runs.map((run) => [
            run.platform,
            `${run.botMessages} bot messages for ${run.replies} replies; kills: ${run.kills.map((kill) => `${kill.slot} ${kill.found}`).join('; ')}${run.misses.length ? `; missed (tried again): ${run.misses.join('; ')}` : ''}`,
          ]),
        ),
      },
    });
    for (const run of runs) {
      expect(run.problems).toEqual([]);
      expect({ duplicates: run.duplicates, lost: run.lost, disorder: run.disorder, unreviewed: run.unreviewed }).toEqual({ duplicates: 0, lost: 0, disorder: 0, unreviewed: 0 });
      expect(run.botMessages).toBe(run.replies);
      expect(run.kills.filter((kill) => kill.found.startsWith('send:')).length).toBeGreaterThanOrEqual(1);
      expect(run.kills.length).toBeGreaterThanOrEqual(PLATFORM_KILLS.length - 1);
    }
  });
});
