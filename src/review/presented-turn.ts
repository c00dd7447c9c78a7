import type { Draft, Escalation, HistoryEntry, Resolution, Verdict } from '../core/types.js';

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
  /** On one turn's page: the holding message the user got while the turn waits. */
  holding?: { text: string; posted: boolean; at?: number } | null;
  /** On one turn's page: what the user wrote while the turn waits. */
  waiting?: Array<{ id: string; user: string; text: string; at: number }>;
}
