import { z } from 'zod';
import { CountersignError } from '../core/errors.js';
import type { CriticPolicy, ToolEffect } from './tool-types.js';

/** The names the Chat Completions API accepts for a function. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** What `execute` is given besides the arguments. */
export interface ToolExecutionContext {
  /**
   * The same for every attempt of one approved call, different for every other call. A tool
   * with a side effect should pass it on (a payment API's idempotency key, a unique column) so
   * that an attempt repeated after a crash does nothing twice.
   */
  readonly idempotencyKey: string;
  /** Aborted when the call times out or the turn is stopped. */
  readonly signal: AbortSignal;
}

/**
 * What `execute` returns: text for the actor, or `{ text?, structured? }`; `structured` alone
 * is given to the actor as its JSON. Throwing is a failed call the actor sees (its message).
 */
export type InProcessToolOutput = string | { readonly text?: string; readonly structured?: Record<string, unknown> };

export interface DefineToolOptions<Input extends z.ZodObject> {
  /** The name the actor calls it by: letters, digits, `_` and `-`, at most 64. */
  readonly name: string;
  /** What it does and when to use it, for the actor and the critic. */
  readonly description: string;
  /** The arguments, as a zod object; the actor gets its JSON Schema (`z.toJSONSchema`). */
  readonly input: Input;
  /** `read` runs at once; `write` is reviewed (critic, rules, a human) before it runs. */
  readonly effect: ToolEffect;
  /**
   * Running it again with the same arguments and idempotency key has no further effect, so a
   * call interrupted by a crash may be run again. @defaultValue false
   */
  readonly idempotent?: boolean;
  /** @defaultValue 'auto' (writes reviewed, reads not); `never` only for reads. */
  readonly critic?: CriticPolicy;
  /** Runs the call; `args` are the validated (parsed) arguments. */
  readonly execute: (args: z.output<Input>, context: ToolExecutionContext) => InProcessToolOutput | Promise<InProcessToolOutput>;
}

/** A tool that runs in the application's process, made by defineTool. */
export interface InProcessTool<Input extends z.ZodObject = z.ZodObject> {
  readonly kind: 'in-process';
  readonly name: string;
  readonly description: string;
  readonly input: Input;
  /** The input's JSON Schema (zod 4's `z.toJSONSchema`, input side). */
  readonly inputSchema: Record<string, unknown>;
  readonly effect: ToolEffect;
  readonly idempotent: boolean;
  readonly critic: CriticPolicy;
  readonly execute: (args: z.output<Input>, context: ToolExecutionContext) => InProcessToolOutput | Promise<InProcessToolOutput>;
}

/**
 * An in-process tool for `createCountersign({ tools: [...] })`. Checked here, so a mistake is
 * an error at start, not a failed call in a conversation.
 *
 * @example
 * ```ts
 * const issueVoucher = defineTool({
 *   name: 'issue_voucher',
 *   description: 'Issue a travel voucher to a customer.',
 *   input: z.object({ userId: z.string(), amount: z.number().positive().max(500) }),
 *   effect: 'write',
 *   execute: async ({ userId, amount }, { idempotencyKey }) => {
 *     const voucher = await vouchers.create({ userId, amount }, { idempotencyKey });
 *     return `Voucher ${voucher.id} for ${amount} USD issued to ${userId}.`;
 *   },
 * });
 * ```
 */
export function defineTool<Input extends z.ZodObject>(options: DefineToolOptions<Input>): InProcessTool<Input> {
  const problem = (message: string) => new CountersignError('tools.invalid-definition', `defineTool(${JSON.stringify(options?.name ?? '?')}): ${message}`);
  if (typeof options?.name !== 'string' || !TOOL_NAME_PATTERN.test(options.name)) {
    throw problem('name must be 1 to 64 letters, digits, "_" or "-" (the Chat Completions API refuses other names)');
  }
  if (typeof options.description !== 'string' || options.description.trim() === '') throw problem('description is required: the actor and the critic read it');
  if (!(options.input instanceof z.ZodObject)) throw problem('input must be a zod object schema, e.g. z.object({ orderId: z.string() })');
  if (options.effect !== 'read' && options.effect !== 'write') throw problem('effect must be "read" or "write"');
  const critic = options.critic ?? 'auto';
  if (!['always', 'never', 'auto'].includes(critic)) throw problem('critic must be "always", "never" or "auto"');
  if (critic === 'never' && options.effect !== 'read') throw problem('critic "never" is only allowed for a read tool: a write is always reviewed before it runs');
  if (typeof options.execute !== 'function') throw problem('execute must be a function');
  let inputSchema: Record<string, unknown>;
  try {
    inputSchema = z.toJSONSchema(options.input, { io: 'input' }) as Record<string, unknown>;
  } catch (error) {
    throw problem(`its input cannot be written as JSON Schema for the actor (${error instanceof Error ? error.message : String(error)})`);
  }
  return Object.freeze({
    kind: 'in-process' as const,
    name: options.name,
    description: options.description,
    input: options.input,
    inputSchema,
    effect: options.effect,
    idempotent: options.idempotent ?? false,
    critic,
    execute: options.execute,
  });
}
