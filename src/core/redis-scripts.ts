/**
 * Lua scripts kept as `.lua` files, one script per file (as bullmq keeps its `src/commands`):
 * each opens with a header of its KEYS, ARGV and results, and names its keys in locals. Shared
 * Lua functions live in `include/` files that a script pulls in with a line
 * `--- @include "include/name.lua"`, replaced by the file's text when the script is loaded.
 *
 * The files sit beside the module that runs them and are shipped in `dist` by the build
 * (`scripts/copy-assets.mjs`), so the same relative URL works from the sources and the build.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const INCLUDE = /^--- @include "([^"]+)"\s*$/gm;

/** A script's text with its includes resolved (each included once, cycles refused). */
export function loadLua(file: URL, seen: Set<string> = new Set()): string {
  if (seen.has(file.href)) throw new Error(`${file.pathname}: included twice (an include cycle?)`);
  seen.add(file.href);
  const text = readFileSync(file, 'utf8');
  return text.replace(INCLUDE, (_line, name: string) => loadLua(new URL(name, file), seen));
}

export interface ScriptDefinition {
  /** The `.lua` file. */
  file: URL;
  /**
   * How many of the arguments are keys (the header's KEYS); `variable` when the caller passes
   * the number of keys as the first argument.
   */
  keys: number | 'variable';
}

/**
 * Define the scripts on a connection as ioredis commands (`name`), once per connection: ioredis
 * then runs each by its SHA (EVALSHA), loading it again after a Redis restart.
 */
export function defineScripts<Name extends string>(redis: Redis, scripts: Record<Name, ScriptDefinition>): void {
  for (const [name, script] of Object.entries(scripts) as Array<[Name, ScriptDefinition]>) {
    if (name in redis) continue;
    redis.defineCommand(name, { ...(script.keys === 'variable' ? {} : { numberOfKeys: script.keys }), lua: loadLua(script.file) });
  }
}

/**
 * Call a script defined with defineScripts: its keys first, then its arguments (a script with a
 * `variable` number of keys gets their count in front).
 */
export function runScript<T>(redis: Redis, name: string, keys: readonly string[], args: ReadonlyArray<string | number>, options: { variableKeys?: boolean } = {}): Promise<T> {
  const command = (redis as unknown as Record<string, (...values: Array<string | number>) => Promise<T>>)[name];
  if (!command) throw new Error(`the Redis script ${name} is not defined on this connection`);
  return options.variableKeys ? command.call(redis, keys.length, ...keys, ...args) : command.call(redis, ...keys, ...args);
}
