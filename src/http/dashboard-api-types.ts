/**
 * The JSON the dashboard's API (/review/api/...) answers, as the dashboard's browser code
 * (src/http/browser/) reads it. Types only, importing only types: the browser code is typed
 * against the server's shapes without bundling or type-checking anything of the server.
 */
import type { PresentedTurn } from '../review/presented-turn.js';

/** A turn on the dashboard: the review API's view plus the channel to show in lists. */
export interface DashboardTurn extends PresentedTurn {
  /** `#channel` (Slack, Discord) or the web chat's channel, when the conversation has one. */
  channel: string | null;
}

/** The critic's decisions, as the activity chart counts them. */
export type CriticDecision = 'approve' | 'edit' | 'revise' | 'escalate';
/** The reviewers' outcomes, as the activity chart counts them. */
export type ReviewOutcome = 'approved' | 'edited' | 'rejected';

/**
 * What became of the actor's tool calls, as the activity chart counts them (the `tool-call`
 * audit events): `done`, `failed` (ran, or reused from the action ledger), `escalated` (held for
 * a human), `refused` (by a human or a rule), `revised` (sent back by the critic), `invalid`
 * (nothing ran), `skipped` (an earlier call of the step was refused), `unknown` (started before
 * a crash, no outcome recorded).
 */
export type ToolCallOutcome = 'done' | 'failed' | 'escalated' | 'refused' | 'revised' | 'invalid' | 'skipped' | 'unknown';
/**
 * The action gate's decisions on tool calls (the `action-verdict` audit events): the critic's
 * four, `critic-failure` (escalated: no usable verdict), `rule-escalate` and `rule-block` (an
 * action rule decided), `read` (a read let through without the critic).
 */
export type ActionDecision = 'approve' | 'edit' | 'revise' | 'escalate' | 'critic-failure' | 'rule-escalate' | 'rule-block' | 'read';

export type CriticCounts = Record<CriticDecision, number>;
export type ReviewCounts = Record<ReviewOutcome, number>;
export type ToolCallCounts = Record<ToolCallOutcome, number>;
export type ActionCounts = Record<ActionDecision, number>;

export interface ActivityBucket {
  /** Start of the bucket, ms since the epoch. */
  start: number;
  critic: CriticCounts;
  review: ReviewCounts;
  tools: ToolCallCounts;
  actions: ActionCounts;
}

/** GET /review/api/activity */
export interface Activity {
  since: number;
  until: number;
  bucketMs: number;
  buckets: ActivityBucket[];
  totals: { critic: CriticCounts; review: ReviewCounts; tools: ToolCallCounts; actions: ActionCounts };
  /** True when the log held more entries than were read (the counts are a lower bound). */
  truncated: boolean;
}

/** GET /review/api/session */
export interface DashboardSessionView {
  name: string;
  verified: boolean;
}
