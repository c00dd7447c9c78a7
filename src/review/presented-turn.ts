import type { ActionVerdict, Draft, Escalation, HistoryEntry, Resolution, ToolStep, Verdict } from '../core/types.js';

/** The tool call an action review item is about: what would run, and where. */
export interface PresentedAction {
  /** The MCP server's configured name, or `in-process`. */
  server: string;
  /** The name the actor called it by. */
  tool: string;
  /** The arguments that would run (approve `{}`), for reviewers to read or edit. */
  arguments: Record<string, unknown>;
  effect: 'read' | 'write';
  /** What the tool does, as its server describes it. */
  description: string;
  /** The JSON Schema a reviewer's arguments must fit. */
  inputSchema: Record<string, unknown>;
  idempotent: boolean;
  /** The critic's verdict on the call, when it gave one (its reason says why the call waits). */
  verdict: ActionVerdict | null;
  /** The call may already have run (a crash cut it off): approve says it took effect, reject that it did not. */
  outcomeUnknown: boolean;
}

/**
 * A turn as reviewers see it: the JSON shape of the review API, the dashboard's API and
 * `countersign review --json` (made by presentTurn in present-turn.ts). Types only, importing
 * only types, so the dashboard's browser code can be typed against it without bundling or
 * type-checking anything of the server.
 */
export interface PresentedTurn {
  id: string;
  /** The conversation's key, `platform:id`. */
  conversation: string;
  platform: string;
  status: 'pending' | 'approved' | 'rejected';
  /** `action`: a tool call waits for (or got) the decision; `reply`: a reply does. */
  kind: 'reply' | 'action';
  /** The tool call of an `action` item; null for a reply. */
  action: PresentedAction | null;
  /** The draft under review, or null when the actor produced none for every message. */
  draft: string | null;
  verdict: Verdict | null;
  escalation: Escalation | null;
  /** The user messages this turn answers. */
  messages: Array<{ id: string; user: string; text: string; at: number }>;
  revisions: number;
  resolution: Resolution | null;
  /** What was (or will be) posted. */
  reply: string | null;
  createdAt: number;
  updatedAt: number;
  /** With context: the conversation before the turn. */
  context?: HistoryEntry[];
  /** With context: every draft of the turn. */
  drafts?: Draft[];
  /** With context: the tool calls the actor made in this turn and what became of each. */
  toolSteps?: ToolStep[];
  /** On one turn's page: the holding message the user got while the turn waits. */
  holding?: { text: string; posted: boolean; at?: number } | null;
  /** On one turn's page: what the user wrote while the turn waits. */
  waiting?: Array<{ id: string; user: string; text: string; at: number }>;
}
