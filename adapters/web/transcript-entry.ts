/**
 * The web chat's transcript, as the chat API answers it (GET /api/chat/:id/messages) and the
 * chat page's browser code reads it. Types only, with no imports: the page is typed against
 * the server's shapes without bundling or type-checking anything of the server.
 */

/**
 * Who countersigned a reply the user received:
 * - `critic-approved`: the critic approved the actor's draft as written;
 * - `critic-edited`: the critic changed the draft before it was sent;
 * - `critic-redrafted`: the actor redrafted after the critic's feedback, and the critic let the
 *   redraft out (as written, or edited: `edited`);
 * - `reviewer-approved`: the critic held it for a human, who approved the draft as written;
 * - `reviewer-wrote`: the critic held it for a human, who wrote the reply;
 * - `operator-holding`: the operator's holding message, sent while a human reviews the turn;
 * - `operator-canned`: the operator's canned reply, sent instead of a draft a rule blocked.
 */
export type Countersigner = 'critic-approved' | 'critic-edited' | 'critic-redrafted' | 'reviewer-approved' | 'reviewer-wrote' | 'operator-holding' | 'operator-canned';

/** A draft the user never received, and what became of it. */
export interface UnsentDraft {
  text: string;
  /**
   * - `edited`: the critic edited it; the user got the edit;
   * - `redrafted`: the critic asked for a redraft (its feedback in `note`);
   * - `superseded`: written before more messages of the user arrived, and drafted again with them;
   * - `replaced`: a human reviewer wrote the reply instead.
   */
  fate: 'edited' | 'redrafted' | 'superseded' | 'replaced';
  /** The critic's feedback or reason on this draft. */
  note?: string;
}

/**
 * A tool call the reply rests on, and who let it run (or refused it):
 * - `policy`: a read that nobody reviews (it changes nothing);
 * - `critic`: the critic approved it, or edited its arguments (`edited`);
 * - `reviewer`: the critic (or a rule) held it, and a human decided;
 * - `rule`: an escalation rule refused it.
 * Absent when nobody decided: a call with an unknown tool or invalid arguments, or one skipped
 * because an earlier call of its step was refused.
 */
export interface ActionReview {
  /** The tool's name as the actor called it. */
  tool: string;
  /** The arguments that ran; for a call that did not run, those proposed. */
  arguments: Record<string, unknown>;
  /** The actor's own arguments, when the critic or a reviewer changed them before the call ran. */
  proposed?: Record<string, unknown>;
  edited?: boolean;
  /**
   * `done` and `failed`: it ran; `refused`: a human or a rule refused it; `revised`: the critic
   * sent it back to the actor; `invalid`, `skipped`: it never reached anyone.
   */
  status: 'done' | 'failed' | 'revised' | 'refused' | 'invalid' | 'skipped';
  by?: 'policy' | 'critic' | 'reviewer' | 'rule';
  /** The critic's reason on the call (for a human's decision: why the call was held). */
  reason?: string;
}

/** A tool call that waits for a human (shown with the holding message): what would run. */
export interface PendingActionReview {
  tool: string;
  arguments: Record<string, unknown>;
  /** Why it waits (the critic's or a rule's reason). */
  reason?: string;
  /** The call started before a crash and nobody knows whether it took effect. */
  outcomeUnknown?: boolean;
}

/**
 * How a reply was countersigned, stored with the reply's transcript entry only when the web
 * chat's `showReview` is on (docs/web-chat.md: it shows users what the critic kept from them).
 */
export interface ReplyReview {
  by: Countersigner;
  /** For `critic-redrafted`: the critic edited the redraft it let out. */
  edited?: boolean;
  /** How many redrafts the critic asked for before it let the reply out. */
  redrafts?: number;
  /** The critic's reason for letting the reply out, or why the turn went to a human. */
  reason?: string;
  /** Drafts of this turn the user never received, oldest first. */
  unsent: UnsentDraft[];
  /** The tool calls of this turn so far, in order, and who countersigned each. */
  actions?: ActionReview[];
  /** With a holding message: the tool call that waits for a human. */
  pending?: PendingActionReview;
}

/** One entry of a web conversation's transcript: what the user said, and what was posted to them. */
export interface TranscriptEntry {
  id: string;
  role: 'user' | 'bot';
  text: string;
  /** Milliseconds since the epoch. */
  at: number;
  /** How a bot reply was countersigned: only with `showReview`. */
  review?: ReplyReview;
}

/** GET /api/chat/:conversationId/messages */
export interface TranscriptPage {
  messages: TranscriptEntry[];
  /** `held`: a reply waits for a human; `working`: a reply is being drafted and reviewed. */
  state: 'held' | 'working' | 'idle';
  /** The path of the page before this one, or null at the start of the conversation. */
  previous: string | null;
}
