import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Actor } from '../agents/actor.js';
import type { Critic } from '../agents/critic.js';
import { describeError } from '../core/errors.js';
import type { ChatAdapter } from '../core/ports.js';
import {
  type ConversationRef,
  type Draft,
  type Escalation,
  type HistoryEntry,
  type InboundMessage,
  type Platform,
  type Turn,
  type Verdict,
  conversationKey,
  currentDraft,
} from '../core/types.js';
import { type Approval, approvalFields, approveByCritic, approveOperatorText } from '../delivery/approval.js';
import type { Outbox } from '../delivery/outbox.js';
import type { ConversationStore } from './conversation-store.js';
import { fitHistory, fitTurnMessages, type HistoryUnit, loadCounter, type PromptCut, type TurnPromptLimits } from './history.js';
import type { BudgetScope, ModelCallBudget } from './model-call-budget.js';

/** A decision of the escalation rules or the pre-critic checks (src/escalation). */
export interface GateDecision {
  action: 'escalate' | 'block';
  /** The rule or check that decided. */
  rule: string;
  reason: string;
  /** `block`: the operator's canned reply, posted instead of the draft. */
  reply?: string;
  /** Hold the conversation while the turn waits (default: the service's setting). */
  hold?: boolean;
  holdingMessage?: string;
  /** Reviewers to notify instead of everyone (platform user ids or names). */
  reviewers?: string[];
}

/** What the gate knows of the conversation beyond the turn. */
export interface GateContext {
  history: HistoryEntry[];
  /** Turns in the conversation so far, this one included. */
  turnsInConversation: number;
}

/** Who wrote a text that is about to be approved. */
export type TextAuthor = 'actor' | 'critic' | 'reviewer';

/** A text about to be approved, and where it came from. */
export interface GateSubject {
  text: string;
  author: TextAuthor;
  /** The critic's verdict that approves it (`approve` or `edit`); for a reviewer, the turn's last verdict. */
  verdict: Verdict | null;
  /** A reviewer approving the draft as it was drafted (not writing a text of their own). */
  asDrafted?: boolean;
}

/**
 * The escalation rules and the deterministic checks. Every hook may only make a turn stricter.
 *
 * The invariant: every check and every rule applies to the text that is about to be posted,
 * whoever wrote it. `beforeApproval` is that one step; the critic step calls it on the exact
 * text of every approval it makes (the actor's draft or redraft it approved, its own edit), and
 * the review service on a reviewer's text (as `review.checkReviewerText` says).
 */
export interface TurnGate {
  /**
   * The checks of an actor draft before the critic is called: an early exit that saves the
   * critic call for a draft the checks stop anyway. `beforeApproval` checks the text again.
   */
  beforeCritic?(turn: Turn, draft: string, context: GateContext): GateDecision | null;
  /** Every check and every rule on the text about to be approved. */
  beforeApproval?(turn: Turn, subject: GateSubject, context: GateContext): GateDecision | null;
  /**
   * The rules on a verdict that approves nothing (revise, escalate; null when the critic
   * failed), looking at the draft under review: they may still block or escalate the turn.
   */
  afterCritic?(turn: Turn, draft: string, verdict: Verdict | null, context: GateContext): GateDecision | null;
}

export interface TurnEvents {
  verdict?(turn: Turn, verdict: Verdict): void;
  escalated?(turn: Turn): void;
  finished?(turn: Turn, outcome: 'posted' | 'rejected' | 'escalated', durationMs: number): void;
  ruled?(turn: Turn, decision: GateDecision): void;
  modelCall?(role: 'actor' | 'critic', latencyMs: number): void;
  /** A model request left older messages of the turn out (turn.prompt limits). */
  promptCut?(turn: Turn, role: 'actor' | 'critic', cut: PromptCut): void;
  /** A turn found a model-call budget spent, and waits or was escalated. */
  budgetSpent?(turn: Turn, scope: BudgetScope, action: 'wait' | 'escalate'): void;
  /** A job handed its conversation back to the queue so others get a turn (queue.turnsPerJob). */
  handedBack?(conversation: string): void;
}

export interface TurnRunnerOptions {
  store: ConversationStore;
  outbox: Outbox;
  actor: Actor;
  critic: Critic;
  adapters: Map<Platform, ChatAdapter>;
  logger: Logger;
  /** Redrafts the critic may ask for in one turn; past it the turn escalates. */
  maxRevisions: number;
  /** Times newly arrived messages are folded into a redraft before a reply is posted anyway. */
  maxFolds: number;
  history: { budget: number; unit: HistoryUnit };
  /** Posted when a turn escalates; empty posts nothing. */
  holdingMessage: string;
  holdConversation: boolean;
  gate?: TurnGate;
  events?: TurnEvents;
  /**
   * Show an escalated turn to the platforms' reviewers (the review notifier, with its limits and
   * summaries); must not throw. By default every adapter's presentEscalation, unlimited.
   */
  presentEscalation?(turn: Turn, log: Logger): Promise<void>;
  /** What one model request carries of the turn's own messages; absent: all of them. */
  prompt?: TurnPromptLimits;
  /** Budgets of model calls; absent: no budget. */
  budget?: ModelCallBudget;
  /** Past a budget: wait for it (the job is delayed) or hand the turn to a human. @defaultValue 'wait' */
  whenBudgetSpent?: 'wait' | 'escalate';
  /**
   * Model turns one call of runConversation runs before it hands the conversation back, so a
   * conversation that keeps sending cannot keep a worker from the others. @defaultValue unbounded
   */
  turnsPerJob?: number;
}

/** How runConversation left a conversation. */
export interface ConversationRun {
  /** Turns handled. */
  handled: number;
  /** A model-call budget is spent: run the conversation again in this many milliseconds. */
  delayMs?: number;
  /** More turns wait, but this job ran its share (turnsPerJob): queue the conversation again. */
  handBack?: boolean;
}

/** Calls a turn reserves before it starts: its first draft and its first review. */
const RESERVED_CALLS = 2;

/** How a turn left its conversation: 'drained' when nothing else waits there. */
type TurnEnd = 'drained' | 'more' | { waitMs: number };

function recordOf(fields: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let index = 0; index < fields.length; index += 2) record[fields[index]!] = fields[index + 1]!;
  return record;
}

export function newTurnId(): string {
  return `${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

function historyEntries(messages: InboundMessage[], reply: string | null): HistoryEntry[] {
  const entries: HistoryEntry[] = messages.map((message) => ({ role: 'user', text: message.text, at: message.receivedAt, user: message.user.name ?? message.user.id }));
  if (reply !== null) entries.push({ role: 'assistant', text: reply, at: Date.now() });
  return entries;
}

/**
 * The turn state machine. One call runs a conversation until its inbox is empty or it is held:
 * deliver what was approved, resume what a crash interrupted, take the inbox into a new turn,
 * draft, review, redraft, fold late messages in, and post or escalate. Every step's state is in
 * Redis first, so a worker killed at any point leaves a turn another worker can finish.
 */
export function createTurnRunner(options: TurnRunnerOptions) {
  const { store, outbox, logger } = options;
  const countPromise = loadCounter(options.history.unit);

  function adapterOf(conversation: ConversationRef): ChatAdapter | undefined {
    return options.adapters.get(conversation.platform);
  }

  function setWorking(turn: Turn, working: boolean, log: Logger): void {
    const adapter = adapterOf(turn.conversation);
    adapter?.setWorking?.(turn.conversation, turn.messages, working).catch((error: unknown) => log.debug({ err: error }, 'working indicator failed'));
  }

  /** Close the turn; 'drained' when nothing else waits in the conversation. */
  async function finish(turn: Turn, reply: string | null, status: 'posted' | 'rejected', detached: boolean, started: number, log: Logger): Promise<TurnEnd> {
    const key = conversationKey(turn.conversation);
    const closed = await store.finalize(key, turn.id, status, historyEntries(turn.messages, reply), detached);
    options.events?.finished?.(turn, status, Date.now() - started);
    log.info({ status, durationMs: Date.now() - started }, status === 'posted' ? 'turn posted' : 'turn closed without a post');
    return closed === 'drained' ? 'drained' : 'more';
  }

  /** Deliver an approved or rejected turn (after review, or after a crash) and close it. */
  async function completeResolved(turn: Turn, detached: boolean, log: Logger): Promise<void> {
    if (turn.status === 'approved' || (turn.status === 'posted' && detached)) {
      await outbox.deliver(turn.id);
      await finish(turn, turn.reply?.text ?? null, 'posted', detached, turn.createdAt, log);
    } else if (turn.status === 'rejected') {
      await finish(turn, null, 'rejected', detached, turn.createdAt, log);
    }
    setWorking(turn, false, log);
  }

  async function escalate(turn: Turn, escalation: Escalation, history: HistoryEntry[], log: Logger, holdOverride?: boolean, holdingOverride?: string) {
    const key = conversationKey(turn.conversation);
    const hold = holdOverride ?? options.holdConversation;
    const holdingText = holdingOverride ?? options.holdingMessage;
    const holding = holdingText.trim() ? approveOperatorText(turn, 'holding-message', holdingText) : null;
    const fields: Partial<Turn> = { escalation, drafts: turn.drafts, verdict: turn.verdict, revisions: turn.revisions, context: history, messages: turn.messages };
    const done = await store.escalate(key, turn.id, hold, fields, holding ? { deliveryId: holding.deliveryId, fields: approvalFields(holding) } : null);
    if (!done) return;
    const escalated: Turn = { ...turn, ...fields, status: 'escalated' };
    log.warn({ source: escalation.source, reason: escalation.reason, rule: escalation.rule }, 'turn escalated for review');
    options.events?.escalated?.(escalated);
    options.events?.finished?.(escalated, 'escalated', Date.now() - turn.createdAt);
    await announce(escalated, log);
    setWorking(turn, false, log);
  }

  /** Post the holding message and show the turn to reviewers; both idempotent across crashes. */
  async function announce(turn: Turn, log: Logger): Promise<void> {
    await outbox.deliver(`${turn.id}:holding`);
    if ((turn as Turn & { announced?: boolean }).announced) return;
    if (options.presentEscalation) {
      await options.presentEscalation(turn, log);
    } else {
      for (const adapter of options.adapters.values()) {
        if (!adapter.presentEscalation) continue;
        try {
          await adapter.presentEscalation(turn);
        } catch (error) {
          log.warn({ err: error, platform: adapter.platform }, 'could not present the escalation to reviewers');
        }
      }
    }
    await store.updateTurn(turn.id, { announced: true });
  }

  /** Draft, review, redraft and fold until the turn is approved or escalated. */
  async function runTurn(turn: Turn, storedHistory: HistoryEntry[], log: Logger, turnsBefore = 0): Promise<TurnEnd> {
    const count = await countPromise;
    const history = fitHistory(storedHistory, options.history.budget, count);
    const key = conversationKey(turn.conversation);
    if (options.budget) {
      const reserved = await options.budget.reserve(key, RESERVED_CALLS);
      if (!reserved.ok) {
        const action = options.whenBudgetSpent ?? 'wait';
        options.events?.budgetSpent?.(turn, reserved.scope, action);
        const what = `the ${reserved.scope === 'conversation' ? "conversation's" : "deployment's"} budget of ${reserved.limit} model calls is spent`;
        if (action === 'escalate') {
          await escalate(turn, { source: 'budget', reason: `${what} for now`, at: Date.now() }, history, log);
          return 'more';
        }
        // The turn stays in Redis as it is (drafting, nothing drafted); the conversation's one
        // job waits as a delayed job, so its order holds, and resumes the turn when it runs.
        // A little jitter keeps conversations waiting on the global budget from all waking at once.
        const waitMs = reserved.retryInMs + Math.floor(Math.random() * Math.min(1000, reserved.retryInMs / 10 + 1));
        log.warn({ scope: reserved.scope, limit: reserved.limit, waitMs }, `${what}; the turn waits`);
        return { waitMs };
      }
    }
    let reservedCalls = options.budget ? RESERVED_CALLS : 0;
    /** Count the calls a turn makes: the reservation first, then the budgets. */
    const spend = async (calls: number) => {
      const fromReservation = Math.min(reservedCalls, calls);
      reservedCalls -= fromReservation;
      await options.budget?.charge(key, calls - fromReservation);
    };
    try {
      return await draftAndReview(turn, history, turnsBefore, log, spend);
    } finally {
      if (reservedCalls > 0) await options.budget?.refund(key, reservedCalls).catch((error: unknown) => log.warn({ err: describeError(error) }, 'could not refund reserved model calls'));
    }
  }

  async function draftAndReview(turn: Turn, history: HistoryEntry[], turnsBefore: number, log: Logger, spend: (calls: number) => Promise<void>): Promise<TurnEnd> {
    const gateContext: GateContext = { history, turnsInConversation: turnsBefore + 1 };
    const key = conversationKey(turn.conversation);
    setWorking(turn, true, log);
    let revision: { previousDraft: string; feedback: string } | undefined;
    for (;;) {
      // What this round's requests carry of the turn: the newest messages within turn.prompt.
      // Every message stays in the turn (and goes into the history); only the requests are cut.
      const shown = options.prompt ? fitTurnMessages(turn.messages, options.prompt) : { messages: turn.messages, cut: null };
      const cut = shown.cut ? { cut: shown.cut } : {};
      if (shown.cut) log.warn({ cutMessages: shown.cut.messages, cutCharacters: shown.cut.characters, shownMessages: shown.messages.length }, 'older messages of the turn were cut from the model requests');
      let draftText: string;
      try {
        if (shown.cut) options.events?.promptCut?.(turn, 'actor', shown.cut);
        const draft = await options.actor.draft({ history, messages: shown.messages, ...cut, ...(revision ? { revision } : {}) });
        options.events?.modelCall?.('actor', draft.latencyMs);
        draftText = draft.text;
      } catch (error) {
        await spend(1);
        await escalate(turn, { source: 'actor-failure', reason: `the actor could not draft a reply: ${describeError(error)}`, at: Date.now() }, history, log);
        return 'more';
      }
      await spend(1);
      const draft: Draft = { text: draftText, at: Date.now(), answers: turn.messages.length, ...(revision ? { feedback: revision.feedback } : {}) };
      turn.drafts = [...turn.drafts, draft];

      const checked = options.gate?.beforeCritic?.(turn, draftText, gateContext);
      if (checked) return applyGate(turn, checked, history, log);

      if (shown.cut) options.events?.promptCut?.(turn, 'critic', shown.cut);
      const outcome = await options.critic.review({ history, messages: shown.messages, draft: draftText, ...cut }, (failure) =>
        log.warn({ failure }, 'critic failed; retrying once'),
      );
      await spend(outcome.attempts);
      options.events?.modelCall?.('critic', outcome.latencyMs);
      if (!outcome.ok) {
        // A rule may still block a turn whose critic failed; nothing may approve it.
        const blocked = options.gate?.afterCritic?.(turn, draftText, null, gateContext);
        if (blocked?.action === 'block') return applyGate(turn, blocked, history, log);
        await escalate(turn, { source: 'critic-failure', reason: outcome.failure, at: Date.now() }, history, log);
        return 'more';
      }
      const verdict = outcome.verdict;
      draft.verdict = verdict;
      turn.verdict = verdict;
      options.events?.verdict?.(turn, verdict);
      log.info({ decision: verdict.decision, categories: verdict.categories, confidence: verdict.confidence, attempts: outcome.attempts }, 'critic verdict');

      if (verdict.decision === 'approve' || verdict.decision === 'edit') {
        const approval = approveByCritic(turn, verdict, draftText);
        // The gate runs on the approval's own text (the draft the critic approved, or its edit):
        // what is checked is exactly what would be posted, whoever wrote it.
        const gated = gateApproval(turn, approval, verdict, gateContext);
        if (gated) return applyGate(turn, gated, history, log);
        const result = await approveAndDeliver(turn, approval, key);
        if (result === 'stale') {
          log.info({ folds: turn.folds }, 'messages arrived during the turn; redrafting with them');
          revision = undefined;
          continue;
        }
        return result === 'drained' ? 'drained' : 'more';
      }

      // Nothing is approved (revise, escalate): the rules may still block or escalate the turn.
      const ruled = options.gate?.afterCritic?.(turn, draftText, verdict, gateContext);
      if (ruled) return applyGate(turn, ruled, history, log);

      if (verdict.decision === 'escalate') {
        await escalate(turn, { source: 'critic', reason: verdict.reason, at: Date.now() }, history, log);
        return 'more';
      }
      if (turn.revisions >= options.maxRevisions) {
        await escalate(turn, { source: 'revise-limit', reason: `the critic still asked for a redraft after ${turn.revisions} revisions: ${verdict.feedback}`, at: Date.now() }, history, log);
        return 'more';
      }
      turn.revisions += 1;
      revision = { previousDraft: draftText, feedback: verdict.feedback! };
    }
  }

  /**
   * The one gate of every text the critic step approves: every check and every rule on the
   * approval's exact text, the author named (the actor's draft or redraft, or the critic's edit).
   */
  function gateApproval(turn: Turn, approval: Approval, verdict: Verdict, context: GateContext): GateDecision | null {
    const author = approval.source.kind === 'critic' && approval.source.decision === 'edit' ? 'critic' : 'actor';
    return options.gate?.beforeApproval?.(turn, { text: approval.text, author, verdict }, context) ?? null;
  }

  /** Persist the approval (or fold late messages in) and deliver it. */
  async function approveAndDeliver(turn: Turn, approval: Approval, key: string): Promise<TurnEnd | 'stale' | 'gone'> {
    const reply = { text: approval.text, source: approval.source };
    const fields = approvalFields(approval);
    const result = await store.approveIfFresh(key, turn.id, options.maxFolds, { drafts: turn.drafts, verdict: turn.verdict, revisions: turn.revisions, reply }, fields, approval.deliveryId);
    if (result.kind === 'stale') {
      turn.messages = [...turn.messages, ...result.messages];
      turn.folds += 1;
      return 'stale';
    }
    if (result.kind === 'gone') return 'gone';
    const approved: Turn = { ...turn, status: 'approved', reply };
    // The record was just written by the approval: hand it over rather than read it back.
    await outbox.deliver(approval.deliveryId, recordOf(fields));
    const log = logger.child({ conversation: key, turn: turn.id });
    const end = await finish(approved, approval.text, 'posted', false, turn.createdAt, log);
    setWorking(turn, false, log);
    return end;
  }

  async function applyGate(turn: Turn, decision: GateDecision, history: HistoryEntry[], log: Logger): Promise<TurnEnd> {
    log.warn({ rule: decision.rule, action: decision.action, reason: decision.reason }, 'an escalation rule decided the turn');
    options.events?.ruled?.(turn, decision);
    const source = decision.rule.startsWith('check:') ? 'check' : 'rule';
    const escalation: Escalation = { source, reason: decision.reason, rule: decision.rule, at: Date.now(), ...(decision.reviewers ? { reviewers: decision.reviewers } : {}) };
    if (decision.action === 'block') {
      // A block that holds the conversation also puts the turn in front of a human: the canned
      // reply is posted in place of the holding message, and the draft never is.
      if (decision.hold) {
        await escalate(turn, escalation, history, log, true, decision.reply ?? '');
        return 'more';
      }
      const approval = approveOperatorText(turn, 'canned-reply', decision.reply ?? '');
      if (approval.text.trim()) {
        await approveAndDeliverBlocked(turn, approval);
        return 'more';
      }
    }
    await escalate(turn, escalation, history, log, decision.hold, decision.holdingMessage);
    return 'more';
  }

  /** A blocked draft: the canned reply goes out instead; late messages wait for the next turn. */
  async function approveAndDeliverBlocked(turn: Turn, approval: Approval): Promise<void> {
    const key = conversationKey(turn.conversation);
    const reply = { text: approval.text, source: approval.source };
    const result = await store.approveIfFresh(key, turn.id, 0, { drafts: turn.drafts, verdict: turn.verdict, reply }, approvalFields(approval), approval.deliveryId);
    if (result.kind !== 'approved') return;
    await outbox.deliver(approval.deliveryId);
    const log = logger.child({ conversation: key, turn: turn.id });
    await finish({ ...turn, reply }, approval.text, 'posted', false, turn.createdAt, log);
    setWorking(turn, false, log);
  }

  return {
    /**
     * Run a conversation's turns until its inbox is empty or it is held, a model-call budget is
     * spent (`delayMs`: run it again then), or it ran `turnsPerJob` model turns while more wait
     * (`handBack`: queue it again, behind the conversations already waiting).
     */
    async runConversation(key: string, control: { conversation?: ConversationRef; shouldStop?: () => boolean } = {}): Promise<ConversationRun> {
      let handled = 0;
      let modelTurns = 0;
      const conversation = control.conversation;
      const ref = conversation ?? ({ platform: key.split(':')[0] as Platform, id: key.slice(key.indexOf(':') + 1) } satisfies ConversationRef);
      const ended = (end: TurnEnd): ConversationRun | null =>
        end === 'drained' ? { handled } : typeof end === 'object' ? { handled, delayMs: end.waitMs } : null;
      for (;;) {
        // On shutdown, stop between turns; the caller hands the conversation back to the queue.
        if (control.shouldStop?.()) return { handled };
        const begin = await store.beginTurn(key, newTurnId(), JSON.stringify(ref));
        if (begin.kind === 'empty') return { handled };
        const log = logger.child({ conversation: key, turn: begin.turnId });
        if (begin.kind === 'held') {
          const held = await store.loadTurn(begin.turnId);
          if (held?.status === 'escalated') await announce(held, log);
          else if (held) await completeResolved(held, false, log);
          if (held?.status === 'escalated') return { handled };
          continue;
        }
        handled++;
        if (begin.kind === 'ready') {
          const turn = await store.loadTurn(begin.turnId);
          if (turn) await completeResolved(turn, true, log);
          continue;
        }
        if (begin.kind === 'new') {
          // Fairness: this job ran its share of model turns; the new turn (already in Redis,
          // nothing drafted) waits for the conversation's next job, at the back of the queue.
          if (options.turnsPerJob !== undefined && modelTurns >= options.turnsPerJob) {
            log.debug({ turns: modelTurns }, 'handing the conversation back so other conversations get a turn');
            options.events?.handedBack?.(key);
            return { handled: handled - 1, handBack: true };
          }
          modelTurns++;
          const first = begin.messages[0];
          const turn: Turn = {
            id: begin.turnId,
            conversation: first?.conversation ?? ref,
            messages: begin.messages,
            status: 'drafting',
            drafts: [],
            revisions: 0,
            folds: 0,
            createdAt: Date.now(),
            updatedAt: Date.now(),
          };
          log.debug({ messages: begin.messages.length }, 'turn started');
          const end = ended(await runTurn(turn, begin.history, log, begin.turns));
          if (end) return end;
          continue;
        }
        // resume: a turn interrupted by a crash, a retry, handed back, waiting for a budget, or
        // resolved by a reviewer.
        const turn = await store.loadTurn(begin.turnId);
        if (!turn) {
          log.error('the conversation points at a turn that does not exist; releasing it');
          await store.finalize(key, begin.turnId, 'rejected', [], false);
          continue;
        }
        if (turn.status === 'drafting') {
          if (turn.drafts.length) log.info({ drafts: turn.drafts.length }, 'resuming an interrupted turn from the start of its review');
          else log.debug('starting a turn that waited (handed back, or for a model-call budget)');
          modelTurns++;
          // Nothing of a drafting turn was posted: draft and review it again from scratch.
          // The stored turn names its conversation by key only; its messages carry the route.
          const resumed: Turn = { ...turn, conversation: turn.messages[0]?.conversation ?? turn.conversation, drafts: [], revisions: 0, verdict: undefined };
          const end = ended(await runTurn(resumed, begin.history, log, begin.turns));
          if (end && end.delayMs !== undefined) return end;
        } else {
          await completeResolved(turn, false, log);
        }
      }
    },
    currentDraft,
  };
}

export type TurnRunner = ReturnType<typeof createTurnRunner>;
