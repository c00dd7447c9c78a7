/**
 * The agent loop after a crash, at each state of a call's ledger record: a worker stops (the
 * ledger's transition hook throws, as a SIGKILL would stop it between two steps) and a fresh
 * worker (a new runner and ledger over the same Redis, as another process) takes the turn up.
 * In process: the real store, outbox, actor and critic over scripted in-process model clients,
 * the action gate, and a real SDK MCP server over Streamable HTTP that counts its executions.
 *
 *   crash in the gate (no record)      -> gated again, runs once
 *   recorded (approved, not started)   -> runs once
 *   started (before the tool is called), non-idempotent -> never run; outcome unknown, to a human
 *   called (after the side effect), non-idempotent      -> not run again; outcome unknown, to a human
 *   called, idempotent                  -> run again with the same idempotency key
 *   finished                            -> the recorded result, not run again
 */
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createActor } from '../../src/agents/actor.js';
import { createCritic } from '../../src/agents/critic.js';
import { createConversationStore } from '../../src/conversation/conversation-store.js';
import { createTurnRunner } from '../../src/conversation/turn-runner.js';
import type { ReviewService } from '../../src/core/conversation-ports.js';
import { isCountersignError } from '../../src/core/errors.js';
import { createKeys } from '../../src/core/keys.js';
import type { ChatAdapter, CompletionRequest, OutboundPart, SentPart } from '../../src/core/ports.js';
import type { Platform, Reviewer, Turn } from '../../src/core/types.js';
import { createOutbox } from '../../src/delivery/outbox.js';
import { createActionGate } from '../../src/escalation/action-gate.js';
import { createReviewService } from '../../src/review/review-service.js';
import type { ActionGate } from '../../src/tools/action-gate-types.js';
import { createActionLedger, type LedgerTransition } from '../../src/tools/action-ledger.js';
import { createToolRegistry, type ToolRegistry } from '../../src/tools/tool-registry.js';
import { type CountingHttpServer, startCountingHttpServer } from '../fakes/counting-mcp-server.js';
import { createMockModelClient, modelAnswers } from '../fakes/mock-model-client.js';
import { waitFor } from '../helpers/pipeline.js';
import { connectRedis, deletePrefix, randomPrefix } from '../helpers/redis.js';

const redis: Redis = connectRedis();
const prefixes: string[] = [];
const CONVERSATION = 'web:resume';
const REVIEWER: Reviewer = { via: 'api', id: 'reviewer:ada', name: 'ada', verified: true };
const HOLDING = 'A teammate will follow up.';
const CRASH = 'worker killed (test)';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});
afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(redis, prefix);
  await redis.quit();
});

function recordingAdapter() {
  const posted: OutboundPart[] = [];
  const adapter: ChatAdapter & { posted: OutboundPart[] } = {
    platform: 'web',
    posted,
    async start() {},
    async stop() {},
    render: (text) => [text],
    async send(part): Promise<SentPart> {
      const earlier = part.recovering ? posted.find((entry) => entry.key === part.key) : undefined;
      if (earlier) return { messageId: 'again' };
      posted.push(part);
      return { messageId: `m${posted.length}` };
    },
  };
  return adapter;
}

/** The actor calls `tool` with `args` once, then replies `Done: <results>`. */
function actorScript(tool: string, args: Record<string, unknown>) {
  return (request: CompletionRequest) => {
    const results = request.messages.filter((message) => message.role === 'tool').map((message) => message.content);
    if (request.tools?.length && request.toolChoice !== 'none' && results.length === 0) return modelAnswers.toolCalls([tool, args]);
    return modelAnswers.text(`Done: ${results.join(' | ')}`);
  };
}

const approve = (request: CompletionRequest) =>
  JSON.stringify(
    request.json?.name === 'action_verdict'
      ? { decision: 'approve', reason: 'fine', categories: [], confidence: 0.9, revised_arguments: null, feedback: null }
      : { decision: 'approve', reason: 'fine', categories: [], confidence: 0.9, revised_text: null, feedback: null },
  );

interface Setup {
  bank: CountingHttpServer;
  adapter: ReturnType<typeof recordingAdapter>;
  review: ReviewService;
  critic: ReturnType<typeof createMockModelClient>;
  loadTurn(): Promise<Turn>;
  /** A worker that stops at this ledger transition (or in the gate), as a killed process would. */
  worker(crashAt?: LedgerTransition['type'] | 'gate'): ReturnType<typeof createTurnRunner>;
  say(text: string): Promise<void>;
}

async function setUp(tool: string, args: Record<string, unknown>): Promise<Setup> {
  const prefix = randomPrefix('resume');
  prefixes.push(prefix);
  const keys = createKeys(prefix);
  const logger = pino({ level: 'silent' });
  const bank = await startCountingHttpServer({ name: 'bank' });
  cleanups.push(() => bank.close());
  const registries: ToolRegistry[] = [];
  const store = createConversationStore({ redis, keys, keep: 50, historyBudgetChars: 100_000 });
  const adapter = recordingAdapter();
  const adapters = new Map<Platform, ChatAdapter>([['web', adapter]]);
  const outbox = createOutbox({ redis, keys, adapters, logger });
  const actorModel = createMockModelClient({ answer: actorScript(tool, args) });
  const criticModel = createMockModelClient({ answer: approve });
  const critic = createCritic({ model: criticModel, policy: 'Approve what the user asked for.', attempts: 1 });
  let registry: ToolRegistry | undefined;
  // The review service records a reviewer's approval through a ledger of its own process.
  const reviewRegistry = createToolRegistry({ logger });
  const review = createReviewService({ redis, keys, store, enqueue: async () => {}, logger, actions: { ledger: createActionLedger({ redis, keys, registry: reviewRegistry, logger }) } });
  const worker = (crashAt?: LedgerTransition['type'] | 'gate') => {
    if (!registry) throw new Error('start() first');
    const ledger = createActionLedger({
      redis,
      keys,
      registry,
      logger,
      // A started call's lease: the call's limit and a margin; a short one lets the next worker take over soon.
      callTimeoutMs: 300,
      leaseMarginMs: 50,
      onTransition: (transition) => {
        if (transition.type === crashAt) throw new Error(CRASH);
      },
    });
    const real = createActionGate({ rules: [], critic, validate: (described, value) => registry!.validate({ source: described.source, sourceName: described.sourceName }, value) });
    const gate: ActionGate = { decide: async (input) => (crashAt === 'gate' ? Promise.reject(new Error(CRASH)) : real.decide(input)) };
    return createTurnRunner({
      store,
      outbox,
      actor: createActor({ model: actorModel, systemPrompt: 'You help.' }),
      critic,
      adapters,
      logger,
      maxRevisions: 2,
      maxFolds: 2,
      history: { budget: 100_000, unit: 'characters' },
      holdingMessage: HOLDING,
      holdConversation: true,
      tools: { registry, ledger, gate, maxToolSteps: 8, timeBudgetMs: 60_000, callTimeoutMs: 300 },
    });
  };
  registry = createToolRegistry({ servers: [{ name: 'bank', transport: 'http', url: bank.url, headers: {} }], logger });
  registries.push(registry);
  cleanups.push(() => Promise.all(registries.map((made) => made.close())));
  await registry.start();
  let ids = 0;
  return {
    bank,
    adapter,
    review,
    critic: criticModel,
    worker,
    async loadTurn() {
      const turnId = await redis.hget(keys.state(CONVERSATION), 'turn');
      const turn = turnId ? await store.loadTurn(turnId) : null;
      if (!turn) throw new Error('no turn');
      return turn;
    },
    async say(text) {
      await store.accept({ id: `m${++ids}`, conversation: { platform: 'web', id: 'resume' }, user: { id: 'u1', name: 'user' }, text, receivedAt: Date.now() }, CONVERSATION, 3600);
    },
  };
}

/** The next worker takes the conversation up (waiting out a dead worker's lease on a started call). */
async function takeOver(setup: Setup): Promise<void> {
  await waitFor(async () => {
    try {
      await setup.worker().runConversation(CONVERSATION);
      return true;
    } catch (error) {
      if (isCountersignError(error, 'tools.action-busy')) return false;
      throw error;
    }
  }, 'a worker to take the turn over', { intervalMs: 50 });
}

const posts = (setup: Setup) => setup.adapter.posted.map((part) => part.text);

describe('the agent loop resumed after a crash', () => {
  it('in the gate, before anything was recorded: the call is gated again and runs once', async () => {
    const setup = await setUp('charge', { account: 'acct-g', amount: 5 });
    await setup.say('charge 5');
    await expect(setup.worker('gate').runConversation(CONVERSATION)).rejects.toThrow(CRASH);
    expect((await setup.loadTurn()).toolSteps).toHaveLength(1);
    await takeOver(setup);
    expect(setup.bank.executions).toHaveLength(1);
    expect(posts(setup)).toEqual([`Done: Charged 5 to acct-g (${setup.bank.executions[0]!.receipt}).`]);
  });

  it('approved and recorded, not started: it runs once', async () => {
    const setup = await setUp('charge', { account: 'acct-r', amount: 6 });
    await setup.say('charge 6');
    await expect(setup.worker('recorded').runConversation(CONVERSATION)).rejects.toThrow(CRASH);
    expect(setup.bank.executions).toHaveLength(0);
    const reviewsBefore = setup.critic.calls.length;
    await takeOver(setup);
    expect(setup.bank.executions).toHaveLength(1);
    // Taken up from the ledger: the critic is not asked about the call again (only about the reply).
    expect(setup.critic.calls.slice(reviewsBefore).map((call) => call.request.json?.name)).toEqual(['verdict']);
    expect(posts(setup)).toEqual([`Done: Charged 6 to acct-r (${setup.bank.executions[0]!.receipt}).`]);
  });

  it('started, before the tool was called (not idempotent): never run; the turn waits for a human with "outcome unknown"; approving says it took effect', async () => {
    const setup = await setUp('charge', { account: 'acct-s', amount: 7 });
    await setup.say('charge 7');
    await expect(setup.worker('started').runConversation(CONVERSATION)).rejects.toThrow(CRASH);
    await takeOver(setup);
    const turn = await setup.loadTurn();
    expect(turn.status).toBe('escalated');
    expect(turn.escalation).toMatchObject({ source: 'outcome-unknown', action: { tool: 'charge', arguments: { account: 'acct-s', amount: 7 }, outcomeUnknown: true } });
    expect(turn.escalation!.reason).toContain('outcome unknown');
    expect(posts(setup)).toEqual([HOLDING]);
    await expect(setup.review.approve(turn.id, { reviewer: REVIEWER, arguments: { account: 'acct-s', amount: 1 } })).rejects.toThrow(/outcome is unknown/);
    await setup.review.approve(turn.id, { reviewer: REVIEWER });
    await takeOver(setup);
    expect(setup.bank.executions).toHaveLength(0);
    expect(posts(setup)).toEqual([HOLDING, 'Done: A reviewer confirmed that the call took effect: approved in review.']);
  });

  it('called, after the side effect (not idempotent): not run again; outcome unknown; rejecting says it did not take effect', async () => {
    const setup = await setUp('charge', { account: 'acct-c', amount: 8 });
    await setup.say('charge 8');
    await expect(setup.worker('called').runConversation(CONVERSATION)).rejects.toThrow(CRASH);
    expect(setup.bank.executions).toHaveLength(1);
    await takeOver(setup);
    const turn = await setup.loadTurn();
    expect(turn.escalation).toMatchObject({ source: 'outcome-unknown', action: { outcomeUnknown: true } });
    await setup.review.reject(turn.id, { reviewer: REVIEWER });
    await takeOver(setup);
    expect(setup.bank.executions).toHaveLength(1);
    expect(posts(setup)).toEqual([HOLDING, 'Done: Error: A reviewer found that the call did not take effect: rejected in review.']);
  });

  it('called, after the side effect of an idempotent tool: run again with the same idempotency key', async () => {
    const setup = await setUp('set_limit', { account: 'acct-i', limit: 50 });
    await setup.say('limit 50');
    await expect(setup.worker('called').runConversation(CONVERSATION)).rejects.toThrow(CRASH);
    await takeOver(setup);
    const runs = setup.bank.executions;
    expect(runs).toHaveLength(2);
    expect(runs[1]!.key).toBe(runs[0]!.key);
    expect(posts(setup)).toEqual([`Done: Limit of acct-i is 50 (${runs[1]!.receipt}).`]);
  });

  it('finished: the recorded result is given back, the call is not run again', async () => {
    const setup = await setUp('charge', { account: 'acct-f', amount: 9 });
    await setup.say('charge 9');
    await expect(setup.worker('finished').runConversation(CONVERSATION)).rejects.toThrow(CRASH);
    await takeOver(setup);
    expect(setup.bank.executions).toHaveLength(1);
    expect(posts(setup)).toEqual([`Done: Charged 9 to acct-f (${setup.bank.executions[0]!.receipt}).`]);
  });
});
