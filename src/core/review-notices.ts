/**
 * What a review surface tells a reviewer, in the same words on every platform (the adapter
 * contract suite checks that Slack and Discord say exactly this).
 */
import type { Resolution, Turn } from './types.js';

/** A resolution's decision, as a review message heads it. */
export const DECISION_WORDS: Readonly<Record<Resolution['decision'], string>> = {
  approved: 'Approved',
  edited: 'Edited and approved',
  rejected: 'Rejected',
};

/**
 * The notice a reviewer gets, and only they, when their decision came too late: the turn was
 * resolved by someone else (the review service answered `review.conflict`) or no longer exists.
 * `turn` is the turn as the review service has it now.
 *
 * @example "Already resolved: rejected by Ops (via api)."
 */
export function alreadyResolvedNotice(turn: Pick<Turn, 'status' | 'resolution'> | null): string {
  if (!turn) return 'This turn no longer exists.';
  const resolution = turn.resolution;
  if (!resolution) return `Already resolved (${turn.status}).`;
  const who = resolution.reviewer.name ?? resolution.reviewer.id;
  return `Already resolved: ${DECISION_WORDS[resolution.decision].toLowerCase()} by ${who} (via ${resolution.reviewer.via}).`;
}
