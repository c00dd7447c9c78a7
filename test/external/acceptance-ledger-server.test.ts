/**
 * The registry and the action ledger with the MCP server of the project's acceptance run of the
 * tools contract: it reads ../shared/acceptance/ledger-mcp-server.mjs (a ledger of credits that
 * writes every execution, with its idempotency key, to a file), over stdio and over Streamable
 * HTTP with a bearer token. vitest.config.ts leaves test/external/ out when that file is absent
 * outside CI.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { approveActionByCritic } from '../../src/tools/action-approval.js';
import { createActionLedger } from '../../src/tools/action-ledger.js';
import { createToolRegistry, type ToolRegistry } from '../../src/tools/tool-registry.js';
import { ACCEPTANCE_LEDGER_SERVER as SERVER } from '../helpers/external-files.js';
import { connectRedis, deletePrefix, randomPrefix } from '../helpers/redis.js';
import { PROJECT_ROOT } from '../helpers/worker-process.js';

describe('the acceptance ledger MCP server', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'countersign-acceptance-ledger-'));
  const ledgerFile = path.join(directory, 'ledger.jsonl');
  const hqFile = path.join(directory, 'hq.jsonl');
  const token = 'hq-acceptance-token-77';
  let hq: ChildProcess;
  let tools: ToolRegistry;

  beforeAll(async () => {
    hq = spawn(process.execPath, [SERVER, '--http', '0'], { cwd: PROJECT_ROOT, env: { ...process.env, LEDGER_FILE: hqFile, LEDGER_NAME: 'hq', LEDGER_TOOL_SUFFIX: '_hq', LEDGER_HTTP_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      hq.stdout!.on('data', (chunk: Buffer) => {
        const found = /at (http:\/\/\S+)/.exec(chunk.toString('utf8'));
        if (found) resolve(found[1]!);
      });
      hq.once('exit', () => reject(new Error('the HTTP ledger server exited')));
    });
    tools = createToolRegistry({
      servers: [
        { name: 'ledger', transport: 'stdio', command: process.execPath, args: [SERVER], env: { LEDGER_FILE: ledgerFile, LEDGER_NAME: 'ledger' }, cwd: PROJECT_ROOT },
        { name: 'hq', transport: 'http', url, headers: { Authorization: `Bearer ${token}` } },
      ],
      policy: { get_balance_hq: { effect: 'write' } },
      logger: pino({ level: 'silent' }),
      connectTimeoutMs: 30_000,
    });
    await tools.start();
  });

  afterAll(async () => {
    await tools?.close();
    hq?.kill('SIGTERM');
  });

  it('offers its tools under their own names, with effects from its annotations and the policy, and its schemas as they are', () => {
    const byName = new Map(tools.list().map((tool) => [tool.name, tool]));
    expect([...byName.keys()].sort()).toEqual(['get_balance', 'get_balance_hq', 'set_limit', 'set_limit_hq', 'transfer', 'transfer_hq']);
    expect(byName.get('get_balance')).toMatchObject({ effect: 'read', reviewedByCritic: false });
    expect(byName.get('transfer')).toMatchObject({ effect: 'write', idempotent: false, source: 'ledger' });
    expect(byName.get('set_limit')).toMatchObject({ effect: 'write', idempotent: true });
    expect(byName.get('get_balance_hq')).toMatchObject({ effect: 'write', decidedBy: 'policy', source: 'hq' });
    const transfer = tools.toOpenAITools().find((tool) => tool.function.name === 'transfer')!.function;
    expect(transfer.description).toContain('Move credits to a ledger account');
    expect(transfer.parameters).toMatchObject({ properties: { amount: { exclusiveMinimum: 0 } }, required: expect.arrayContaining(['to']) });
  });

  it('runs a transfer approved through the ledger once, with the idempotency key in _meta', async () => {
    const redis = connectRedis();
    const prefix = randomPrefix('acceptance-ledger');
    try {
      const ledger = createActionLedger({ redis, keys: createKeys(prefix), registry: tools, logger: pino({ level: 'silent' }) });
      const approval = approveActionByCritic({ turnId: 'acceptance1', step: 0, index: 0, arguments: { to: 'acct-9', amount: 25 } }, tools.get('transfer')!, { decision: 'approve' });
      const first = await ledger.execute(approval);
      const again = await ledger.execute(approval);
      expect(first).toMatchObject({ status: 'done', result: { ok: true } });
      expect(again).toMatchObject({ status: 'done', reused: true });
      const lines = readFileSync(ledgerFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { tool: string; key: string; receipt: string });
      expect(lines.map((line) => [line.tool, line.key])).toEqual([['transfer', first.record.idempotencyKey]]);
      expect(JSON.stringify(first.result)).toContain(lines[0]!.receipt);
    } finally {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });
});
