/**
 * The action ledger's Redis scripts (`./scripts/*.lua`), each with a header of its KEYS, ARGV
 * and result and named locals for its keys, loaded once per connection (src/core/redis-scripts.ts).
 */
import type { Redis } from 'ioredis';
import { defineScripts } from '../core/redis-scripts.js';

const script = (name: string) => ({ file: new URL(`./scripts/${name}.lua`, import.meta.url), keys: 1 });

const SCRIPTS = {
  csRecordAction: script('record-action'),
  csBeginAction: script('begin-action'),
  csFinishAction: script('finish-action'),
  csResolveAction: script('resolve-action'),
};

/** The ledger's commands on an ioredis client. */
export interface LedgerRedis extends Redis {
  csRecordAction(record: string, argumentsJson: string, newKey: string, now: number, retentionSeconds: number, ...fields: string[]): Promise<[string, string]>;
  csBeginAction(record: string, owner: string, now: number, leaseMs: number): Promise<[string, number]>;
  csFinishAction(record: string, owner: string, state: string, resultJson: string, now: number, retentionSeconds: number): Promise<string>;
  csResolveAction(record: string, outcome: string, resultJson: string, resolutionJson: string, now: number, retentionSeconds: number): Promise<string>;
}

/** Defines the ledger's commands on this client once (ioredis then runs them by EVALSHA). */
export function defineLedgerCommands(redis: Redis): LedgerRedis {
  defineScripts(redis, SCRIPTS);
  return redis as LedgerRedis;
}
