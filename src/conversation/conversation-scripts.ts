/**
 * The conversation protocol's Lua scripts (`./scripts/*.lua`), loaded once per connection and
 * called through typed functions. Each state change of a conversation is one script, so it is
 * atomic against every other worker and process and costs one round trip; the conversation
 * store is their only caller.
 */
import type { Redis } from 'ioredis';
import { defineScripts, runScript } from '../core/redis-scripts.js';

const script = (name: string, keys: number) => ({ file: new URL(`./scripts/${name}.lua`, import.meta.url), keys });

const SCRIPTS = {
  csAccept: script('accept', 4),
  csBeginTurn: script('begin-turn', 6),
  csApproveIfFresh: script('approve-if-fresh', 4),
  csEscalate: script('escalate', 7),
  csFinalize: script('finalize', 6),
  csResolve: script('resolve', 7),
};

export interface ConversationScripts {
  /** accept.lua -> 1 accepted, 0 duplicate, 2 duplicate with work waiting, -1 inbox full */
  accept(keys: { seen: string; inbox: string; pending: string; state: string }, args: { ttlSeconds: number; message: string; conversation: string; now: number; maxMessages: number; maxBytes: number }): Promise<number>;
  /** begin-turn.lua -> see the script's header */
  beginTurn(
    keys: { state: string; inbox: string; history: string; pending: string; turnPrefix: string; ready: string },
    args: { newTurnId: string; now: number; maxMessages: number; conversation: string; conversationJson: string; keep: number; historyBudgetChars: number; conversationTtl: number },
  ): Promise<string[]>;
  /** approve-if-fresh.lua -> ['approved'] | ['stale', messagesJson] | ['behind', storedMessagesJson] | ['gone'] */
  approveIfFresh(keys: { state: string; inbox: string; turn: string; outbox: string }, args: { turnId: string; maxFolds: number; now: number; turnFields: string[]; answered: number; outboxFields: string[] }): Promise<string[]>;
  /** escalate.lua -> 1 escalated, 0 not the conversation's turn */
  escalate(
    keys: { state: string; turn: string; review: string; holding: string; pending: string; history: string; resolved: string },
    args: { turnId: string; now: number; hold: boolean; turnFields: string[]; conversation: string; holdingFields: string[] | null; conversationTtl: number },
  ): Promise<number>;
  /** finalize.lua -> 2 closed and drained, 1 closed, 0 gone */
  finalize(
    keys: { state: string; turn: string; history: string; ready: string; inbox: string; pending: string },
    args: { turnId: string; status: 'posted' | 'rejected'; now: number; keep: number; detached: boolean; conversation: string; turnTtl: number; reviewedTurnTtl: number; conversationTtl: number; entries: string[] },
  ): Promise<number>;
  /** resolve.lua -> ['ok'] | ['missing'] | ['conflict', status] */
  resolve(
    keys: { turn: string; review: string; resolved: string; outbox: string; state: string; ready: string; pending: string },
    args: { turnId: string; now: number; status: 'approved' | 'rejected'; turnFields: string[]; conversation: string; outboxFields: string[] | null },
  ): Promise<string[]>;
}

/** The scripts on a connection, with their keys and arguments named. */
export function createConversationScripts(redis: Redis): ConversationScripts {
  defineScripts(redis, SCRIPTS);
  const flag = (value: boolean) => (value ? '1' : '0');
  return {
    accept: (keys, args) =>
      runScript(redis, 'csAccept', [keys.seen, keys.inbox, keys.pending, keys.state], [args.ttlSeconds, args.message, args.conversation, args.now, args.maxMessages, args.maxBytes]),
    beginTurn: (keys, args) =>
      runScript(
        redis,
        'csBeginTurn',
        [keys.state, keys.inbox, keys.history, keys.pending, keys.turnPrefix, keys.ready],
        [args.newTurnId, args.now, args.maxMessages, args.conversation, args.conversationJson, args.keep, args.historyBudgetChars, args.conversationTtl],
      ),
    approveIfFresh: (keys, args) =>
      runScript(redis, 'csApproveIfFresh', [keys.state, keys.inbox, keys.turn, keys.outbox], [args.turnId, args.maxFolds, args.now, JSON.stringify(args.turnFields), args.answered, ...args.outboxFields]),
    escalate: (keys, args) =>
      runScript(
        redis,
        'csEscalate',
        [keys.state, keys.turn, keys.review, keys.holding, keys.pending, keys.history, keys.resolved],
        [args.turnId, args.now, flag(args.hold), JSON.stringify(args.turnFields), args.conversation, flag(args.holdingFields !== null), args.conversationTtl, ...(args.holdingFields ?? [])],
      ),
    finalize: (keys, args) =>
      runScript(
        redis,
        'csFinalize',
        [keys.state, keys.turn, keys.history, keys.ready, keys.inbox, keys.pending],
        [args.turnId, args.status, args.now, args.keep, flag(args.detached), args.conversation, args.turnTtl, args.reviewedTurnTtl, args.conversationTtl, ...args.entries],
      ),
    resolve: (keys, args) =>
      runScript(
        redis,
        'csResolve',
        [keys.turn, keys.review, keys.resolved, keys.outbox, keys.state, keys.ready, keys.pending],
        [args.turnId, args.now, args.status, JSON.stringify(args.turnFields), args.conversation, flag(args.outboxFields !== null), ...(args.outboxFields ?? [])],
      ),
  };
}
