/**
 * Who countersigned a reply, under its bubble (only when the service runs with `showReview`):
 * the critic approved, edited or had it redrafted, a human reviewer approved or wrote it, or it
 * is the operator's own text; the reason; and, collapsed, the drafts the user never received.
 */
import { el } from '../../../src/core/browser/dom.js';
import type { Countersigner, ReplyReview, UnsentDraft } from '../transcript-entry.js';

/** The badge of each countersigner: its words and its colour (the dashboard's decision colours). */
const SIGNERS: Record<Countersigner, { label: string; tone: string }> = {
  'critic-approved': { label: 'Critic approved', tone: 'approve' },
  'critic-edited': { label: 'Critic edited', tone: 'edit' },
  'critic-redrafted': { label: "Redrafted after the critic's feedback", tone: 'revise' },
  'reviewer-approved': { label: 'Human reviewer approved the draft', tone: 'human' },
  'reviewer-wrote': { label: 'Written by a human reviewer', tone: 'human' },
  'operator-holding': { label: "Holding message: the operator's text", tone: 'operator' },
  'operator-canned': { label: "Canned reply: the operator's text", tone: 'operator' },
};

const FATES: Record<UnsentDraft['fate'], string> = {
  edited: 'the critic edited it',
  redrafted: 'the critic asked for a redraft',
  superseded: 'written before your next message arrived',
  replaced: 'a human reviewer wrote the reply instead',
};

/** The badge's words: a redraft that the critic then edited says so too. */
function label(review: ReplyReview): string {
  const base = SIGNERS[review.by].label;
  if (review.by !== 'critic-redrafted') return base;
  const times = review.redrafts && review.redrafts > 1 ? ` (${review.redrafts} redrafts)` : '';
  return `${base}${times}${review.edited ? ', then edited' : ''}`;
}

/** Whose reason it is: the critic's, or why a human was asked. */
function reasonLine(review: ReplyReview): string | null {
  if (!review.reason) return null;
  if (review.by.startsWith('critic-')) return `Critic: ${review.reason}`;
  return `Held for a human because: ${review.reason}`;
}

function unsentNode(draft: UnsentDraft, review: ReplyReview): HTMLDetailsElement {
  const note = draft.note && draft.note !== review.reason ? draft.note : null;
  return el('details', { class: 'unsent', 'data-fate': draft.fate }, [
    el('summary', {}, [el('span', { class: 'unsent-mark', text: 'Not sent' }), ` Draft you never received: ${FATES[draft.fate]}`]),
    el('div', { class: 'unsent-text', text: draft.text }),
    note ? el('p', { class: 'unsent-note', text: draft.fate === 'redrafted' ? `Critic's feedback: ${note}` : `Critic: ${note}` }) : null,
  ]);
}

/** The note under a reply's bubble. */
export function countersignNote(review: ReplyReview): HTMLElement {
  const tone = SIGNERS[review.by].tone;
  const reason = reasonLine(review);
  return el('div', { class: 'countersign', 'data-by': review.by }, [
    el('span', { class: `badge signer c-${tone}`, text: label(review) }),
    reason ? el('p', { class: 'reason', text: reason }) : null,
    ...review.unsent.map((draft) => unsentNode(draft, review)),
  ]);
}

/** The bubble's own class for who wrote it: a human's and the operator's text look different from the bot's. */
export function authorClass(review: ReplyReview | undefined): string {
  if (!review) return '';
  if (review.by === 'reviewer-wrote') return 'by-human';
  if (review.by.startsWith('operator-')) return 'by-operator';
  return '';
}
