import type { Redis } from 'ioredis';
import { INBOX_DEFAULTS, type InboxConfig, RETENTION_DEFAULTS, type RetentionConfig } from '../config/storage-schema.js';
import type { Keys } from '../core/keys.js';
import { type HistoryEntry, type InboundMessage, MESSAGE_ID_SCOPE, type Turn } from '../core/types.js';
import { ACCEPT, APPROVE_IF_FRESH, BEGIN_TURN, ESCALATE, FINALIZE } from './conversation-scripts.js';

type ScriptRedis = Redis & {
  csAccept(seen: string, inbox: string, pending: string, state: string, ttl: number, message: string, conversation: string, now: number, maxMessages: number, maxBytes: number): Promise<number>;
  csBeginTurn(...args: (string | number)[]): Promise<string[]>;
  csApproveIfFresh(...args: (string | number)[]): Promise<string[]>;
  csEscalate(...args: (string | number)[]): Promise<number>;
  csFinalize(...args: (string | number)[]): Promise<number>;
};

export type BeginTurnResult =
  | { kind: 'empty' }
  | { kind: 'held'; turnId: string }
  | { kind: 'ready'; turnId: string }
  | { kind: 'resume'; turnId: string; history: HistoryEntry[]; turns: number }
  | { kind: 'new'; turnId: string; messages: InboundMessage[]; history: HistoryEntry[]; turns: number };

export type ApproveResult = { kind: 'approved' } | { kind: 'stale'; messages: InboundMessage[] } | { kind: 'gone' };

export interface ConversationStoreOptions {
  redis: Redis;
  keys: Keys;
  /** History entries kept per conversation. */
  keep: number;
  /** Character budget of the history tail read for a turn (a token budget is converted by the caller). */
  historyBudgetChars: number;
  /** Most messages one turn takes from the inbox. @defaultValue 50 */
  maxMessagesPerTurn?: number;
  /** How long closed turns and idle conversations are kept (`retention:`). @defaultValue RETENTION_DEFAULTS */
  retention?: Pick<RetentionConfig, 'conversationSeconds' | 'turnSeconds' | 'reviewedTurnSeconds'>;
  /** What may wait in one inbox (`inbox:`). @defaultValue INBOX_DEFAULTS */
  inbox?: InboxConfig;
}

/** What became of a message offered to its conversation's inbox; `workWaiting` on a duplicate whose conversation still has unprocessed work (queue its job again). */
export interface AcceptResult {
  outcome: 'accepted' | 'duplicate' | 'inbox-full';
  workWaiting: boolean;
}

/** Turn fields stored as JSON in the turn hash. */
const JSON_FIELDS = ['conversation', 'messages', 'drafts', 'verdict', 'context', 'escalation', 'resolution', 'reply'] as const;

export function serializeTurnFields(fields: Partial<Turn>): string[] {
  const flat: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || key === 'id') continue;
    flat.push(key, (JSON_FIELDS as readonly string[]).includes(key) ? JSON.stringify(value) : String(value));
  }
  return flat;
}

export function parseTurn(id: string, hash: Record<string, string>): Turn | null {
  if (!hash.status) return null;
  const json = <T>(value: string | undefined): T | undefined => (value === undefined ? undefined : (JSON.parse(value) as T));
  return {
    id,
    status: hash.status as Turn['status'],
    conversation: json(hash.conversation)!,
    messages: json(hash.messages) ?? [],
    drafts: json(hash.drafts) ?? [],
    verdict: json(hash.verdict),
    context: json(hash.context),
    escalation: json(hash.escalation),
    resolution: json(hash.resolution),
    reply: json(hash.reply),
    revisions: Number(hash.revisions ?? 0),
    folds: Number(hash.folds ?? 0),
    createdAt: Number(hash.createdAt ?? 0),
    updatedAt: Number(hash.updatedAt ?? 0),
    ...(hash.announced ? { announced: hash.announced === '1' } : {}),
  } as Turn;
}

/** The conversation's state in Redis: dedupe, inbox, turn in progress, history, hold. */
export function createConversationStore(options: ConversationStoreOptions) {
  const { keys } = options;
  const redis = options.redis as ScriptRedis;
  const definitions: Array<[string, number, string]> = [
    ['csAccept', 4, ACCEPT],
    ['csBeginTurn', 6, BEGIN_TURN],
    ['csApproveIfFresh', 4, APPROVE_IF_FRESH],
    ['csEscalate', 6, ESCALATE],
    ['csFinalize', 6, FINALIZE],
  ];
  for (const [name, numberOfKeys, lua] of definitions) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  }
  const turnKeyPrefix = keys.turn('');
  const retention = options.retention ?? RETENTION_DEFAULTS;
  const inbox = options.inbox ?? INBOX_DEFAULTS;

  return {
    /**
     * Accept a message once (by its id, where the id is unique) into its conversation's inbox,
     * unless the inbox is full (`inbox.maxMessages`, `inbox.maxBytes`): then it is refused and not
     * remembered. `workWaiting` on a duplicate: the conversation has unprocessed work, so its job
     * should be queued (again), in case the first accept's process died before queueing it.
     */
    async accept(message: InboundMessage, conversation: string, ttlSeconds: number): Promise<AcceptResult> {
      const { platform, id: conversationId } = message.conversation;
      const accepted = await redis.csAccept(
        keys.seen(platform, message.id, MESSAGE_ID_SCOPE[platform] === 'conversation' ? conversationId : undefined),
        keys.inbox(conversation),
        keys.pendingConversations,
        keys.state(conversation),
        ttlSeconds,
        JSON.stringify(message),
        conversation,
        Date.now(),
        inbox.maxMessages,
        inbox.maxBytes,
      );
      return { outcome: accepted === 1 ? 'accepted' : accepted === -1 ? 'inbox-full' : 'duplicate', workWaiting: accepted === 2 };
    },

    async beginTurn(conversation: string, newTurnId: string, conversationJson: string): Promise<BeginTurnResult> {
      const result = await redis.csBeginTurn(
        keys.state(conversation),
        keys.inbox(conversation),
        keys.history(conversation),
        keys.pendingConversations,
        turnKeyPrefix,
        keys.ready(conversation),
        newTurnId,
        Date.now(),
        options.maxMessagesPerTurn ?? 50,
        conversation,
        conversationJson,
        options.keep,
        options.historyBudgetChars,
        retention.conversationSeconds,
      );
      const [kind, turnId, a, b, c] = result;
      switch (kind) {
        case 'empty':
          return { kind };
        case 'held':
        case 'ready':
          return { kind, turnId: turnId! };
        case 'resume':
          return { kind, turnId: turnId!, history: JSON.parse(a!) as HistoryEntry[], turns: Number(b ?? 0) };
        default:
          return { kind: 'new', turnId: turnId!, messages: JSON.parse(a!) as InboundMessage[], history: JSON.parse(b!) as HistoryEntry[], turns: Number(c ?? 0) };
      }
    },

    async loadTurn(turnId: string): Promise<Turn | null> {
      return parseTurn(turnId, await redis.hgetall(keys.turn(turnId)));
    },

    async updateTurn(turnId: string, fields: Partial<Turn> & { announced?: boolean }): Promise<void> {
      const { announced, ...rest } = fields;
      const flat = serializeTurnFields({ ...rest, updatedAt: Date.now() });
      if (announced !== undefined) flat.push('announced', announced ? '1' : '0');
      await redis.hset(keys.turn(turnId), ...flat);
    },

    /** Persist the critic's approval, unless new messages arrived (they are folded into the turn). */
    async approveIfFresh(conversation: string, turnId: string, maxFolds: number, turnFields: Partial<Turn>, outboxFields: string[], deliveryId: string): Promise<ApproveResult> {
      const [kind, messages] = await redis.csApproveIfFresh(
        keys.state(conversation),
        keys.inbox(conversation),
        keys.turn(turnId),
        keys.outbox(deliveryId),
        turnId,
        maxFolds,
        Date.now(),
        JSON.stringify(serializeTurnFields(turnFields)),
        ...outboxFields,
      );
      if (kind === 'stale') return { kind, messages: JSON.parse(messages!) as InboundMessage[] };
      return { kind: kind as 'approved' | 'gone' };
    },

    async escalate(conversation: string, turnId: string, hold: boolean, turnFields: Partial<Turn>, holding: { deliveryId: string; fields: string[] } | null): Promise<boolean> {
      const done = await redis.csEscalate(
        keys.state(conversation),
        keys.turn(turnId),
        keys.reviewPending,
        keys.outbox(holding?.deliveryId ?? `${turnId}:holding`),
        keys.pendingConversations,
        keys.history(conversation),
        turnId,
        Date.now(),
        hold ? '1' : '0',
        JSON.stringify(serializeTurnFields(turnFields)),
        conversation,
        holding ? '1' : '0',
        retention.conversationSeconds,
        ...(holding?.fields ?? []),
      );
      return done === 1;
    },

    /**
     * Close the turn; `detached` for a resolved turn of a conversation that was not held.
     * 'drained' means nothing else waits in the conversation.
     */
    async finalize(conversation: string, turnId: string, status: 'posted' | 'rejected', entries: HistoryEntry[], detached: boolean): Promise<'closed' | 'drained' | 'gone'> {
      const done = await redis.csFinalize(
        keys.state(conversation),
        keys.turn(turnId),
        keys.history(conversation),
        keys.ready(conversation),
        keys.inbox(conversation),
        keys.pendingConversations,
        turnId,
        status,
        Date.now(),
        options.keep,
        detached ? '1' : '0',
        conversation,
        retention.turnSeconds,
        retention.reviewedTurnSeconds,
        retention.conversationSeconds,
        ...entries.map((entry) => JSON.stringify(entry)),
      );
      return done === 2 ? 'drained' : done === 1 ? 'closed' : 'gone';
    },

    /** Conversations that have had unprocessed work for longer than `olderThanMs` (the reconciler). */
    async staleConversations(olderThanMs: number, limit = 500): Promise<string[]> {
      return redis.zrangebyscore(keys.pendingConversations, 0, Date.now() - olderThanMs, 'LIMIT', 0, limit);
    },

    async markPending(conversation: string): Promise<void> {
      await redis.zadd(keys.pendingConversations, 'NX', Date.now(), conversation);
    },
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;
