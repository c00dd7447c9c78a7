/**
 * What the steps of a turn share: the runner's dependencies and settings (one named object,
 * built once), and a turn in progress with its history and log.
 */
import type { Logger } from 'pino';
import type { Actor, ConversationStore, Critic, GateContext, GateDecision, Outbox, TurnGate } from '../../core/conversation-ports.js';
import type { ChatAdapter } from '../../core/ports.js';
import type { HistoryEntry, Platform, PromptCut, Turn, Verdict } from '../../core/types.js';
import type { HistoryUnit, TurnPromptLimits } from '../history.js';
import type { BudgetScope, ModelCallBudget } from '../model-call-budget.js';
import type { TurnToolsOptions } from './turn-tools.js';

/** What happened in a turn, for metrics and the audit log (every hook is optional). */
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
  /**
   * What became of one tool call: `done`, `failed` (it ran, or its recorded result was reused),
   * `revised`, `refused`, `invalid`, `skipped`, `escalated` (held for a human), `unknown`.
   */
  toolCall?(turn: Turn, call: { tool: string; server: string; effect: string; outcome: string }): void;
  /** The action gate's decision on a call: the critic's verdict, a rule's, or a read let through. */
  actionVerdict?(turn: Turn, verdict: { tool: string; server: string; effect: string; decision: string; reason: string; rule?: string }): void;
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
  /** The actor's tools (the agent loop); absent: the actor only writes replies. */
  tools?: TurnToolsOptions;
}

/** A turn in progress, as the steps see it. */
export interface TurnInProgress {
  turn: Turn;
  /** The history the models see (already fitted to the history budget). */
  history: HistoryEntry[];
  gateContext: GateContext;
  log: Logger;
}

/** How a turn left its conversation: 'drained' when nothing else waits there. */
export type TurnEnd = 'drained' | 'more' | { waitMs: number };
