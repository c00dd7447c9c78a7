/**
 * The action ledger (exactly-once execution) on a real Redis, calling a real MCP server built
 * with the SDK (test/fakes/counting-mcp-server.ts over Streamable HTTP) that counts what it runs.
 * A worker's crash is a throw from the ledger's `onTransition` hook at one step: the execution
 * stops there, as it would if the process died, and another ledger (another worker) takes over
 * once the lease lapses. test/integration/action-ledger-crash.test.ts kills real processes.
 */
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCountersignError } from '../../src/core/errors.js';
import { createKeys, type Keys } from '../../src/core/keys.js';
import { type ActionApproval, approveActionByCritic, approveActionByReviewer, approveReadCall } from '../../src/tools/action-approval.js';
import { type ActionExecution, type ActionLedger, type ActionLedgerOptions, createActionLedger, type LedgerTransition } from '../../src/tools/action-ledger.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { createToolRegistry, type ToolRegistry } from '../../src/tools/tool-registry.js';
import { toolResultText } from '../../src/tools/tool-types.js';
import { type CountingHttpServer, startCountingHttpServer } from '../fakes/counting-mcp-server.js';
import { waitFor } from '../helpers/pipeline.js';
import { connectRedis, deletePrefix, randomPrefix } from '../helpers/redis.js';

const logger = pino({ level: 'silent' });
const REVIEWER = { via: 'api', id: 'ada' };
const RETENTION = 3600;
const RESOLVED_RETENTION = 7200;

class Crash extends Error {}

let redis: Redis;
let prefix: string;
let keys: Keys;
let server: CountingHttpServer;
let tools: ToolRegistry;
let turn = 0;

const bigText = 'x'.repeat(10_000);
const report = defineTool({ name: 'long_report', description: 'A long report.', input: z.object({ day: z.string() }), effect: 'read', execute: ({ day }) => `${day}: ${bigText}` });

beforeAll(async () => {
  redis = connectRedis();
  server = await startCountingHttpServer({ name: 'bank' });
  tools = createToolRegistry({ servers: [{ name: 'bank', transport: 'http', url: server.url, headers: {} }], tools: [report], logger });
  await tools.start();
});

afterAll(async () => {
  await tools.close();
  await server.close();
  redis.disconnect();
});

afterEach(async () => {
  await deletePrefix(redis, prefix);
});

function freshTurn(): string {
  prefix = randomPrefix('ledger');
  keys = createKeys(prefix);
  turn += 1;
  return `t${Date.now().toString(36)}${turn}`;
}

function ledger(options: Partial<ActionLedgerOptions> & { crashAt?: LedgerTransition['type']; seen?: LedgerTransition[] } = {}): ActionLedger {
  const { crashAt, seen, ...rest } = options;
  return createActionLedger({
    redis,
    keys,
    registry: tools,
    logger,
    retentionSeconds: RETENTION,
    resolvedRetentionSeconds: RESOLVED_RETENTION,
    onTransition: (transition) => {
      seen?.push(transition);
      if (transition.type === crashAt) throw new Crash(`crashed at ${crashAt}`);
    },
    ...rest,
  });
}

function approve(turnId: string, tool: string, args: Record<string, unknown>, index = 0): ActionApproval {
  const descriptor = tools.get(tool);
  if (!descriptor) throw new Error(`no tool ${tool}`);
  return approveActionByCritic({ turnId, step: 0, index, arguments: args }, descriptor, { decision: 'approve' });
}

const runsFor = (account: string) => server.executions.filter((execution) => execution.arguments.account === account);

/** Another worker's attempt: retried while the crashed worker's lease holds (as the job queue would). */
async function executeWhenFree(worker: ActionLedger, approval: ActionApproval): Promise<ActionExecution> {
  return waitFor(
    async () => {
      try {
        return await worker.execute(approval);
      } catch (error) {
        if (isCountersignError(error, 'tools.action-busy')) return undefined;
        throw error;
      }
    },
    'the lease of the crashed attempt to lapse',
    { intervalMs: 100 },
  );
}

describe('the action ledger', () => {
  it('runs nothing without an approval issued by the approval factories', async () => {
    const turnId = freshTurn();
    const approval = approve(turnId, 'charge', { account: `${turnId}-a`, amount: 5 });
    const forged = { ...approval } as ActionApproval;
    await expect(ledger().execute(forged)).rejects.toMatchObject({ code: 'tools.not-approved' });
    await expect(ledger().execute(JSON.parse(JSON.stringify(approval)) as ActionApproval)).rejects.toMatchObject({ code: 'tools.not-approved' });
    expect(runsFor(`${turnId}-a`)).toEqual([]);
    expect(await redis.exists(keys.action(approval.callId))).toBe(0);
    // An approval cannot be changed after it was issued.
    expect(() => {
      (approval.arguments as Record<string, unknown>).amount = 500;
    }).toThrow(TypeError);
    // The factories refuse what is not an approval.
    const charge = tools.get('charge')!;
    const call = { turnId, step: 0, index: 1, arguments: { account: 'x', amount: 1 } };
    expect(() => approveReadCall(call, charge)).toThrow(/reviewed before it runs/);
    expect(() => approveReadCall(call, tools.get('long_report')!)).not.toThrow();
    expect(() => approveActionByCritic(call, charge, { decision: 'escalate' })).toThrow(/not an approval/);
    expect(() => approveActionByCritic(call, charge, { decision: 'edit', revised_arguments: null })).toThrow(/revised_arguments/);
  });

  it("runs an approved call once with its idempotency key; a done call's recorded result is reused, never run again", async () => {
    const turnId = freshTurn();
    const account = `${turnId}-once`;
    const seen: LedgerTransition[] = [];
    const first = await ledger({ seen }).execute(approve(turnId, 'charge', { account, amount: 5 }));
    expect(first).toMatchObject({ status: 'done', reused: false, result: { ok: true, content: [{ type: 'text', text: expect.stringMatching(/^Charged 5 to /) }] } });
    expect(seen.map((transition) => transition.type)).toEqual(['recorded', 'started', 'called', 'finished']);
    // The same call again (a retried job, a human approving it again): the recorded result.
    const reviewer = approveActionByReviewer({ turnId, step: 0, index: 0, arguments: { account, amount: 5 } }, tools.get('charge')!, REVIEWER, { account, amount: 50 });
    const again = await ledger().execute(reviewer);
    expect(again).toMatchObject({ status: 'done', reused: true });
    expect(again.result).toEqual(first.result);
    expect(runsFor(account).map((execution) => [execution.arguments.amount, execution.key])).toEqual([[5, first.record.idempotencyKey]]);
    const record = await ledger().get(first.record.callId);
    expect(record).toMatchObject({ state: 'done', attempts: 1, arguments: { account, amount: 5 }, approvedBy: { kind: 'critic', decision: 'approve' }, effect: 'write', idempotent: false });
    const ttl = await redis.ttl(keys.action(first.record.callId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(RETENTION);
  });

  it('gives every call its own unguessable key, kept by its record', async () => {
    const turnId = freshTurn();
    const one = await ledger().execute(approve(turnId, 'charge', { account: `${turnId}-k`, amount: 1 }, 0));
    const two = await ledger().execute(approve(turnId, 'charge', { account: `${turnId}-k`, amount: 2 }, 1));
    expect(one.record.idempotencyKey).toMatch(new RegExp(`^cs:${turnId}:0:0:[A-Za-z0-9_-]{22}$`));
    expect(two.record.idempotencyKey).toMatch(new RegExp(`^cs:${turnId}:0:1:[A-Za-z0-9_-]{22}$`));
    expect(one.record.idempotencyKey).not.toBe(two.record.idempotencyKey);
    expect(runsFor(`${turnId}-k`).map((execution) => execution.key)).toEqual([one.record.idempotencyKey, two.record.idempotencyKey]);
  });

  // A worker dies (1) after the call started and before the tool was called, (2) after the tool
  // ran and before its result was recorded, (3) after the result was recorded. Another worker
  // then executes the same approved call.
  it.each([
    ['before the side effect', 'started', 'charge', { status: 'outcome-unknown', runs: 0 }],
    ['after the side effect', 'called', 'charge', { status: 'outcome-unknown', runs: 1 }],
    ['after the result was recorded', 'finished', 'charge', { status: 'done', runs: 1 }],
    ['before the side effect (idempotent)', 'started', 'set_limit', { status: 'done', runs: 1 }],
    ['after the side effect (idempotent)', 'called', 'set_limit', { status: 'done', runs: 2 }],
    ['after the result was recorded (idempotent)', 'finished', 'set_limit', { status: 'done', runs: 1 }],
  ] as const)('a worker killed %s (at "%s") of a %s call', async (_when, crashAt, tool, expected) => {
    const turnId = freshTurn();
    const account = `${turnId}-${tool}`;
    const args = tool === 'charge' ? { account, amount: 7 } : { account, limit: 70 };
    const approval = approve(turnId, tool, args);
    await expect(ledger({ crashAt, leaseMarginMs: 0 }).execute(approval, { timeoutMs: 800 })).rejects.toBeInstanceOf(Crash);
    const next = await executeWhenFree(ledger(), approval);
    expect(next.status).toBe(expected.status);
    const runs = runsFor(account);
    expect(runs).toHaveLength(expected.runs);
    // Every run of the call carried the same key: the record's.
    for (const run of runs) expect(run.key).toBe(next.record.idempotencyKey);
    if (expected.status === 'outcome-unknown') {
      expect(next.result).toMatchObject({ ok: false, code: 'outcome-unknown' });
      expect(next.record).toMatchObject({ state: 'unknown', tool, arguments: args });
      // Waiting for a human: it must not expire.
      expect(await redis.ttl(keys.action(approval.callId))).toBe(-1);
      // And a third attempt still does not run it.
      expect((await ledger().execute(approval)).status).toBe('outcome-unknown');
      expect(runsFor(account)).toHaveLength(expected.runs);
    } else {
      expect(await redis.ttl(keys.action(approval.callId))).toBeGreaterThan(0);
    }
  });

  it("is busy while another worker's lease on the call holds, and takes the call over once it lapses", async () => {
    const turnId = freshTurn();
    const approval = approve(turnId, 'charge', { account: `${turnId}-lease`, amount: 3 });
    await expect(ledger({ crashAt: 'started', leaseMarginMs: 0 }).execute(approval, { timeoutMs: 1500 })).rejects.toBeInstanceOf(Crash);
    const error = await ledger().execute(approval).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'tools.action-busy', retryable: true });
    const later = await executeWhenFree(ledger(), approval);
    expect(later.status).toBe('outcome-unknown');
    expect(runsFor(`${turnId}-lease`)).toEqual([]);
  });

  it('one worker executing the same call twice at once runs it once', async () => {
    const turnId = freshTurn();
    const worker = ledger();
    const approval = approve(turnId, 'charge', { account: `${turnId}-twice`, amount: 4 });
    const results = await Promise.allSettled([worker.execute(approval), worker.execute(approval)]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: { code: 'tools.action-busy' } });
    expect(runsFor(`${turnId}-twice`)).toHaveLength(1);
  });

  it('a non-idempotent call that times out has an unknown outcome; an idempotent one is a failed result', async () => {
    const slow = await startCountingHttpServer({ name: 'slowbank', delayMs: 1500 });
    const slowTools = createToolRegistry({ servers: [{ name: 'slowbank', transport: 'http', url: slow.url, headers: {} }], logger });
    try {
      await slowTools.start();
      const turnId = freshTurn();
      const worker = ledger({ registry: slowTools });
      const charge = approveActionByCritic({ turnId, step: 0, index: 0, arguments: { account: 'slow', amount: 1 } }, slowTools.get('charge')!, { decision: 'approve' });
      const limit = approveActionByCritic({ turnId, step: 0, index: 1, arguments: { account: 'slow', limit: 1 } }, slowTools.get('set_limit')!, { decision: 'approve' });
      const charged = await worker.execute(charge, { timeoutMs: 300 });
      expect(charged).toMatchObject({ status: 'outcome-unknown', record: { state: 'unknown' } });
      const limited = await worker.execute(limit, { timeoutMs: 300 });
      expect(limited).toMatchObject({ status: 'failed', result: { code: 'timeout' }, record: { state: 'failed' } });
      // The server did run the charge it was sent: "unknown" was the truth.
      await waitFor(() => slow.executions.length === 2, 'the server to finish both calls');
    } finally {
      await slowTools.close();
      await slow.close();
    }
  });

  it('a call to a server that is down fails (nothing was sent) and is not an unknown outcome', async () => {
    const gone = await startCountingHttpServer({ name: 'gone' });
    const goneTools = createToolRegistry({ servers: [{ name: 'gone', transport: 'http', url: gone.url, headers: {} }], logger, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    try {
      await goneTools.start();
      const descriptor = goneTools.get('charge')!;
      await gone.close();
      await goneTools.call('lookup', { account: 'probe' }, { idempotencyKey: 'probe' }); // notices the server is gone
      await waitFor(() => goneTools.servers()[0]?.state === 'down', 'the registry to see the server down');
      const turnId = freshTurn();
      const result = await ledger({ registry: goneTools }).execute(approveActionByCritic({ turnId, step: 0, index: 0, arguments: { account: 'g', amount: 1 } }, descriptor, { decision: 'approve' }));
      expect(result).toMatchObject({ status: 'failed', result: { code: 'unavailable' }, record: { state: 'failed' } });
      expect(gone.executions).toEqual([]);
    } finally {
      await goneTools.close();
    }
  });

  it("records a human's answer to an unknown outcome, reuses it, and lets the record expire after the reviewed retention", async () => {
    const turnId = freshTurn();
    const approval = approve(turnId, 'charge', { account: `${turnId}-human`, amount: 9 });
    const worker = ledger({ crashAt: 'called' });
    await expect(worker.execute(approval)).rejects.toBeInstanceOf(Crash);
    // The same worker comes back to it (its own attempt died, its lease still runs): unknown, not busy.
    const unknown = await worker.execute(approval);
    expect(unknown.status).toBe('outcome-unknown');
    const resolved = await worker.resolveUnknown(approval.callId, { outcome: 'done', reviewer: REVIEWER, note: 'the bank statement shows it' });
    expect(resolved).toMatchObject({ state: 'done', resolution: { outcome: 'done', reviewer: REVIEWER, note: 'the bank statement shows it' } });
    const ttl = await redis.ttl(keys.action(approval.callId));
    expect(ttl).toBeGreaterThan(RETENTION);
    expect(ttl).toBeLessThanOrEqual(RESOLVED_RETENTION);
    const after = await worker.execute(approval);
    expect(after).toMatchObject({ status: 'done', reused: true, result: { ok: true, content: [{ text: 'A reviewer confirmed that the call took effect: the bank statement shows it.' }] } });
    expect(runsFor(`${turnId}-human`)).toHaveLength(1);
    await expect(worker.resolveUnknown(approval.callId, { outcome: 'failed', reviewer: REVIEWER })).rejects.toMatchObject({ code: 'tools.not-unknown' });
    await expect(worker.resolveUnknown(`${turnId}:9:9`, { outcome: 'failed', reviewer: REVIEWER })).rejects.toMatchObject({ message: expect.stringContaining('is missing') });
  });

  it('an approved record that never started expires after the retention, is replaced by a newer approval (keeping its key), and stops expiring once started', async () => {
    const turnId = freshTurn();
    const account = `${turnId}-replace`;
    await expect(ledger({ crashAt: 'recorded' }).execute(approve(turnId, 'charge', { account, amount: 100 }))).rejects.toBeInstanceOf(Crash);
    const approved = await ledger().get(`${turnId}:0:0`);
    expect(approved).toMatchObject({ state: 'approved', arguments: { account, amount: 100 } });
    const ttl = await redis.ttl(keys.action(`${turnId}:0:0`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(RETENTION);
    const edited = approveActionByReviewer({ turnId, step: 0, index: 0, arguments: { account, amount: 100 } }, tools.get('charge')!, REVIEWER, { account, amount: 10 });
    await expect(ledger({ crashAt: 'started' }).execute(edited)).rejects.toBeInstanceOf(Crash);
    const started = await ledger().get(`${turnId}:0:0`);
    expect(started).toMatchObject({ state: 'started', arguments: { account, amount: 10 }, approvedBy: { kind: 'reviewer', edited: true }, idempotencyKey: approved!.idempotencyKey });
    expect(await redis.ttl(keys.action(`${turnId}:0:0`))).toBe(-1);
    expect(runsFor(account)).toEqual([]);
  });

  it('a read approved without review is refused once its tool must be reviewed', async () => {
    const turnId = freshTurn();
    const read = approveReadCall({ turnId, step: 0, index: 0, arguments: { account: `${turnId}-read` } }, tools.get('lookup')!);
    const stricter = createToolRegistry({ servers: [{ name: 'bank', transport: 'http', url: server.url, headers: {} }], policy: { lookup: { effect: 'read', critic: 'always' } }, logger });
    try {
      await stricter.start();
      const result = await ledger({ registry: stricter }).execute(read);
      expect(result).toMatchObject({ status: 'failed', result: { code: 'not-approved' } });
      expect(runsFor(`${turnId}-read`)).toEqual([]);
      expect(await ledger().execute(approveReadCall({ turnId, step: 0, index: 1, arguments: { account: `${turnId}-read` } }, tools.get('lookup')!))).toMatchObject({ status: 'done' });
      expect(runsFor(`${turnId}-read`)).toHaveLength(1);
    } finally {
      await stricter.close();
    }
  });

  it('stores a long result cut to maxResultBytes, so a reuse gives exactly what the first run gave', async () => {
    const turnId = freshTurn();
    const approval = approveReadCall({ turnId, step: 1, index: 0, arguments: { day: 'monday' } }, tools.get('long_report')!);
    const first = await ledger({ maxResultBytes: 2048 }).execute(approval);
    const text = toolResultText(first.result);
    expect(text.startsWith('monday: xxx')).toBe(true);
    expect(text).toMatch(/\[cut: the result was \d+ bytes; the first \d+ are kept\]$/);
    expect(Buffer.byteLength(JSON.stringify(first.result))).toBeLessThanOrEqual(2048);
    const again = await ledger({ maxResultBytes: 2048 }).execute(approval);
    expect(again).toMatchObject({ status: 'done', reused: true });
    expect(again.result).toEqual(first.result);
  });
});
