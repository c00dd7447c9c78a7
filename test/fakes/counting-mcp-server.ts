/**
 * A small MCP server for the tools tests, built with the SDK's own `McpServer` (so the client
 * under test speaks the real protocol), that counts what it runs: every execution is kept in
 * memory and, with `executionsFile`, appended to a JSON-lines file another process can read.
 *
 *   node --import tsx test/fakes/counting-mcp-server.ts          a stdio server, configured by
 *                                                                 COUNTING_* variables (below)
 *   startCountingHttpServer({ ... })                              a Streamable HTTP server in
 *                                                                 this process, at `url`
 *
 * Tools (suffix `toolSuffix` added to each name):
 *   lookup {account}                readOnlyHint: "Account <a>: <n> charges (<receipt>)."
 *   charge {account, amount > 0}    a write, idempotentHint false: "Charged <amount> to <a> (<receipt>)."
 *   set_limit {account, limit >= 0} a write, idempotentHint true: "Limit of <a> is <limit> (<receipt>)."
 *   freeze {account}                no annotations at all (unknown: a write); answers isError
 *                                   "Account <a> cannot be frozen here." after recording the call
 *   add_tool {name}                 registers a tool `name` at run time (a `notifications/tools/
 *                                   list_changed` follows), answers "added <name>"
 * Every call waits `delayMs` (half before its effect is recorded, half after), and writes a
 * `begin` line to `traceFile` first (with this process's pid), so a test can kill a caller, or
 * this server, between the two.
 *
 * Environment of the stdio server: COUNTING_FILE, COUNTING_TRACE, COUNTING_DELAY_MS,
 * COUNTING_NAME, COUNTING_SUFFIX.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export interface Execution {
  tool: string;
  arguments: Record<string, unknown>;
  /** `_meta["countersign/idempotency-key"]`, or null. */
  key: string | null;
  receipt: string;
  server: string;
  pid: number;
  at: number;
}

export interface CountingServerOptions {
  /** @defaultValue 'counting' */
  name?: string;
  executionsFile?: string;
  traceFile?: string;
  /** @defaultValue 0 */
  delayMs?: number;
  /** @defaultValue '' */
  toolSuffix?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

/** The shared state of one server (all its sessions): executions and run-time tools. */
export function createCountingState(options: CountingServerOptions = {}) {
  const name = options.name ?? 'counting';
  const suffix = options.toolSuffix ?? '';
  const executions: Execution[] = [];
  const servers = new Set<McpServer>();
  const extraTools: string[] = [];

  async function run(tool: string, args: Record<string, unknown>, meta: Record<string, unknown> | undefined, effect: (receipt: string) => string): Promise<string> {
    const key = typeof meta?.['countersign/idempotency-key'] === 'string' ? (meta['countersign/idempotency-key'] as string) : null;
    const delay = options.delayMs ?? 0;
    if (options.traceFile) appendFileSync(options.traceFile, `${JSON.stringify({ event: 'begin', tool, arguments: args, key, pid: process.pid, at: Date.now() })}\n`);
    await sleep(delay / 2);
    const receipt = `r-${randomBytes(5).toString('hex')}`;
    const execution: Execution = { tool, arguments: args, key, receipt, server: name, pid: process.pid, at: Date.now() };
    executions.push(execution);
    if (options.executionsFile) appendFileSync(options.executionsFile, `${JSON.stringify(execution)}\n`);
    const answer = effect(receipt);
    await sleep(delay - delay / 2);
    return answer;
  }

  const charges = (account: unknown) => executions.filter((e) => e.tool === `charge${suffix}` && e.arguments.account === account).length;

  function registerExtra(server: McpServer, toolName: string): void {
    server.registerTool(toolName, { description: `A tool added at run time (${toolName}).`, inputSchema: { note: z.string().optional() }, annotations: { readOnlyHint: true } }, async () => text(`${toolName} ran`));
  }

  function makeServer(): McpServer {
    const server = new McpServer({ name, version: '1.0.0' });
    server.registerTool(
      `lookup${suffix}`,
      { description: 'Look up an account. Reads only.', inputSchema: { account: z.string().min(1) }, annotations: { readOnlyHint: true } },
      async ({ account }, extra) => text(await run(`lookup${suffix}`, { account }, extra._meta, (receipt) => `Account ${account}: ${charges(account)} charges (${receipt}).`)),
    );
    server.registerTool(
      `charge${suffix}`,
      {
        description: 'Charge an account. Every call is a new charge.',
        inputSchema: { account: z.string().min(1), amount: z.number().positive().describe('Amount to charge, more than zero') },
        annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false },
      },
      async ({ account, amount }, extra) => text(await run(`charge${suffix}`, { account, amount }, extra._meta, (receipt) => `Charged ${amount} to ${account} (${receipt}).`)),
    );
    server.registerTool(
      `set_limit${suffix}`,
      {
        description: 'Set the limit of an account. Setting it again changes nothing.',
        inputSchema: { account: z.string().min(1), limit: z.number().min(0) },
        annotations: { readOnlyHint: false, idempotentHint: true },
      },
      async ({ account, limit }, extra) => text(await run(`set_limit${suffix}`, { account, limit }, extra._meta, (receipt) => `Limit of ${account} is ${limit} (${receipt}).`)),
    );
    server.registerTool(`freeze${suffix}`, { description: 'Freeze an account.', inputSchema: { account: z.string().min(1) } }, async ({ account }, extra) => {
      await run(`freeze${suffix}`, { account }, extra._meta, () => '');
      return { content: [{ type: 'text', text: `Account ${account} cannot be frozen here.` }], isError: true };
    });
    server.registerTool(`add_tool${suffix}`, { description: 'Add a tool at run time.', inputSchema: { name: z.string().regex(/^[a-z_]+$/) } }, async ({ name: added }) => {
      extraTools.push(added);
      for (const each of servers) registerExtra(each, added);
      return text(`added ${added}`);
    });
    for (const added of extraTools) registerExtra(server, added);
    servers.add(server);
    return server;
  }

  return {
    name,
    executions,
    makeServer,
    forget: (server: McpServer) => servers.delete(server),
    /** Register a tool on every session now and in future (list_changed goes to each connected client). */
    addTool(toolName: string) {
      extraTools.push(toolName);
      for (const server of servers) registerExtra(server, toolName);
    },
  };
}

export interface CountingHttpServer {
  url: string;
  port: number;
  executions: Execution[];
  addTool(name: string): void;
  /** Requests seen, with their headers (to check what the client sent). */
  requests: Array<{ method: string; headers: Record<string, string | string[] | undefined> }>;
  /** Stop answering and cut every open connection (a server that died). */
  close(): Promise<void>;
}

export interface CountingHttpServerOptions extends CountingServerOptions {
  port?: number;
  token?: string;
  /** Tools and count shared with other listeners (one count behind several URLs); by default its own. */
  state?: ReturnType<typeof createCountingState>;
  /** Told of every `tools/call` request as it arrives, before the tool runs. */
  onToolsCall?(params: { name: string; arguments: Record<string, unknown> }): void;
}

/** Reads a request's JSON body (undefined when there is none or it does not parse: the transport then answers the error). */
function readJsonBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** A Streamable HTTP server (a session per client), optionally requiring a bearer token. */
export async function startCountingHttpServer(options: CountingHttpServerOptions = {}): Promise<CountingHttpServer> {
  const state = options.state ?? createCountingState(options);
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const requests: CountingHttpServer['requests'] = [];
  const http: HttpServer = createServer(async (request, response) => {
    requests.push({ method: request.method ?? '', headers: request.headers });
    const refuse = (status: number, message: string) => {
      if (!response.headersSent) response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
    };
    try {
      if (options.token && request.headers.authorization !== `Bearer ${options.token}`) return refuse(401, 'missing or wrong bearer token');
      const sessionId = request.headers['mcp-session-id'];
      let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
      if (!transport) {
        if (sessionId) return refuse(404, 'unknown session');
        if (request.method !== 'POST') return refuse(400, 'initialize first');
        const fresh = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void sessions.set(id, fresh) });
        const server = state.makeServer();
        fresh.onclose = () => {
          if (fresh.sessionId) sessions.delete(fresh.sessionId);
          state.forget(server);
        };
        await server.connect(fresh);
        transport = fresh;
      }
      const body = request.method === 'POST' ? await readJsonBody(request) : undefined;
      const message = body as { method?: string; params?: { name?: unknown; arguments?: unknown } } | undefined;
      if (message?.method === 'tools/call') options.onToolsCall?.({ name: String(message.params?.name), arguments: (message.params?.arguments ?? {}) as Record<string, unknown> });
      await transport.handleRequest(request, response, body);
    } catch (error) {
      refuse(500, error instanceof Error ? error.message : String(error));
    }
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    executions: state.executions,
    addTool: state.addTool,
    requests,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** The command line that starts this file as a stdio server. */
export const COUNTING_SERVER_FILE = fileURLToPath(import.meta.url);
export const stdioCommand = (): { command: string; args: string[] } => ({ command: process.execPath, args: ['--import', 'tsx', COUNTING_SERVER_FILE] });

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const env = process.env;
  const state = createCountingState({
    name: env.COUNTING_NAME,
    executionsFile: env.COUNTING_FILE,
    traceFile: env.COUNTING_TRACE,
    delayMs: Number(env.COUNTING_DELAY_MS ?? 0),
    toolSuffix: env.COUNTING_SUFFIX,
  });
  await state.makeServer().connect(new StdioServerTransport());
  process.stderr.write(`counting MCP server ${state.name} ready (pid ${process.pid})\n`);
  // The caller is gone: finish what runs (as a real server would), then exit.
  process.stdin.on('close', () => setTimeout(() => process.exit(0), (Number(env.COUNTING_DELAY_MS ?? 0) || 0) + 200));
}
