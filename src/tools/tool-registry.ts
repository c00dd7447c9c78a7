/**
 * One registry over every tool the actor may call: the application's in-process tools and the
 * tools of the configured MCP servers, each with the name offered to the actor, its effect (read
 * or write), whether it is idempotent and whether the critic reviews it.
 *
 * `call` runs a tool. Only the action ledger (action-ledger.ts) calls it, with an approval in
 * hand; a structural test (test/unit/approval-boundary.test.ts) fails on any other caller.
 */
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ToolServerConfig, ToolsConfig } from '../config/tools-schema.js';
import { CountersignError, describeError } from '../core/errors.js';
import type { InProcessTool, InProcessToolOutput } from './define-tool.js';
import { compileArgumentsValidator } from './json-schema-validator.js';
import { createMcpToolServer, type McpToolServer, type ToolServerStatus } from './mcp-tool-server.js';
import { decideToolEffect, findToolPolicy, type ToolPolicy } from './tool-effects.js';
import { assignToolNames, refKey } from './tool-names.js';
import { IN_PROCESS_SOURCE, type ToolCallOptions, type ToolDescriptor, type ToolRef, type ToolResult } from './tool-types.js';

export type ArgumentsValidation = { ok: true } | { ok: false; error: string };

export interface ToolRegistryOptions {
  /** MCP servers (`tools.servers`). @defaultValue [] */
  readonly servers?: readonly ToolServerConfig[];
  /** Per-tool overrides (`tools.policy`). @defaultValue {} */
  readonly policy?: Readonly<Record<string, ToolPolicy>>;
  /** The application's own tools (defineTool). @defaultValue [] */
  readonly tools?: readonly InProcessTool[];
  readonly logger: Logger;
  /** A call's time limit when the caller gives none. @defaultValue 30000 */
  readonly callTimeoutMs?: number;
  /** @defaultValue 10000 */
  readonly connectTimeoutMs?: number;
  /** @defaultValue { initialDelayMs: 500, maxDelayMs: 30000 } */
  readonly reconnect?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
}

export interface ToolRegistry {
  /** Connects every server (in parallel) and lists its tools. A server that is down is a log line, never a throw. */
  start(): Promise<void>;
  /** Closes every connection and stops the stdio servers. */
  close(): Promise<void>;
  /** The tools offered now (a server that is down keeps its last known tools). */
  list(): readonly ToolDescriptor[];
  /** A tool by the name the actor uses. */
  get(name: string): ToolDescriptor | undefined;
  /** A tool by its source and its own name (stable when the offered name changes). */
  find(ref: ToolRef): ToolDescriptor | undefined;
  /** Arguments against the tool's input schema (ajv for MCP tools, zod for in-process ones). */
  validate(tool: string | ToolRef, args: unknown): ArgumentsValidation;
  /** The Chat Completions `tools` array for the actor. */
  toOpenAITools(): ChatCompletionFunctionTool[];
  /**
   * Runs one call. Never throws: a failure is a result whose `code` says whether it may have
   * run. ONLY the action ledger calls this (see the file comment).
   */
  call(tool: string | ToolRef, args: unknown, options: ToolCallOptions): Promise<ToolResult>;
  /** Each MCP server's connection state. */
  servers(): ToolServerStatus[];
  /** Called with the new list whenever it changes; returns the unsubscribe function. */
  onChange(listener: (tools: readonly ToolDescriptor[]) => void): () => void;
}

interface Entry {
  readonly descriptor: ToolDescriptor;
  readonly validate: (args: unknown) => ArgumentsValidation;
  readonly invoke: (args: Record<string, unknown>, options: ToolCallOptions & { timeoutMs: number }) => Promise<ToolResult>;
}

/** zod issues in the words ajv's are given in: `arguments/amount: Too small: expected number to be >0`. */
function describeZodIssues(error: z.ZodError): string {
  const text = error.issues.map((issue) => `arguments${issue.path.map((part) => `/${String(part)}`).join('')}: ${issue.message}`).join('; ');
  return text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

function outputOf(value: InProcessToolOutput | undefined): ToolResult {
  if (typeof value === 'string') return { ok: true, content: [{ type: 'text', text: value }] };
  if (value && typeof value === 'object' && !Array.isArray(value) && ('text' in value || 'structured' in value)) {
    const structured = value.structured;
    const text = typeof value.text === 'string' ? value.text : structured !== undefined ? JSON.stringify(structured) : '';
    return { ok: true, content: [{ type: 'text', text }], ...(structured !== undefined ? { structured } : {}) };
  }
  // Lenient with what a library user returns: anything else is shown as JSON.
  return { ok: true, content: [{ type: 'text', text: value === undefined ? '' : JSON.stringify(value) }] };
}

/** Runs an in-process tool with its time limit and the caller's signal. */
async function runInProcess(tool: InProcessTool, args: Record<string, unknown>, options: ToolCallOptions & { timeoutMs: number }): Promise<ToolResult> {
  if (options.signal?.aborted) return { ok: false, code: 'cancelled', error: 'the call was stopped before it started; nothing was run' };
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) return { ok: false, code: 'invalid-arguments', error: describeZodIssues(parsed.error) };
  const controller = new AbortController();
  let stop: ((result: ToolResult) => void) | undefined;
  const stopped = new Promise<ToolResult>((resolve) => {
    stop = resolve;
  });
  const onAbort = () => {
    controller.abort(options.signal?.reason);
    stop?.({ ok: false, code: 'aborted', error: 'the call was stopped while it ran: it may or may not have taken effect' });
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new Error('timed out'));
    stop?.({ ok: false, code: 'timeout', error: `no answer within ${options.timeoutMs} ms: the call may or may not have taken effect` });
  }, options.timeoutMs);
  try {
    const running = (async (): Promise<ToolResult> => {
      try {
        return outputOf(await tool.execute(parsed.data, { idempotencyKey: options.idempotencyKey, signal: controller.signal }));
      } catch (error) {
        return { ok: false, code: 'tool-error', error: describeError(error).slice(0, 2000) };
      }
    })();
    return await Promise.race([running, stopped]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The registry for `tools:` of countersign.yaml and the application's own tools. */
export function createToolRegistryFromConfig(config: ToolsConfig, options: { logger: Logger; tools?: readonly InProcessTool[] }): ToolRegistry {
  return createToolRegistry({
    servers: config.servers,
    policy: config.policy,
    tools: options.tools,
    logger: options.logger,
    callTimeoutMs: config.callTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    reconnect: config.reconnect,
  });
}

export function createToolRegistry(options: ToolRegistryOptions): ToolRegistry {
  const logger = options.logger;
  const policy = options.policy ?? {};
  const inProcess = options.tools ?? [];
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  const seenNames = new Set<string>();
  for (const tool of inProcess) {
    if (tool?.kind !== 'in-process') throw new CountersignError('tools.invalid-definition', 'every entry of tools must be made by defineTool()');
    if (seenNames.has(tool.name)) throw new CountersignError('tools.invalid-definition', `two in-process tools are named "${tool.name}": names must be unique`);
    seenNames.add(tool.name);
  }

  let entries = new Map<string, Entry>();
  let byRef = new Map<string, Entry>();
  const listeners = new Set<(tools: readonly ToolDescriptor[]) => void>();
  const warnedSchemas = new Set<string>();
  let started = false;

  const servers: McpToolServer[] = (options.servers ?? []).map((config) =>
    createMcpToolServer({ config, logger, connectTimeoutMs: options.connectTimeoutMs, reconnect: options.reconnect, onToolsChanged: () => rebuild() }),
  );

  function rebuild(): void {
    const refs: ToolRef[] = [
      ...inProcess.map((tool) => ({ source: IN_PROCESS_SOURCE, sourceName: tool.name })),
      ...servers.flatMap((server) => server.tools().map((tool) => ({ source: server.name, sourceName: tool.name }))),
    ];
    const names = assignToolNames(refs);
    const next = new Map<string, Entry>();
    const nextByRef = new Map<string, Entry>();
    const add = (ref: ToolRef, entry: Omit<Entry, 'descriptor'>, described: Omit<ToolDescriptor, 'name' | 'source' | 'sourceName'>) => {
      const name = names.get(refKey(ref))!;
      const previous = byRef.get(refKey(ref))?.descriptor.name;
      if (started && previous !== undefined && previous !== name) logger.info(`tool "${ref.sourceName}" of ${ref.source} is now offered as "${name}" (its name clashes with another tool's)`);
      const descriptor: ToolDescriptor = Object.freeze({ name, source: ref.source, sourceName: ref.sourceName, ...described });
      const full: Entry = { descriptor, ...entry };
      next.set(name, full);
      nextByRef.set(refKey(ref), full);
    };
    for (const tool of inProcess) {
      const ref = { source: IN_PROCESS_SOURCE, sourceName: tool.name };
      const decision = decideToolEffect({ definition: tool, policy: findToolPolicy(policy, ref.source, ref.sourceName) });
      add(
        ref,
        {
          validate: (args) => {
            const parsed = tool.input.safeParse(args);
            return parsed.success ? { ok: true } : { ok: false, error: describeZodIssues(parsed.error) };
          },
          invoke: (args, callOptions) => runInProcess(tool, args, callOptions),
        },
        { description: tool.description, inputSchema: tool.inputSchema, ...decision },
      );
    }
    for (const server of servers) {
      for (const tool of server.tools()) {
        const ref = { source: server.name, sourceName: tool.name };
        const inputSchema = tool.inputSchema as Record<string, unknown>;
        let check: ReturnType<typeof compileArgumentsValidator>;
        try {
          check = compileArgumentsValidator(inputSchema);
        } catch (error) {
          const warning = `${refKey(ref)}\u0000${JSON.stringify(inputSchema)}`;
          if (!warnedSchemas.has(warning)) {
            warnedSchemas.add(warning);
            logger.warn(`tool "${tool.name}" of tool server "${server.name}" is left out: ${describeError(error)}`);
          }
          continue;
        }
        const decision = decideToolEffect({ annotations: tool.annotations, policy: findToolPolicy(policy, ref.source, ref.sourceName) });
        add(
          ref,
          {
            validate: check,
            invoke: (args, callOptions) => server.call(tool.name, args, callOptions),
          },
          {
            ...(tool.title ?? tool.annotations?.title ? { title: tool.title ?? tool.annotations?.title } : {}),
            description: tool.description ?? tool.title ?? '',
            inputSchema,
            ...decision,
          },
        );
      }
    }
    entries = next;
    byRef = nextByRef;
    if (started) {
      const list = [...entries.values()].map((entry) => entry.descriptor);
      for (const listener of listeners) {
        try {
          listener(list);
        } catch (error) {
          logger.error({ err: describeError(error) }, 'a tool list listener failed');
        }
      }
    }
  }

  const resolve = (tool: string | ToolRef): Entry | undefined => (typeof tool === 'string' ? entries.get(tool) : byRef.get(refKey(tool)));

  rebuild();

  return {
    async start() {
      await Promise.all(servers.map((server) => server.start()));
      started = true;
      rebuild();
      // A policy entry that names no tool is most likely a typo: say so once.
      const known = new Set([...entries.values()].flatMap(({ descriptor }) => [descriptor.sourceName, `${descriptor.source}_${descriptor.sourceName}`]));
      const unused = Object.keys(policy).filter((key) => !known.has(key));
      if (unused.length && servers.every((server) => server.status().state === 'connected')) {
        logger.warn(`tools.policy names ${unused.map((key) => `"${key}"`).join(', ')}, which no tool server or in-process tool offers`);
      }
    },

    async close() {
      await Promise.all(servers.map((server) => server.close()));
    },

    list: () => [...entries.values()].map((entry) => entry.descriptor),
    get: (name) => entries.get(name)?.descriptor,
    find: (ref) => byRef.get(refKey(ref))?.descriptor,

    validate(tool, args) {
      const entry = resolve(tool);
      if (!entry) return { ok: false, error: `no tool named ${JSON.stringify(typeof tool === 'string' ? tool : tool.sourceName)}` };
      return entry.validate(args);
    },

    toOpenAITools() {
      return [...entries.values()].map(({ descriptor }) => ({
        type: 'function' as const,
        function: { name: descriptor.name, description: descriptor.description, parameters: descriptor.inputSchema },
      }));
    },

    async call(tool, args, callOptions) {
      const entry = resolve(tool);
      const label = typeof tool === 'string' ? tool : `${tool.sourceName} of ${tool.source}`;
      if (!entry) return { ok: false, code: 'unknown-tool', error: `no tool named ${JSON.stringify(label)}; nothing was run` };
      const check = entry.validate(args);
      if (!check.ok) return { ok: false, code: 'invalid-arguments', error: `invalid arguments for ${entry.descriptor.name}: ${check.error}; nothing was run` };
      return entry.invoke(args as Record<string, unknown>, { ...callOptions, timeoutMs: callOptions.timeoutMs ?? callTimeoutMs });
    },

    servers: () => servers.map((server) => server.status()),

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
