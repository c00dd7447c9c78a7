/**
 * npm run bench: how fast is the critic gate? Every figure is the median of RUNS runs, each
 * measured in this one process beside its baseline. Prints the table; `npm run bench -- --save`
 * also writes bench/results.json (the figures docs/performance.md quotes), which a plain run never touches.
 *
 *   throughput   turns/s through the whole pipeline (ingest, inbox, BullMQ, actor, critic,
 *                outbox, send) with zero-latency in-process models and a no-op adapter, against
 *                bare BullMQ no-op jobs added and processed in the same run
 *   latency      message accepted -> send call, minus the time inside the models
 *   overhead     end-to-end p50 / (actor + critic) with simulated 800 ms + 200 ms models
 *   replay       the 200 recorded τ-bench airline conversations, replayed turn by turn
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { randomBytes } from 'node:crypto';
import type { CompletionRequest, OutboundPart } from '../src/core/ports.js';
import { APPROVE, createBenchModel, createNoopAdapter, deleteBenchKeys, median, percentile, prefixMemory, REDIS_URL, startBenchService } from './bench-harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Mean pause between a reply and the conversation's next message in the latency scenario. */
const LATENCY_THINK_MS = 100;
const here = path.dirname(fileURLToPath(import.meta.url));

const tagOf = (request: CompletionRequest) => {
  const users = request.messages.filter((message) => message.role === 'user');
  const last = users.at(-1)?.content ?? '';
  return /\[(c\d+)\]/.exec(last)?.[1] ?? /"user":"(c\d+)"/.exec(last)?.[1] ?? 'none';
};

interface LoopResult {
  turns: number;
  elapsedMs: number;
  /** Per turn: accepted -> send, in ms. */
  endToEnd: number[];
  /** Per turn: accepted -> send minus time inside the models. */
  framework: number[];
}

/**
 * Closed loop: each conversation sends its next message when the reply to the previous one
 * was sent, so `conversations` turns are always in flight and none is folded into another.
 */
async function closedLoop(options: { conversations: number; turnsEach: number; thinkMs?: number; actorDelayMs?: number; criticDelayMs?: number; text?: (conversation: number, turn: number) => string; draft?: (request: CompletionRequest) => string }): Promise<LoopResult> {
  const modelMs = new Map<string, number>();
  const account = (request: CompletionRequest, ms: number) => {
    const tag = tagOf(request);
    modelMs.set(tag, (modelMs.get(tag) ?? 0) + ms);
  };
  const actor = createBenchModel({ model: 'bench-actor', delayMs: options.actorDelayMs, answer: (request) => options.draft?.(request) ?? 'Here is your answer.' });
  const critic = createBenchModel({ model: 'bench-critic', delayMs: options.criticDelayMs, answer: () => APPROVE });
  const wrap = (model: typeof actor) => ({
    model: model.client.model,
    async complete(request: CompletionRequest) {
      const completion = await model.client.complete(request);
      account(request, completion.latencyMs);
      return completion;
    },
  });
  const waiting = new Map<string, (at: number) => void>();
  const adapter = createNoopAdapter((part: OutboundPart, at) => {
    if (part.kind !== 'reply') return;
    waiting.get(part.conversation.id)?.(at);
  });
  const bench = await startBenchService({ adapter, actor: wrap(actor), critic: wrap(critic), concurrency: Math.min(options.conversations, 500) });
  const endToEnd: number[] = [];
  const framework: number[] = [];
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: options.conversations }, async (_, index) => {
        const id = `c${index}`;
        for (let turn = 0; turn < options.turnsEach; turn++) {
          const sent = new Promise<number>((resolve) => waiting.set(id, resolve));
          modelMs.set(id, 0);
          await bench.service.ingest({
            id: `${id}-${turn}`,
            conversation: { platform: 'web', id },
            user: { id, name: id },
            text: options.text?.(index, turn) ?? `[${id}] question ${turn}`,
          });
          const accepted = performance.now();
          const at = await sent;
          endToEnd.push(at - accepted);
          framework.push(at - accepted - (modelMs.get(id) ?? 0));
          // A person reads the reply before writing again: with think time the pipeline is
          // measured under load but not saturated, which is what latency means to a user.
          if (options.thinkMs) await new Promise((resolve) => setTimeout(resolve, options.thinkMs! * (0.5 + Math.random())));
        }
      }),
    );
    return { turns: options.conversations * options.turnsEach, elapsedMs: performance.now() - started, endToEnd, framework };
  } finally {
    await bench.close();
  }
}

/** The baseline: bare BullMQ no-op jobs, added and processed with the same concurrency. */
async function bareBullmq(jobs: number, concurrency: number): Promise<number> {
  const prefix = `cs-bench-bare-${randomBytes(4).toString('hex')}`;
  const connection = { url: REDIS_URL, maxRetriesPerRequest: null };
  const queue = new Queue('bare', { connection, prefix });
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const worker = new Worker('bare', async () => {}, { connection, prefix, concurrency });
  worker.on('completed', () => {
    if (++done === jobs) finish();
  });
  await worker.waitUntilReady();
  const started = performance.now();
  const batch = 500;
  for (let i = 0; i < jobs; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, jobs - i) }, (_, k) => queue.add('noop', { n: i + k }, { removeOnComplete: true })));
  }
  await finished;
  const elapsed = performance.now() - started;
  await worker.close();
  await queue.close();
  await deleteBenchKeys(prefix);
  return (jobs / elapsed) * 1000;
}

/**
 * The same baseline with the pipeline's arrival pattern: `conversations` loops, each adding a
 * no-op job and waiting for it to complete before adding the next, so both sides have the same
 * number of jobs in flight and differ only in what a job does.
 */
async function bareBullmqClosedLoop(conversations: number, jobsEach: number): Promise<number> {
  const prefix = `cs-bench-bare-${randomBytes(4).toString('hex')}`;
  const connection = { url: REDIS_URL, maxRetriesPerRequest: null };
  const queue = new Queue('bare', { connection, prefix });
  const waiting = new Map<string, () => void>();
  const worker = new Worker('bare', async () => {}, { connection, prefix, concurrency: conversations });
  worker.on('completed', (job) => waiting.get(job.data.key)?.());
  await worker.waitUntilReady();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: conversations }, async (_, index) => {
      for (let turn = 0; turn < jobsEach; turn++) {
        const key = `${index}-${turn}`;
        const done = new Promise<void>((resolve) => waiting.set(key, resolve));
        await queue.add('noop', { key }, { removeOnComplete: true });
        await done;
      }
    }),
  );
  const elapsed = performance.now() - started;
  await worker.close();
  await queue.close();
  await deleteBenchKeys(prefix);
  return ((conversations * jobsEach) / elapsed) * 1000;
}

interface ReplayConversation {
  users: string[];
  drafts: string[];
}

function loadReplay(): ReplayConversation[] {
  const file = path.resolve(here, '../../shared/data/tau-bench-airline/gpt-4o-airline-trajectories.json');
  const data = JSON.parse(readFileSync(file, 'utf8')) as Array<{ traj: Array<{ role: string; content?: string | null }> }>;
  return data.map((item) => {
    const users: string[] = [];
    const drafts: string[] = [];
    for (const message of item.traj) {
      if (message.role === 'user') {
        users.push(message.content ?? '');
        drafts.push('');
      } else if (message.role === 'assistant' && message.content && drafts.length) {
        drafts[drafts.length - 1] = drafts.at(-1) ? `${drafts.at(-1)}\n\n${message.content}` : message.content;
      }
    }
    return { users, drafts: drafts.map((draft) => draft || 'One moment, please.') };
  });
}

async function replay(conversations: ReplayConversation[]) {
  const rssBefore = process.memoryUsage().rss;
  const turnOf = new Map<string, number>();
  const draftFor = (request: CompletionRequest) => {
    const tag = tagOf(request);
    const index = Number(tag.slice(1));
    return conversations[index]?.drafts[turnOf.get(tag) ?? 0] ?? 'One moment, please.';
  };
  let memory = { bytes: 0, keys: 0 };
  const modelMs = new Map<string, number>();
  const actor = createBenchModel({ model: 'replay-actor', answer: draftFor });
  const critic = createBenchModel({ model: 'replay-critic', answer: () => APPROVE });
  const waiting = new Map<string, (at: number) => void>();
  const adapter = createNoopAdapter((part, at) => {
    if (part.kind === 'reply' && part.part === part.parts - 1) waiting.get(part.conversation.id)?.(at);
  });
  const bench = await startBenchService({ adapter, actor: actor.client, critic: critic.client, concurrency: 200 });
  const latencies: number[] = [];
  let turns = 0;
  const started = performance.now();
  try {
    await Promise.all(
      conversations.map(async (conversation, index) => {
        const id = `c${index}`;
        for (let turn = 0; turn < conversation.users.length; turn++) {
          turnOf.set(id, turn);
          modelMs.set(id, 0);
          const sent = new Promise<number>((resolve) => waiting.set(id, resolve));
          // The user's words as recorded; the tag lets the replaying actor find its draft.
          await bench.service.ingest({ id: `${id}-${turn}`, conversation: { platform: 'web', id }, user: { id, name: id }, text: `[${id}] ${conversation.users[turn]}` });
          const accepted = performance.now();
          latencies.push((await sent) - accepted);
          turns++;
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    memory = await prefixMemory(bench.prefix);
    const rssAfter = process.memoryUsage().rss;
    return { turns, turnsPerSecond: (turns / elapsedMs) * 1000, p50: percentile(latencies, 50), p99: percentile(latencies, 99), redisBytesPerConversation: memory.bytes / conversations.length, rssBeforeMb: rssBefore / 2 ** 20, rssAfterMb: rssAfter / 2 ** 20 };
  } finally {
    await bench.close();
  }
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main() {
  const started = performance.now();
  const results: Record<string, unknown> = { runs: RUNS, node: process.version, at: new Date().toISOString() };
  const throughput: Record<string, { turnsPerSecond: number[]; bareJobsPerSecond: number[]; bareClosedLoopJobsPerSecond: number[] }> = {};
  for (const conversations of [50, 500]) {
    throughput[conversations] = { turnsPerSecond: [], bareJobsPerSecond: [], bareClosedLoopJobsPerSecond: [] };
    const turnsEach = conversations === 50 ? 40 : 6;
    for (let run = 0; run < RUNS; run++) {
      const loop = await closedLoop({ conversations, turnsEach });
      throughput[conversations]!.turnsPerSecond.push((loop.turns / loop.elapsedMs) * 1000);
      throughput[conversations]!.bareJobsPerSecond.push(await bareBullmq(loop.turns, Math.min(conversations, 500)));
      throughput[conversations]!.bareClosedLoopJobsPerSecond.push(await bareBullmqClosedLoop(conversations, turnsEach));
      process.stderr.write('.');
    }
  }
  const latencyRuns: Array<{ p50: number; p99: number }> = [];
  for (let run = 0; run < RUNS; run++) {
    const loop = await closedLoop({ conversations: 50, turnsEach: 20, thinkMs: LATENCY_THINK_MS });
    latencyRuns.push({ p50: percentile(loop.framework, 50), p99: percentile(loop.framework, 99) });
    process.stderr.write('.');
  }
  const overheadRuns: Array<{ p50: number; ratio: number }> = [];
  for (let run = 0; run < RUNS; run++) {
    const loop = await closedLoop({ conversations: 20, turnsEach: 2, actorDelayMs: 800, criticDelayMs: 200 });
    const p50 = percentile(loop.endToEnd, 50);
    overheadRuns.push({ p50, ratio: p50 / 1000 });
    process.stderr.write('.');
  }
  const conversations = loadReplay();
  const replayRuns = [];
  for (let run = 0; run < RUNS; run++) {
    replayRuns.push(await replay(conversations));
    process.stderr.write('.');
  }
  process.stderr.write('\n');

  const rows: Array<[string, string, string, string]> = [];
  for (const [conversationsCount, figures] of Object.entries(throughput)) {
    const turns = median(figures.turnsPerSecond);
    const bare = median(figures.bareJobsPerSecond);
    const bareLoop = median(figures.bareClosedLoopJobsPerSecond);
    rows.push([
      `throughput, ${conversationsCount} conversations`,
      `${round(turns, 0)} turns/s`,
      `bare BullMQ, same closed loop ${round(bareLoop, 0)} jobs/s (ratio ${round(turns / bareLoop, 2)}); all jobs at once ${round(bare, 0)} jobs/s (ratio ${round(turns / bare, 2)})`,
      `>= 1500 turns/s: ${turns >= 1500 ? 'met' : 'MISSED'}; >= 0.25 closed loop: ${turns / bareLoop >= 0.25 ? 'met' : 'MISSED'}; >= 0.25 all at once: ${turns / bare >= 0.25 ? 'met' : 'MISSED'}`,
    ]);
    results[`throughput_${conversationsCount}`] = {
      turnsPerSecond: round(turns),
      bareClosedLoopJobsPerSecond: round(bareLoop),
      ratioClosedLoop: round(turns / bareLoop, 3),
      bareJobsPerSecond: round(bare),
      ratio: round(turns / bare, 3),
      runs: figures,
    };
  }
  const latencyP50 = median(latencyRuns.map((run) => run.p50));
  const latencyP99 = median(latencyRuns.map((run) => run.p99));
  rows.push(['framework latency, 50 conversations', `p50 ${round(latencyP50, 2)} ms, p99 ${round(latencyP99, 2)} ms`, `accepted -> send, minus model time; ${LATENCY_THINK_MS} ms think time`, `p50 <= 5, p99 <= 30: ${latencyP50 <= 5 && latencyP99 <= 30 ? 'met' : 'MISSED'}`]);
  results.framework_latency = { p50Ms: round(latencyP50, 3), p99Ms: round(latencyP99, 3), runs: latencyRuns };
  const overhead = median(overheadRuns.map((run) => run.ratio));
  rows.push(['critic overhead (800 + 200 ms models)', `e2e p50 ${round(median(overheadRuns.map((run) => run.p50)), 1)} ms`, `ratio ${round(overhead, 4)} of 1000 ms`, `<= 1.03: ${overhead <= 1.03 ? 'met' : 'MISSED'}`]);
  results.critic_overhead = { ratio: round(overhead, 4), runs: overheadRuns };
  const replayMedian = {
    turns: replayRuns[0]!.turns,
    turnsPerSecond: median(replayRuns.map((run) => run.turnsPerSecond)),
    p50: median(replayRuns.map((run) => run.p50)),
    p99: median(replayRuns.map((run) => run.p99)),
    redisBytesPerConversation: median(replayRuns.map((run) => run.redisBytesPerConversation)),
    rssBeforeMb: replayRuns[0]!.rssBeforeMb,
    rssAfterMb: replayRuns.at(-1)!.rssAfterMb,
  };
  rows.push([
    `replay, ${conversations.length} τ-bench conversations (${replayMedian.turns} turns)`,
    `${round(replayMedian.turnsPerSecond, 0)} turns/s, p50 ${round(replayMedian.p50, 1)} ms, p99 ${round(replayMedian.p99, 1)} ms`,
    `Redis ${round(replayMedian.redisBytesPerConversation / 1024, 1)} KiB/conversation`,
    `RSS ${round(replayMedian.rssBeforeMb, 0)} -> ${round(replayMedian.rssAfterMb, 0)} MiB`,
  ]);
  results.replay = { ...replayMedian, runs: replayRuns };
  results.elapsedSeconds = round((performance.now() - started) / 1000);

  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  console.log(`countersign benchmark: medians of ${RUNS} runs (${process.version}, ${results.elapsedSeconds} s)`);
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  |  '));
  if (process.argv.includes('--save')) {
    writeFileSync(path.join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log('written to bench/results.json');
  } else {
    console.log('(npm run bench -- --save writes these figures to bench/results.json)');
  }
}

await main();
process.exit(0);
