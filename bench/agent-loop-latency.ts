/**
 * npx tsx bench/agent-loop-latency.ts: what the agent loop adds to a turn. Three kinds of turn
 * through the whole service (ingest, inbox, BullMQ, actor, critic, outbox, send), one at a time,
 * with zero-latency in-process models and in-process tools that answer at once:
 *
 *   baseline     the actor replies; the critic approves the reply
 *   read step    the actor calls a read tool (no review), then replies
 *   write step   the actor calls a write tool, the critic approves the call (the action gate),
 *                it runs through the action ledger, then the actor replies
 *
 * Framework time is message accepted -> send call, minus the time inside the models and the
 * tools. The added latency of a step is its median minus the baseline's median in the same run;
 * every figure is the median over RUNS runs (BENCH_RUNS, default 5) of TURNS turns each
 * (BENCH_TURNS, default 60). BENCH_PREFIX sets the Redis key prefix (default random).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Completion, CompletionRequest, ModelClient, OutboundPart } from '../src/core/ports.js';
import { defineTool } from '../src/tools/define-tool.js';
import { APPROVE, createNoopAdapter, median, startBenchService } from './bench-harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TURNS = Number(process.env.BENCH_TURNS ?? 60);
const APPROVE_CALL = JSON.stringify({ decision: 'approve', reason: 'fine', categories: [], confidence: 0.9, revised_arguments: null, feedback: null });

type Kind = 'baseline' | 'read' | 'write';

/** In-process model that answers at once, and adds its time to `spent`. */
function model(name: string, answer: (request: CompletionRequest) => Partial<Completion>, spent: { ms: number }): ModelClient {
  return {
    model: name,
    async complete(request) {
      const started = performance.now();
      const partial = answer(request);
      const latencyMs = performance.now() - started;
      spent.ms += latencyMs;
      return { content: null, refusal: null, finishReason: 'stop', ...partial, latencyMs };
    },
  };
}

async function run(kind: Kind): Promise<number[]> {
  const spent = { ms: 0 };
  let callIds = 0;
  const actor = model(
    'bench-actor',
    (request) => {
      const answered = request.messages.some((message) => message.role === 'tool');
      if (kind === 'baseline' || answered) return { content: 'Here is your answer.' };
      return { toolCalls: [{ id: `call_${++callIds}`, name: kind === 'read' ? 'lookup' : 'note', arguments: '{"id":"42"}' }], finishReason: 'tool_calls' };
    },
    spent,
  );
  const critic = model('bench-critic', (request) => ({ content: request.json?.name === 'action_verdict' ? APPROVE_CALL : APPROVE }), spent);
  const timed = <T>(work: () => T): T => {
    const started = performance.now();
    try {
      return work();
    } finally {
      spent.ms += performance.now() - started;
    }
  };
  const tools = [
    defineTool({ name: 'lookup', description: 'Look up a record.', input: z.object({ id: z.string() }), effect: 'read', execute: ({ id }) => timed(() => `record ${id}`) }),
    defineTool({ name: 'note', description: 'Write a note.', input: z.object({ id: z.string() }), effect: 'write', execute: ({ id }) => timed(() => `noted ${id}`) }),
  ];
  let sent: ((at: number) => void) | undefined;
  const adapter = createNoopAdapter((part: OutboundPart, at) => {
    if (part.kind === 'reply') sent?.(at);
  });
  const prefix = process.env.BENCH_PREFIX ?? `cs-bench-${randomBytes(4).toString('hex')}`;
  const bench = await startBenchService({ adapter, actor, critic, concurrency: 1, tools, prefix });
  const framework: number[] = [];
  try {
    for (let turn = 0; turn < TURNS + 5; turn++) {
      const done = new Promise<number>((resolve) => (sent = resolve));
      spent.ms = 0;
      await bench.service.ingest({ id: `m${turn}`, conversation: { platform: 'web', id: `bench-${turn}` }, user: { id: 'u', name: 'u' }, text: `question ${turn}` });
      const accepted = performance.now();
      const at = await done;
      // The first turns warm the code paths and connections up.
      if (turn >= 5) framework.push(at - accepted - spent.ms);
    }
  } finally {
    await bench.close();
  }
  return framework;
}

const results: Record<Kind, number[]> = { baseline: [], read: [], write: [] };
for (let index = 0; index < RUNS; index++) {
  // Interleaved, so the machine's state drifts over all three alike.
  for (const kind of ['baseline', 'read', 'write'] as const) results[kind].push(median(await run(kind)));
}
const baseline = median(results.baseline);
const row = (kind: Kind) => {
  const value = median(results[kind]);
  return `${kind.padEnd(9)} ${value.toFixed(2).padStart(7)} ms   added ${(value - baseline).toFixed(2).padStart(6)} ms   x${(value / baseline).toFixed(2)} of baseline`;
};
console.log(`framework time per turn (accepted -> send, minus models and tools), median of ${RUNS} runs x ${TURNS} turns`);
for (const kind of ['baseline', 'read', 'write'] as const) console.log(row(kind));
