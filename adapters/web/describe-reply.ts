import type { OutboundPart } from '../../src/core/ports.js';
import type { Draft, ToolCallEntry, Turn } from '../../src/core/types.js';
import type { ActionReview, ReplyReview, UnsentDraft } from './transcript-entry.js';

const noteOf = (note: string | null | undefined) => (note ? { note } : {});
const reasonOf = (reason: string | null | undefined) => (reason ? { reason } : {});

/** A draft the critic did not let out, and why. */
function unsentDraft(draft: Draft): UnsentDraft {
  if (draft.verdict?.decision === 'revise') return { text: draft.text, fate: 'redrafted', ...noteOf(draft.verdict.feedback || draft.verdict.reason) };
  // Approved or edited, and then more messages of the user arrived before it was sent: the turn
  // was drafted again with them.
  return { text: draft.text, fate: 'superseded' };
}

const argumentsOf = (text: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** Who decided a call, from the turn's record of it (`critic:edit`, `reviewer:<via>:<id>`, ...): never the reviewer's name. */
function deciderOf(by: string | undefined): ActionReview['by'] | undefined {
  const kind = by?.split(':')[0];
  return kind === 'policy' || kind === 'critic' || kind === 'reviewer' || kind === 'rule' ? kind : undefined;
}

/** One call of the turn as the page shows it: what ran (or was proposed), who let it run, why. */
function actionReview(turn: Turn, step: number, index: number, call: ToolCallEntry): ActionReview | null {
  const outcome = call.outcome;
  if (!outcome) return null;
  const proposed = argumentsOf(call.arguments);
  const ran = outcome.ran;
  const edited = ran !== undefined && JSON.stringify(ran) !== JSON.stringify(proposed);
  const by = deciderOf(outcome.by);
  // A human's decision: the reason the call was held is the one to show.
  const held = turn.escalation?.action;
  const heldReason = by === 'reviewer' && held && held.step === step && held.index === index ? (held.verdict?.reason ?? turn.escalation?.reason) : undefined;
  const reason = heldReason ?? outcome.verdict?.reason;
  return {
    tool: call.name,
    arguments: ran ?? proposed,
    ...(edited ? { proposed, edited: true } : {}),
    status: outcome.status,
    ...(by ? { by } : {}),
    ...reasonOf(reason),
  };
}

/** The turn's tool calls that have an outcome, in order; absent when it made none. */
function actionsOf(turn: Turn): { actions?: ActionReview[] } {
  const actions = (turn.toolSteps ?? []).flatMap((step) => step.calls.flatMap((call, index) => actionReview(turn, step.step, index, call) ?? []));
  return actions.length ? { actions } : {};
}

/** The call a holding message waits on, when a tool call (not a reply) waits for the human. */
function pendingOf(turn: Turn): Pick<ReplyReview, 'pending'> {
  const action = turn.escalation?.action;
  if (!action || action.decided) return {};
  return { pending: { tool: action.tool, arguments: action.arguments, ...reasonOf(action.verdict?.reason ?? turn.escalation?.reason), ...(action.outcomeUnknown ? { outcomeUnknown: true } : {}) } };
}

/**
 * How the reply a part belongs to was countersigned, from its turn: who let it out (the
 * critic, a human reviewer, the operator's configured text), the critic's reason, the drafts
 * the user never received, and the tool calls the reply rests on with who countersigned each
 * (with a holding message: the call that waits for a human). Pure.
 *
 * Drafts are shown only where a critic or a reviewer decided what the user got: never the
 * draft behind a holding message (a human has not decided it yet, and may reject it), nor one
 * a rule blocked with a canned reply (the rule exists to keep it from the user).
 */
export function describeReply(turn: Turn, kind: OutboundPart['kind']): ReplyReview | null {
  if (kind === 'holding-message') return { by: 'operator-holding', ...reasonOf(turn.escalation?.reason), unsent: [], ...actionsOf(turn), ...pendingOf(turn) };
  const review = describeText(turn, kind);
  return review ? { ...review, ...actionsOf(turn) } : null;
}

/** Who let the reply's text out, and the drafts the user never received. */
function describeText(turn: Turn, kind: OutboundPart['kind']): ReplyReview | null {
  const source = turn.reply?.source;
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

