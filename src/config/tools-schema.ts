import { z } from 'zod';
import { closest } from './describe-issues.js';

/**
 * The `tools:` section of countersign.yaml: the MCP servers whose tools the actor may call, the
 * operator's per-tool policy (read or write, idempotent, critic review), and the limits of a
 * call. docs/tools.md explains each setting.
 *
 * A server's messages name it (`server "billing": ...`) and never quote a header, an
 * environment value or the URL: those carry secrets (`${VAR}` is interpolated before this
 * runs, so the value here is the secret itself).
 */

/** A server's name: in logs, in `<server>_<tool>` names, in the review API's `action.server`. */
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;
/** RFC 9110 token: the characters a header name may have. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ENV_NAME = /^[^=\0]+$/;
const RESERVED_NAMES = new Set(['in-process']);

const STDIO_FIELDS = ['name', 'command', 'args', 'env', 'cwd'] as const;
const HTTP_FIELDS = ['name', 'url', 'headers'] as const;
const ALL_FIELDS = [...new Set<string>([...STDIO_FIELDS, ...HTTP_FIELDS])];

/** A stdio MCP server: countersign starts `command args...` and speaks MCP on its stdin/stdout. */
export interface StdioServerConfig {
  readonly name: string;
  readonly transport: 'stdio';
  readonly command: string;
  readonly args: string[];
  /** Added to a small safe environment (PATH, HOME, ...): the service's own is not passed on. */
  readonly env: Record<string, string>;
  readonly cwd?: string;
}

/** A Streamable HTTP MCP server at `url`, sent `headers` with every request. */
export interface HttpServerConfig {
  readonly name: string;
  readonly transport: 'http';
  readonly url: string;
  readonly headers: Record<string, string>;
}

export type ToolServerConfig = StdioServerConfig | HttpServerConfig;

type Context = z.core.$RefinementCtx<unknown>;
const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const scalarText = (value: unknown): string | null => (typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null);

/** A mapping of names to single-line strings (env, headers); numbers and booleans become text. */
function stringMapping(value: unknown, field: 'env' | 'headers', label: string, fail: (path: PropertyKey[], message: string) => void): Record<string, string> {
  const result: Record<string, string> = {};
  if (value === undefined || value === null) return result;
  if (!isMapping(value)) {
    fail([field], `${label}: ${field} must be a mapping of names to values, e.g. ${field === 'env' ? '{ DATA_DIR: /data }' : '{ Authorization: "Bearer $' + '{TOKEN}" }'}`);
    return result;
  }
  for (const [name, item] of Object.entries(value)) {
    const valid = field === 'headers' ? HEADER_NAME.test(name) : ENV_NAME.test(name);
    if (!valid) {
      fail([field, name], `${label}: ${JSON.stringify(name)} is not a valid ${field === 'headers' ? 'header' : 'environment variable'} name`);
      continue;
    }
    const text = scalarText(item);
    if (text === null || (field === 'headers' && /[\r\n\0]/.test(text))) {
      fail([field, name], `${label}: ${field}.${name} must be ${field === 'headers' ? 'a single-line string' : 'a string'} (its value is not shown)`);
      continue;
    }
    result[name] = text;
  }
  return result;
}

/** One entry of `tools.servers`, with messages that name the server and the field. */
function parseServer(value: unknown, context: Context): ToolServerConfig | typeof z.NEVER {
  if (!isMapping(value)) {
    context.addIssue({ code: 'custom', path: [], message: 'must be a mapping with a name and either command (a stdio server) or url (a Streamable HTTP server)' });
    return z.NEVER;
  }
  let ok = true;
  const fail = (path: PropertyKey[], message: string) => {
    ok = false;
    context.addIssue({ code: 'custom', path, message });
  };
  const rawName = value.name;
  const name = typeof rawName === 'string' ? rawName : '';
  const label = SERVER_NAME.test(name) ? `server "${name}"` : 'this server';
  if (rawName === undefined) fail(['name'], 'required: a short name for the server (letters, digits and dashes), shown in logs and used to tell clashing tool names apart');
  else if (typeof rawName !== 'string' || !SERVER_NAME.test(rawName)) {
    fail(['name'], `${JSON.stringify(rawName)} is not a valid server name: letters, digits and dashes, at most 32, starting with a letter or digit`);
  } else if (RESERVED_NAMES.has(rawName)) fail(['name'], `"${rawName}" is reserved (it names the application's own tools); pick another name`);

  const hasCommand = value.command !== undefined;
  const hasUrl = value.url !== undefined;
  if (hasCommand && hasUrl) fail([], `${label}: has both command (a stdio server) and url (a Streamable HTTP server): give one`);
  if (!hasCommand && !hasUrl) fail([], `${label}: give command (a stdio server) or url (a Streamable HTTP server)`);
  const kind: 'stdio' | 'http' | null = hasCommand && !hasUrl ? 'stdio' : hasUrl && !hasCommand ? 'http' : null;

  for (const key of Object.keys(value)) {
    if (kind === 'stdio' && (HTTP_FIELDS as readonly string[]).includes(key) && key !== 'name') {
      fail([key], `${label}: ${key} is for Streamable HTTP servers (url); a stdio server (command) takes args, env and cwd`);
    } else if (kind === 'http' && (STDIO_FIELDS as readonly string[]).includes(key) && key !== 'name') {
      fail([key], `${label}: ${key} is for stdio servers (command); a Streamable HTTP server (url) takes headers`);
    } else if (!ALL_FIELDS.includes(key)) {
      const meant = closest(key, kind === 'stdio' ? [...STDIO_FIELDS] : kind === 'http' ? [...HTTP_FIELDS] : ALL_FIELDS);
      fail([key], `${label}: unknown field "${key}"${meant ? ` (did you mean "${meant}"?)` : ` (the fields here: ${(kind === 'http' ? HTTP_FIELDS : kind === 'stdio' ? STDIO_FIELDS : ALL_FIELDS).join(', ')})`}`);
    }
  }

  if (kind === 'stdio') {
    const command = value.command;
    if (typeof command !== 'string' || command.trim() === '') fail(['command'], `${label}: command must be the program to start, e.g. node or npx`);
    let args: string[] = [];
    if (value.args !== undefined && value.args !== null) {
      const list = Array.isArray(value.args) ? value.args.map(scalarText) : null;
      if (!list || list.some((item) => item === null)) fail(['args'], `${label}: args must be a list of strings, e.g. [server.js, --port, "7000"]`);
      else args = list as string[];
    }
    const env = stringMapping(value.env, 'env', label, fail);
    if (value.cwd !== undefined && (typeof value.cwd !== 'string' || value.cwd === '')) fail(['cwd'], `${label}: cwd must be a directory path`);
    if (!ok) return z.NEVER;
    return { name, transport: 'stdio', command: command as string, args, env, ...(typeof value.cwd === 'string' ? { cwd: value.cwd } : {}) };
  }
  if (kind === 'http') {
    let url: URL | null = null;
    try {
      url = typeof value.url === 'string' ? new URL(value.url) : null;
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      fail(['url'], `${label}: url must be an http:// or https:// address, e.g. http://127.0.0.1:7000/mcp (the value is not shown: it may carry a secret)`);
    }
    const headers = stringMapping(value.headers, 'headers', label, fail);
    if (!ok) return z.NEVER;
    return { name, transport: 'http', url: value.url as string, headers };
  }
  return z.NEVER;
}

const serverSchema = z.unknown().transform((value, context) => parseServer(value, context));

/**
 * One `tools.policy` entry. `critic: never` only goes with `effect: read`: a write is always
 * reviewed (by the critic, a rule or a human) before it runs, so `never` on a write could only
 * be a mistake or a way around the gate.
 */
export const toolPolicySchema = z
  .strictObject({
    /** `read` runs at once; `write` is reviewed first. Overrides the tool's annotations. */
    effect: z.enum(['read', 'write']).optional(),
    /** Safe to run again with the same idempotency key after a crash. Overrides `idempotentHint`. */
    idempotent: z.boolean({ error: 'must be true or false' }).optional(),
    /** `auto` (the default): writes are reviewed, reads are not; `always`: reads too; `never`: reads only. */
    critic: z.enum(['always', 'never', 'auto']).optional(),
  })
  .superRefine((policy, context) => {
    if (policy.critic === 'never' && policy.effect !== 'read') {
      context.addIssue({
        code: 'custom',
        path: ['critic'],
        message: `"never" is only allowed with effect: read (a write call is always reviewed before it runs); ${policy.effect === 'write' ? 'remove critic or use always' : 'add effect: read if the tool only reads'}`,
      });
    }
  });

export const TOOLS_DEFAULTS = {
  callTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  reconnect: { initialDelayMs: 500, maxDelayMs: 30_000 },
  maxResultBytes: 64 * 1024,
} as const;

const milliseconds = z.coerce.number().int().min(100).max(3_600_000);

export const toolsSchema = z
  .strictObject({
    /** MCP servers whose tools the actor may call (stdio: command/args/env/cwd; HTTP: url/headers). */
    servers: z
      .array(serverSchema, { error: 'must be a list of servers, each with a name and a command or url' })
      .superRefine((servers, context) => {
        const seen = new Map<string, number>();
        servers.forEach((server, index) => {
          if (!server) return;
          const first = seen.get(server.name);
          if (first !== undefined) context.addIssue({ code: 'custom', path: [index, 'name'], message: `"${server.name}" is already the name of tools.servers[${first}]: server names must be unique` });
          else seen.set(server.name, index);
        });
      })
      .default([]),
    /**
     * Per tool: `<tool>` (that name on every server, and in-process tools) or `<server>_<tool>`
     * (one server's tool; wins over `<tool>`). Overrides what the tool says of itself.
     */
    policy: z.record(z.string().min(1).max(200), toolPolicySchema, { error: 'must be a mapping of tool names to { effect, idempotent, critic }' }).default({}),
    /** Longest wait for one call's answer; past it the call fails (a write's outcome is then unknown). */
    callTimeoutMs: milliseconds.default(TOOLS_DEFAULTS.callTimeoutMs),
    /** Longest wait for a server to start and list its tools. */
    connectTimeoutMs: milliseconds.default(TOOLS_DEFAULTS.connectTimeoutMs),
    /** Reconnecting to a server that is down: the first wait, doubled up to the last. */
    reconnect: z
      .strictObject({
        initialDelayMs: milliseconds.default(TOOLS_DEFAULTS.reconnect.initialDelayMs),
        maxDelayMs: milliseconds.default(TOOLS_DEFAULTS.reconnect.maxDelayMs),
      })
      .default(TOOLS_DEFAULTS.reconnect),
    /** A call's result is kept (and given to the actor) up to this size; the rest is cut, with a note. */
    maxResultBytes: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(TOOLS_DEFAULTS.maxResultBytes),
  })
  .default({ servers: [], policy: {}, ...TOOLS_DEFAULTS });

export type ToolsConfig = z.output<typeof toolsSchema>;

/** Environment variables of this section and the config path each one sets. */
export const toolsEnvironment = {
  TOOLS_CALL_TIMEOUT_MS: 'tools.callTimeoutMs',
  TOOLS_CONNECT_TIMEOUT_MS: 'tools.connectTimeoutMs',
} as const;
