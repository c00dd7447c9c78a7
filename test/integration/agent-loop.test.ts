/**
 * The agent loop and the action gate end to end: the service with the real `openai` client
 * against the scripted model server (tool calls on the wire), a real MCP server built with the
 * SDK (test/fakes/counting-mcp-server.ts, Streamable HTTP in this process, and a stdio child for
 * one test) that counts what it runs, in-process tools, and the review API over HTTP.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Config } from '../../src/config/schema.js';
import { validateRules } from '../../src/core/rule-schema.js';
import type { ModelScript } from '../../src/demo/model-server.js';
import type { PresentedTurn } from '../../src/review/presented-turn.js';
import { defineTool, type InProcessTool } from '../../src/tools/define-tool.js';
import { type CountingHttpServer, startCountingHttpServer, stdioCommand } from '../fakes/counting-mcp-server.js';
import { deferred, HOLDING, type Pipeline, startPipeline, waitFor } from '../helpers/pipeline.js';
import { actionVerdict, allCalls, callsSinceUser, callTools, newestUserText, proposedCall, replyVerdict, stepsActor, stepsSinceUser } from '../helpers/tool-scripts.js';

let pipeline: Pipeline | undefined;
const servers: CountingHttpServer[] = [];
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
  await Promise.all(servers.splice(0).map((server) => server.close().catch(() => {})));
});

interface StartOptions {
  actor: ModelScript;
  /** The critic's verdict on a proposed call; replies are approved. */
  onCall?: ModelScript;
  tools?: InProcessTool[];
  rules?: unknown[];
  configure?: (config: Config) => void;
}

/** The service with the counting server `bank` over Streamable HTTP (tools lookup, charge, set_limit, ...). */
async function start(options: StartOptions): Promise<{ pipeline: Pipeline; bank: CountingHttpServer }> {
  const bank = await startCountingHttpServer({ name: 'bank' });
  servers.push(bank);
  pipeline = await startPipeline({
    actor: options.actor,
    critic: (request) => (proposedCall(request) ? (options.onCall ?? (() => actionVerdict('approve')))(request) : replyVerdict('approve')),
    ...(options.tools ? { tools: options.tools } : {}),
    configure: (config) => {
      config.tools.servers = [{ name: 'bank', transport: 'http', url: bank.url, headers: {} }];
      if (options.rules) {
        const rules = validateRules(options.rules, 'test');
        if (!rules.ok) throw new Error(rules.problems.join('\n'));
        config.escalation.rules = rules.value;
      }
      options.configure?.(config);
    },
  });
  return { pipeline, bank };
}

async function pendingTurn(p: Pipeline, conversation: string): Promise<PresentedTurn> {
  return waitFor(async () => {
    const listed = await p.reviewApi('GET', '/api/review/turns?status=pending');
    return (listed.body.turns as PresentedTurn[]).find((turn) => turn.conversation === `web:${conversation}`);
  }, `a pending review turn in ${conversation}`);
}

const charges = (bank: CountingHttpServer) => bank.executions.filter((execution) => execution.tool === 'charge');
const actionRequests = (p: Pipeline) => p.criticRequests().filter((request) => proposedCall(request));

describe('the agent loop', () => {
  it('a read runs without the critic, its result goes back as a tool message and into the reply; the next turn sees the call in its history', async () => {
    const { pipeline: p, bank } = await start({ actor: (request) => (request.raw.includes('second') ? { content: 'second reply' } : stepsActor([[['lookup', { account: 'acct-1' }]]])(request)) });
    await p.send('read', 'what is on acct-1?');
    const [reply] = await p.waitForBot('read', 1);
    expect(bank.executions.map((execution) => execution.tool)).toEqual(['lookup']);
    expect(reply).toBe(`Done: ${`Account acct-1: 0 charges (${bank.executions[0]!.receipt}).`}`);
    expect(actionRequests(p)).toHaveLength(0);
    // The offered tools are the server's, with descriptions and schemas.
    const offered = p.actorRequests()[0]!.body.tools as Array<{ function: { name: string; description: string; parameters: { properties: Record<string, unknown> } } }>;
    expect(offered.find((tool) => tool.function.name === 'charge')).toMatchObject({ function: { description: 'Charge an account. Every call is a new charge.', parameters: { properties: { amount: { exclusiveMinimum: 0 } } } } });
    await p.waitIdle('read');

    await p.send('read', 'a second question');
    await p.waitForBot('read', 2);
    const second = p.actorRequests().at(-1)!;
    expect(allCalls(second)).toEqual([{ id: expect.any(String), name: 'lookup', arguments: { account: 'acct-1' }, result: `Account acct-1: 0 charges (${bank.executions[0]!.receipt}).` }]);
    const replyReview = p.criticRequests().at(-1)!;
    expect(replyReview.raw).toContain('acct-1');
  });

  it('approve: the critic sees the tool, its description, schema and arguments before it runs; it runs once with an idempotency key', async () => {
    const { pipeline: p, bank } = await start({ actor: stepsActor([[['charge', { account: 'acct-2', amount: 25 }]]]) });
    await p.send('approve', 'charge 25 please');
    const [reply] = await p.waitForBot('approve', 1);
    expect(charges(bank)).toHaveLength(1);
    expect(charges(bank)[0]).toMatchObject({ arguments: { account: 'acct-2', amount: 25 }, key: expect.stringMatching(/^cs:/) });
    expect(reply).toContain(charges(bank)[0]!.receipt);
    const [review] = actionRequests(p);
    expect(proposedCall(review!)).toMatchObject({ tool: 'charge', description: 'Charge an account. Every call is a new charge.', effect: 'write', arguments: { account: 'acct-2', amount: 25 }, inputSchema: { properties: { amount: { exclusiveMinimum: 0 } } } });
  });

  it('a stdio MCP server: approved writes run there once, with the key in _meta', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'agent-loop-'));
    const file = path.join(dir, 'executions.jsonl');
    pipeline = await startPipeline({
      actor: stepsActor([[['charge', { account: 'acct-s', amount: 3 }]]]),
      critic: (request) => (proposedCall(request) ? actionVerdict('approve') : replyVerdict()),
      configure: (config) => {
        config.tools.servers = [{ name: 'local', transport: 'stdio', ...stdioCommand(), env: { COUNTING_NAME: 'local', COUNTING_FILE: file } }];
      },
    });
    await pipeline.send('stdio', 'charge 3');
    const [reply] = await pipeline.waitForBot('stdio', 1);
    const runs = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { tool: string; key: string; receipt: string });
    expect(runs.map((run) => run.tool)).toEqual(['charge']);
    expect(runs[0]!.key).toMatch(/^cs:/);
    expect(reply).toContain(runs[0]!.receipt);
  });

  it('edit: the call runs once with the revised arguments', async () => {
    const { pipeline: p, bank } = await start({
      actor: stepsActor([[['charge', { account: 'acct-3', amount: 500 }]]]),
      onCall: () => actionVerdict('edit', { revised_arguments: { account: 'acct-3', amount: 50 } }),
    });
    await p.send('edit', 'charge 500');
    await p.waitForBot('edit', 1);
    expect(charges(bank).map((execution) => execution.arguments)).toEqual([{ account: 'acct-3', amount: 50 }]);
  });

  it('edit with arguments that do not fit the schema is a critic failure: nothing runs, the call waits for a human', async () => {
    const { pipeline: p, bank } = await start({
      actor: stepsActor([[['charge', { account: 'acct-4', amount: 500 }]]]),
      onCall: () => actionVerdict('edit', { revised_arguments: { account: 'acct-4', amount: 'lots' } }),
    });
    await p.send('bad-edit', 'charge 500');
    const turn = await pendingTurn(p, 'bad-edit');
    expect(turn).toMatchObject({ kind: 'action', escalation: { source: 'critic-failure' }, action: { tool: 'charge', arguments: { account: 'acct-4', amount: 500 } } });
    expect(turn.escalation!.reason).toContain('input schema');
    expect(await p.waitForBot('bad-edit', 1)).toEqual([HOLDING]);
    expect(charges(bank)).toHaveLength(0);
  });

  it('revise: the feedback is the call\'s result; the corrected call runs; a critic that keeps sending calls back escalates past turn.maxRevisions', async () => {
    const { pipeline: p, bank } = await start({
      actor: (request) => {
        const seen = callsSinceUser(request);
        const last = seen.at(-1);
        if (!last) return stepsActor([[['charge', { account: 'acct-5', amount: 900 }]]])(request);
        if (last.result.includes('at most 90')) return stepsActor([[['charge', { account: 'acct-5', amount: 900 }]], [['charge', { account: 'acct-5', amount: 90 }]]])(request);
        return { content: `Done: ${last.result}` };
      },
      onCall: (request) => (proposedCall(request)!.arguments.amount === 90 ? actionVerdict('approve') : actionVerdict('revise', { feedback: 'Charge at most 90.' })),
    });
    await p.send('revise', 'charge 900');
    const [reply] = await p.waitForBot('revise', 1);
    expect(charges(bank).map((execution) => execution.arguments.amount)).toEqual([90]);
    expect(reply).toContain(charges(bank)[0]!.receipt);
    const told = p.actorRequests().some((request) => callsSinceUser(request).some((call) => call.result === 'Not run: the reviewer sent this call back: Charge at most 90.'));
    expect(told).toBe(true);

    // A critic that never lets the call through: past maxRevisions (2) the call goes to a human.
    p.critic.setScript!((request) => (proposedCall(request) ? actionVerdict('revise', { feedback: 'Charge at most 90.' }) : replyVerdict()));
    p.actor.setScript!((request) => stepsActor([[['charge', { account: 'acct-5b', amount: 900 }]], [['charge', { account: 'acct-5b', amount: 800 }]], [['charge', { account: 'acct-5b', amount: 700 }]], [['charge', { account: 'acct-5b', amount: 600 }]]])(request));
    await p.send('revise-limit', 'charge 900');
    const turn = await pendingTurn(p, 'revise-limit');
    expect(turn).toMatchObject({ kind: 'action', escalation: { source: 'revise-limit' }, action: { arguments: { amount: 700 } } });
    expect(charges(bank).filter((execution) => execution.arguments.account === 'acct-5b')).toHaveLength(0);
  });

  it('a critic that answers garbage never lets a call run: it waits for a human', async () => {
    const { pipeline: p, bank } = await start({ actor: stepsActor([[['charge', { account: 'acct-6', amount: 5 }]]]), onCall: () => ({ content: 'sure, go ahead!' }) });
    await p.send('garbage', 'charge 5');
    const turn = await pendingTurn(p, 'garbage');
    expect(turn).toMatchObject({ kind: 'action', escalation: { source: 'critic-failure' } });
    expect(charges(bank)).toHaveLength(0);
  });

  it('rules on the tool and its arguments: escalate before the critic is asked, block with the rule\'s text, and leave the rest to the critic', async () => {
    const { pipeline: p, bank } = await start({
      actor: (request) => {
        const text = newestUserText(request);
        const amount = Number(/amount (\d+)/.exec(text)?.[1] ?? 1);
        const tool = text.includes('freeze') ? 'freeze' : 'charge';
        return stepsActor([[[tool, tool === 'freeze' ? { account: 'acct-7' } : { account: 'acct-7', amount }]]])(request);
      },
      // As operators write them in countersign.yaml.
      rules: parse(`
- { name: big-charges, when: { tool: charge, args.amount: { gt: 100 } }, then: escalate }
- { name: never-freeze, when: { tool: [freeze, bank_freeze] }, then: { action: block, reply: Freezing accounts is done by the bank staff. } }
`) as unknown[],
    });
    await p.send('rule-big', 'amount 150');
    const turn = await pendingTurn(p, 'rule-big');
    expect(turn).toMatchObject({ kind: 'action', escalation: { source: 'rule', rule: 'big-charges' }, action: { tool: 'charge', arguments: { amount: 150 } } });
    expect(turn.escalation!.reason).toContain('args.amount 150 > 100');
    expect(actionRequests(p)).toHaveLength(0);

    await p.send('rule-freeze', 'freeze it');
    const [blocked] = await p.waitForBot('rule-freeze', 1);
    expect(blocked).toBe("Done: Not run: refused by the operator's policy (rule never-freeze): Freezing accounts is done by the bank staff.");

    await p.send('rule-small', 'amount 40');
    await p.waitForBot('rule-small', 1);
    expect(actionRequests(p)).toHaveLength(1);
    expect(charges(bank).map((execution) => execution.arguments.amount)).toEqual([40]);
    expect(bank.executions.filter((execution) => execution.tool === 'freeze')).toHaveLength(0);
  });

  it('parallel calls: reads run together at once, writes go through the gate one at a time in the order given', async () => {
    const events: string[] = [];
    let started = 0;
    const both = deferred();
    // Each read waits for the other to start: only reads that run together both answer "together".
    const probe = defineTool({
      name: 'probe',
      description: 'Probe a sensor.',
      input: z.object({ sensor: z.string() }),
      effect: 'read',
      execute: async ({ sensor }) => {
        if (++started === 2) both.resolve();
        const together = await Promise.race([both.promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]);
        return `${sensor}: ${together ? 'together' : 'alone'}`;
      },
    });
    const note = defineTool({
      name: 'note',
      description: 'Write a note.',
      input: z.object({ text: z.string() }),
      effect: 'write',
      execute: ({ text }) => {
        events.push(`run ${text}`);
        return `noted ${text}`;
      },
    });
    const { pipeline: p } = await start({
      tools: [probe, note],
      actor: stepsActor([[['note', { text: 'first' }], ['probe', { sensor: 'a' }], ['note', { text: 'second' }], ['probe', { sensor: 'b' }]]]),
      onCall: (request) => {
        events.push(`review ${String(proposedCall(request)!.arguments.text)}`);
        return actionVerdict('approve');
      },
    });
    await p.send('parallel', 'do it all');
    const [reply] = await p.waitForBot('parallel', 1);
    expect(reply).toBe('Done: noted first | a: together | noted second | b: together');
    expect(events).toEqual(['review first', 'run first', 'review second', 'run second']);
  });

  it('past turn.maxToolSteps the turn escalates; so does a turn whose tools used up turn.toolTimeBudgetMs', async () => {
    const slow = defineTool({
      name: 'slow_read',
      description: 'A slow read.',
      input: z.object({ n: z.number() }),
      effect: 'read',
      execute: async ({ n }) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return `read ${n}`;
      },
    });
    const { pipeline: p, bank } = await start({
      tools: [slow],
      // Calls a tool at every step, for ever.
      actor: (request) => {
        const taken = stepsSinceUser(request);
        return request.raw.includes('slowly') ? callTools(['slow_read', { n: taken }]) : callTools(['lookup', { account: `acct-${taken}` }]);
      },
      configure: (config) => {
        config.turn.maxToolSteps = 3;
        config.turn.toolTimeBudgetMs = 250;
      },
    });
    await p.send('steps', 'look everything up');
    const turn = await pendingTurn(p, 'steps');
    expect(turn).toMatchObject({ kind: 'reply', escalation: { source: 'tool-limit' } });
    expect(turn.escalation!.reason).toContain('more than 3 tool steps');
    expect(bank.executions.filter((execution) => execution.tool === 'lookup')).toHaveLength(3);

    await p.send('slow', 'read slowly');
    const slowTurn = await pendingTurn(p, 'slow');
    expect(slowTurn.escalation!.reason).toContain('turn.toolTimeBudgetMs');
    const detail = (await p.reviewApi('GET', `/api/review/turns/${slowTurn.id}`)).body.turn as { toolSteps: unknown[] };
    expect(detail.toolSteps).toHaveLength(1);
  });

  it('a tool server that is down: the call fails with a result the actor sees, and the turn goes on', async () => {
    const { pipeline: p, bank } = await start({ actor: stepsActor([[['lookup', { account: 'acct-8' }]]]) });
    await bank.close();
    await p.send('down', 'look it up');
    const [reply] = await p.waitForBot('down', 1, 30_000);
    expect(reply).toMatch(/^Done: Error: /);
    expect(bank.executions).toHaveLength(0);
    expect((await fetch(`${p.url()}/healthz`)).status).toBe(200);
  });
});

describe('review of a held call through the API', () => {
  async function escalating() {
    return start({
      actor: (request) => stepsActor([[['charge', { account: /acct-\w+/.exec(request.raw)?.[0] ?? 'acct-x', amount: 900 }]]])(request),
      onCall: () => actionVerdict('escalate', { reason: 'a large charge' }),
    });
  }

  it('approve with arguments: 400 for arguments that do not fit (nothing runs, still pending), then it runs once with the reviewer\'s; a second decision is 409', async () => {
    const { pipeline: p, bank } = await escalating();
    await p.send('review-edit', 'charge acct-r1');
    const turn = await pendingTurn(p, 'review-edit');
    expect(turn).toMatchObject({ kind: 'action', status: 'pending', action: { server: 'bank', tool: 'charge', effect: 'write', arguments: { account: 'acct-r1', amount: 900 } } });
    expect(turn.action!.verdict).toMatchObject({ decision: 'escalate', reason: 'a large charge' });
    const one = await p.reviewApi('GET', `/api/review/turns/${turn.id}`);
    expect(one.body.turn).toMatchObject({ kind: 'action', action: { inputSchema: { properties: { amount: { exclusiveMinimum: 0 } } } } });

    const invalid = await p.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, { arguments: { account: 'acct-r1', amount: -5 } });
    expect(invalid.status).toBe(400);
    expect(String(invalid.body.error)).toContain('input schema');
    expect((await pendingTurn(p, 'review-edit')).id).toBe(turn.id);
    expect(charges(bank)).toHaveLength(0);

    const approved = await p.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, { arguments: { account: 'acct-r1', amount: 90 } });
    expect(approved.status).toBe(200);
    const texts = await p.waitForBot('review-edit', 2);
    expect(charges(bank).map((execution) => execution.arguments)).toEqual([{ account: 'acct-r1', amount: 90 }]);
    expect(texts).toEqual([HOLDING, `Done: Charged 90 to acct-r1 (${charges(bank)[0]!.receipt}).`]);
    for (const decision of ['approve', 'reject'] as const) expect((await p.reviewApi('POST', `/api/review/turns/${turn.id}/${decision}`, {})).status).toBe(409);
    await p.waitIdle('review-edit');
    expect(charges(bank)).toHaveLength(1);
  });

  it('approve as proposed runs the proposed arguments; reject tells the actor a human refused the call and it finishes the turn with a reply', async () => {
    const { pipeline: p, bank } = await escalating();
    await p.send('review-approve', 'charge acct-r2');
    const turn = await pendingTurn(p, 'review-approve');
    expect((await p.reviewApi('POST', `/api/review/turns/${turn.id}/approve`, {})).status).toBe(200);
    await p.waitForBot('review-approve', 2);
    expect(charges(bank).map((execution) => execution.arguments)).toEqual([{ account: 'acct-r2', amount: 900 }]);

    await p.send('review-reject', 'charge acct-r3');
    const held = await pendingTurn(p, 'review-reject');
    const rejected = await p.reviewApi('POST', `/api/review/turns/${held.id}/reject`, {});
    expect(rejected.status).toBe(200);
    const texts = await p.waitForBot('review-reject', 2);
    expect(texts[1]).toBe('Done: Not run: a human reviewer refused this call. Do not make it again; tell the user it was not done.');
    const last = p.actorRequests().at(-1)!;
    expect(last.body.tool_choice).toBe('none');
    expect(charges(bank).filter((execution) => execution.arguments.account === 'acct-r3')).toHaveLength(0);
    expect((await p.reviewApi('POST', `/api/review/turns/${held.id}/reject`, {})).status).toBe(409);
    // A reviewer gives text (a reply) or arguments (a call), never both.
    expect((await p.reviewApi('POST', `/api/review/turns/${held.id}/approve`, { text: 'hi', arguments: {} })).status).toBe(400);
  });

  it('a turn held again for a later call is pending again (only pending), with one holding message; each call runs once when approved', async () => {
    const { pipeline: p, bank } = await start({
      actor: stepsActor([[['charge', { account: 'acct-r4', amount: 900 }]], [['charge', { account: 'acct-r4', amount: 800 }]]]),
      onCall: () => actionVerdict('escalate', { reason: 'a large charge' }),
    });
    await p.send('twice', 'charge twice');
    const first = await pendingTurn(p, 'twice');
    expect((await p.reviewApi('POST', `/api/review/turns/${first.id}/approve`, {})).status).toBe(200);
    const second = await waitFor(async () => {
      const turn = await pendingTurn(p, 'twice');
      return turn.action?.arguments.amount === 800 ? turn : null;
    }, 'the second call held');
    expect(second).toMatchObject({ id: first.id, kind: 'action', status: 'pending', resolution: null });
    const resolved = await p.reviewApi('GET', '/api/review/turns?status=resolved');
    expect((resolved.body.turns as PresentedTurn[]).map((turn) => turn.id)).not.toContain(first.id);
    expect((await p.reviewApi('POST', `/api/review/turns/${first.id}/approve`, {})).status).toBe(200);
    const texts = await p.waitForBot('twice', 2);
    expect(charges(bank).map((execution) => execution.arguments.amount)).toEqual([900, 800]);
    expect(texts).toEqual([HOLDING, `Done: Charged 900 to acct-r4 (${charges(bank)[0]!.receipt}). | Charged 800 to acct-r4 (${charges(bank)[1]!.receipt}).`]);
  });
});
