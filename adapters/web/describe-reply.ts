import type { OutboundPart } from '../../src/core/ports.js';
import type { Draft, Turn } from '../../src/core/types.js';
import type { ReplyReview, UnsentDraft } from './transcript-entry.js';

const noteOf = (note: string | null | undefined) => (note ? { note } : {});
const reasonOf = (reason: string | null | undefined) => (reason ? { reason } : {});

/** A draft the critic did not let out, and why. */
function unsentDraft(draft: Draft): UnsentDraft {
  if (draft.verdict?.decision === 'revise') return { text: draft.text, fate: 'redrafted', ...noteOf(draft.verdict.feedback || draft.verdict.reason) };
  // Approved or edited, and then more messages of the user arrived before it was sent: the turn
  // was drafted again with them.
  return { text: draft.text, fate: 'superseded' };
}

/**
 * How the reply a part belongs to was countersigned, from its turn: who let it out (the
 * critic, a human reviewer, the operator's configured text), the critic's reason, and the
 * drafts the user never received. Pure.
 *
 * Drafts are shown only where a critic or a reviewer decided what the user got: never the
 * draft behind a holding message (a human has not decided it yet, and may reject it), nor one
 * a rule blocked with a canned reply (the rule exists to keep it from the user).
 */
export function describeReply(turn: Turn, kind: OutboundPart['kind']): ReplyReview | null {
  const source = turn.reply?.source;
  if (kind === 'holding-message') return { by: 'operator-holding', ...reasonOf(turn.escalation?.reason), unsent: [] };
  if (kind === 'canned-reply' || source?.kind === 'operator') return { by: 'operator-canned', unsent: [] };
  if (!turn.reply || !source) return null;
  const drafts = turn.drafts;
  const last = drafts.at(-1);
  const earlier = drafts.slice(0, -1).map(unsentDraft);
  const redrafts = earlier.filter((draft) => draft.fate === 'redrafted').length;
  if (source.kind === 'critic') {
    const edited = source.decision === 'edit';
    const unsent = edited && last ? [...earlier, { text: last.text, fate: 'edited' as const, ...noteOf(last.verdict?.reason) }] : earlier;
    const reason = reasonOf(last?.verdict?.reason ?? turn.verdict?.reason);
    if (redrafts > 0) return { by: 'critic-redrafted', redrafts, ...(edited ? { edited: true } : {}), ...reason, unsent };
    return { by: edited ? 'critic-edited' : 'critic-approved', ...reason, unsent };
  }
  // A human reviewer: approved the draft as written, or wrote the reply.
  const wrote = turn.resolution ? turn.resolution.decision === 'edited' : turn.reply.text !== last?.text;
  const unsent = wrote && last ? [...earlier, { text: last.text, fate: 'replaced' as const, ...noteOf(last.verdict?.reason) }] : earlier;
  return { by: wrote ? 'reviewer-wrote' : 'reviewer-approved', ...(redrafts ? { redrafts } : {}), ...reasonOf(turn.escalation?.reason), unsent };
}

