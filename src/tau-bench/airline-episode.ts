/**
 * One episode of the airline environment: its own database, the tool calls made in it, and
 * the results remembered by idempotency key. A call runs as τ-bench's `Env.step` runs a tool
 * action: any Python exception becomes the output `Error: {message}`, an unknown tool gives
 * `Unknown action {name}`, and `transfer_to_human_agents` ends the episode.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CountersignError } from '../core/errors.js';
import type { AirlineData, AirlineDatabase } from './airline-database.js';
import { createAirlineDatabase } from './airline-database.js';
import { AIRLINE_TERMINATE_TOOL_NAMES, findAirlineTool } from './airline-tool-definitions.js';
import { AirlineToolNoResult, pythonEquals } from './airline-tools.js';
import { hashAirlineDatabase } from './data-hash.js';
import { PythonError } from './python-error.js';
import type { PythonDict, PythonValue } from './python-value.js';
import { fromJsonValue, isPythonDict, parsePythonJson } from './python-value.js';

export interface AirlineToolResult {
  /** The tool's output text, as τ-bench's environment returns it to the agent. */
  readonly output: string;
  /** τ-bench's errors (`Error: ...`, `Unknown action ...`) and invalid arguments. */
  readonly isError: boolean;
  /** True when this is the remembered result of an earlier call with the same idempotency key. */
  readonly replayed: boolean;
}

export interface AirlineCallRecord {
  readonly name: string;
  /** The arguments as given (JSON). */
  readonly arguments: unknown;
  readonly result: AirlineToolResult;
  readonly idempotencyKey: string | null;
}

export interface AirlineCallOptions {
  /**
   * For a write tool: the result of an earlier call with this key in this episode is returned
   * instead of running the call again. The same key with another tool or other arguments is
   * refused (an error result, nothing runs).
   */
  readonly idempotencyKey?: string;
}

export interface AirlineEpisode {
  readonly id: string;
  readonly database: AirlineDatabase;
  /** Every call, in order, with what it returned. */
  readonly calls: readonly AirlineCallRecord[];
  /** True once a terminating tool (`transfer_to_human_agents`) was called, as in τ-bench. */
  readonly done: boolean;
  /** Runs a tool with arguments already parsed from JSON (an MCP `tools/call`). */
  call(name: string, args: unknown, options?: AirlineCallOptions): AirlineToolResult;
  /**
   * Runs a tool with its arguments as JSON text (a model's `tool_calls[].function.arguments`):
   * parsed as Python's `json.loads` would, so `100.0` stays a float as it would in τ-bench.
   */
  callWithArgumentsJson(name: string, argumentsJson: string, options?: AirlineCallOptions): AirlineToolResult;
  /** τ-bench's hash of this episode's whole database (data-hash.ts). */
  dataHash(): string;
}

export interface AirlineEpisodeOptions {
  /** @defaultValue a random UUID */
  readonly id?: string;
}

const IdempotencyKey = z.string().min(1).max(512);

const errorResult = (output: string): AirlineToolResult => ({ output, isError: true, replayed: false });

/** Arguments a validator can check: JSON values (ints as numbers). */
function toJsonArguments(value: PythonValue): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toJsonArguments);
  if (isPythonDict(value)) return Object.fromEntries([...value].map(([key, entry]) => [key, toJsonArguments(entry)]));
  return value;
}

export function createAirlineEpisode(data: AirlineData, options: AirlineEpisodeOptions = {}): AirlineEpisode {
  const database = createAirlineDatabase(data);
  const calls: AirlineCallRecord[] = [];
  const remembered = new Map<string, { name: string; kwargs: PythonDict; result: AirlineToolResult }>();
  let done = false;

  const run = (name: string, jsonArguments: unknown, toKwargs: () => PythonValue, callOptions: AirlineCallOptions): AirlineToolResult => {
    const tool = findAirlineTool(name);
    if (tool === undefined) return errorResult(`Unknown action ${name}`);
    const validated = tool.argumentsSchema.safeParse(jsonArguments ?? {});
    if (!validated.success) return errorResult(`Error: invalid arguments for ${name}: ${z.prettifyError(validated.error).replaceAll('\n', ' ')}`);
    const kwargs = toKwargs();
    if (!isPythonDict(kwargs)) return errorResult(`Error: invalid arguments for ${name}: expected an object`);

    const key = callOptions.idempotencyKey;
    if (key !== undefined && tool.effect === 'write') {
      if (!IdempotencyKey.safeParse(key).success) return errorResult('Error: the idempotency key must be a string of 1 to 512 characters');
      const earlier = remembered.get(key);
      if (earlier !== undefined) {
        if (earlier.name !== name || !pythonEquals(earlier.kwargs, kwargs)) return errorResult(`Error: the idempotency key ${key} was already used for another call (${earlier.name}); nothing was run`);
        return { ...earlier.result, replayed: true };
      }
    }

    const remember = key !== undefined && tool.effect === 'write';
    // Taken before the call: τ-bench stores the given lists in the database, where they may change.
    const original = remember ? structuredClone(kwargs) : null;
    let result: AirlineToolResult;
    try {
      const output = tool.implementation(database, kwargs);
      result = { output, isError: output.startsWith('Error:'), replayed: false };
    } catch (error) {
      if (error instanceof PythonError || error instanceof AirlineToolNoResult) result = errorResult(`Error: ${error.message}`);
      else throw error;
    }
    if (remember && original !== null) remembered.set(key, { name, kwargs: original, result });
    if (AIRLINE_TERMINATE_TOOL_NAMES.includes(tool.name)) done = true;
    return result;
  };

  const record = (name: string, args: unknown, result: AirlineToolResult, callOptions: AirlineCallOptions) => {
    calls.push({ name, arguments: args, result, idempotencyKey: callOptions.idempotencyKey ?? null });
    return result;
  };

  return {
    id: options.id ?? randomUUID(),
    database,
    calls,
    get done() {
      return done;
    },
    call(name, args, callOptions = {}) {
      const result = run(name, args, () => fromJsonValue(args ?? {}), callOptions);
      return record(name, args, result, callOptions);
    },
    callWithArgumentsJson(name, argumentsJson, callOptions = {}) {
      let python: PythonValue;
      try {
        python = parsePythonJson(argumentsJson);
      } catch (error) {
        if (error instanceof CountersignError) return record(name, argumentsJson, errorResult(`Error: ${error.message}`), callOptions);
        throw error;
      }
      const result = run(name, toJsonArguments(python), () => python, callOptions);
      return record(name, toJsonArguments(python), result, callOptions);
    },
    dataHash: () => hashAirlineDatabase(database),
  };
}
