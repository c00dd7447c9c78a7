/**
 * Who countersigned a reply, under its bubble (only when the service runs with `showReview`):
 * the critic approved, edited or had it redrafted, a human reviewer approved or wrote it, or it
 * is the operator's own text; the reason; and, collapsed, the drafts the user never received.
 */
import { el } from '../../../src/core/browser/dom.js';
import type { ActionReview, Countersigner, PendingActionReview, ReplyReview, UnsentDraft } from '../transcript-entry.js';

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

/**
 * What a call does, in words: the tool's name as words and, when the name ends in what an
 * argument identifies, that argument (`cancel_reservation` with `reservation_id` EHGLP3:
 * "cancel reservation EHGLP3").
 */
export function actionWords(tool: string, args: Record<string, unknown>): string {
  const words = tool.split(/[_-]+/).filter(Boolean);
  const object = words.at(-1)?.toLowerCase();
  const named = Object.entries(args).find(([key, value]) => (typeof value === 'string' || typeof value === 'number') && object && key.toLowerCase().startsWith(object));
  return named ? `${words.join(' ')} ${String(named[1])}` : words.join(' ');
}

/** The arguments, as short `key: value` text (the whole JSON is in the title). */
const argumentsText = (args: Record<string, unknown>): string =>
  Object.entries(args)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');

/** Who let a call run or refused it, and its colour. */
function actionVerdict(action: ActionReview): { text: string; tone: string } {
  const ran = action.status === 'done' || action.status === 'failed';
  const failed = action.status === 'failed' ? ' (it failed)' : '';
  switch (action.by) {
    case 'policy':
      return { text: `Ran: a lookup, no review needed${failed}`, tone: 'operator' };
    case 'critic':
      if (action.status === 'revised') return { text: 'Not run: the critic sent it back', tone: 'revise' };
      return action.edited ? { text: `Ran: the critic edited the arguments${failed}`, tone: 'edit' } : { text: `Ran: the critic approved${failed}`, tone: 'approve' };
    case 'reviewer':
      if (!ran) return { text: 'Not run: a human reviewer refused', tone: 'escalate' };
      return { text: `Ran: a human reviewer approved${action.edited ? ' with other arguments' : ''}${failed}`, tone: 'human' };
    case 'rule':
      return { text: "Not run: refused by the operator's rules", tone: 'escalate' };
    default:
      return { text: action.status === 'skipped' ? 'Not run: an earlier call was refused' : 'Not run: invalid call', tone: 'operator' };
  }
}

function actionNode(action: ActionReview): HTMLElement {
  const verdict = actionVerdict(action);
  const changed = action.proposed ? Object.entries(action.arguments).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(action.proposed?.[key])) : [];
  return el('li', { class: 'action', 'data-status': action.status, ...(action.by ? { 'data-by': action.by } : {}) }, [
    el('span', { class: 'action-what', title: `${action.tool} ${JSON.stringify(action.arguments)}`, text: actionWords(action.tool, action.arguments) }),
    ' ',
    el('span', { class: `badge c-${verdict.tone}`, text: verdict.text }),
    el('div', { class: 'action-args', text: argumentsText(action.arguments) }),
    changed.length ? el('div', { class: 'action-proposed', text: `The actor proposed ${changed.map(([key]) => `${key}: ${JSON.stringify(action.proposed?.[key])}`).join(', ')}` }) : null,
    action.reason ? el('p', { class: 'reason', text: action.by === 'reviewer' ? `Held for a human because: ${action.reason}` : `Critic: ${action.reason}` }) : null,
  ]);
}

/** The tool call a held turn waits on: "Waiting for a human: the bot wants to cancel reservation X". */
function pendingNode(pending: PendingActionReview): HTMLElement {
  const what = actionWords(pending.tool, pending.arguments);
  return el('div', { class: 'pending-action' }, [
    el('strong', { text: pending.outcomeUnknown ? `Waiting for a human: did "${what}" take effect?` : `Waiting for a human: the bot wants to ${what}` }),
    el('div', { class: 'action-args', title: JSON.stringify(pending.arguments), text: `${pending.tool}(${argumentsText(pending.arguments)})` }),
    pending.reason ? el('p', { class: 'reason', text: `Held because: ${pending.reason}` }) : null,
  ]);
}

/** The note under a reply's bubble. */
export function countersignNote(review: ReplyReview): HTMLElement {
  const tone = SIGNERS[review.by].tone;
  const reason = reasonLine(review);
  const actions = review.actions ?? [];
  return el('div', { class: 'countersign', 'data-by': review.by }, [
    el('span', { class: `badge signer c-${tone}`, text: label(review) }),
    reason && !review.pending ? el('p', { class: 'reason', text: reason }) : null,
    review.pending ? pendingNode(review.pending) : null,
    actions.length
      ? el('details', { class: 'actions', open: !review.pending }, [
          el('summary', { text: `${review.pending ? 'Done so far' : 'Based on'}: ${actions.length} tool call${actions.length === 1 ? '' : 's'}` }),
          el('ol', {}, actions.map(actionNode)),
        ])
      : null,
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
