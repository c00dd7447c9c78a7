/**
 * The shapes shared by the tool sources (MCP servers, in-process tools), the registry over them
 * and the action ledger. Nothing here does anything; see docs/tools.md for the whole picture.
 */

/**
 * What a call does to the world. `read` calls run at once; `write` calls are reviewed (rules,
 * critic, or a human) before they run. Unknown is `write`: fail closed.
 */
export type ToolEffect = 'read' | 'write';

/**
 * Whether the critic reviews a call of this tool: `auto` reviews writes and lets reads run,
 * `always` reviews reads too, `never` only for reads (a write is always reviewed; the
 * configuration refuses `never` on anything but `effect: read`).
 */
export type CriticPolicy = 'always' | 'never' | 'auto';

/** Where an effect came from, for logs and the dashboard. */
export type EffectDecidedBy = 'policy' | 'annotations' | 'definition' | 'default';

/** Where a tool lives: an MCP server (by its configured name) or the application's own process. */
export type ToolSource = string;

/** The source of in-process tools (a server may not take this name). */
export const IN_PROCESS_SOURCE = 'in-process';

/** The `_meta` key of a `tools/call` request that carries the idempotency key (CONTRACT.md). */
export const IDEMPOTENCY_KEY_META = 'countersign/idempotency-key';

/** One tool as the actor, the gates and the ledger see it. */
export interface ToolDescriptor {
  /** The name offered to the actor: the tool's own name, or `<server>_<name>` when names clash. */
  readonly name: string;
  /** The tool's name at its source (what the MCP server or defineTool calls it). */
  readonly sourceName: string;
  /** `in-process` or the MCP server's configured name. */
  readonly source: ToolSource;
  readonly title?: string;
  readonly description: string;
  /** JSON Schema of the arguments (an object schema), as given to the actor. */
  readonly inputSchema: Record<string, unknown>;
  readonly effect: ToolEffect;
  /** Calling it twice with the same arguments (and idempotency key) has no further effect. */
  readonly idempotent: boolean;
  readonly critic: CriticPolicy;
  /** True when the critic reviews its calls: writes always, reads only with `critic: always`. */
  readonly reviewedByCritic: boolean;
  readonly decidedBy: EffectDecidedBy;
}

/**
 * One piece of a tool's result, as MCP defines content blocks (text, image, audio, resource,
 * resource_link). In-process tools produce text.
 */
export type ToolContent = { type: 'text'; text: string } | ({ type: string } & Record<string, unknown>);

export interface ToolSuccess {
  readonly ok: true;
  readonly content: ToolContent[];
  /** The tool's structured output (MCP `structuredContent`, or an in-process tool's object). */
  readonly structured?: Record<string, unknown>;
}

/**
 * Why a call failed:
 * - `unknown-tool`, `invalid-arguments`, `unavailable` (its server is down), `not-approved`,
 *   `cancelled` (stopped before it was sent): nothing was sent, nothing ran;
 * - `tool-error`: the tool answered with an error (MCP `isError`, a JSON-RPC error, an
 *   in-process throw): a definite answer;
 * - `timeout`, `connection-lost`, `aborted`: the request may have reached the tool and there
 *   is no answer, so it may or may not have run;
 * - `outcome-unknown`: the ledger found a non-idempotent call that started and never recorded
 *   an outcome (a crash); it is never run again without a human.
 */
export type ToolFailureCode =
  | 'unknown-tool'
  | 'invalid-arguments'
  | 'unavailable'
  | 'not-approved'
  | 'cancelled'
  | 'tool-error'
  | 'timeout'
  | 'connection-lost'
  | 'aborted'
  | 'outcome-unknown';

export interface ToolFailure {
  readonly ok: false;
  readonly code: ToolFailureCode;
  /** For the actor and the logs; never carries a secret. */
  readonly error: string;
  /** The tool's own content, for `tool-error` results that came with some. */
  readonly content?: ToolContent[];
}

export type ToolResult = ToolSuccess | ToolFailure;

/** Failures after which the call may or may not have run. */
export const INDETERMINATE_FAILURES: ReadonlySet<ToolFailureCode> = new Set(['timeout', 'connection-lost', 'aborted']);

/** True when a failed call may have had its effect (no answer came back). */
export function mayHaveRun(result: ToolResult): boolean {
  return !result.ok && INDETERMINATE_FAILURES.has(result.code);
}

export interface ToolCallOptions {
  /** Passed to the tool (MCP `_meta`, in-process `execute`'s context). */
  readonly idempotencyKey: string;
  readonly signal?: AbortSignal;
  /** Longest wait for the answer. @defaultValue `tools.callTimeoutMs` (30000) */
  readonly timeoutMs?: number;
}

/** A tool by its source and its name there: stable when the offered name changes. */
export interface ToolRef {
  readonly source: ToolSource;
  readonly sourceName: string;
}

/**
 * The text of a result for the actor's `tool` message: text blocks joined, other blocks named,
 * a failure as `Error: ...`.
 */
export function toolResultText(result: ToolResult): string {
  const parts = (result.content ?? []).map((block) => {
    if (block.type === 'text' && typeof block.text === 'string') return block.text;
    if (block.type === 'resource_link' && typeof block.uri === 'string') return `[resource ${block.uri}]`;
    return `[${block.type} content]`;
  });
  if (result.ok) {
    if (parts.length === 0 && result.structured !== undefined) return JSON.stringify(result.structured);
    return parts.join('\n');
  }
  return [`Error: ${result.error}`, ...parts].join('\n');
}
