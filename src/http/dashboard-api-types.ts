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

export type CriticCounts = Record<CriticDecision, number>;
export type ReviewCounts = Record<ReviewOutcome, number>;

export interface ActivityBucket {
  /** Start of the bucket, ms since the epoch. */
  start: number;
  critic: CriticCounts;
  review: ReviewCounts;
}

/** GET /review/api/activity */
export interface Activity {
  since: number;
  until: number;
  bucketMs: number;
  buckets: ActivityBucket[];
  totals: { critic: CriticCounts; review: ReviewCounts };
  /** True when the log held more entries than were read (the counts are a lower bound). */
  truncated: boolean;
}

/** GET /review/api/session */
export interface DashboardSessionView {
  name: string;
  verified: boolean;
}
