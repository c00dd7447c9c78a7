import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CountersignError } from '../core/errors.js';
import type { Keys } from '../core/keys.js';
import type { ConversationStore, ReviewService, ReviewStatus, TurnFollowUp, TurnGate } from '../core/conversation-ports.js';
import type { ChatAdapter } from '../core/ports.js';
import { conversationKey, currentDraft, type Resolution, type Reviewer, type Turn } from '../core/types.js';
import { approvalFields, approveByReviewer } from '../delivery/approval.js';
import { approveActionByReviewer } from '../tools/action-approval.js';
import type { ActionLedger } from '../tools/action-ledger.js';
import { compileArgumentsValidator } from '../tools/json-schema-validator.js';
import type { ToolDescriptor } from '../tools/tool-types.js';
import type { AuditLog } from './audit-log.js';
import type { ReviewNotifier } from './review-notifier.js';

export type { ReviewService, ReviewStatus, TurnFollowUp };

export interface ReviewEvent {
  type: 'escalated' | 'resolved';
  turnId: string;
  at: number;
}

export interface ReviewServiceOptions {
  /** The review indexes (pending, resolved) and the review events channel live here. */
  redis: Redis;
  keys: Keys;
  /** The conversation store: the turns, and the resolution's own state change. */
  store: ConversationStore;
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
  /**
   * Where a reviewer's approval of a held tool call is recorded (the action ledger); the worker
   * that goes on with the turn runs what was recorded. Absent: tool calls cannot be approved.
   */
  actions?: { ledger: Pick<ActionLedger, 'record'> };
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
export function createReviewService(options: ReviewServiceOptions): ReviewService {
  const { keys, logger, redis, store } = options;

  async function get(turnId: string): Promise<Turn | null> {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(turnId)) return null;
    const turn = await store.loadTurn(turnId);
    return turn?.escalation ? turn : null;
  }

  async function list(status: ReviewStatus | 'resolved' = 'pending', limit = 200): Promise<Turn[]> {
    if (status === 'pending') return store.loadTurns(await redis.zrange(keys.reviewPending, 0, limit - 1));
    // Resolved turns, newest first; approved and rejected share one index.
    const turns = await store.loadTurns(await redis.zrevrange(keys.reviewResolved, 0, Math.max(limit * 4, 400) - 1));
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
    const turnsBefore = await store.turnsSoFar(conversation);
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

  async function resolve(turnId: string, resolution: Resolution, replyText: string | null, action?: { afterResolved(turn: Turn): Promise<void> }): Promise<Turn> {
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
    const reply = approval ? { text: approval.text, source: approval.source } : null;
    const status: 'approved' | 'rejected' = approval || (action && resolution.decision !== 'rejected') ? 'approved' : 'rejected';
    const outcome = await store.resolve({ turn, resolution, reply, approval: approval ? { deliveryId: approval.deliveryId, fields: approvalFields(approval) } : null, status });
    if (outcome.kind === 'missing') throw new CountersignError('review.not-found', `no escalated turn ${turnId}`);
    if (outcome.kind === 'conflict') await conflict(turn, conversation, outcome.status);
    // A tool call's approval is recorded once this decision won (the resolution is atomic; two
    // reviewers cannot both record one), before the conversation's worker is queued to run it.
    await action?.afterResolved(turn);
    const fields: Partial<Turn> = { resolution, ...(reply ? { reply } : {}) };
    logger.info({ turn: turnId, conversation, decision: resolution.decision, reviewer: resolution.reviewer }, 'review resolved');
    await options.audit?.append({
      type: 'review',
      turnId,
      conversation,
      actor: reviewerActor(resolution.reviewer),
      decision: resolution.decision,
      at: resolution.at,
      // An action's review names the call it decided.
      ...(turn.escalation?.action ? { reason: `${resolution.decision} tool call ${turn.escalation.action.tool} ${JSON.stringify(resolution.arguments ?? turn.escalation.action.arguments).slice(0, 500)}` } : {}),
    });
    await options.enqueue(conversation);
    // The index of resolved turns is trimmed by age here, where it grows.
    await redis.zremrangebyscore(keys.reviewResolved, '-inf', `(${resolution.at - (options.resolvedRetentionSeconds ?? 90 * 24 * 3600) * 1000}`);
    const resolved = { ...turn, ...fields, status };
    await redis.publish(keys.reviewEvents, JSON.stringify({ type: 'resolved', turnId, at: resolution.at } satisfies ReviewEvent));
    for (const adapter of options.adapters?.values() ?? []) {
      adapter.presentResolution?.(resolved).catch((error: unknown) => logger.warn({ err: error, turn: turnId, platform: adapter.platform }, 'could not show the resolution'));
    }
    options.notifier?.resolved(resolved).catch((error: unknown) => logger.warn({ err: error, turn: turnId }, 'could not update the review summary'));
    return resolved;
  }

  /**
   * Approve a held tool call: as proposed, or with the reviewer's arguments, validated against
   * the tool's input schema before anything is recorded (invalid: 400, the call still waits).
   * For a call whose outcome is unknown, approving says it took effect.
   */
  async function approveAction(turn: Turn, reviewer: Reviewer, text: string | undefined, args: Record<string, unknown> | undefined): Promise<Turn> {
    const action = turn.escalation!.action!;
    if (text !== undefined) throw new CountersignError('review.invalid', `turn ${turn.id} holds a tool call, not a reply: approve it as proposed ({}) or with {"arguments": {...}}`);
    if (turn.status !== 'escalated') await conflict(turn, conversationKey(turn.conversation), reviewStatus(turn));
    if (args !== undefined) {
      if (action.outcomeUnknown) throw new CountersignError('review.invalid', 'this call may already have run (its outcome is unknown): approve says it took effect, reject that it did not; it takes no arguments');
      let check: ReturnType<ReturnType<typeof compileArgumentsValidator>>;
      try {
        check = compileArgumentsValidator(action.inputSchema)(args);
      } catch (error) {
        check = { ok: false, error: `the tool's input schema cannot be used (${error instanceof Error ? error.message : String(error)})` };
      }
      if (!check.ok) throw new CountersignError('review.invalid', `the arguments do not fit ${action.tool}'s input schema: ${check.error}; nothing was run`);
    }
    if (!action.outcomeUnknown && !options.actions) throw new CountersignError('review.invalid', 'tool calls cannot be approved here: this service has no action ledger');
    const resolution: Resolution = { decision: args ? 'edited' : 'approved', reviewer, at: Date.now(), ...(args ? { arguments: args } : {}) };
    return resolve(turn.id, resolution, null, {
      afterResolved: async (resolvedTurn) => {
        if (action.outcomeUnknown) return;
        const tool: ToolDescriptor = {
          name: action.tool,
          source: action.server,
          sourceName: action.sourceName,
          description: action.description,
          inputSchema: action.inputSchema,
          effect: action.effect,
          idempotent: action.idempotent,
          critic: 'auto',
          reviewedByCritic: true,
          decidedBy: 'policy',
        };
        const approval = approveActionByReviewer({ turnId: resolvedTurn.id, step: action.step, index: action.index, arguments: action.arguments }, tool, reviewer, args);
        await options.actions!.ledger.record(approval);
      },
    });
  }

  const actions: ReviewService = {
    get,
    list,
    followUp: (turn) => store.followUp(turn),
    async approve(turnId, { reviewer, text, arguments: args }) {
      const held = await get(turnId);
      if (held?.escalation?.action) return approveAction(held, reviewer, text, args);
      if (args !== undefined) throw new CountersignError('review.invalid', `turn ${turnId} holds a reply, not a tool call: approve it as drafted or with text`);
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
      const held = await get(turnId);
      return resolve(turnId, { decision: 'rejected', reviewer, at: Date.now() }, null, held?.escalation?.action ? { afterResolved: async () => {} } : undefined);
    },
  };
  return actions;
}

export type { Reviewer };
