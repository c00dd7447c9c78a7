/** The platforms countersign speaks to. */
export type Platform = 'web' | 'slack' | 'discord';

/**
 * Where a conversation lives. `id` is unique within the platform (Slack: `team:channel:thread_ts`,
 * Discord: `guild:channel`, web: the id in the URL); `route` carries what the adapter needs to
 * post there again (channel id, thread ts, ...).
 */
export interface ConversationRef {
  platform: Platform;
  id: string;
  route?: Record<string, string>;
}

/** The key of a conversation across platforms: `platform:id`. */
export function conversationKey(conversation: Pick<ConversationRef, 'platform' | 'id'>): string {
  return `${conversation.platform}:${conversation.id}`;
}

/**
 * Where a message id is unique, and so where a message is accepted once. Slack's ids carry the
 * team and the channel (`team:channel:ts`; a ts is unique within its channel) and Discord's are
 * snowflakes, unique on the whole platform: a retried or replayed event is the same message
 * whatever conversation it names. A web id is the client's `clientMessageId`, unique only within
 * its conversation: the same id in another conversation is another message.
 */
export const MESSAGE_ID_SCOPE: Record<Platform, 'platform' | 'conversation'> = { web: 'conversation', slack: 'platform', discord: 'platform' };

/** A message from a user, normalised by an adapter. */
export interface InboundMessage {
  /** The platform's own message id, used to accept a message once (see MESSAGE_ID_SCOPE). */
  id: string;
  conversation: ConversationRef;
  user: { id: string; name?: string };
  text: string;
  /** Milliseconds since the epoch, when countersign accepted it. */
  receivedAt: number;
  /** Platform facts an adapter wants back when it replies (message ts, channel type, ...). */
  platformData?: Record<string, string>;
}

/** One entry of a conversation's history, as the actor and critic see it. */
export interface HistoryEntry {
  /** `tool`: a call the actor made in an earlier turn and its result (`text`). */
  role: 'user' | 'assistant' | 'tool';
  text: string;
  at: number;
  /** The user's display name or id, for user entries. */
  user?: string;
  /** Tool entries: the tool's name as the actor called it. */
  tool?: string;
  /** Tool entries: the arguments that ran (or were proposed), as JSON. */
  arguments?: string;
  /** Tool entries: the call's id in the actor's request (unique within the conversation). */
  callId?: string;
}

export type VerdictDecision = 'approve' | 'edit' | 'revise' | 'escalate';

/** The critic's verdict, exactly the JSON of CONTRACT.md. */
export interface Verdict {
  decision: VerdictDecision;
  reason: string;
  categories: string[];
  confidence: number;
  revised_text: string | null;
  feedback: string | null;
}

/** One draft of the actor within a turn, with the critic's verdict on it if it got one. */
export interface Draft {
  text: string;
  at: number;
  verdict?: Verdict;
  /** The critic's feedback this draft answered (a redraft). */
  feedback?: string;
  /** How many of the turn's messages it was written for; messages folded in later make it stale. */
  answers?: number;
}

export type TurnStatus =
  | 'drafting' // actor and critic at work
  | 'approved' // approved by the critic or a reviewer, delivery pending
  | 'escalated' // waiting for a human
  | 'posted' // delivered
  | 'rejected'; // a reviewer rejected it; nothing posted

export type EscalationSource =
  | 'critic'
  | 'critic-failure'
  | 'actor-failure'
  | 'revise-limit'
  | 'rule'
  | 'check'
  | 'budget'
  /** The agent loop ran past `turn.maxToolSteps` or `turn.toolTimeBudgetMs`. */
  | 'tool-limit'
  /** A write call started before a crash and recorded no outcome; it is not run again without a human. */
  | 'outcome-unknown';

export interface Escalation {
  source: EscalationSource;
  reason: string;
  /** The name of the rule or check that decided, when one did. */
  rule?: string;
  /** Reviewers a rule asked for, instead of everyone. */
  reviewers?: string[];
  at: number;
  /** Present when a tool call (not a reply) waits for the human: the review item is of kind `action`. */
  action?: PendingAction;
}

/**
 * The critic's verdict on a proposed tool call: the reply verdict's shape, with
 * `revised_arguments` (an object, for `edit`) where a reply has `revised_text`.
 */
export interface ActionVerdict {
  decision: VerdictDecision;
  reason: string;
  categories: string[];
  confidence: number;
  revised_arguments: Record<string, unknown> | null;
  feedback: string | null;
}

/** A tool call held for a human: what it would run, and where it is in the turn. */
export interface PendingAction {
  /** The MCP server's configured name, or `in-process`. */
  server: string;
  /** The name the actor called it by. */
  tool: string;
  /** The tool's own name at its server. */
  sourceName: string;
  /** The arguments proposed (after a critic's edit, when it edited and a rule still escalated). */
  arguments: Record<string, unknown>;
  effect: 'read' | 'write';
  idempotent: boolean;
  description: string;
  /** The tool's input schema: a reviewer's arguments are validated against it. */
  inputSchema: Record<string, unknown>;
  /** The agent loop's step and the call's position in it: the ledger record is `<turn>:<step>:<index>`. */
  step: number;
  index: number;
  /** The critic's verdict on the call, when it gave one. */
  verdict?: ActionVerdict;
  /** The call started before a crash and recorded no outcome: approve says it took effect, reject that it did not. */
  outcomeUnknown?: boolean;
  /** Set once the agent loop has taken the reviewer's decision (the turn went on). */
  decided?: boolean;
}

/** What became of one tool call the actor made, as the actor was told. */
export interface ToolCallOutcome {
  /**
   * `done`, `failed`: it ran (or was reused from the ledger); `revised`: the critic sent it back
   * with feedback; `refused`: a human or a rule refused it; `invalid`: unknown tool or arguments
   * that do not parse or validate (nothing ran); `skipped`: an earlier call of the step was refused.
   */
  status: 'done' | 'failed' | 'revised' | 'refused' | 'invalid' | 'skipped';
  /** The `tool` message the actor got. */
  result: string;
  /** The arguments that ran, when they differ from the proposed ones or the call ran. */
  ran?: Record<string, unknown>;
  /** Who let it run: `critic`, `reviewer`, `policy` (a read); or who refused it. */
  by?: string;
  verdict?: ActionVerdict;
  at: number;
}

/** One call the actor made in a step of the agent loop. */
export interface ToolCallEntry {
  /** The model's id of the call (answered by the `tool` message of the same id). */
  id: string;
  /** The name the actor called it by. */
  name: string;
  /** The arguments as the model wrote them (JSON text). */
  arguments: string;
  outcome?: ToolCallOutcome;
}

/** One step of the agent loop: an actor answer with tool calls, and what became of each call. */
export interface ToolStep {
  step: number;
  /** Text the actor wrote beside its calls, if any. */
  content: string | null;
  calls: ToolCallEntry[];
}

export interface Reviewer {
  /** Where the reviewer acted: `api`, `dashboard`, `cli`, `slack`, `discord`. */
  via: string;
  id: string;
  name?: string;
  /**
   * Whether `name` is vouched for: true for a personal reviewer token or an identity-aware
   * proxy, false when it is only what the holder of the shared REVIEW_TOKEN typed. Absent where
   * the id itself identifies the reviewer (Slack, Discord, the CLI's system user).
   */
  verified?: boolean;
}

export interface Resolution {
  decision: 'approved' | 'edited' | 'rejected';
  reviewer: Reviewer;
  at: number;
  /** The reviewer's text, for `edited`. */
  text?: string;
  /** The reviewer's arguments, for an `edited` action. */
  arguments?: Record<string, unknown>;
}

/** Who let a text out, recorded on every delivery. */
export type ApprovalSource =
  | { kind: 'critic'; decision: 'approve' | 'edit' }
  | { kind: 'reviewer'; reviewer: Reviewer }
  | { kind: 'operator'; purpose: 'holding-message' | 'canned-reply' };

/** A turn: the user messages it answers, its drafts, and how it ended. */
export interface Turn {
  id: string;
  conversation: ConversationRef;
  messages: InboundMessage[];
  status: TurnStatus;
  drafts: Draft[];
  /** The critic's last verdict. */
  verdict?: Verdict;
  /** The conversation's history as it was when the turn was reviewed (for reviewers). */
  context?: HistoryEntry[];
  escalation?: Escalation;
  resolution?: Resolution;
  /** What was (or will be) posted. */
  reply?: { text: string; source: ApprovalSource };
  revisions: number;
  folds: number;
  /** The agent loop's steps so far: the actor's tool calls and what became of each. */
  toolSteps?: ToolStep[];
  /** Critic `revise` verdicts on tool calls in this turn (bounded like reply revisions). */
  actionRevisions?: number;
  /** Milliseconds this turn spent running tools (bounded by `turn.toolTimeBudgetMs`). */
  toolMs?: number;
  createdAt: number;
  updatedAt: number;
  /** An escalated turn was shown to the reviewers (set once, so a resumed worker does not show it again). */
  announced?: boolean;
  /**
   * How the review notifier showed this escalated turn on each platform: `post`, or
   * `fold:<episode>` (folded into a summary). Written once per platform by its script.
   */
  notices?: Partial<Record<Platform, string>>;
}

/** The older messages of a turn left out of a model request (turn.prompt limits), and their size. */
export interface PromptCut {
  messages: number;
  characters: number;
}

/**
 * The draft under review: the newest draft's text, if the actor produced one for every message
 * of the turn (a draft written before late messages were folded in answers only some of them).
 */
export function currentDraft(turn: Pick<Turn, 'drafts' | 'messages'>): string | null {
  const draft = turn.drafts.at(-1);
  if (!draft) return null;
  if (draft.answers !== undefined && draft.answers < turn.messages.length) return null;
  return draft.text;
}
