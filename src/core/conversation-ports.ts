/**
 * The contracts of the conversation's modules: the store that owns its Redis protocol, the turn
 * runner, the actor and critic, the gate of rules and checks, the outbox and the review service.
 * Modules depend on these declared types, not on each other's factories, so each can be read,
 * replaced and tested on its own (a fake store, a scripted critic, ...).
 */
import type { ModelToolCall, ModelToolSpec } from './ports.js';
import type { ActionVerdict, ApprovalSource, ConversationRef, HistoryEntry, InboundMessage, PromptCut, Resolution, Reviewer, ToolStep, Turn, TurnStatus, Verdict } from './types.js';

// ---------------------------------------------------------------------------------------------
// The conversation store: every read and write of a conversation's keys
// ---------------------------------------------------------------------------------------------

/** What became of a message offered to its conversation's inbox. */
export interface AcceptResult {
  outcome: 'accepted' | 'duplicate' | 'inbox-full';
  /** On a duplicate: its conversation still has unprocessed work (queue its job again). */
  workWaiting: boolean;
}

export type BeginTurnResult =
  | { kind: 'empty' }
  | { kind: 'held'; turnId: string }
  | { kind: 'ready'; turnId: string }
  | { kind: 'resume'; turnId: string; history: HistoryEntry[]; turns: number }
  | { kind: 'new'; turnId: string; messages: InboundMessage[]; history: HistoryEntry[]; turns: number };

/**
 * `stale`: the turn holds messages the draft did not answer (`messages`, to append): late ones
 * folded in now, or (`folded: false`) ones another run of the same turn folded in earlier.
 */
export type ApproveResult = { kind: 'approved' } | { kind: 'stale'; messages: InboundMessage[]; folded?: false } | { kind: 'gone' };

export type ResolveResult = { kind: 'resolved' } | { kind: 'missing' } | { kind: 'conflict'; status: TurnStatus };

/** A delivery record to write with a state change: an issued approval's fields (src/delivery/approval.ts). */
export interface ApprovalRecord {
  deliveryId: string;
  fields: string[];
}

/** What the conversation did after a turn was escalated, for the reviewer. */
export interface TurnFollowUp {
  /** Messages the user sent while this turn held the conversation, oldest first (at most 100). */
  waiting: Array<{ id: string; user: string; text: string; at: number }>;
  /** The holding message of this turn, and whether it reached the user yet. */
  holding: { text: string; posted: boolean; at?: number } | null;
}

/**
 * A conversation's state in Redis: dedupe, inbox, the turn in progress, history, the hold, and
 * the resolution of an escalated turn. The one owner of the conversation protocol: every state
 * change is one Lua script here (src/conversation/scripts), so it is atomic across processes.
 */
export interface ConversationStore {
  /** Accept a message once (by its id, where the id is unique) into its conversation's inbox. */
  accept(message: InboundMessage, conversation: string, ttlSeconds: number): Promise<AcceptResult>;
  /** Start or resume the conversation's turn (see begin-turn.lua). */
  beginTurn(conversation: string, newTurnId: string, conversationJson: string): Promise<BeginTurnResult>;
  loadTurn(turnId: string): Promise<Turn | null>;
  /** Several turns at once (missing ones left out), in the order asked. */
  loadTurns(turnIds: readonly string[]): Promise<Turn[]>;
  updateTurn(turnId: string, fields: Partial<Turn>): Promise<void>;
  /**
   * Record an approval of the turn's reply, unless messages arrived meanwhile (they are folded in)
   * or the stored turn holds more than the `answered` messages the draft answered.
   */
  approveIfFresh(options: { conversation: string; turnId: string; maxFolds: number; answered: number; turnFields: Partial<Turn>; approval: ApprovalRecord }): Promise<ApproveResult>;
  /** Hold the turn for a human, with the holding message's delivery record if there is one. */
  escalate(options: { conversation: string; turnId: string; hold: boolean; turnFields: Partial<Turn>; holding: ApprovalRecord | null }): Promise<boolean>;
  /** Close the turn ('drained': nothing else waits); `detached` for a resolved turn of a conversation that was not held. */
  finalize(options: { conversation: string; turnId: string; status: 'posted' | 'rejected'; entries: HistoryEntry[]; detached: boolean }): Promise<'closed' | 'drained' | 'gone'>;
  /**
   * A human's decision on an escalated turn, once (see resolve.lua). The new status is `approved`
   * with a delivery record, else `rejected`, unless `status` says (an approved tool call has no
   * delivery record).
   */
  resolve(options: { turn: Turn; resolution: Resolution; reply: { text: string; source: ApprovalSource } | null; approval: ApprovalRecord | null; status?: 'approved' | 'rejected' }): Promise<ResolveResult>;
  /** What the conversation did since the turn was escalated. */
  followUp(turn: Turn): Promise<TurnFollowUp>;
  /** Turns the conversation has finished so far. */
  turnsSoFar(conversation: string): Promise<number>;
  /** Conversations that have had unprocessed work for longer than `olderThanMs` (the reconciler). */
  staleConversations(olderThanMs: number, limit?: number): Promise<string[]>;
  markPending(conversation: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The actor and the critic
// ---------------------------------------------------------------------------------------------

export interface ActorInput {
  history: HistoryEntry[];
  messages: Pick<InboundMessage, 'text'>[];
  /** The previous draft and the critic's feedback, for a redraft. */
  revision?: { previousDraft: string; feedback: string };
  /** The turn's older messages that were left out of this request (turn.prompt limits). */
  cut?: PromptCut;
  /** The tools the actor may call; absent: none (it writes a reply). */
  tools?: ModelToolSpec[];
  /** `none`: write the reply now (tools are shown, not callable). */
  toolChoice?: 'auto' | 'none';
  /** This turn's tool calls so far and their results. */
  toolSteps?: readonly ToolStep[];
}

export interface ActorAnswer {
  /** The reply (empty when the actor called tools instead). */
  text: string;
  latencyMs: number;
  /** The tools the actor called instead of replying (only when tools were offered). */
  toolCalls?: ModelToolCall[];
}

export interface Actor {
  /** Draft a reply, or call tools. Throws CountersignError `actor.*` / `model.*` when no answer can be had. */
  draft(input: ActorInput): Promise<ActorAnswer>;
}

/** A call the critic is asked about: the tool as the actor sees it, and the arguments. */
export interface ProposedToolCall {
  tool: string;
  description: string;
  inputSchema: Record<string, unknown>;
  arguments: Record<string, unknown>;
  effect: 'read' | 'write';
}

/** A call made earlier in the same turn, as the critic sees it. */
export interface EarlierToolCall {
  tool: string;
  arguments: unknown;
  status: string;
  result: string;
}

export interface ActionCriticInput {
  history: HistoryEntry[];
  messages: Pick<InboundMessage, 'text' | 'user'>[];
  /** The calls of this turn before this one, with their results. */
  earlierCalls: EarlierToolCall[];
  call: ProposedToolCall;
  cut?: PromptCut;
}

export type ActionCriticOutcome =
  | { ok: true; verdict: ActionVerdict; attempts: number; latencyMs: number }
  | { ok: false; failure: string; attempts: number; latencyMs: number };

export interface CriticInput {
  /** Earlier turns of the conversation, oldest first. */
  history: HistoryEntry[];
  /** The user messages this turn answers, oldest first. */
  messages: Pick<InboundMessage, 'text' | 'user'>[];
  /** The draft under review. */
  draft: string;
  /** The turn's older messages that were left out of this request (turn.prompt limits). */
  cut?: PromptCut;
  /** The tool calls the actor made in this turn, with their results (what the draft may rely on). */
  toolCalls?: ReadonlyArray<{ tool: string; arguments: unknown; result: string }>;
}

export type CriticOutcome =
  | { ok: true; verdict: Verdict; attempts: number; latencyMs: number }
  | { ok: false; failure: string; attempts: number; latencyMs: number };

export interface Critic {
  /**
   * Review a draft. Never throws for a model problem: an error, time-out, refusal or invalid
   * verdict is retried once, then reported as a failure, which the turn escalates (fail closed).
   */
  review(input: CriticInput, onRetry?: (failure: string) => void): Promise<CriticOutcome>;
  /**
   * Review a proposed tool call, with the same retries and the same fail-closed answer: a failure
   * is never an approval. Absent on critics that review replies only (then every call needing a
   * review escalates).
   */
  reviewAction?(input: ActionCriticInput, onRetry?: (failure: string) => void): Promise<ActionCriticOutcome>;
}

// ---------------------------------------------------------------------------------------------
// The gate: escalation rules and deterministic checks
// ---------------------------------------------------------------------------------------------

/** A decision of the escalation rules or the checks (src/escalation). */
export interface GateDecision {
  action: 'escalate' | 'block';
  /** The rule or check that decided (`check:<name>` for a check). */
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

// ---------------------------------------------------------------------------------------------
// Delivery, the turn runner, review
// ---------------------------------------------------------------------------------------------

export interface DeliveryReport {
  deliveryId: string;
  messageIds: string[];
  /** Parts a recovery found already posted. */
  recovered: number;
}

/** The exactly-once posting protocol (src/delivery/outbox.ts): the one caller of an adapter's send. */
export interface Outbox {
  /** Deliver an approved record (read from Redis unless handed over); null when there is none. */
  deliver(deliveryId: string, record?: Record<string, string>): Promise<DeliveryReport | null>;
  state(deliveryId: string): Promise<string | null>;
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

export interface TurnRunner {
  /**
   * Run a conversation's turns until its inbox is empty or it is held, a model-call budget is
   * spent (`delayMs`), or it ran its share of turns while more wait (`handBack`).
   */
  runConversation(key: string, control?: { conversation?: ConversationRef; shouldStop?: () => boolean }): Promise<ConversationRun>;
}

export type ReviewStatus = 'pending' | 'approved' | 'rejected';

/**
 * Escalated turns: list, read, approve (as drafted or with the reviewer's text), reject. The
 * review API, the dashboard, the CLI and the Slack and Discord buttons all go through it.
 */
export interface ReviewService {
  get(turnId: string): Promise<Turn | null>;
  list(status?: ReviewStatus | 'resolved', limit?: number): Promise<Turn[]>;
  followUp(turn: Turn): Promise<TurnFollowUp>;
  /**
   * Approve as drafted (no text) or with the reviewer's text; a held tool call as proposed or
   * with the reviewer's `arguments`. Throws `review.conflict` if resolved, `review.invalid` for
   * arguments that do not fit the tool.
   */
  approve(turnId: string, options: { reviewer: Reviewer; text?: string; arguments?: Record<string, unknown> }): Promise<Turn>;
  /** Reject: nothing is posted; a held tool call does not run, and the actor is told. */
  reject(turnId: string, options: { reviewer: Reviewer }): Promise<Turn>;
}
