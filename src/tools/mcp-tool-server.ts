/**
 * One MCP server, through the official SDK client: started (stdio) or reached (Streamable
 * HTTP), its tools listed and refreshed on `notifications/tools/list_changed`, and called.
 *
 * A server that is down is never a crash: at start, and whenever the connection drops, it is one
 * warning line, its calls fail with `unavailable` (nothing sent), and it is reconnected with
 * backoff; its last known tools stay listed, so the actor that calls one sees a failed result
 * rather than a tool that vanished. Log lines and results never carry the server's env or
 * header values (they are blanked out of anything the server or the SDK says).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { ToolServerConfig } from '../config/tools-schema.js';
import { packageVersion } from '../core/package-version.js';
import { IDEMPOTENCY_KEY_META, type ToolCallOptions, type ToolContent, type ToolResult } from './tool-types.js';

export type ToolServerState = 'connecting' | 'connected' | 'down' | 'closed';

/** What /healthz and the dashboard can show of a server. */
export interface ToolServerStatus {
  readonly name: string;
  readonly transport: 'stdio' | 'http';
  readonly state: ToolServerState;
  /** Tools of its last successful list. */
  readonly tools: number;
  /** Epoch ms of the last change of state. */
  readonly since: number;
  /** Why it is down (secret-free). */
  readonly problem?: string;
}

export interface McpToolServerOptions {
  readonly config: ToolServerConfig;
  readonly logger: Logger;
  /** Longest wait to start, initialise and list the tools. @defaultValue 10000 */
  readonly connectTimeoutMs?: number;
  /** Reconnect backoff: the first wait, doubled (with jitter) up to the last. @defaultValue { initialDelayMs: 500, maxDelayMs: 30000 } */
  readonly reconnect?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  /** Called when its list of tools changed (connected, refreshed, or a new list after a reconnect). */
  readonly onToolsChanged?: () => void;
}

export interface McpToolServer {
  readonly name: string;
  /** The tools of the last successful list (kept while the server is down). */
  tools(): readonly Tool[];
  status(): ToolServerStatus;
  /** The first connection attempt; resolves whether or not the server answered (never throws). */
  start(): Promise<void>;
  /** One `tools/call` with the idempotency key in `_meta`. Never throws: a failure is a result. */
  call(toolName: string, args: Record<string, unknown>, options: ToolCallOptions & { timeoutMs: number }): Promise<ToolResult>;
  close(): Promise<void>;
}

const CLIENT_INFO = { name: 'countersign', version: packageVersion() };
const STDERR_LINES = 20;
const MAX_REASON = 300;

/**
 * Connection trouble the SDK reports only through `onerror`: an event stream (a call's answer,
 * or the server's own stream) cut off. A request that cannot be sent is seen where it fails.
 */
const DROPPED = /SSE stream disconnected|Maximum reconnection attempts/;

/** Text with every secret of the server's configuration blanked out, cut to a log-friendly size. */
function redactor(config: ToolServerConfig): (text: string) => string {
  const secrets = new Set<string>();
  // Environment values are often plain settings (a name, a port): only longer ones are blanked.
  if (config.transport === 'stdio') for (const value of Object.values(config.env)) secrets.add(value.length >= 8 ? value : '');
  else {
    for (const value of Object.values(config.headers)) {
      secrets.add(value);
      // `Bearer abc`: the token alone can show up too.
      secrets.add(value.split(/\s+/).at(-1) ?? '');
    }
    try {
      const url = new URL(config.url);
      secrets.add(url.password);
      secrets.add(url.username);
      for (const value of url.searchParams.values()) secrets.add(value);
    } catch {}
  }
  const list = [...secrets].filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length);
  return (text: string) => {
    let result = text;
    for (const secret of list) result = result.split(secret).join('[redacted]');
    return result.length > MAX_REASON ? `${result.slice(0, MAX_REASON)}...` : result;
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The connection to one MCP server, reconnecting by itself. */
export function createMcpToolServer(options: McpToolServerOptions): McpToolServer {
  const { config } = options;
  const name = config.name;
  const logger = options.logger.child({ toolServer: name });
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const backoff = options.reconnect ?? { initialDelayMs: 500, maxDelayMs: 30_000 };
  const redact = redactor(config);
  const where = config.transport === 'stdio' ? `stdio: ${config.command}` : 'Streamable HTTP';

  let client: Client | null = null;
  /** Bumped by every connection attempt and by close: callbacks of an older connection do nothing. */
  let generation = 0;
  let tools: Tool[] = [];
  let state: ToolServerState = 'connecting';
  let since = Date.now();
  let problem: string | undefined;
  let attempts = 0;
  let timer: NodeJS.Timeout | null = null;
  let closing = false;
  /** The outage being reported (one warning per outage, one info line when it ends). */
  let downSince: number | null = null;
  const stderrTail: string[] = [];

  const setState = (next: ToolServerState, why?: string) => {
    if (next !== state) since = Date.now();
    state = next;
    problem = why;
  };

  function makeTransport(): Transport {
    if (config.transport === 'stdio') {
      const transport = new StdioClientTransport({ command: config.command, args: config.args, env: config.env, cwd: config.cwd, stderr: 'pipe' });
      let partial = '';
      // Read it always: a stderr pipe nobody reads fills up and blocks the server.
      transport.stderr?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const text = redact(line.trimEnd());
          if (!text) continue;
          stderrTail.push(text);
          if (stderrTail.length > STDERR_LINES) stderrTail.shift();
          logger.debug({ stderr: text }, 'tool server stderr');
        }
      });
      return transport;
    }
    return new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers: config.headers },
      // Our own reconnection handles a server that is gone; the SDK's only resumes streams.
      reconnectionOptions: { initialReconnectionDelay: 1000, maxReconnectionDelay: 5000, reconnectionDelayGrowFactor: 1.5, maxRetries: 0 },
    });
  }

  /** Why a connection failed, in words, with the server's last stderr line when it has one. */
  function reason(error: unknown): string {
    let text = messageOf(error);
    const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
    if (typeof cause === 'string') text += ` (${cause})`;
    if (error instanceof StreamableHTTPError && error.code === 401) text = `the server refused the credentials (HTTP 401): check the server's headers`;
    const lastLine = stderrTail.at(-1);
    if (config.transport === 'stdio' && lastLine && (error instanceof McpError || /closed|exit/i.test(text))) text += ` (its last stderr line: ${lastLine})`;
    return redact(text);
  }

  async function listAll(active: Client): Promise<Tool[]> {
    if (!active.getServerCapabilities()?.tools) {
      logger.warn(`tool server "${name}" offers no tools (its capabilities have no "tools")`);
      return [];
    }
    const all: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await active.listTools(cursor ? { cursor } : undefined, { timeout: connectTimeoutMs });
      all.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor && all.length < 10_000);
    return all;
  }

  async function refresh(mine: number): Promise<void> {
    if (mine !== generation || !client) return;
    try {
      const listed = await listAll(client);
      if (mine !== generation) return;
      tools = listed;
      logger.info({ tools: listed.length }, `tool server "${name}" changed its tools (${listed.length} now)`);
      options.onToolsChanged?.();
    } catch (error) {
      logger.warn(`tool server "${name}" said its tools changed, but listing them failed: ${reason(error)}; keeping the last list`);
    }
  }

  /** The connection of generation `mine` is gone: report it once, fail its calls, reconnect. */
  function dropped(mine: number, why: string): void {
    if (mine !== generation || closing || state !== 'connected') return;
    const old = client;
    client = null;
    setState('down', why);
    downSince = Date.now();
    logger.warn(`tool server "${name}" (${where}) disconnected: ${why}; its calls fail until it is back (reconnecting)`);
    // Closing rejects the calls still waiting on it (connection-lost) instead of leaving them to time out.
    void old?.close().catch(() => {});
    scheduleReconnect();
  }

  async function connectOnce(): Promise<void> {
    const mine = ++generation;
    setState('connecting', problem);
    const next = new Client(CLIENT_INFO, {
      capabilities: {},
      listChanged: { tools: { autoRefresh: false, debounceMs: 100, onChanged: () => void refresh(mine) } },
    });
    next.onclose = () => dropped(mine, reason(new Error('the connection closed')));
    next.onerror = (error) => {
      const text = messageOf(error);
      logger.debug({ err: redact(text) }, 'tool server transport error');
      if (config.transport === 'http' && DROPPED.test(text)) dropped(mine, reason(error));
    };
    try {
      await next.connect(makeTransport(), { timeout: connectTimeoutMs });
      const listed = await listAll(next);
      if (mine !== generation || closing) {
        await next.close().catch(() => {});
        return;
      }
      client = next;
      tools = listed;
      attempts = 0;
      setState('connected');
      if (downSince !== null) logger.info({ tools: listed.length }, `tool server "${name}" is back after ${Math.round((Date.now() - downSince) / 1000)} s: ${listed.length} tools`);
      else logger.info({ tools: listed.length }, `tool server "${name}" connected (${where}): ${listed.length} tools`);
      downSince = null;
      options.onToolsChanged?.();
    } catch (error) {
      // Not connected: its onclose must not count as a drop (state is not 'connected').
      await next.close().catch(() => {});
      throw error;
    }
  }

  function scheduleReconnect(): void {
    if (closing || timer) return;
    const base = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** Math.min(attempts, 20));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    attempts += 1;
    timer = setTimeout(() => {
      timer = null;
      void attempt();
    }, delay);
    timer.unref();
  }

  async function attempt(): Promise<void> {
    if (closing) return;
    try {
      await connectOnce();
    } catch (error) {
      if (closing) return;
      const why = reason(error);
      setState('down', why);
      if (downSince === null) {
        downSince = Date.now();
        logger.warn(`tool server "${name}" (${where}) is down: ${why}; its tools are unavailable until it answers (retrying with backoff up to ${Math.round(backoff.maxDelayMs / 1000)} s)`);
      } else logger.debug({ err: why }, `tool server "${name}" still down`);
      scheduleReconnect();
    }
  }

  /** A call that got no answer: was it sent? */
  function failure(error: unknown, signal: AbortSignal | undefined, timeoutMs: number, mine: number): ToolResult {
    const text = reason(error);
    if (error instanceof McpError) {
      if (error.code === ErrorCode.RequestTimeout) {
        if (signal?.aborted) return { ok: false, code: 'aborted', error: `the call was stopped while it ran: it may or may not have taken effect` };
        return { ok: false, code: 'timeout', error: `no answer from tool server "${name}" within ${timeoutMs} ms: the call may or may not have taken effect` };
      }
      if (error.code === ErrorCode.ConnectionClosed) {
        dropped(mine, text);
        return { ok: false, code: 'connection-lost', error: `the connection to tool server "${name}" was lost during the call: it may or may not have taken effect` };
      }
      // The server answered with a JSON-RPC error (unknown tool, invalid params, ...): definite.
      return { ok: false, code: 'tool-error', error: `tool server "${name}" refused the call: ${text}` };
    }
    if (text === 'Not connected') return { ok: false, code: 'unavailable', error: `tool server "${name}" is unavailable (not connected); nothing was run` };
    if (error instanceof StreamableHTTPError) {
      // 4xx: refused before it was handled (a lost session, credentials); 5xx: unknown.
      dropped(mine, text);
      const status = error.code ?? 0;
      if (status >= 400 && status < 500) return { ok: false, code: 'unavailable', error: `tool server "${name}" refused the request (HTTP ${status}); nothing was run` };
      return { ok: false, code: 'connection-lost', error: `tool server "${name}" failed (HTTP ${status}) during the call: it may or may not have taken effect` };
    }
    const cause = (error as { cause?: { code?: string } } | null)?.cause?.code;
    if (cause === 'ECONNREFUSED' || cause === 'ENOTFOUND' || cause === 'EAI_AGAIN') {
      dropped(mine, text);
      return { ok: false, code: 'unavailable', error: `tool server "${name}" is unavailable (${cause}); nothing was run` };
    }
    if (error instanceof Error && error.name === 'ZodError') return { ok: false, code: 'tool-error', error: `tool server "${name}" answered with a malformed result` };
    if (config.transport === 'http') dropped(mine, text);
    return { ok: false, code: 'connection-lost', error: `the call to tool server "${name}" failed without an answer (${text}): it may or may not have taken effect` };
  }

  return {
    name,
    tools: () => tools,
    status: () => ({ name, transport: config.transport, state, tools: tools.length, since, ...(problem ? { problem } : {}) }),

    async start() {
      await attempt();
    },

    async call(toolName, args, { idempotencyKey, signal, timeoutMs }) {
      const active = client;
      const mine = generation;
      if (state !== 'connected' || !active) {
        return { ok: false, code: 'unavailable', error: `tool server "${name}" is unavailable${problem ? ` (${problem})` : ''}; nothing was run` };
      }
      if (signal?.aborted) return { ok: false, code: 'cancelled', error: 'the call was stopped before it was sent; nothing was run' };
      try {
        const result = await active.callTool({ name: toolName, arguments: args, _meta: { [IDEMPOTENCY_KEY_META]: idempotencyKey } }, undefined, { signal, timeout: timeoutMs });
        const content = (Array.isArray(result.content) ? result.content : []) as ToolContent[];
        if (result.isError) {
          const said = content.filter((block) => block.type === 'text').map((block) => String(block.text)).join('\n').trim();
          return { ok: false, code: 'tool-error', error: said ? said.slice(0, 2000) : `tool ${toolName} reported an error`, content };
        }
        const structured = result.structuredContent as Record<string, unknown> | undefined;
        return { ok: true, content, ...(structured !== undefined ? { structured } : {}) };
      } catch (error) {
        return failure(error, signal, timeoutMs, mine);
      }
    },

    async close() {
      closing = true;
      generation++;
      if (timer) clearTimeout(timer);
      timer = null;
      const old = client;
      client = null;
      setState('closed');
      await old?.close().catch(() => {});
    },
  };
}
