/**
 * The action ledger across a real process death: a worker process (test/helpers/ledger-worker.ts)
 * executes one approved call against the counting MCP server over stdio and is SIGKILLed before,
 * during or after the tool's side effect; then another worker (this process, another owner)
 * executes the same approved call once the dead worker's lease lapses. Executions are counted by
 * the server, in a file both workers' servers append to: a non-idempotent call never runs twice,
 * an idempotent one runs again with the same idempotency key, a recorded result is reused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCountersignError } from '../../src/core/errors.js';
import { createKeys } from '../../src/core/keys.js';
import { approveActionByCritic } from '../../src/tools/action-approval.js';
import { type ActionExecution, createActionLedger } from '../../src/tools/action-ledger.js';
import { createToolRegistry, type ToolRegistry } from '../../src/tools/tool-registry.js';
import { stdioCommand } from '../fakes/counting-mcp-server.js';
import { waitFor } from '../helpers/pipeline.js';
import { connectRedis, deletePrefix, randomPrefix, REDIS_URL } from '../helpers/redis.js';
import { PROJECT_ROOT } from '../helpers/worker-process.js';

const logger = pino({ level: 'silent' });
const DELAY_MS = 2000;
const directory = mkdtempSync(path.join(tmpdir(), 'countersign-ledger-crash-'));
const EXECUTIONS = path.join(directory, 'executions.jsonl');
const TRACE = path.join(directory, 'trace.jsonl');

let redis: Redis;
let prefix: string;
let tools: ToolRegistry;
const children: ChildProcess[] = [];

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  } catch {
    return [];
  }
};
const runsFor = (account: string) => read(EXECUTIONS).filter((line) => (line.arguments as { account?: string }).account === account);

beforeAll(async () => {
  redis = connectRedis();
  prefix = randomPrefix('ledger-crash');
  // The surviving worker's own connection to the same server program (and the same count).
  tools = createToolRegistry({
    servers: [{ name: 'bank', transport: 'stdio', ...stdioCommand(), env: { COUNTING_NAME: 'bank', COUNTING_FILE: EXECUTIONS, COUNTING_TRACE: TRACE, COUNTING_DELAY_MS: String(DELAY_MS) } }],
    logger,
    connectTimeoutMs: 30_000,
  });
  await tools.start();
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  await tools.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** Starts the worker on one call; resolves with the process and a promise of its exit. */
function startWorker(turnId: string, tool: string, args: Record<string, unknown>, killAt?: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/ledger-worker.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      REDIS_URL,
      LEDGER_PREFIX: prefix,
      LEDGER_TURN: turnId,
      LEDGER_TOOL: tool,
      LEDGER_ARGS: JSON.stringify(args),
      LEDGER_TIMEOUT_MS: '3000',
      ...(killAt ? { LEDGER_KILL_AT: killAt } : {}),
      COUNTING_FILE: EXECUTIONS,
      COUNTING_TRACE: TRACE,
      COUNTING_DELAY_MS: String(DELAY_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  return { child, exited, output: () => output };
}

/** The survivor executes the same approved call, retrying while the dead worker's lease holds. */
async function takeOver(turnId: string, tool: string, args: Record<string, unknown>): Promise<ActionExecution> {
  const ledger = createActionLedger({ redis, keys: createKeys(prefix), registry: tools, logger });
  const approval = approveActionByCritic({ turnId, step: 0, index: 0, arguments: args }, tools.get(tool)!, { decision: 'approve' });
  return waitFor(
    async () => {
      try {
        return await ledger.execute(approval, { timeoutMs: 10_000 });
      } catch (error) {
        if (isCountersignError(error, 'tools.action-busy')) return undefined;
        throw error;
      }
    },
    'the dead worker\'s lease to lapse',
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

describe('the action ledger when a worker process is SIGKILLed', () => {
  it.each([
    ['before the side effect (the call started, the tool not called yet)', 'started', 'charge', 'outcome-unknown', 0],
    ['during the call (the tool is running)', 'during', 'charge', 'outcome-unknown', 1],
    ['after the side effect (the tool answered, nothing recorded)', 'called', 'charge', 'outcome-unknown', 1],
    ['after the outcome was recorded', 'finished', 'charge', 'done', 1],
    ['during the call to an idempotent tool', 'during', 'set_limit', 'done', 2],
    ['after the side effect of an idempotent tool', 'called', 'set_limit', 'done', 2],
  ] as const)('killed %s (%s) of %s: %s, %d run(s) on the server', async (_when, killAt, tool, status, runs) => {
    const turnId = `crash${Date.now().toString(36)}${killAt}${tool}`;
    const account = `${turnId}-acct`;
    const args = tool === 'charge' ? { account, amount: 25 } : { account, limit: 250 };
    const worker = startWorker(turnId, tool, args, killAt === 'during' ? undefined : killAt);
    if (killAt === 'during') {
      await waitFor(() => read(TRACE).some((line) => (line.arguments as { account?: string }).account === account), 'the call to reach the server', { timeoutMs: 30_000 });
      worker.child.kill('SIGKILL');
    }
    expect(await worker.exited).toBe('SIGKILL');
    expect(worker.output()).not.toContain('"outcome"');
    // A call that reached the server finishes there, caller or not (as a real server would).
    if (killAt !== 'started') await waitFor(() => runsFor(account).length === 1, 'the dead worker\'s call to finish on the server', { timeoutMs: 20_000 });
    const result = await takeOver(turnId, tool, args);
    expect(result.status).toBe(status);
    if (status === 'done' && runs === 1) expect(result).toMatchObject({ reused: true });
    // Let a run the survivor may have started finish before counting.
    if (runs === 2) await waitFor(() => runsFor(account).length === 2, 'the repeated run');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const executed = runsFor(account);
    expect(executed).toHaveLength(runs);
    for (const execution of executed) expect(execution.key).toBe(result.record.idempotencyKey);
    if (status === 'outcome-unknown') expect(result.record).toMatchObject({ state: 'unknown', tool, arguments: args, attempts: 1 });
  });
});
