import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { parseTurn, serializeTurnFields } from '../conversation/conversation-store.js';
import { CountersignError } from '../core/errors.js';
import type { Keys } from '../core/keys.js';
import type { ChatAdapter, ReviewActions } from '../core/ports.js';
import { conversationKey, currentDraft, type InboundMessage, type Resolution, type Reviewer, type Turn } from '../core/types.js';
import type { TurnGate } from '../conversation/turn-runner.js';
import { approvalFields, approveByReviewer } from '../delivery/approval.js';
import type { AuditLog } from './audit-log.js';
import type { ReviewNotifier } from './review-notifier.js';

/**
 * Resolve an escalated turn once. KEYS: turn, pending, resolved, outbox, state, ready, pendingConversations
 * ARGV: turnId, now, status, turnFieldsJson, conversationKey, hasOutbox, ...outboxFields
 */
const RESOLVE = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
if status ~= 'escalated' then return {'conflict', status} end
local fields = cjson.decode(ARGV[4])
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'updatedAt', ARGV[2], unpack(fields))
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
if ARGV[6] == '1' then redis.call('HSET', KEYS[4], unpack(ARGV, 7)) end
if redis.call('HGET', KEYS[5], 'turn') ~= ARGV[1] then redis.call('RPUSH', KEYS[6], ARGV[1]) end
redis.call('ZADD', KEYS[7], ARGV[2], ARGV[5])
return {'ok'}`;

type ReviewRedis = Redis & { csResolve(...args: (string | number)[]): Promise<string[]> };

export type ReviewStatus = 'pending' | 'approved' | 'rejected';

export interface ReviewEvent {
  type: 'escalated' | 'resolved';
  turnId: string;
  at: number;
}

export interface ReviewServiceOptions {
  redis: Redis;
  keys: Keys;
  /** Queue the conversation so its worker delivers the resolution. */
  enqueue(conversation: string): Promise<void>;
  /** Adapters that show resolutions (Slack and Discord review messages); read at each resolution. */
  adapters?: ReadonlyMap<unknown, ChatAdapter>;
  logger: Logger;
  /** Where every review action is recorded with the reviewer's identity. */
  audit?: AuditLog;
  /** Told of each resolution, to update the review summaries the turn was folded into. */
  notifier?: Pick<ReviewNotifier, 'resolved'>;
  /**
   * Resolved turns older than this leave the resolved-review index (their hashes expire after
   * the same time, counted from their close: `retention.reviewedTurnSeconds`). @defaultValue 90 days
   */
  resolvedRetentionSeconds?: number;
  /**
   * The checks and rules a reviewer's text goes through before it is approved (how strictly is
   * the gate's `review.checkReviewerText`); absent: none.
   */
  gate?: TurnGate;
}

/**
 * How the audit log names a reviewer: `via:id`, then the name where it adds something, marked
 * `unverified` when it is only what the holder of the shared token typed:
 * `dashboard:reviewer:ada`, `api:proxy:alice@example.com`, `slack:U024BE7LH (Ann)`,
 * `dashboard:shared-token (Ada, unverified)`.
 */
export function reviewerActor(reviewer: Reviewer): string {
  const name = reviewer.name && !reviewer.id.endsWith(`:${reviewer.name}`) && reviewer.name !== reviewer.id ? reviewer.name : undefined;
  const note = reviewer.verified === false ? [name, 'unverified'].filter(Boolean).join(', ') : name;
  return `${reviewer.via}:${reviewer.id}${note ? ` (${note})` : ''}`;
}

/** The review status of a turn, as the review API names it. */
export function reviewStatus(turn: Turn): ReviewStatus {
  if (!turn.resolution) return 'pending';
  return turn.resolution.decision === 'rejected' ? 'rejected' : 'approved';
}

/**
 * Escalated turns: list, read, approve (as drafted or with the reviewer's text), reject. The
 * review API, the dashboard, the CLI and the Slack and Discord buttons all go through this, so
 * a turn resolved in one place is resolved everywhere, once (409 on a second resolution).
 */
export function createReviewService(options: ReviewServiceOptions) {
  const { keys, logger } = options;
  const redis = options.redis as ReviewRedis;
  if (!('csResolve' in options.redis)) options.redis.defineCommand('csResolve', { numberOfKeys: 7, lua: RESOLVE });

  async function get(turnId: string): Promise<Turn | null> {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(turnId)) return null;
    const turn = parseTurn(turnId, await redis.hgetall(keys.turn(turnId)));
    return turn?.escalation ? turn : null;
  }

  async function loadMany(ids: string[]): Promise<Turn[]> {
    if (!ids.length) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.turn(id));
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([error, hash], index) => {
      const turn = error ? null : parseTurn(ids[index]!, hash as Record<string, string>);
      return turn ? [turn] : [];
    });
  }

  async function list(status: ReviewStatus | 'resolved' = 'pending', limit = 200): Promise<Turn[]> {
    if (status === 'pending') return loadMany(await redis.zrange(keys.reviewPending, 0, limit - 1));
    // Resolved turns, newest first; approved and rejected share one index.
    const turns = await loadMany(await redis.zrevrange(keys.reviewResolved, 0, Math.max(limit * 4, 400) - 1));
    return turns.filter((turn) => status === 'resolved' || reviewStatus(turn) === status).slice(0, limit);
  }

  /**
   * A decision on a turn already resolved: most often a retry of the decision that resolved it,
   * whose first attempt may have died between recording the resolution and queueing the
   * conversation. Queue it (a no-op when its job is queued already), then answer 409, so a retry
   * never leaves the resolution waiting for the reconciler.
   */
  async function conflict(turn: Turn, conversation: string, status: string): Promise<never> {
    await options.enqueue(conversation);
    throw new CountersignError('review.conflict', `turn ${turn.id} is already resolved (${status})`);
  }

  /**
   * The reviewer's text goes through the same gate as the models' (as strictly as
   * `review.checkReviewerText` says): a text that fails is refused with the check or rule that
   * refused it, and nothing is recorded, so the reviewer can fix the text and send it again.
   */
  async function gateReviewerText(turn: Turn, conversation: string, text: string, asDrafted: boolean): Promise<void> {
    if (!options.gate?.beforeApproval) return;
    const turnsBefore = Number((await redis.hget(keys.state(conversation), 'turns')) ?? 0);
    const decision = options.gate.beforeApproval(
      turn,
      { text, author: 'reviewer', verdict: turn.verdict ?? null, asDrafted },
      { history: turn.context ?? [], turnsInConversation: turnsBefore + 1 },
    );
    if (!decision) return;
    const what = decision.rule.startsWith('check:') ? `the ${decision.rule.slice('check:'.length)} check` : `rule ${JSON.stringify(decision.rule)}`;
    logger.warn({ turn: turn.id, conversation, rule: decision.rule, reason: decision.reason }, 'a reviewer text was refused by the gate');
    throw new CountersignError('review.refused', `${asDrafted ? 'the draft' : "the reviewer's text"} is refused by ${what} (${decision.reason}); change the text and send it again`);
  }

  async function resolve(turnId: string, resolution: Resolution, replyText: string | null): Promise<Turn> {
    const turn = await get(turnId);
    if (!turn) throw new CountersignError('review.not-found', `no escalated turn ${turnId}`);
    const conversation = conversationKey(turn.conversation);
    if (turn.status !== 'escalated') await conflict(turn, conversation, reviewStatus(turn));
    // A rule may name who reviews its turns. Platform reviewers (Slack, Discord) outside that
    // list are refused; holders of the review token (API, dashboard, CLI) administer every turn.
    const named = turn.escalation?.reviewers;
    const viaPlatform = resolution.reviewer.via === 'slack' || resolution.reviewer.via === 'discord';
    if (named?.length && viaPlatform && !named.includes(resolution.reviewer.id) && !(resolution.reviewer.name && named.includes(resolution.reviewer.name))) {
      throw new CountersignError('review.forbidden', `rule "${turn.escalation?.rule}" leaves this turn to ${named.join(', ')}`);
    }
    if (replyText !== null) await gateReviewerText(turn, conversation, replyText, resolution.decision === 'approved');
    const approval = replyText === null ? null : approveByReviewer(turn, resolution.reviewer, replyText);
    const fields: Partial<Turn> = { resolution, ...(approval ? { reply: { text: approval.text, source: approval.source } } : {}) };
    const [outcome, current] = await redis.csResolve(
      keys.turn(turnId),
      keys.reviewPending,
      keys.reviewResolved,
      keys.outbox(turnId),
      keys.state(conversation),
      keys.ready(conversation),
      keys.pendingConversations,
      turnId,
      resolution.at,
      approval ? 'approved' : 'rejected',
      JSON.stringify(serializeTurnFields(fields)),
      conversation,
      approval ? '1' : '0',
      ...(approval ? approvalFields(approval) : []),
    );
    if (outcome === 'missing') throw new CountersignError('review.not-found', `no escalated turn ${turnId}`);
    if (outcome === 'conflict') await conflict(turn, conversation, current ?? 'resolved');
    logger.info({ turn: turnId, conversation, decision: resolution.decision, reviewer: resolution.reviewer }, 'review resolved');
    await options.audit?.append({
      type: 'review',
      turnId,
      conversation,
      actor: reviewerActor(resolution.reviewer),
      decision: resolution.decision,
      at: resolution.at,
    });
    await options.enqueue(conversation);
    // The index of resolved turns is trimmed by age here, where it grows.
    await redis.zremrangebyscore(keys.reviewResolved, '-inf', `(${resolution.at - (options.resolvedRetentionSeconds ?? 90 * 24 * 3600) * 1000}`);
    const resolved = { ...turn, ...fields, status: approval ? ('approved' as const) : ('rejected' as const) };
    await redis.publish(keys.reviewEvents, JSON.stringify({ type: 'resolved', turnId, at: resolution.at } satisfies ReviewEvent));
    for (const adapter of options.adapters?.values() ?? []) {
      adapter.presentResolution?.(resolved).catch((error: unknown) => logger.warn({ err: error, turn: turnId, platform: adapter.platform }, 'could not show the resolution'));
    }
    options.notifier?.resolved(resolved).catch((error: unknown) => logger.warn({ err: error, turn: turnId }, 'could not update the review summary'));
    return resolved;
  }

  /**
   * What happened in the conversation since the turn was escalated, for the reviewer: the
   * messages the user sent while this turn holds the conversation (they wait in its inbox), and
   * the holding message the user already got.
   */
  async function followUp(turn: Turn): Promise<TurnFollowUp> {
    const conversation = conversationKey(turn.conversation);
    const [held, waiting, holding] = await Promise.all([
      redis.hget(keys.state(conversation), 'held'),
      redis.lrange(keys.inbox(conversation), 0, 99),
      redis.hmget(keys.outbox(`${turn.id}:holding`), 'state', 'text', 'sentAt'),
    ]);
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
    const [state, text, sentAt] = holding;
    return {
      waiting: messages,
      holding: state && typeof text === 'string' ? { text, posted: state === 'sent', ...(sentAt ? { at: Number(sentAt) } : {}) } : null,
    };
  }

  const actions: ReviewActions & {
    list: typeof list;
    followUp: typeof followUp;
  } = {
    get,
    list,
    followUp,
    async approve(turnId, { reviewer, text }) {
      const edited = text !== undefined && text !== null;
      if (edited && !text.trim()) throw new CountersignError('review.invalid', 'the reviewer text is empty');
      let replyText = text ?? null;
      if (!edited) {
        const turn = await get(turnId);
        if (!turn) throw new CountersignError('review.not-found', `no escalated turn ${turnId}`);
        replyText = currentDraft(turn);
        if (replyText === null && turn.status === 'escalated') {
          throw new CountersignError('review.no-draft', `turn ${turnId} has no draft to approve; send the reply text instead`);
        }
      }
      return resolve(turnId, { decision: edited ? 'edited' : 'approved', reviewer, at: Date.now(), ...(edited ? { text } : {}) }, replyText ?? '');
    },
    async reject(turnId, { reviewer }) {
      return resolve(turnId, { decision: 'rejected', reviewer, at: Date.now() }, null);
    },
  };
  return actions;
}

/** What the conversation did after a turn was escalated (see `followUp`). */
export interface TurnFollowUp {
  /** Messages the user sent while this turn held the conversation, oldest first (at most 100). */
  waiting: Array<{ id: string; user: string; text: string; at: number }>;
  /** The holding message of this turn, and whether it reached the user yet. */
  holding: { text: string; posted: boolean; at?: number } | null;
}

export type ReviewService = ReturnType<typeof createReviewService>;
export type { Reviewer };
