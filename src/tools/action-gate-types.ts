/**
 * The action gate's contract (implemented in src/escalation/action-gate.ts): what the turn runner
 * asks about a proposed tool call, and the decisions it can get back. Types only.
 */
import type { EarlierToolCall } from '../core/conversation-ports.js';
import type { ActionVerdict, EscalationSource, HistoryEntry, InboundMessage, PromptCut, Turn } from '../core/types.js';
import type { ActionApproval, ProposedCall } from './action-approval.js';
import type { ToolDescriptor } from './tool-types.js';

export type ActionGateDecision =
  /** The call may run with this approval (the critic's approve or edit, or a read's). */
  | { kind: 'run'; approval: ActionApproval; verdict?: ActionVerdict }
  /** The critic sent it back: the actor gets `feedback` as the call's result. */
  | { kind: 'revise'; feedback: string; verdict: ActionVerdict }
  /** A human decides. `arguments` are what the human is asked to approve. */
  | {
      kind: 'escalate';
      source: EscalationSource;
      reason: string;
      rule?: string;
      reviewers?: string[];
      holdingMessage?: string;
      verdict?: ActionVerdict;
      arguments: Record<string, unknown>;
    }
  /** A rule refused the call: it does not run, and the actor is told `message`. */
  | { kind: 'block'; rule: string; reason: string; message: string };

export interface ActionGateInput {
  turn: Turn;
  call: ProposedCall;
  tool: ToolDescriptor;
  /** The conversation before the turn, and the turn's messages as the models see them. */
  history: HistoryEntry[];
  messages: Pick<InboundMessage, 'text' | 'user'>[];
  cut?: PromptCut;
  /** The calls made earlier in this turn, with their results. */
  earlierCalls: EarlierToolCall[];
  turnsInConversation: number;
  onRetry?: (failure: string) => void;
}

export interface ActionGateOutcome {
  decision: ActionGateDecision;
  /** The critic's calls (0 when it was not asked) and their time, for budgets and metrics. */
  criticAttempts: number;
  criticLatencyMs: number;
  /** The rule that decided, when one did. */
  rule?: string;
}

export interface ActionGate {
  decide(input: ActionGateInput): Promise<ActionGateOutcome>;
}

