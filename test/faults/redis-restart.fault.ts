/**
 * Scenario 2, Redis restart: a redis-server of the test's own (free port, temporary directory,
 * `--appendonly yes --appendfsync always`) crashes (SIGKILL) in the middle of a load through an
 * ingest and a worker process and comes back on the same port a few seconds later. The processes
 * reconnect by themselves, /healthz answers 503 during the outage and 200 after, and every user
 * message is answered exactly once, in order. Clients retry refused sends with the same
 * clientMessageId, as the chat API asks them to.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { conversationHeaders, waitFor } from '../helpers/pipeline.js';
import { randomPrefix } from '../helpers/redis.js';
import { answeredIn, cleanupAfterAll, type OwnRedis, processEnv, processesKilledAtEnd, queueTimersEnv, randomInt, report, reseed, sleep, startOwnRedis, startProcess, startTrackedModels, TALLY_ENV, tallyScripts, tallyWebReplies, waitForProgress, webTranscript } from './harness.js';

reseed('redis-restart');

const CONVERSATIONS = 30;
/** Each conversation sends at least this many messages, and goes on until Redis is back. */
const MESSAGES = 8;
const SAFETY_MESSAGES = 60;
const OUTAGE_MS = 4000;
/** The crash comes once this many messages were accepted: the load is under way whatever the machine's speed. */
const CRASH_AFTER_ACCEPTED = 60;
const STALL_MS = 90_000;

const cleanups = cleanupAfterAll();

interface HealthSample {
  /** When the question was asked. */
  at: number;
  /** When the answer came back. */
  answeredAt: number;
  status: number;
}

describe('redis restart', () => {
  it('Redis crashes and comes back mid-run: the service reconnects, /healthz shows it, nothing lost or doubled', async () => {
    const started = Date.now();
    const redisServer: OwnRedis = await startOwnRedis();
    cleanups.push(() => redisServer.stop());
    const approved = new Set<string>();
    const { actor, critic } = await startTrackedModels(cleanups, tallyScripts(approved, () => randomInt(10, 60)));
    const prefix = randomPrefix('fault-redis');
    const env = {
      ...processEnv({ prefix, redisUrl: redisServer.url, actor, critic }),
      ADAPTERS: 'web',
      ...queueTimersEnv(2000, 1000),
      WORKER_CONCURRENCY: '10',
      ...TALLY_ENV,
    };
    const processes = processesKilledAtEnd(cleanups);
    const ingest = await startProcess({ name: 'ingest', role: 'ingest', env });
    processes.push(ingest);
    const worker = await startProcess({ name: 'worker', role: 'worker', env });
    processes.push(worker);

    // ---- /healthz of both processes, sampled all along ----
    const health = new Map<string, HealthSample[]>([
      ['ingest', []],
      ['worker', []],
    ]);
    let sampling = true;
    // One sampler per process, so a slow answer from one does not thin out the other's samples.
    const sampler = Promise.all(
      [ingest, worker].map(async (proc) => {
        while (sampling) {
          // Both ends of the round trip are kept: on a busy machine a process can take the
          // question seconds after it was asked, so only a question asked after the crash AND
          // answered before the restart says what /healthz answers while Redis is down.
          const at = Date.now();
          const status = await fetch(`${proc.url}/healthz`, { signal: AbortSignal.timeout(3000) }).then(
            (response) => response.status,
            () => -1,
          );
          health.get(proc.name)!.push({ at, answeredAt: Date.now(), status });
          await sleep(150);
        }
      }),
    );

    // ---- the load; refused sends are retried with the same id ----
    let refused = 0;
    let duplicateAnswers = 0;
    const send = async (conversation: string, text: string, id: string) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const response = await fetch(`${ingest.url}/api/chat/${conversation}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...conversationHeaders(conversation) },
          body: JSON.stringify({ text, clientMessageId: id }),
          signal: AbortSignal.timeout(5000),
        }).catch(() => null);
        if (response?.status === 202) {
          if (((await response.json()) as { duplicate: boolean }).duplicate) duplicateAnswers++;
          return;
        }
        refused++;
        if (Date.now() > deadline) throw new Error(`${conversation}: ${text} was never accepted (last ${response?.status})`);
        await sleep(300);
      }
    };
    // from: the crash; restarting: redis-server asked to start again (it may answer before start()
    // returns, so "during" ends here); to: start() returned.
    const outage = { from: 0, restarting: 0, to: 0 };
    let restarted = false;
    let accepted = 0;
    const sent = new Array<number>(CONVERSATIONS).fill(0);
    const load = Promise.all(
      Array.from({ length: CONVERSATIONS }, async (_, index) => {
        await sleep(randomInt(0, 1000));
        for (let message = 1; message <= SAFETY_MESSAGES; message++) {
          if (message > MESSAGES && restarted) break;
          await send(`rr-${index}`, `c${index}-m${message}`, `rr-${index}-${message}`);
          sent[index] = message;
          accepted++;
          await sleep(randomInt(300, 1500));
        }
      }),
    );
    // Crash once the load is under way (not after a fixed time a slow machine may not match).
    await waitFor(() => accepted >= CRASH_AFTER_ACCEPTED, `${CRASH_AFTER_ACCEPTED} messages accepted before the crash`, { timeoutMs: 120_000, intervalMs: 50 });
    outage.from = Date.now();
    await redisServer.crash();
    await sleep(OUTAGE_MS);
    outage.restarting = Date.now();
    await redisServer.start();
    outage.to = Date.now();
    restarted = true;
    await load;
    const messagesIn = sent.reduce((sum, count) => sum + count, 0);

    // ---- every message answered once, in order ----
    for (let index = 0; index < CONVERSATIONS; index++) {
      await waitForProgress(
        async () => (await webTranscript(ingest.url, `rr-${index}`)).filter((entry) => entry.role === 'bot').flatMap((entry) => answeredIn(entry.text)).includes(sent[index]!),
        () => actor.calls.length + critic.calls.length,
        `rr-${index} to be answered`,
        { stallMs: STALL_MS },
      );
    }
    await sleep(3000);
    // Health after recovery, then stop sampling.
    await waitFor(async () => (await fetch(`${ingest.url}/healthz`)).status === 200 && (await fetch(`${worker.url}/healthz`)).status === 200, 'both /healthz to answer 200');
    sampling = false;
    await sampler;
    const { replies, duplicates, lost, disorder, unreviewed, problems } = await tallyWebReplies(ingest.url, 'rr', CONVERSATIONS, (index) => sent[index]!, approved);
    const direct = new Redis(redisServer.url);
    const turns = (await direct.keys(`${prefix}:turn:*`)).length;
    await direct.quit();

    // ---- the /healthz timeline ----
    const timeline = (name: string) => {
      const samples = health.get(name)!;
      const before = samples.filter((sample) => sample.answeredAt < outage.from);
      const during = samples.filter((sample) => sample.at > outage.from + 1500 && sample.answeredAt < outage.restarting);
      const recovered = samples.find((sample) => sample.at > outage.to && sample.status === 200);
      const last = samples.at(-1);
      return {
        before: [...new Set(before.map((sample) => sample.status))],
        during: [...new Set(during.map((sample) => sample.status))],
        afterRestartMs: recovered ? recovered.at - outage.to : null,
        last: last?.status,
      };
    };
    const ingestHealth = timeline('ingest');
    const workerHealth = timeline('worker');
    const logs = processes.flatMap((proc) => proc.logs());
    const reconnectLines = logs.filter((line) => /redis|connection|reconnect/i.test(String(line.msg))).length;
    report({
      scenario: 'redis-restart',
      load: `${CONVERSATIONS} conversations, ${messagesIn} messages (at least ${MESSAGES} each, until Redis was back) through 1 ingest + 1 worker process on a Redis of the test's own (AOF, appendfsync always)`,
      faults: `redis-server SIGKILLed mid-run, restarted on the same port after ${OUTAGE_MS} ms (outage ${outage.to - outage.from} ms)`,
      messagesIn,
      repliesOut: replies,
      duplicates,
      lost,
      unreviewedPosts: unreviewed,
      details: {
        'seconds': Math.round((Date.now() - started) / 1000),
        'turns': turns,
        'sends refused during the outage (retried by the client)': refused,
        'retries answered duplicate (accepted before the refusal)': duplicateAnswers,
        '/healthz ingest': ingestHealth,
        '/healthz worker': workerHealth,
        'redis/connection log lines': reconnectLines,
      },
    });
    expect(problems).toEqual([]);
    expect({ duplicates, lost, disorder, unreviewed }).toEqual({ duplicates: 0, lost: 0, disorder: 0, unreviewed: 0 });
    for (const state of [ingestHealth, workerHealth]) {
      expect(state.before).toEqual([200]);
      expect(state.during).toEqual([503]);
      expect(state.afterRestartMs).not.toBeNull();
      expect(state.last).toBe(200);
    }
    // The same processes served before and after: they reconnected by themselves.
    expect(ingest.isRunning() && worker.isRunning()).toBe(true);
  });
});
