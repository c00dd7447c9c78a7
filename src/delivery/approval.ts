import type { ApprovalSource, ConversationRef, InboundMessage, Reviewer, Turn, Verdict } from '../core/types.js';

/**
 * A text that may be posted, and who let it out. The only way text reaches a platform is an
 * outbox record, and the only way an outbox record is written is from an Approval made here.
 * Approvals come from three places: the critic step (approve / edit), the review service (a
 * human), and operator-written texts from the configuration (holding message, canned reply);
 * a structural test checks that nothing else imports these factories.
 */
export interface Approval {
  readonly deliveryId: string;
  readonly turnId: string;
  readonly conversation: ConversationRef;
  readonly text: string;
  readonly kind: 'reply' | 'holding-message' | 'canned-reply';
  readonly source: ApprovalSource;
  readonly replyTo: InboundMessage[];
}

const issued = new WeakSet<Approval>();

function issue(approval: Approval): Approval {
  Object.freeze(approval);
  issued.add(approval);
  return approval;
}

/** True only for approvals made by the factories of this module. */
export function isIssuedApproval(value: unknown): value is Approval {
  return typeof value === 'object' && value !== null && issued.has(value as Approval);
}

/** The turn's reply (its delivery id is the turn's id: one reply a turn). */
function issueReply(turn: Pick<Turn, 'id' | 'conversation' | 'messages'>, text: string, source: ApprovalSource): Approval {
  return issue({ deliveryId: turn.id, turnId: turn.id, conversation: turn.conversation, text, kind: 'reply', source, replyTo: turn.messages });
}

/** The critic approved the draft, or edited it into `verdict.revised_text`. */
export function approveByCritic(turn: Pick<Turn, 'id' | 'conversation' | 'messages'>, verdict: Verdict, draft: string): Approval {
  if (verdict.decision !== 'approve' && verdict.decision !== 'edit') {
    throw new Error(`a critic ${verdict.decision} is not an approval`);
  }
  const text = verdict.decision === 'edit' ? verdict.revised_text! : draft;
  return issueReply(turn, text, { kind: 'critic', decision: verdict.decision });
}

/** A human reviewer approved the turn's draft or wrote the text. */
export function approveByReviewer(turn: Pick<Turn, 'id' | 'conversation' | 'messages'>, reviewer: Reviewer, text: string): Approval {
  return issueReply(turn, text, { kind: 'reviewer', reviewer });
}

/** A text the operator wrote in the configuration: the holding message, a rule's canned reply. */
export function approveOperatorText(
  turn: Pick<Turn, 'id' | 'conversation' | 'messages'>,
  purpose: 'holding-message' | 'canned-reply',
  text: string,
): Approval {
  return issue({
    deliveryId: purpose === 'holding-message' ? `${turn.id}:holding` : turn.id,
    turnId: turn.id,
    conversation: turn.conversation,
    text,
    kind: purpose,
    source: { kind: 'operator', purpose },
    replyTo: turn.messages,
  });
}

/** The outbox fields that persist an approval (written inside the scripts that record it). */
export function approvalFields(approval: Approval): string[] {
  if (!isIssuedApproval(approval)) throw new Error('refusing to record an approval that was not issued by delivery/approval.ts');
  return [
    'state', 'approved',
    'turnId', approval.turnId,
    'kind', approval.kind,
    'text', approval.text,
    'conversation', JSON.stringify(approval.conversation),
    'replyTo', JSON.stringify(approval.replyTo),
    'source', JSON.stringify(approval.source),
    'sent', '0',
    'approvedAt', String(Date.now()),
  ];
}
