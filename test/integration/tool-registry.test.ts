/**
 * The tool registry against real MCP servers built with the SDK (test/fakes/counting-mcp-server.ts:
 * a stdio child process and a Streamable HTTP server in this process) and in-process tools:
 * listing and namespacing, effects from annotations and policy, list_changed, the idempotency
 * key in `_meta`, argument validation, and servers that are down at start or die mid-call.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool } from '../../src/tools/define-tool.js';
import { TOOL_NAME_PATTERN } from '../../src/tools/define-tool.js';
import { createToolRegistry, type ToolRegistry, type ToolRegistryOptions } from '../../src/tools/tool-registry.js';
import { type CountingHttpServer, startCountingHttpServer, stdioCommand } from '../fakes/counting-mcp-server.js';
import { waitFor } from '../helpers/pipeline.js';

const TOKEN = 'hq-token-5f2c9a71e0';

const registries: ToolRegistry[] = [];
const httpServers: CountingHttpServer[] = [];
afterEach(async () => {
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
  await Promise.all(httpServers.splice(0).map((server) => server.close().catch(() => {})));
});

function logged() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const messages = (level?: number) => lines.filter((line) => level === undefined || line.level === level).map((line) => String(line.msg));
  return { logger, lines, messages };
}

function registry(options: Omit<ToolRegistryOptions, 'logger'>, logger = logged().logger): ToolRegistry {
  const made = createToolRegistry({ logger, connectTimeoutMs: 20_000, reconnect: { initialDelayMs: 100, maxDelayMs: 400 }, ...options });
  registries.push(made);
  return made;
}

async function http(options: Parameters<typeof startCountingHttpServer>[0] = {}): Promise<CountingHttpServer> {
  const server = await startCountingHttpServer({ name: 'hq', token: TOKEN, ...options });
  httpServers.push(server);
  return server;
}

const stdio = (name: string, env: Record<string, string> = {}) => ({ name, transport: 'stdio' as const, ...stdioCommand(), env: { COUNTING_NAME: name, ...env } });
const httpConfig = (server: CountingHttpServer, name = 'hq', token = TOKEN) => ({ name, transport: 'http' as const, url: server.url, headers: { Authorization: `Bearer ${token}` } });
const lines = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  } catch {
    return [];
  }
};

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const lookup = defineTool({ name: 'lookup', description: 'Look up a customer.', input: z.object({ id: z.string() }), effect: 'read', execute: ({ id }) => `customer ${id}` });

describe('the tool registry over MCP servers', () => {
  it('lists the tools of a stdio and a Streamable HTTP server, named by server only where names clash, with their descriptions, schemas and effects', async () => {
    const hq = await http();
    const tools = registry({ servers: [stdio('local'), httpConfig(hq)], tools: [lookup], policy: { hq_lookup: { effect: 'write' }, set_limit: { idempotent: false } } });
    await tools.start();
    const byName = new Map(tools.list().map((tool) => [tool.name, tool]));
    expect([...byName.keys()].sort()).toEqual(
      ['lookup', 'local_lookup', 'local_charge', 'local_set_limit', 'local_freeze', 'local_add_tool', 'hq_lookup', 'hq_charge', 'hq_set_limit', 'hq_freeze', 'hq_add_tool'].sort(),
    );
    // The in-process tool keeps its name; both servers' "lookup" are told apart by server.
    expect(byName.get('lookup')).toMatchObject({ source: 'in-process', sourceName: 'lookup', effect: 'read', reviewedByCritic: false, decidedBy: 'definition' });
    expect(byName.get('local_lookup')).toMatchObject({ source: 'local', sourceName: 'lookup', effect: 'read', reviewedByCritic: false, decidedBy: 'annotations' });
    expect(byName.get('hq_lookup')).toMatchObject({ source: 'hq', effect: 'write', reviewedByCritic: true, decidedBy: 'policy' });
    expect(byName.get('local_charge')).toMatchObject({ effect: 'write', idempotent: false, reviewedByCritic: true, description: 'Charge an account. Every call is a new charge.' });
    expect(byName.get('local_charge')?.inputSchema).toMatchObject({ type: 'object', properties: { amount: { type: 'number', exclusiveMinimum: 0 } }, required: ['account', 'amount'] });
    // set_limit says idempotentHint: true; the policy says it is not.
    expect(byName.get('local_set_limit')).toMatchObject({ effect: 'write', idempotent: false, decidedBy: 'annotations' });
    // freeze has no annotations at all: a write (fail closed).
    expect(byName.get('hq_freeze')).toMatchObject({ effect: 'write', idempotent: false, decidedBy: 'default' });
    const offered = tools.toOpenAITools();
    expect(offered).toHaveLength(11);
    for (const tool of offered) {
      expect(tool.type).toBe('function');
      expect(tool.function.name).toMatch(TOOL_NAME_PATTERN);
      expect(tool.function.parameters).toEqual(byName.get(tool.function.name)?.inputSchema);
    }
    // The bearer header from the configuration reached the HTTP server on every request.
    expect(hq.requests.length).toBeGreaterThan(0);
    expect(hq.requests.every((request) => request.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(tools.servers().map((server) => [server.name, server.state, server.tools])).toEqual([
      ['local', 'connected', 5],
      ['hq', 'connected', 5],
    ]);
  });

  it('sends the idempotency key in _meta, gives a tool error as a failed result, and runs nothing whose arguments do not validate', async () => {
    const hq = await http();
    const tools = registry({ servers: [httpConfig(hq)] });
    await tools.start();
    const charged = await tools.call('charge', { account: 'a1', amount: 5 }, { idempotencyKey: 'key-one' });
    expect(charged).toMatchObject({ ok: true, content: [{ type: 'text', text: expect.stringMatching(/^Charged 5 to a1 \(r-[0-9a-f]{10}\)\.$/) }] });
    expect(hq.executions.map((execution) => [execution.tool, execution.key])).toEqual([['charge', 'key-one']]);

    expect(tools.validate('charge', { account: 'a1', amount: 0 })).toEqual({ ok: false, error: 'arguments/amount must be > 0' });
    expect(tools.validate('charge', { account: 'a1' })).toEqual({ ok: false, error: "arguments must have required property 'amount'" });
    expect(tools.validate({ source: 'hq', sourceName: 'charge' }, { account: 'a1', amount: 2 })).toEqual({ ok: true });
    const invalid = await tools.call('charge', { account: 'a1', amount: -1 }, { idempotencyKey: 'key-two' });
    expect(invalid).toEqual({ ok: false, code: 'invalid-arguments', error: 'invalid arguments for charge: arguments/amount must be > 0; nothing was run' });
    expect(await tools.call('refund', {}, { idempotencyKey: 'key-three' })).toMatchObject({ ok: false, code: 'unknown-tool' });

    const frozen = await tools.call('freeze', { account: 'a1' }, { idempotencyKey: 'key-four' });
    expect(frozen).toMatchObject({ ok: false, code: 'tool-error', error: 'Account a1 cannot be frozen here.' });
    expect(hq.executions.map((execution) => execution.key)).toEqual(['key-one', 'key-four']);
  });

  it('a call that gets no answer in time is a timeout (it may have run: the server did run it)', async () => {
    const hq = await http({ delayMs: 1500 });
    const tools = registry({ servers: [httpConfig(hq)] });
    await tools.start();
    const result = await tools.call('charge', { account: 'slow', amount: 1 }, { idempotencyKey: 'key-slow', timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, code: 'timeout', error: expect.stringContaining('may or may not have taken effect') });
    await waitFor(() => hq.executions.length === 1, 'the server to finish the call it was sent');
  });

  it('refreshes its tools on notifications/tools/list_changed, from an HTTP and a stdio server', async () => {
    const hq = await http();
    const tools = registry({ servers: [httpConfig(hq), stdio('local', { COUNTING_SUFFIX: '_local' })] });
    const changes: string[][] = [];
    tools.onChange((list) => changes.push(list.map((tool) => tool.name)));
    await tools.start();
    expect(tools.get('audit_trail')).toBeUndefined();
    hq.addTool('audit_trail');
    await waitFor(() => tools.get('audit_trail'), 'the HTTP server\'s new tool');
    expect(tools.get('audit_trail')).toMatchObject({ source: 'hq', effect: 'read' });
    expect(changes.at(-1)).toContain('audit_trail');
    // The stdio server adds a tool when asked (its add_tool tool), then notifies.
    const added = await tools.call('add_tool_local', { name: 'night_report' }, { idempotencyKey: 'k' });
    expect(added).toMatchObject({ ok: true });
    await waitFor(() => tools.get('night_report'), "the stdio server's new tool");
    expect(tools.get('night_report')?.source).toBe('local');
  });

  it('a Streamable HTTP server that is down at start is one warning line (however often it is retried), and is used as soon as it answers', async () => {
    const port = await freePort();
    const log = logged();
    const url = `http://127.0.0.1:${port}/mcp`;
    const tools = registry({ servers: [{ name: 'hq', transport: 'http', url, headers: { Authorization: `Bearer ${TOKEN}` } }], tools: [lookup] }, log.logger);
    await tools.start();
    expect(tools.servers()[0]).toMatchObject({ name: 'hq', state: 'down', problem: expect.stringContaining('ECONNREFUSED') });
    expect(tools.list().map((tool) => tool.name)).toEqual(['lookup']);
    // Several reconnection attempts, and still one warning.
    await waitFor(() => log.messages().filter((message) => message.includes('still down')).length >= 3, 'three more attempts');
    expect(log.messages(40).filter((message) => message.includes('"hq"'))).toEqual([
      expect.stringMatching(/^tool server "hq" \(Streamable HTTP\) is down: fetch failed \(ECONNREFUSED\); its tools are unavailable until it answers/),
    ]);
    const changed = new Promise<string[]>((resolve) => tools.onChange((list) => resolve(list.map((tool) => tool.name))));
    await http({ port });
    expect(await changed).toContain('charge');
    await waitFor(() => tools.servers()[0]?.state === 'connected', 'the server to be connected');
    expect(log.messages(30)).toContainEqual(expect.stringMatching(/^tool server "hq" is back after \d+ s: 5 tools$/));
    expect(await tools.call('lookup', { id: '7' }, { idempotencyKey: 'k' })).toMatchObject({ ok: true, content: [{ type: 'text', text: 'customer 7' }] });
    expect(JSON.stringify(log.lines)).not.toContain(TOKEN);
  });

  it('a wrong bearer token is a clear warning that names no secret', async () => {
    const hq = await http();
    const log = logged();
    const tools = registry({ servers: [httpConfig(hq, 'hq', 'wrong-token-a81b3c')] }, log.logger);
    await tools.start();
    expect(tools.servers()[0]?.state).toBe('down');
    expect(log.messages(40)).toEqual([expect.stringContaining(`tool server "hq" (Streamable HTTP) is down: the server refused the credentials (HTTP 401)`)]);
    expect(JSON.stringify(log.lines)).not.toContain('wrong-token-a81b3c');
  });

  it('a stdio server that cannot start is a warning naming the command, never a throw', async () => {
    const log = logged();
    const tools = registry({ servers: [{ name: 'ghost', transport: 'stdio', command: '/nonexistent/mcp-server', args: [], env: { GHOST_SECRET: 'ghost-secret-value-1' } }] }, log.logger);
    await tools.start();
    expect(tools.servers()[0]).toMatchObject({ state: 'down' });
    expect(log.messages(40)).toEqual([expect.stringMatching(/^tool server "ghost" \(stdio: \/nonexistent\/mcp-server\) is down: .*ENOENT/)]);
    expect(tools.list()).toEqual([]);
    expect(JSON.stringify(log.lines)).not.toContain('ghost-secret-value-1');
  });

  it('a stdio server killed during a call: a connection-lost result (it may have run), one warning, and it is started again', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'countersign-registry-'));
    const trace = path.join(directory, 'trace.jsonl');
    const log = logged();
    const tools = registry({ servers: [stdio('local', { COUNTING_DELAY_MS: '2500', COUNTING_TRACE: trace })] }, log.logger);
    await tools.start();
    const pending = tools.call('charge', { account: 'k1', amount: 3 }, { idempotencyKey: 'key-killed' });
    const begun = await waitFor(() => lines(trace).find((line) => line.key === 'key-killed'), 'the call to reach the server', { timeoutMs: 20_000 });
    process.kill(Number(begun.pid), 'SIGKILL');
    const result = await pending;
    expect(result).toMatchObject({ ok: false, code: 'connection-lost', error: expect.stringContaining('may or may not have taken effect') });
    expect(log.messages(40).filter((message) => message.includes('"local"'))).toEqual([expect.stringMatching(/^tool server "local" \(stdio: .*\) disconnected: /)]);
    await waitFor(() => tools.servers()[0]?.state === 'connected', 'the server to be started again', { timeoutMs: 30_000 });
    const again = tools.call('lookup', { account: 'k1' }, { idempotencyKey: 'key-after' });
    expect(await again).toMatchObject({ ok: true, content: [{ text: expect.stringMatching(/^Account k1: 0 charges/) }] });
    const pids = new Set(lines(trace).map((line) => line.pid));
    expect(pids.size).toBe(2);
  });

  it('a Streamable HTTP server that dies during a call: a connection-lost result, and calls work again once it is back', async () => {
    const trace = path.join(mkdtempSync(path.join(tmpdir(), 'countersign-registry-')), 'trace.jsonl');
    const first = await http({ delayMs: 3000, traceFile: trace });
    const log = logged();
    const tools = registry({ servers: [httpConfig(first)] }, log.logger);
    await tools.start();
    const pending = tools.call('charge', { account: 'h1', amount: 3 }, { idempotencyKey: 'key-cut' });
    await waitFor(() => lines(trace).some((line) => line.key === 'key-cut'), 'the call to reach the server');
    await first.close();
    expect(await pending).toMatchObject({ ok: false, code: 'connection-lost' });
    expect(log.messages(40)).toContainEqual(expect.stringMatching(/^tool server "hq" \(Streamable HTTP\) disconnected: /));
    expect(await tools.call('lookup', { account: 'h1' }, { idempotencyKey: 'key-down' })).toMatchObject({ ok: false, code: 'unavailable', error: expect.stringContaining('nothing was run') });
    await http({ port: first.port });
    await waitFor(() => tools.servers()[0]?.state === 'connected', 'the server to be back', { timeoutMs: 30_000 });
    expect(await tools.call('lookup', { account: 'h1' }, { idempotencyKey: 'key-back' })).toMatchObject({ ok: true });
  });
});

describe('in-process tools', () => {
  it('are validated with zod and given the idempotency key and a signal; a throw is a failed result; a slow one times out', async () => {
    const seen: Array<{ args: unknown; key: string; signal: boolean }> = [];
    const voucher = defineTool({
      name: 'issue_voucher',
      description: 'Issue a voucher.',
      input: z.object({ userId: z.string(), amount: z.number().positive().max(500) }),
      effect: 'write',
      execute: (args, context) => {
        seen.push({ args, key: context.idempotencyKey, signal: context.signal instanceof AbortSignal });
        if (args.userId === 'frozen') throw new Error('the account is frozen');
        return { structured: { voucher: 'v-1', amount: args.amount } };
      },
    });
    let aborted = false;
    const slow = defineTool({
      name: 'slow_export',
      description: 'Takes long.',
      input: z.object({}),
      effect: 'read',
      execute: (_args, { signal }) =>
        new Promise<string>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
          setTimeout(() => resolve('late'), 5000).unref();
        }),
    });
    const tools = registry({ tools: [voucher, slow] });
    await tools.start();
    expect(tools.validate('issue_voucher', { userId: 'u1', amount: 900 })).toEqual({ ok: false, error: expect.stringMatching(/^arguments\/amount: Too big/) });
    expect(await tools.call('issue_voucher', { userId: 'u1', amount: 900 }, { idempotencyKey: 'k0' })).toMatchObject({ ok: false, code: 'invalid-arguments' });
    expect(seen).toEqual([]);
    expect(await tools.call('issue_voucher', { userId: 'u1', amount: 50 }, { idempotencyKey: 'k1' })).toEqual({ ok: true, content: [{ type: 'text', text: '{"voucher":"v-1","amount":50}' }], structured: { voucher: 'v-1', amount: 50 } });
    expect(seen).toEqual([{ args: { userId: 'u1', amount: 50 }, key: 'k1', signal: true }]);
    expect(await tools.call('issue_voucher', { userId: 'frozen', amount: 5 }, { idempotencyKey: 'k2' })).toEqual({ ok: false, code: 'tool-error', error: 'the account is frozen' });
    expect(await tools.call('slow_export', {}, { idempotencyKey: 'k3', timeoutMs: 200 })).toMatchObject({ ok: false, code: 'timeout' });
    expect(aborted).toBe(true);
    const controller = new AbortController();
    controller.abort();
    expect(await tools.call('slow_export', {}, { idempotencyKey: 'k4', signal: controller.signal })).toMatchObject({ ok: false, code: 'cancelled' });
  });

  it('refuses two in-process tools of one name', () => {
    expect(() => createToolRegistry({ tools: [lookup, lookup], logger: logged().logger })).toThrow(/two in-process tools are named "lookup"/);
  });
});
