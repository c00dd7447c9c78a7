/**
 * What a review surface tells a reviewer, in the same words on every platform (the adapter
 * contract suite checks that Slack and Discord say exactly this).
 */
import type { PendingAction, Resolution, Turn } from './types.js';

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

/**
 * The one line that says what a held tool call is, on every review surface.
 *
 * @example "wants to run cancel_booking", "may already have run cancel_booking" (outcome unknown)
 */
export function actionHeadline(action: Pick<PendingAction, 'tool' | 'outcomeUnknown'>): string {
  return `${action.outcomeUnknown ? 'may already have run' : 'wants to run'} ${action.tool}`;
}

/** A tool's effect as reviewers read it: "write, not idempotent", "write, idempotent", "read". */
export function actionEffectWords(action: Pick<PendingAction, 'effect' | 'idempotent'>): string {
  return action.effect === 'write' ? `write, ${action.idempotent ? 'idempotent' : 'not idempotent'}` : 'read';
}

/** A tool call's arguments as reviewers read and edit them: indented JSON. */
export function formatToolArguments(args: unknown): string {
  return JSON.stringify(args ?? {}, null, 2);
}

/** What a call whose outcome is unknown asks of the reviewer, the same on every surface. */
export const OUTCOME_UNKNOWN_NOTE =
  'This call started before a crash and recorded no outcome: it may have run. Approve says it took effect; reject says it did not. It is not run again either way.';

/**
 * Text a reviewer typed as a tool call's new arguments: a JSON object, or why not (nothing is
 * sent then). The tool's input schema is checked by the review service.
 */
export function parseReviewerArguments(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `The arguments are not valid JSON (${error instanceof Error ? error.message : String(error)}); nothing was run.` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'The arguments must be a JSON object ({...}); nothing was run.' };
  return { ok: true, value: value as Record<string, unknown> };
}
