import type { Redis } from 'ioredis';
import { INBOX_DEFAULTS, type InboxConfig, RETENTION_DEFAULTS, type RetentionConfig } from '../config/storage-schema.js';
import type { AcceptResult, ApproveResult, BeginTurnResult, ConversationStore, ResolveResult, TurnFollowUp } from '../core/conversation-ports.js';
import type { Keys } from '../core/keys.js';
import { conversationKey, type HistoryEntry, type InboundMessage, MESSAGE_ID_SCOPE, type Platform, type Turn, type TurnStatus } from '../core/types.js';
import { createConversationScripts } from './conversation-scripts.js';

export type { AcceptResult, ApproveResult, BeginTurnResult, ConversationStore };

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

/** Turn fields stored as JSON in the turn hash. */
const JSON_FIELDS = ['conversation', 'messages', 'drafts', 'verdict', 'context', 'escalation', 'resolution', 'reply', 'toolSteps'] as const;
/** Turn fields stored as '1' / '0'. */
const FLAG_FIELDS = ['announced'] as const;

/** A turn's fields as the flat field/value list of its hash (`notices` are written by their own script). */
export function serializeTurnFields(fields: Partial<Turn>): string[] {
  const flat: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || key === 'id' || key === 'notices') continue;
    if ((FLAG_FIELDS as readonly string[]).includes(key)) flat.push(key, value ? '1' : '0');
    else flat.push(key, (JSON_FIELDS as readonly string[]).includes(key) ? JSON.stringify(value) : String(value));
  }
  return flat;
}

/** A turn from its hash; null when there is none. Every field the store writes is read here. */
export function parseTurn(id: string, hash: Record<string, string>): Turn | null {
  if (!hash.status) return null;
  const json = <T>(value: string | undefined): T | undefined => (value === undefined ? undefined : (JSON.parse(value) as T));
  const notices: Partial<Record<Platform, string>> = {};
  for (const [field, value] of Object.entries(hash)) if (field.startsWith('notice:')) notices[field.slice('notice:'.length) as Platform] = value;
  const turn: Turn = {
    id,
    status: hash.status as TurnStatus,
    conversation: json(hash.conversation)!,
    messages: json(hash.messages) ?? [],
    drafts: json(hash.drafts) ?? [],
    revisions: Number(hash.revisions ?? 0),
    folds: Number(hash.folds ?? 0),
    createdAt: Number(hash.createdAt ?? 0),
    updatedAt: Number(hash.updatedAt ?? 0),
  };
  const verdict = json<Turn['verdict']>(hash.verdict);
  if (verdict) turn.verdict = verdict;
  const context = json<Turn['context']>(hash.context);
  if (context) turn.context = context;
  const escalation = json<Turn['escalation']>(hash.escalation);
  if (escalation) turn.escalation = escalation;
  const resolution = json<Turn['resolution']>(hash.resolution);
  if (resolution) turn.resolution = resolution;
  const reply = json<Turn['reply']>(hash.reply);
  if (reply) turn.reply = reply;
  const toolSteps = json<Turn['toolSteps']>(hash.toolSteps);
  if (toolSteps) turn.toolSteps = toolSteps;
  if (hash.actionRevisions) turn.actionRevisions = Number(hash.actionRevisions);
  if (hash.toolMs) turn.toolMs = Number(hash.toolMs);
  if (hash.announced) turn.announced = hash.announced === '1';
  if (Object.keys(notices).length) turn.notices = notices;
  return turn;
}

/** The conversation's state in Redis: dedupe, inbox, turn in progress, history, hold, resolution. */
export function createConversationStore(options: ConversationStoreOptions): ConversationStore {
  const { keys, redis } = options;
  const scripts = createConversationScripts(redis);
  const turnPrefix = keys.turn('');
  const retention = options.retention ?? RETENTION_DEFAULTS;
  const inbox = options.inbox ?? INBOX_DEFAULTS;
  const conversationKeys = (conversation: string) => ({
    state: keys.state(conversation),
    inbox: keys.inbox(conversation),
    history: keys.history(conversation),
    ready: keys.ready(conversation),
    pending: keys.pendingConversations,
  });

  return {
    /**
     * Accept a message once (by its id, where the id is unique) into its conversation's inbox,
     * unless the inbox is full (`inbox.maxMessages`, `inbox.maxBytes`): then it is refused and not
     * remembered. `workWaiting` on a duplicate: the conversation has unprocessed work, so its job
     * should be queued (again), in case the first accept's process died before queueing it.
     */
    async accept(message: InboundMessage, conversation: string, ttlSeconds: number): Promise<AcceptResult> {
      const { platform, id: conversationId } = message.conversation;
      const { state, inbox: inboxKey, pending } = conversationKeys(conversation);
      const accepted = await scripts.accept(
        { seen: keys.seen(platform, message.id, MESSAGE_ID_SCOPE[platform] === 'conversation' ? conversationId : undefined), inbox: inboxKey, pending, state },
        { ttlSeconds, message: JSON.stringify(message), conversation, now: Date.now(), maxMessages: inbox.maxMessages, maxBytes: inbox.maxBytes },
      );
      return { outcome: accepted === 1 ? 'accepted' : accepted === -1 ? 'inbox-full' : 'duplicate', workWaiting: accepted === 2 };
    },

    async beginTurn(conversation, newTurnId, conversationJson) {
      const [kind, turnId, a, b, c] = await scripts.beginTurn(
        { ...conversationKeys(conversation), turnPrefix },
        {
          newTurnId,
          now: Date.now(),
          maxMessages: options.maxMessagesPerTurn ?? 50,
          conversation,
          conversationJson,
          keep: options.keep,
          historyBudgetChars: options.historyBudgetChars,
          conversationTtl: retention.conversationSeconds,
        },
      );
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

    async loadTurn(turnId) {
      return parseTurn(turnId, await redis.hgetall(keys.turn(turnId)));
    },

    async loadTurns(turnIds) {
      if (!turnIds.length) return [];
      const pipeline = redis.pipeline();
      for (const id of turnIds) pipeline.hgetall(keys.turn(id));
      const results = (await pipeline.exec()) ?? [];
      return results.flatMap(([error, hash], index) => {
        const turn = error ? null : parseTurn(turnIds[index]!, hash as Record<string, string>);
        return turn ? [turn] : [];
      });
    },

    async updateTurn(turnId, fields) {
      await redis.hset(keys.turn(turnId), ...serializeTurnFields({ ...fields, updatedAt: Date.now() }));
    },

    async approveIfFresh({ conversation, turnId, maxFolds, answered, turnFields, approval }): Promise<ApproveResult> {
      const { state, inbox: inboxKey } = conversationKeys(conversation);
      const [kind, messages] = await scripts.approveIfFresh(
        { state, inbox: inboxKey, turn: keys.turn(turnId), outbox: keys.outbox(approval.deliveryId) },
        { turnId, maxFolds, now: Date.now(), turnFields: serializeTurnFields(turnFields), answered, outboxFields: approval.fields },
      );
      if (kind === 'stale') return { kind, messages: JSON.parse(messages!) as InboundMessage[] };
      // Another run of this turn folded these in: the draft must answer them too.
      if (kind === 'behind') return { kind: 'stale', messages: (JSON.parse(messages!) as InboundMessage[]).slice(answered), folded: false };
      return { kind: kind as 'approved' | 'gone' };
    },

    async escalate({ conversation, turnId, hold, turnFields, holding }) {
      const { state, pending, history } = conversationKeys(conversation);
      const done = await scripts.escalate(
        { state, turn: keys.turn(turnId), review: keys.reviewPending, holding: keys.outbox(holding?.deliveryId ?? `${turnId}:holding`), pending, history, resolved: keys.reviewResolved },
        { turnId, now: Date.now(), hold, turnFields: serializeTurnFields(turnFields), conversation, holdingFields: holding?.fields ?? null, conversationTtl: retention.conversationSeconds },
      );
      return done === 1;
    },

    async finalize({ conversation, turnId, status, entries, detached }) {
      const done = await scripts.finalize(
        { ...conversationKeys(conversation), turn: keys.turn(turnId) },
        {
          turnId,
          status,
          now: Date.now(),
          keep: options.keep,
          detached,
          conversation,
          turnTtl: retention.turnSeconds,
          reviewedTurnTtl: retention.reviewedTurnSeconds,
          conversationTtl: retention.conversationSeconds,
          entries: entries.map((entry) => JSON.stringify(entry)),
        },
      );
      return done === 2 ? 'drained' : done === 1 ? 'closed' : 'gone';
    },

    async resolve({ turn, resolution, reply, approval, status }): Promise<ResolveResult> {
      const conversation = conversationKey(turn.conversation);
      const { state, ready, pending } = conversationKeys(conversation);
      const fields: Partial<Turn> = { resolution, ...(reply ? { reply } : {}) };
      const [outcome, current] = await scripts.resolve(
        { turn: keys.turn(turn.id), review: keys.reviewPending, resolved: keys.reviewResolved, outbox: keys.outbox(approval?.deliveryId ?? turn.id), state, ready, pending },
        { turnId: turn.id, now: resolution.at, status: status ?? (approval ? 'approved' : 'rejected'), turnFields: serializeTurnFields(fields), conversation, outboxFields: approval?.fields ?? null },
      );
      if (outcome === 'missing') return { kind: 'missing' };
      if (outcome === 'conflict') return { kind: 'conflict', status: (current ?? 'posted') as TurnStatus };
      return { kind: 'resolved' };
    },

    async followUp(turn): Promise<TurnFollowUp> {
      const conversation = conversationKey(turn.conversation);
      const [held, waiting, holding] = await Promise.all([
        redis.hget(keys.state(conversation), 'held'),
        redis.lrange(keys.inbox(conversation), 0, 99),
        redis.hmget(keys.outbox(`${turn.id}:holding`), 'state', 'text', 'sentAt'),
      ]);
      // Only a conversation this turn holds has messages waiting for its decision.
      const messages =
        held === turn.id
          ? waiting.flatMap((item) => {
              try {
                const message = JSON.parse(item) as InboundMessage;
                return [{ id: message.id, user: message.user.name ?? message.user.id, text: message.text, at: message.receivedAt }];
              } catch {
                return [];
              }
            })
          : [];
      const [holdingState, text, sentAt] = holding;
      return {
        waiting: messages,
        holding: holdingState && typeof text === 'string' ? { text, posted: holdingState === 'sent', ...(sentAt ? { at: Number(sentAt) } : {}) } : null,
      };
    },

    async turnsSoFar(conversation) {
      return Number((await redis.hget(keys.state(conversation), 'turns')) ?? 0);
    },

    async staleConversations(olderThanMs, limit = 500) {
      return redis.zrangebyscore(keys.pendingConversations, 0, Date.now() - olderThanMs, 'LIMIT', 0, limit);
    },

    async markPending(conversation) {
      await redis.zadd(keys.pendingConversations, 'NX', Date.now(), conversation);
    },
  };
}
