/**
 * The airline environment as an MCP server, over stdio or Streamable HTTP.
 *
 * Episodes:
 * - stdio: the process is one episode (id `stdio`); start another process for the next one.
 * - HTTP `/mcp`: each MCP session is an episode whose id is the session id
 *   (`Mcp-Session-Id`): a new session starts from a fresh database.
 * - HTTP `/episodes/{id}/mcp`: every session on this path works on episode `{id}` (created on
 *   first use), so a client that reconnects keeps its state and a runner can name episodes.
 * Episodes outlive their sessions so the runner can take the reward after the client closed
 * (`server.environment.episode(id)`), up to `maxEpisodes` (airline-environment.ts).
 *
 * Idempotency: a `tools/call` of a write tool may carry `_meta: {"countersign/idempotency-key":
 * "..."}`. The first call with a key runs; a later call with the same key in the same episode
 * gets the first call's result (`_meta: {"countersign/replayed": true}`) and runs nothing; the
 * same key with another tool or other arguments is refused with a tool error.
 *
 * Tool outputs are τ-bench's texts; τ-bench's errors (`Error: ...`) and invalid arguments come
 * back as tool results with `isError: true`. An unknown tool name is a protocol error
 * (JSON-RPC -32602), as the MCP specification asks.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ErrorCode, isInitializeRequest, ListResourcesRequestSchema, ListToolsRequestSchema, McpError, ReadResourceRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CountersignError, describeError } from '../core/errors.js';
import type { AirlineData } from './airline-database.js';
import { loadAirlineData } from './airline-data.js';
import type { AirlineEnvironment } from './airline-environment.js';
import { createAirlineEnvironment } from './airline-environment.js';
import type { AirlineEpisode } from './airline-episode.js';
import { AIRLINE_POLICY } from './airline-policy.js';
import { AIRLINE_TOOLS, findAirlineTool } from './airline-tool-definitions.js';

/** The `_meta` key of the idempotency key countersign sends with every executed call. */
export const IDEMPOTENCY_KEY_META = 'countersign/idempotency-key';
/** The `_meta` key set on a result that was remembered rather than run. */
export const REPLAYED_META = 'countersign/replayed';
export const POLICY_RESOURCE_URI = 'tau-bench://airline/policy';

const SERVER_INFO = { name: 'tau-bench-airline', version: '1.0.0' };
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const EPISODE_PATH = /^\/episodes\/([A-Za-z0-9._-]{1,128})\/mcp$/;

/** One MCP server (one connection) whose tools act on the episode `episodeFor` gives. */
export function createAirlineMcpServer(episodeFor: (sessionId: string | undefined) => AirlineEpisode): Server {
  const server = new Server(SERVER_INFO, { capabilities: { tools: {}, resources: {} }, instructions: AIRLINE_POLICY });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: AIRLINE_TOOLS.map((tool) => ({ name: tool.name, title: tool.annotations.title, description: tool.description, inputSchema: tool.inputSchema as { type: 'object' }, annotations: tool.annotations })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    if (findAirlineTool(name) === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const key = request.params._meta?.[IDEMPOTENCY_KEY_META];
    if (key !== undefined && typeof key !== 'string') {
      return { content: [{ type: 'text', text: `Error: _meta["${IDEMPOTENCY_KEY_META}"] must be a string` }], isError: true };
    }
    const result = episodeFor(extra.sessionId).call(name, request.params.arguments ?? {}, key === undefined ? {} : { idempotencyKey: key });
    return { content: [{ type: 'text', text: result.output }], isError: result.isError, ...(result.replayed ? { _meta: { [REPLAYED_META]: true } } : {}) };
  });
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: [{ uri: POLICY_RESOURCE_URI, name: 'policy', title: 'Airline agent policy', description: "τ-bench's airline policy: the agent's system prompt", mimeType: 'text/markdown' }],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    if (request.params.uri !== POLICY_RESOURCE_URI) throw new McpError(ErrorCode.InvalidParams, `Unknown resource: ${request.params.uri}`);
    return { contents: [{ uri: POLICY_RESOURCE_URI, mimeType: 'text/markdown', text: AIRLINE_POLICY }] };
  });
  return server;
}

export interface AirlineServerOptions {
  /** The data directory (see loadAirlineData); or `data`, already loaded. */
  readonly dataDirectory?: string;
  readonly data?: AirlineData;
  /** `stdio`: one episode on stdin/stdout; `http`: Streamable HTTP with an episode per session. */
  readonly transport: 'stdio' | 'http';
  /** @defaultValue 0 (any free port) */
  readonly port?: number;
  /** @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** @defaultValue 1000 (see AirlineEnvironmentOptions) */
  readonly maxEpisodes?: number;
  /** For stdio. @defaultValue process.stdin / process.stdout */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
}

export interface AirlineServer {
  readonly environment: AirlineEnvironment;
  /** The MCP endpoint, for `http` (`http://host:port/mcp`). */
  readonly url: string | null;
  /** The stdio episode, for `stdio`. */
  readonly episode: AirlineEpisode | null;
  close(): Promise<void>;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function jsonRpcError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

async function readJsonBody(request: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return { ok: false, status: 413, message: `request body over ${MAX_BODY_BYTES} bytes` };
    chunks.push(chunk as Buffer);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, status: 400, message: 'Parse error: the body is not JSON' };
  }
}

function startHttp(environment: AirlineEnvironment, options: AirlineServerOptions): Promise<AirlineServer> {
  const transports = new Map<string, { transport: StreamableHTTPServerTransport; episodeId: string }>();

  /** A session on `episodeId` (the session id itself when null), its episode made before the transport answers. */
  const openSession = async (request: IncomingMessage, response: ServerResponse, body: unknown, namedEpisode: string | null) => {
    const sessionId = randomUUID();
    const episodeId = namedEpisode ?? sessionId;
    // Throws tau.episodes-full before anything is written, so the client gets a clean 503.
    environment.episodeOrCreate(episodeId);
    environment.retain(episodeId);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => sessionId });
    transports.set(sessionId, { transport, episodeId });
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      transports.delete(sessionId);
      environment.release(episodeId);
    };
    transport.onclose = release;
    const server = createAirlineMcpServer(() => {
      const episode = environment.episode(episodeId);
      if (episode === undefined) throw new McpError(ErrorCode.InvalidRequest, `episode ${episodeId} was deleted`);
      return episode;
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
    // An initialize request the transport refused opens no session.
    if (transport.sessionId === undefined) release();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') return sendJson(response, 200, { ok: true, episodes: environment.episodeCount });
    const named = EPISODE_PATH.exec(url.pathname);
    if (url.pathname !== '/mcp' && named === null) return sendJson(response, 404, { error: 'not found: the MCP endpoint is /mcp (an episode per session) or /episodes/{id}/mcp' });
    let body: unknown;
    if (request.method === 'POST') {
      const parsed = await readJsonBody(request);
      if (!parsed.ok) return jsonRpcError(response, parsed.status, parsed.message);
      body = parsed.value;
    }
    const sessionHeader = request.headers['mcp-session-id'];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    if (sessionId !== undefined) {
      const entry = transports.get(sessionId);
      if (entry === undefined || (named !== null && entry.episodeId !== named[1])) return jsonRpcError(response, 404, `unknown session ${sessionId}`);
      return entry.transport.handleRequest(request, response, body);
    }
    if (request.method !== 'POST' || !isInitializeRequest(body)) return jsonRpcError(response, 400, 'Bad Request: no Mcp-Session-Id header, and the request is not an initialize request');
    return openSession(request, response, body, named === null ? null : (named[1] as string));
  };

  const httpServer: HttpServer = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A full environment (tau.episodes-full) is the client's to retry; anything else is ours.
      const full = error instanceof CountersignError && error.code === 'tau.episodes-full';
      if (!response.headersSent) jsonRpcError(response, full ? 503 : 500, full ? describeError(error) : 'internal error');
      else response.end();
      if (!full) process.stderr.write(`tau-bench airline server: ${describeError(error)}\n`);
    });
  });

  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const address = httpServer.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        environment,
        url: `http://${host}:${address.port}/mcp`,
        episode: null,
        async close() {
          await Promise.all([...transports.values()].map(({ transport }) => transport.close()));
          httpServer.closeAllConnections();
          await new Promise<void>((done) => httpServer.close(() => done()));
        },
      });
    });
  });
}

/**
 * Starts the airline MCP server. For a benchmark runner in the same process:
 * `const server = await startAirlineServer({ dataDirectory, transport: 'http' })`, connect an MCP
 * client to `server.url`, and at the end `server.environment.reward(server.environment.episode(sessionId), ...)`.
 */
export async function startAirlineServer(options: AirlineServerOptions): Promise<AirlineServer> {
  let data = options.data;
  if (data === undefined) {
    if (options.dataDirectory === undefined) throw new CountersignError('tau.config', 'startAirlineServer needs dataDirectory or data');
    data = await loadAirlineData(options.dataDirectory);
  }
  const environment = createAirlineEnvironment({ data, ...(options.maxEpisodes === undefined ? {} : { maxEpisodes: options.maxEpisodes }) });
  if (options.transport === 'http') return startHttp(environment, options);

  const episode = environment.createEpisode('stdio');
  const server = createAirlineMcpServer(() => episode);
  const transport = new StdioServerTransport(options.stdin, options.stdout);
  await server.connect(transport);
  return { environment, url: null, episode, close: () => server.close() };
}
