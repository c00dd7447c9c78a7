/**
 * The action ledger's Redis scripts, one `.lua` file each in ./commands, named as bullmq names
 * its own: `<name>-<number of keys>.lua`, with a header comment giving KEYS, ARGV and the
 * result. They are read from beside this module: `src/tools/commands` under tsx, and
 * `dist/src/tools/commands` once built (`npm run build` copies every `src/**\/*.lua` there).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { CountersignError } from '../core/errors.js';

export interface LuaCommand {
  /** The ioredis command name: `cs` + the file's name (`recordAction-1.lua` -> `csRecordAction`). */
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

const FILE = /^([a-z][A-Za-z]*)-(\d+)\.lua$/;

/** Every `<name>-<keys>.lua` of a directory. */
export function loadLuaCommands(directory: URL): LuaCommand[] {
  let files: string[];
  try {
    files = readdirSync(directory).filter((file) => file.endsWith('.lua'));
  } catch (error) {
    throw new CountersignError('tools.scripts-missing', `the Redis scripts are missing from ${fileURLToPath(directory)} (a build copies them from src/: npm run build)`, { cause: error });
  }
  return files.map((file) => {
    const match = FILE.exec(file);
    if (!match) throw new CountersignError('tools.scripts-invalid', `${file}: a Redis script file is named <name>-<number of keys>.lua`);
    const [, base, keys] = match;
    return { name: `cs${base![0]!.toUpperCase()}${base!.slice(1)}`, numberOfKeys: Number(keys), lua: readFileSync(new URL(file, directory), 'utf8') };
  });
}

/** The ledger's commands on an ioredis client. */
export interface LedgerRedis extends Redis {
  csRecordAction(record: string, argumentsJson: string, newKey: string, now: number, retentionSeconds: number, ...fields: string[]): Promise<[string, string]>;
  csBeginAction(record: string, owner: string, now: number, leaseMs: number): Promise<[string, number]>;
  csFinishAction(record: string, owner: string, state: string, resultJson: string, now: number, retentionSeconds: number): Promise<string>;
  csResolveAction(record: string, outcome: string, resultJson: string, resolutionJson: string, now: number, retentionSeconds: number): Promise<string>;
}

const REQUIRED = ['csRecordAction', 'csBeginAction', 'csFinishAction', 'csResolveAction'];
let cached: LuaCommand[] | undefined;

/** Defines the ledger's commands on this client once (ioredis then runs them by EVALSHA). */
export function defineLedgerCommands(redis: Redis): LedgerRedis {
  cached ??= loadLuaCommands(new URL('./commands/', import.meta.url));
  for (const name of REQUIRED) {
    if (!cached.some((command) => command.name === name)) throw new CountersignError('tools.scripts-missing', `the Redis script for ${name} is missing`);
  }
  for (const command of cached) {
    if (!(command.name in redis)) redis.defineCommand(command.name, { numberOfKeys: command.numberOfKeys, lua: command.lua });
  }
  return redis as LedgerRedis;
}
