/**
 * A worker process for the action ledger's crash tests: it starts the counting MCP server
 * (test/fakes/counting-mcp-server.ts) over stdio, approves one call and executes it through the
 * ledger, then prints the outcome as one JSON line and exits. With LEDGER_KILL_AT it kills itself
 * (SIGKILL) at that step of the execution; the test can also kill it from outside at any time.
 *
 * Environment: REDIS_URL, LEDGER_PREFIX, LEDGER_TURN, LEDGER_TOOL, LEDGER_ARGS (JSON),
 * LEDGER_TIMEOUT_MS, LEDGER_KILL_AT (recorded | started | called | finished), and the counting
 * server's COUNTING_FILE, COUNTING_TRACE, COUNTING_DELAY_MS (passed on to it).
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createKeys } from '../../src/core/keys.js';
import { approveActionByCritic } from '../../src/tools/action-approval.js';
import { createActionLedger } from '../../src/tools/action-ledger.js';
import { createToolRegistry } from '../../src/tools/tool-registry.js';
import { stdioCommand } from '../fakes/counting-mcp-server.js';

const env = process.env;
const logger = pino({ level: 'warn' }, process.stderr);
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const registry = createToolRegistry({
  servers: [
    {
      name: 'bank',
      transport: 'stdio',
      ...stdioCommand(),
      env: { COUNTING_NAME: 'bank', COUNTING_FILE: env.COUNTING_FILE ?? '', COUNTING_TRACE: env.COUNTING_TRACE ?? '', COUNTING_DELAY_MS: env.COUNTING_DELAY_MS ?? '0' },
    },
  ],
  logger,
  connectTimeoutMs: 30_000,
});
await registry.start();
const tool = registry.get(env.LEDGER_TOOL ?? '');
if (!tool) throw new Error(`no tool ${env.LEDGER_TOOL}`);
const ledger = createActionLedger({
  redis,
  keys: createKeys(env.LEDGER_PREFIX ?? 'missing-prefix'),
  registry,
  logger,
  leaseMarginMs: 0,
  onTransition: (transition) => {
    process.stdout.write(`${JSON.stringify({ step: transition.type })}\n`);
    if (transition.type === env.LEDGER_KILL_AT) process.kill(process.pid, 'SIGKILL');
  },
});
const approval = approveActionByCritic({ turnId: env.LEDGER_TURN ?? 't', step: 0, index: 0, arguments: JSON.parse(env.LEDGER_ARGS ?? '{}') as Record<string, unknown> }, tool, { decision: 'approve' });
const outcome = await ledger.execute(approval, { timeoutMs: Number(env.LEDGER_TIMEOUT_MS ?? 3000) });
process.stdout.write(`${JSON.stringify({ outcome: outcome.status })}\n`);
await registry.close();
redis.disconnect();
