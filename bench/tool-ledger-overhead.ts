/**
 * What the action ledger adds to a tool call: the same calls through `registry.call` (no
 * ledger) and through `ledger.execute` (record, begin, call, finish: a few Redis round trips),
 * for an in-process read and a write to an MCP server over Streamable HTTP (the counting server
 * of the tests). Needs Redis at REDIS_URL (default redis://127.0.0.1:6379; a fresh key prefix,
 * deleted after).
 *   npx tsx bench/tool-ledger-overhead.ts [calls]      (default 300 per case, after 20 warm-ups)
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { z } from 'zod';
import { createKeys } from '../src/core/keys.js';
import { approveActionByCritic, approveReadCall } from '../src/tools/action-approval.js';
import { createActionLedger } from '../src/tools/action-ledger.js';
import { defineTool } from '../src/tools/define-tool.js';
import { createToolRegistry } from '../src/tools/tool-registry.js';
import { startCountingHttpServer } from '../test/fakes/counting-mcp-server.js';
import { deletePrefix } from '../test/helpers/redis.js';

const calls = Number(process.argv[2] ?? 300);
const logger = pino({ level: 'silent' });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `cs-bench-ledger-${Date.now().toString(36)}`;
const echo = defineTool({ name: 'echo', description: 'Echo a number.', input: z.object({ n: z.number() }), effect: 'read', execute: ({ n }) => `n=${n}` });
const server = await startCountingHttpServer({ name: 'bank' });
const tools = createToolRegistry({ tools: [echo], servers: [{ name: 'bank', transport: 'http', url: server.url, headers: {} }], logger });
await tools.start();
const ledger = createActionLedger({ redis, keys: createKeys(prefix), registry: tools, logger });

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

async function measure(label: string, run: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 20; i++) await run(1_000_000 + i);
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await run(i);
    times.push(performance.now() - start);
  }
  console.log(`${label.padEnd(34)} median ${percentile(times, 0.5).toFixed(2)} ms   p95 ${percentile(times, 0.95).toFixed(2)} ms   (${calls} calls)`);
}

try {
  await measure('in-process read, registry.call', (i) => tools.call('echo', { n: i }, { idempotencyKey: `bench-${i}` }));
  await measure('in-process read, ledger.execute', (i) => ledger.execute(approveReadCall({ turnId: 'benchread', step: 0, index: i, arguments: { n: i } }, tools.get('echo')!)));
  await measure('MCP HTTP write, registry.call', (i) => tools.call('charge', { account: 'bench', amount: 1 }, { idempotencyKey: `bench-w-${i}` }));
  await measure('MCP HTTP write, ledger.execute', (i) =>
    ledger.execute(approveActionByCritic({ turnId: 'benchwrite', step: 0, index: i, arguments: { account: 'bench', amount: 1 } }, tools.get('charge')!, { decision: 'approve' })),
  );
} finally {
  await deletePrefix(redis, prefix);
  await tools.close();
  await server.close();
  redis.disconnect();
}
