import type { Reviewer } from '../core/types.js';
import type { ToolDescriptor, ToolEffect } from './tool-types.js';

/**
 * A tool call that may run, and who let it run. The only way a tool runs is the action
 * ledger's `execute`, and it runs nothing without an approval made here. Approvals come from
 * three places: the action gate (the critic approved or edited the call), the review service (a
 * human approved it, perhaps with other arguments), and the action gate again for a read that
 * needs no review (`approveReadCall`, refused for any tool whose calls the critic reviews). A
 * structural test (test/unit/approval-boundary.test.ts) checks that nothing else uses these
 * factories and that only the ledger calls a tool.
 */
export interface ActionApproval {
  /** `<turnId>:<step>:<index>`: the ledger record's id. */
  readonly callId: string;
  readonly turnId: string;
  /** The agent loop's step within the turn (0, 1, ...). */
  readonly step: number;
  /** The call's position among the calls of that step (parallel calls: 0, 1, ...). */
  readonly index: number;
  /** The name the actor called it by. */
  readonly tool: string;
  /** `in-process` or the MCP server's name. */
  readonly source: string;
  /** The tool's own name at its source. */
  readonly sourceName: string;
  /** What runs: the actor's arguments, the critic's `revised_arguments`, or the reviewer's. */
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly effect: ToolEffect;
  readonly idempotent: boolean;
  readonly approvedBy: ActionApprovalSource;
}

/** Who let a call run, recorded in its ledger record. */
export type ActionApprovalSource =
  | { readonly kind: 'critic'; readonly decision: 'approve' | 'edit' }
  | { readonly kind: 'reviewer'; readonly reviewer: Reviewer; readonly edited: boolean }
  | { readonly kind: 'policy'; readonly reason: 'read' };

/** A call the actor proposed: where it is in the turn, the tool it named, its arguments. */
export interface ProposedCall {
  readonly turnId: string;
  readonly step: number;
  readonly index: number;
  readonly arguments: Record<string, unknown>;
}

/** The part of the critic's action verdict that approves (CONTRACT.md: `revised_arguments` for edit). */
export interface ActionVerdictApproval {
  readonly decision: string;
  readonly revised_arguments?: Record<string, unknown> | null;
}

const issued = new WeakSet<ActionApproval>();

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A deep, frozen copy: what was approved cannot change after the approval. */
function frozenCopy(value: Record<string, unknown>): Readonly<Record<string, unknown>> {
  const freeze = (item: unknown): unknown => {
    if (item && typeof item === 'object') {
      for (const child of Object.values(item)) freeze(child);
      Object.freeze(item);
    }
    return item;
  };
  return freeze(structuredClone(value)) as Readonly<Record<string, unknown>>;
}

function issue(call: ProposedCall, tool: ToolDescriptor, args: Record<string, unknown>, approvedBy: ActionApprovalSource): ActionApproval {
  if (typeof call.turnId !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(call.turnId)) throw new Error('an approval needs the turn id (letters, digits, _ . -)');
  if (!Number.isInteger(call.step) || call.step < 0 || !Number.isInteger(call.index) || call.index < 0) throw new Error('an approval needs the call\'s step and index (whole numbers from 0)');
  if (!isPlainObject(args)) throw new Error('approved arguments must be a JSON object');
  const approval: ActionApproval = Object.freeze({
    callId: `${call.turnId}:${call.step}:${call.index}`,
    turnId: call.turnId,
    step: call.step,
    index: call.index,
    tool: tool.name,
    source: tool.source,
    sourceName: tool.sourceName,
    arguments: frozenCopy(args),
    effect: tool.effect,
    idempotent: tool.idempotent,
    approvedBy: Object.freeze(approvedBy),
  });
  issued.add(approval);
  return approval;
}

/** True only for approvals made by the factories of this module. */
export function isIssuedActionApproval(value: unknown): value is ActionApproval {
  return typeof value === 'object' && value !== null && issued.has(value as ActionApproval);
}

/**
 * The critic approved the call, or edited its arguments into `verdict.revised_arguments`
 * (which the action gate has validated against the tool's input schema: an invalid edit is a
 * critic failure, and escalates).
 */
export function approveActionByCritic(call: ProposedCall, tool: ToolDescriptor, verdict: ActionVerdictApproval): ActionApproval {
  if (verdict.decision !== 'approve' && verdict.decision !== 'edit') throw new Error(`a critic ${verdict.decision} is not an approval`);
  if (verdict.decision === 'edit' && !isPlainObject(verdict.revised_arguments)) throw new Error('a critic edit of a call needs revised_arguments (an object)');
  const args = verdict.decision === 'edit' ? verdict.revised_arguments! : call.arguments;
  return issue(call, tool, args, { kind: 'critic', decision: verdict.decision });
}

/** A human reviewer approved the call as proposed, or with their own arguments (validated by the review service first). */
export function approveActionByReviewer(call: ProposedCall, tool: ToolDescriptor, reviewer: Reviewer, args?: Record<string, unknown>): ActionApproval {
  return issue(call, tool, args ?? call.arguments, { kind: 'reviewer', reviewer: Object.freeze({ ...reviewer }), edited: args !== undefined });
}

/**
 * A read call that needs no review: its tool is a read and the critic does not review it
 * (`critic: always` makes it need one). Refused for anything else, so this can never let a
 * write through.
 */
export function approveReadCall(call: ProposedCall, tool: ToolDescriptor): ActionApproval {
  if (tool.effect !== 'read' || tool.reviewedByCritic) throw new Error(`${tool.name} is reviewed before it runs (effect ${tool.effect}, critic ${tool.critic}): a read approval cannot let it run`);
  return issue(call, tool, call.arguments, { kind: 'policy', reason: 'read' });
}
