/**
 * Scenario: killed workers while tool calls run. One ingest and two worker processes, started
 * like operators start them, take paced conversations in which the actor makes one write call
 * per turn to a counting MCP server (test/fakes/counting-mcp-server.ts, Streamable HTTP, in this
 * process): `charge` (not idempotent) or `set_limit` (idempotent). Worker processes are SIGKILLed
 * with aimed kills, each waiting for its step:
 *
 * - before the side effect: as the critic's approval of a write reaches the worker;
 * - during the call: as the call reaches the tool server (its effect comes half a delay later);
 * - after the side effect: once the server recorded the effect, before its answer is back;
 * - after the answer: as the actor is asked again with the call's result;
 *
 * and restarted. A reviewer loop answers the "outcome unknown" reviews the way a human would
 * (approve when the server shows the call took effect, reject when it did not). Afterwards:
 * 0 non-idempotent writes ran twice, 0 writes ran without an approval (the ledger record with
 * the execution's idempotency key, approved by the critic for that very call), 0 turns lost
 * (every user message answered once, in order).
 */
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HOLDING_MESSAGE } from '../../src/config/schema.js';
import type { ModelServerRequest } from '../../src/demo/model-server.js';
import { createCountingState, type Execution, startCountingHttpServer } from '../fakes/counting-mcp-server.js';
import { criticInput, verdict } from '../helpers/pipeline.js';
import { connectRedis, deletePrefix, REDIS_URL, randomPrefix } from '../helpers/redis.js';
import {
  answeredIn,
  armed,
  postChat,
  randomInt,
  report,
  reseed,
  type ServiceProcess,
  sequenceOf,
  sleep,
  startProcess,
  startTrackedModel,
  TALLY_ENV,
  type TrackedModel,
  tallyWebReplies,
  waitForProgress,
  webTranscript,
} from './harness.js';

reseed('killed-tools');

const CONVERSATIONS = 6;
/** Each conversation sends at least this many messages, and goes on until the kills are done. */
const MIN_MESSAGES = 3;
/** A bound on a run whose kills never finish; far above what a run needs (restarts are slow on a busy machine). */
const SAFETY_MESSAGES = 200;
const KILLS = 8;
/** The tool server takes this long per call: half before its effect is recorded, half after. */
const TOOL_DELAY_MS = 600;
/** A call's time limit (tools.callTimeoutMs): a dead worker's started call is taken over after it and the ledger's margin. */
const CALL_TIMEOUT_MS = 2000;
const AIM_DEADLINE_MS = 30_000;
const STALL_MS = 60_000;
const LOCK_MS = 2000;
const STALLED_MS = 1000;
const REVIEW_TOKEN = 'fault-review-token';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

type Phase = 'before' | 'during' | 'after-effect' | 'after-answer';
type WriteTool = 'charge' | 'set_limit';

interface Slot {
  name: string;
  actor: TrackedModel;
  critic: TrackedModel;
  toolUrl: string;
  process: ServiceProcess | null;
}

interface RawMessage {
  role?: string;
  content?: unknown;
  tool_calls?: Array<{ function?: { name?: string; arguments?: string } }>;
}

/** `c3-m2 charge` -> the account of that message's call, `kt3m2`. */
const accountOf = (text: string) => {
  const match = /c(\d+)-m(\d+)/.exec(text);
  return match ? `kt${match[1]}m${match[2]}` : 'unknown';
};

/** This turn's user texts (after the last plain reply) and the results of the calls made since. */
function readActorRequest(request: ModelServerRequest): { texts: string[]; results: string[]; offered: boolean; mayCall: boolean } {
  const raw = (request.body.messages ?? []) as RawMessage[];
  const text = (message: RawMessage) => (typeof message.content === 'string' ? message.content : '');
  let lastReply = -1;
  raw.forEach((message, index) => {
    if (message.role === 'assistant' && !message.tool_calls?.length) lastReply = index;
  });
  const turn = raw.slice(lastReply + 1);
  return {
    texts: turn.filter((message) => message.role === 'user').map(text),
    results: turn.filter((message) => message.role === 'tool').map(text),
    offered: Array.isArray(request.body.tools) && request.body.tools.length > 0,
    mayCall: request.body.tool_choice !== 'none',
  };
}

/** The action critic's document: the proposed call. Null for a reply review. */
function proposedCall(request: ModelServerRequest): { tool: string; arguments: Record<string, unknown> } | null {
  const content = request.messages.at(-1)?.content ?? '';
  const lines = content.split('\n');
  const open = lines.findIndex((line) => line.startsWith('<<<ACTION-DATA '));
  const close = lines.findIndex((line) => line.startsWith('<<<END ACTION-DATA '));
  if (open < 0 || close < open) return null;
  const document = JSON.parse(lines.slice(open + 1, close).join('\n')) as { proposedCall: { tool: string; arguments: Record<string, unknown> } };
  return document.proposedCall;
}

/** What a tool server listener saw: a tools/call from one slot's worker. */
interface SeenCall {
  slot: string;
  tool: string;
  account: string;
  at: number;
}

/**
 * The counting tools behind one HTTP listener per worker slot, all sharing one count: the
 * listener knows which worker sent a call (so a kill aimed at "the call reached the server" hits
 * the worker that made it), and a call that survives its caller finishes on the server.
 */
function serveSlot(state: ReturnType<typeof createCountingState>, slot: string, onCall: (call: SeenCall) => void): Promise<{ url: string; close(): Promise<void> }> {
  return startCountingHttpServer({
    state,
    onToolsCall: (params) => onCall({ slot, tool: params.name, account: String(params.arguments.account), at: Date.now() }),
  });
}

interface Kill {
  slot: string;
  aimed: Phase;
  tool: WriteTool | 'any';
  /** 0 when the aimed step did not come in time (a miss: nothing was killed). */
  at: number;
  found: string;
}

describe('killed workers while tool calls run', () => {
  it(`${CONVERSATIONS} conversations with a write call per turn, ${KILLS} aimed SIGKILLs: no non-idempotent write twice, none unapproved, no turn lost`, async () => {
    const prefix = randomPrefix('fault-tools');
    const redis: Redis = connectRedis();
    cleanups.push(async () => {
      await deletePrefix(redis, prefix);
      await redis.quit();
    });
    const started = Date.now();

    // ---- the tool server, its listeners and the models ----
    const state = createCountingState({ name: 'bank', delayMs: TOOL_DELAY_MS });
    const executions: Execution[] = state.executions;
    const seenCalls: SeenCall[] = [];
    let onToolCall: ((call: SeenCall) => void) | null = null;
    /** Writes the critic approved, by `tool:account`. */
    const criticApproved = new Set<string>();
    /** Texts the critic approved, plus the operator's holding message. */
    const approvedTexts = new Set<string>([DEFAULT_HOLDING_MESSAGE]);
    const proposed = new Set<string>();

    const actorScript = (request: ModelServerRequest) => {
      const { texts, results, offered, mayCall } = readActorRequest(request);
      const last = texts.at(-1) ?? '';
      if (offered && mayCall && !results.length) {
        const tool: WriteTool = last.includes('set_limit') ? 'set_limit' : 'charge';
        const account = accountOf(last);
        proposed.add(`${tool}:${account}`);
        const args = tool === 'charge' ? { account, amount: 5 } : { account, limit: 100 };
        return { toolCalls: [{ id: `call_${account}`, name: tool, arguments: JSON.stringify(args) }], delayMs: randomInt(10, 60) };
      }
      const outcome = (results.at(-1) ?? 'no call').split('\n')[0]!.slice(0, 80);
      return { content: `answered ${texts.map(sequenceOf).join(',')}: ${outcome}`, delayMs: randomInt(10, 60) };
    };
    const criticScript = (request: ModelServerRequest) => {
      const call = proposedCall(request);
      if (call) {
        criticApproved.add(`${call.tool}:${String(call.arguments.account)}`);
        return { content: JSON.stringify({ decision: 'approve', reason: 'scripted approve', categories: [], confidence: 0.9, revised_arguments: null, feedback: null }), delayMs: randomInt(80, 200) };
      }
      approvedTexts.add(criticInput(request).draft);
      return { content: verdict('approve'), delayMs: randomInt(10, 60) };
    };

    const slots: Slot[] = [];
    for (const name of ['worker-a', 'worker-b']) {
      const actor = await startTrackedModel(actorScript);
      const critic = await startTrackedModel(criticScript);
      const listener = await serveSlot(state, name, (call) => {
        seenCalls.push(call);
        onToolCall?.(call);
      });
      cleanups.push(
        () => actor.close(),
        () => critic.close(),
        () => listener.close(),
      );
      slots.push({ name, actor, critic, toolUrl: listener.url, process: null });
    }
    const baseEnv = {
      REDIS_URL,
      REDIS_PREFIX: prefix,
      ADAPTERS: 'web',
      OPENAI_API_KEY: 'fault-key',
      ACTOR_MODEL: 'fault-actor',
      CRITIC_API_KEY: 'fault-key',
      CRITIC_MODEL: 'fault-critic',
      REVIEW_TOKEN,
      QUEUE_LOCK_DURATION_MS: String(LOCK_MS),
      QUEUE_STALLED_INTERVAL_MS: String(STALLED_MS),
      TOOLS_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS),
      WORKER_CONCURRENCY: '10',
      ...TALLY_ENV,
      OPENAI_BASE_URL: slots[0]!.actor.url,
      CRITIC_BASE_URL: slots[0]!.critic.url,
    };
    const everyProcess: ServiceProcess[] = [];
    cleanups.push(async () => Promise.all(everyProcess.map((proc) => proc.kill())));
    const startSlot = async (slot: Slot) => {
      slot.process = await startProcess({
        name: slot.name,
        role: 'worker',
        env: { ...baseEnv, OPENAI_BASE_URL: slot.actor.url, CRITIC_BASE_URL: slot.critic.url },
        config: { tools: { servers: [{ name: 'bank', url: slot.toolUrl }] } },
      });
      everyProcess.push(slot.process);
      return slot.process;
    };
    const ingest = await startProcess({ name: 'ingest', role: 'ingest', env: baseEnv });
    everyProcess.push(ingest);
    await Promise.all(slots.map(startSlot));

    // ---- a reviewer: answers "outcome unknown" as a human would, from the server's own record ----
    const reviews: Array<{ tool: string; account: string; decision: 'approve' | 'reject'; ran: boolean; unknown: boolean }> = [];
    let reviewing = true;
    const auth = { authorization: `Bearer ${REVIEW_TOKEN}`, 'content-type': 'application/json' };
    const reviewer = (async () => {
      while (reviewing) {
        await sleep(400);
        try {
          const list = (await (await fetch(`${ingest.url}/api/review/turns?status=pending`, { headers: auth })).json()) as {
            turns: Array<{ id: string; kind: string; action: { tool: string; arguments: Record<string, unknown>; outcomeUnknown: boolean } | null }>;
          };
          for (const item of list.turns) {
            const action = item.action;
            const account = String(action?.arguments.account ?? '');
            const ran = action ? executions.some((execution) => execution.tool === action.tool && execution.arguments.account === account) : false;
            // A call whose outcome is unknown: approve says it took effect, reject that it did not.
            // Anything else held for a human (not expected here) is approved as proposed, and counted.
            const decision = action?.outcomeUnknown && !ran ? 'reject' : 'approve';
            const answer = await fetch(`${ingest.url}/api/review/turns/${item.id}/${decision}`, { method: 'POST', headers: auth, body: '{}' });
            if (answer.status === 200) reviews.push({ tool: action?.tool ?? 'reply', account, decision, ran, unknown: action?.outcomeUnknown === true });
          }
        } catch {
          // The ingest process is busy or a review raced another: look again.
        }
      }
    })();

    // ---- the load: paced messages in every conversation, until the kills are done ----
    let killsDone = false;
    const sent = new Array<number>(CONVERSATIONS).fill(0);
    const load = Promise.all(
      Array.from({ length: CONVERSATIONS }, async (_, index) => {
        await sleep(randomInt(0, 2000));
        for (let message = 1; message <= SAFETY_MESSAGES; message++) {
          if (message > MIN_MESSAGES && killsDone) break;
          const tool: WriteTool = randomInt(0, 1) === 0 ? 'charge' : 'set_limit';
          const answer = await postChat(ingest.url, `kt-${index}`, `c${index}-m${message} ${tool}`, `kt-${index}-m${message}`);
          expect(answer.status).toBe(202);
          sent[index] = message;
          await sleep(randomInt(1500, 3500));
        }
      }),
    );

    // ---- the kills, each aimed by waiting for its step ----
    const kills: Kill[] = [];
    const phases: Phase[] = ['before', 'during', 'after-effect', 'after-answer'];
    const killer = (async () => {
      await sleep(3000);
      for (let index = 0; index < KILLS; index++) {
        await sleep(randomInt(200, 1000));
        const aimed = phases[index % phases.length]!;
        // The call phases alternate between the non-idempotent and the idempotent tool.
        const tool: WriteTool | 'any' = aimed === 'during' || aimed === 'after-effect' ? (Math.floor(index / phases.length) % 2 === 0 ? 'charge' : 'set_limit') : 'any';
        const kill: Kill = { slot: '', aimed, tool, at: 0, found: '' };
        const fire = (slot: Slot, found: string) => {
          if (kill.at) return;
          kill.at = Date.now();
          kill.slot = slot.name;
          kill.found = found;
          slot.process!.child.kill('SIGKILL');
        };
        const disarm = () => {
          onToolCall = null;
          for (const slot of slots) slot.actor.onCall = slot.critic.onCall = null;
        };
        const landed = await armed(
          (done) => {
            const finish = (slot: Slot, found: string) => {
              disarm();
              fire(slot, found);
              done();
            };
            if (aimed === 'before') {
              for (const slot of slots) {
                slot.critic.onCall = (call) => {
                  const proposal = proposedCall(call.request);
                  if (!proposal) return;
                  slot.critic.onCall = null;
                  // As the approval reaches the worker: before it is recorded, or just after.
                  setTimeout(() => finish(slot, `critic approval of ${proposal.tool} ${String(proposal.arguments.account)} due`), Math.max(0, call.due - Date.now()));
                };
              }
            } else if (aimed === 'after-answer') {
              for (const slot of slots) {
                slot.actor.onCall = (call) => {
                  const { results } = readActorRequest(call.request);
                  if (!results.length) return;
                  finish(slot, `actor asked again with the result "${results.at(-1)!.split('\n')[0]!.slice(0, 60)}"`);
                };
              }
            } else {
              onToolCall = (call) => {
                if (tool !== 'any' && call.tool !== tool) return;
                const slot = slots.find((each) => each.name === call.slot)!;
                if (aimed === 'during') return finish(slot, `${call.tool} ${call.account} reached the server, effect not yet recorded`);
                onToolCall = null;
                // Kill once the server recorded the effect, before its answer is back.
                const watch = setInterval(() => {
                  if (!executions.some((execution) => execution.tool === call.tool && execution.arguments.account === call.account)) return;
                  clearInterval(watch);
                  finish(slot, `${call.tool} ${call.account} took effect on the server, answer not yet back`);
                }, 5);
                setTimeout(() => clearInterval(watch), TOOL_DELAY_MS * 4);
              };
            }
          },
          disarm,
          AIM_DEADLINE_MS,
        );
        if (!landed) {
          kill.found = `missed: no ${aimed} step within ${AIM_DEADLINE_MS} ms`;
          kills.push(kill);
          continue;
        }
        kills.push(kill);
        const slot = slots.find((each) => each.name === kill.slot)!;
        await slot.process!.exited;
        await sleep(randomInt(100, 600));
        await startSlot(slot);
      }
      killsDone = true;
    })();

    await killer;
    await load;
    const messagesIn = sent.reduce((sum, count) => sum + count, 0);

    // ---- wait until every message is answered (failing only when nothing moves) ----
    const progress = () => [slots.reduce((sum, slot) => sum + slot.actor.calls.length + slot.critic.calls.length, 0), executions.length, reviews.length];
    for (let index = 0; index < CONVERSATIONS; index++) {
      await waitForProgress(
        async () => (await webTranscript(ingest.url, `kt-${index}`)).filter((entry) => entry.role === 'bot').flatMap((entry) => answeredIn(entry.text)).includes(sent[index]!),
        progress,
        `the last message of kt-${index} to be answered`,
        { stallMs: STALL_MS },
      );
    }
    // Let anything still running finish (a second run would come late), then look.
    await sleep(CALL_TIMEOUT_MS + TOOL_DELAY_MS + LOCK_MS);
    reviewing = false;
    await reviewer;
    const tally = await tallyWebReplies(ingest.url, 'kt', CONVERSATIONS, (index) => sent[index]!, approvedTexts);

    // ---- what ran, and on whose approval ----
    const records = new Map<string, Record<string, string>>();
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:action:*`, 'COUNT', 500);
      cursor = next;
      for (const key of found) {
        const record = await redis.hgetall(key);
        if (record.key) records.set(record.key, record);
      }
    } while (cursor !== '0');
    const runsByCall = new Map<string, Execution[]>();
    for (const execution of executions) {
      const id = `${execution.tool}:${String(execution.arguments.account)}`;
      runsByCall.set(id, [...(runsByCall.get(id) ?? []), execution]);
    }
    const twice = [...runsByCall.entries()].filter(([id, runs]) => id.startsWith('charge:') && runs.length > 1);
    const rerunsSameKey = [...runsByCall.entries()].filter(([id, runs]) => id.startsWith('set_limit:') && runs.length > 1);
    const unapproved = executions.filter((execution) => {
      const record = execution.key ? records.get(execution.key) : undefined;
      if (!record) return true;
      const by = JSON.parse(record.approvedBy ?? '{}') as { kind?: string };
      // The critic approved this very call (or a human did, in review).
      if (by.kind === 'critic') return !criticApproved.has(`${execution.tool}:${String(execution.arguments.account)}`);
      return by.kind !== 'reviewer';
    });
    const keysPerCall = [...runsByCall.values()].filter((runs) => new Set(runs.map((run) => run.key)).size > 1);
    const unknown = reviews.filter((review) => review.unknown);
    const landed = kills.filter((kill) => kill.at > 0);

    report({
      scenario: 'killed-tools',
      load: `${CONVERSATIONS} conversations, ${messagesIn} user messages, one write call per turn (charge: not idempotent; set_limit: idempotent) to an MCP server over Streamable HTTP (${TOOL_DELAY_MS} ms a call), 1 ingest + 2 worker processes`,
      faults: `${landed.length} SIGKILLs of a worker process aimed at a write call's steps, each restarted (${kills.length - landed.length} of ${KILLS} aimed kills missed their step)`,
      messagesIn,
      repliesOut: tally.replies,
      duplicates: tally.duplicates,
      lost: tally.lost,
      unreviewedPosts: tally.unreviewed,
      details: {
        'seconds': Math.round((Date.now() - started) / 1000),
        'writes proposed by the actor': proposed.size,
        'writes that ran (distinct calls)': runsByCall.size,
        'executions on the server': executions.length,
        'non-idempotent writes run twice': twice.length,
        'writes run without an approval': unapproved.length,
        'idempotent writes run again after a kill (same key)': `${rerunsSameKey.length} calls, ${rerunsSameKey.reduce((sum, [, runs]) => sum + runs.length - 1, 0)} extra runs`,
        'calls run under more than one key': keysPerCall.length,
        'outcome-unknown reviews': `${unknown.length} (${unknown.filter((review) => review.ran).length} had taken effect: approved; ${unknown.filter((review) => !review.ran).length} had not: rejected)`,
        'other human reviews': reviews.length - unknown.length,
        'out of order': tally.disorder,
        'kills': kills.map((kill) => `${kill.slot || '-'} aimed ${kill.aimed}${kill.tool === 'any' ? '' : ` (${kill.tool})`}: ${kill.found}`),
      },
    });

    expect(tally.problems).toEqual([]);
    expect(tally.lost).toBe(0);
    expect(tally.duplicates).toBe(0);
    expect(tally.disorder).toBe(0);
    expect(tally.unreviewed).toBe(0);
    expect(twice.map(([id, runs]) => `${id} x${runs.length}`)).toEqual([]);
    expect(unapproved).toEqual([]);
    expect(keysPerCall).toEqual([]);
    // Every call that ran was one the actor proposed.
    for (const id of runsByCall.keys()) expect(proposed.has(id)).toBe(true);
    // Most aimed kills must land, or the scenario did not test what it names.
    expect(landed.length).toBeGreaterThanOrEqual(KILLS - 2);
    for (const phase of phases) expect(landed.some((kill) => kill.aimed === phase)).toBe(true);
  });
});
