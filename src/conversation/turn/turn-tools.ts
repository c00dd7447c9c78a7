/**
 * The agent loop inside a turn: the actor's tool calls, step by step, until it writes its reply
 * (which then goes through the reply gate as any draft).
 *
 * One step is one actor answer with tool calls. The step is stored on the turn before anything
 * runs; then each call is settled: reads that need no review run at once, concurrently; every
 * other call goes through the action gate one at a time, in the order the actor gave, and runs
 * through the action ledger when approved. Each call's outcome (the `tool` message the actor
 * gets) is stored as it settles, so a worker that dies mid-step leaves a turn another worker
 * finishes without running anything twice: a call with a ledger record goes on from it (a done
 * call gives its recorded result; a call that started and recorded nothing runs again with the
 * same idempotency key only when the tool is idempotent, else it goes to a human as "outcome
 * unknown"); a call without one was never approved and is gated again.
 *
 * A call the gate escalates holds the turn (and the conversation) for a human: the review item
 * is of kind `action`. The reviewer's decision brings the turn back here: approved, the call runs
 * (with the reviewer's arguments when they gave some); rejected, the actor is told a human
 * refused it and must finish the turn with a reply.
 *
 * Bounded by `turn.maxToolSteps` and `turn.toolTimeBudgetMs`: past either the turn escalates.
 */
import { CountersignError, describeError } from '../../core/errors.js';
import type { EarlierToolCall } from '../../core/conversation-ports.js';
import type { ModelToolCall, ModelToolSpec } from '../../core/ports.js';
import type { Escalation, EscalationSource, PendingAction, ToolCallEntry, ToolCallOutcome, ToolStep, Turn } from '../../core/types.js';
import type { ActionApprovalSource } from '../../tools/action-approval.js';
import type { ActionGate, ActionGateDecision } from '../../tools/action-gate-types.js';
import type { ActionExecution, ActionLedger } from '../../tools/action-ledger.js';
import type { ToolRegistry } from '../../tools/tool-registry.js';
import { type ToolDescriptor, toolResultText } from '../../tools/tool-types.js';
import { fitTurnMessages } from '../history.js';
import type { TurnEnd, TurnInProgress, TurnRunnerOptions } from './turn-context.js';
import type { SpendCalls } from './turn-drafting.js';
import type { TurnEscalation } from './turn-escalation.js';

/** What the agent loop needs: the tools, the ledger that runs them, the gate, the bounds. */
export interface TurnToolsOptions {
  registry: Pick<ToolRegistry, 'get' | 'find' | 'validate' | 'toOpenAITools'>;
  ledger: Pick<ActionLedger, 'execute' | 'resume' | 'resolveUnknown' | 'get'>;
  gate: ActionGate;
  /** Steps (actor answers with tool calls) one turn may take; past it the turn escalates. */
  maxToolSteps: number;
  /** Milliseconds of tool calls one turn may spend; past it the turn escalates. */
  timeBudgetMs: number;
  /** One call's time limit (`tools.callTimeoutMs`); a call gets less when the turn's budget has less left. */
  callTimeoutMs: number;
}

export interface TurnTools {
  /** The tools the actor is offered now, and whether it may still call them (not after a human refused a call). */
  offer(turn: Turn): { tools: ModelToolSpec[]; toolChoice: 'auto' | 'none' } | null;
  /** Run a step the actor asked for. Null: ask the actor again; else the turn ended (escalated). */
  runStep(current: TurnInProgress, answer: { text: string; toolCalls: ModelToolCall[] }, spend: SpendCalls): Promise<TurnEnd | null>;
  /**
   * Take a reviewer's decision on a held call, and finish a step a crash or a review left open.
   * Null: the turn goes on with the actor; else the turn ended (escalated again).
   */
  resume(current: TurnInProgress, spend: SpendCalls): Promise<TurnEnd | null>;
  /** The calls of the turn with their results, for the critic's review of the reply. */
  callsForCritic(turn: Turn): Array<{ tool: string; arguments: unknown; result: string }>;
}

/** A call held for a human, on its way to the escalation. */
interface HeldCall {
  index: number;
  source: EscalationSource;
  reason: string;
  rule?: string;
  reviewers?: string[];
  holdingMessage?: string;
  action: PendingAction;
}

const RESULT_REFUSED_BY_HUMAN = 'Not run: a human reviewer refused this call. Do not make it again; tell the user it was not done.';
const RESULT_SKIPPED = 'Not run: an earlier call of this step was refused by a human reviewer.';

function parseArguments(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch {
    return `the arguments are not valid JSON: ${JSON.stringify(text.slice(0, 200))}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'the arguments must be a JSON object';
  return value as Record<string, unknown>;
}

/** Who let a call run, as the turn records it. */
const approvedBy = (source: ActionApprovalSource): string => (source.kind === 'reviewer' ? `reviewer:${source.reviewer.via}:${source.reviewer.id}` : source.kind === 'critic' ? `critic:${source.decision}` : 'policy:read');

export function createTurnTools(
  options: Pick<TurnRunnerOptions, 'store' | 'events' | 'maxRevisions' | 'prompt'>,
  tools: TurnToolsOptions,
  escalation: TurnEscalation,
): TurnTools {
  const { store } = options;
  const { registry, ledger, gate } = tools;

  const stepsOf = (turn: Turn): ToolStep[] => (turn.toolSteps ??= []);
  const callId = (turn: Turn, step: number, index: number) => `${turn.id}:${step}:${index}`;

  async function persist(turn: Turn): Promise<void> {
    await store.updateTurn(turn.id, { toolSteps: turn.toolSteps ?? [], actionRevisions: turn.actionRevisions ?? 0, toolMs: Math.round(turn.toolMs ?? 0) });
  }

  function settle(turn: Turn, call: ToolCallEntry, outcome: Omit<ToolCallOutcome, 'at'>, tool: ToolDescriptor | undefined): void {
    call.outcome = { ...outcome, at: Date.now() };
    options.events?.toolCall?.(turn, { tool: tool?.name ?? call.name, server: tool?.source ?? 'unknown', effect: tool?.effect ?? 'unknown', outcome: outcome.status });
  }

  function outcomeOf(execution: ActionExecution): Omit<ToolCallOutcome, 'at'> {
    const ran = execution.record.arguments;
    return { status: execution.status === 'done' ? 'done' : 'failed', result: toolResultText(execution.result), ran, by: approvedBy(execution.record.approvedBy) };
  }

  function earlierCalls(turn: Turn): EarlierToolCall[] {
    return stepsOf(turn).flatMap((step) =>
      step.calls.filter((call) => call.outcome).map((call) => ({ tool: call.name, arguments: call.outcome!.ran ?? parseArguments(call.arguments), status: call.outcome!.status, result: call.outcome!.result })),
    );
  }

  /** What is left of the turn's tool time, and the time limit of the next call. */
  function callTimeout(turn: Turn): number {
    const left = tools.timeBudgetMs - (turn.toolMs ?? 0);
    return Math.max(1000, Math.min(tools.callTimeoutMs, left));
  }

  function pendingAction(tool: ToolDescriptor, step: number, index: number, args: Record<string, unknown>, extra: Partial<PendingAction> = {}): PendingAction {
    return {
      server: tool.source,
      tool: tool.name,
      sourceName: tool.sourceName,
      arguments: args,
      effect: tool.effect,
      idempotent: tool.idempotent,
      description: tool.description,
      inputSchema: tool.inputSchema,
      step,
      index,
      ...extra,
    };
  }

  /** A ledger execution, timed against the turn's budget. */
  async function timed<T>(turn: Turn, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      turn.toolMs = (turn.toolMs ?? 0) + (performance.now() - started);
    }
  }

  /** What became of an execution: settled, or held for a human when its outcome is unknown. */
  function afterExecution(turn: Turn, call: ToolCallEntry, tool: ToolDescriptor | undefined, step: number, index: number, execution: ActionExecution): HeldCall | null {
    if (execution.status === 'outcome-unknown') {
      const record = execution.record;
      const described = tool ?? registry.find({ source: record.source, sourceName: record.sourceName });
      const action: PendingAction = described
        ? pendingAction(described, step, index, record.arguments, { outcomeUnknown: true })
        : { server: record.source, tool: record.tool, sourceName: record.sourceName, arguments: record.arguments, effect: record.effect, idempotent: record.idempotent, description: '', inputSchema: {}, step, index, outcomeUnknown: true };
      options.events?.toolCall?.(turn, { tool: record.tool, server: record.source, effect: record.effect, outcome: 'unknown' });
      return {
        index,
        source: 'outcome-unknown',
        reason: `outcome unknown: ${record.sourceName} of ${record.source} (call ${record.callId}, arguments ${JSON.stringify(record.arguments).slice(0, 300)}) started and recorded no result; it is not idempotent, so it is not run again. Approve if it took effect, reject if it did not.`,
        action,
      };
    }
    settle(turn, call, outcomeOf(execution), tool);
    return null;
  }

  /** Settle one call: from its ledger record if it has one, else through the gate and the ledger. */
  async function settleCall(current: TurnInProgress, step: ToolStep, index: number, tool: ToolDescriptor, args: Record<string, unknown>, spend: SpendCalls): Promise<HeldCall | null> {
    const { turn, log } = current;
    const call = step.calls[index]!;
    const id = callId(turn, step.step, index);
    // A call recorded before a crash (or approved by a reviewer) goes on from its record.
    const recorded = await timed(turn, () => ledger.resume(id, { timeoutMs: callTimeout(turn) }));
    if (recorded) {
      log.info({ call: id, tool: tool.name, status: recorded.status }, 'tool call taken up from the action ledger');
      return afterExecution(turn, call, tool, step.step, index, recorded);
    }
    const shown = options.prompt ? fitTurnMessages(turn.messages, options.prompt) : { messages: turn.messages, cut: null };
    const decided = await gate.decide({
      turn,
      call: { turnId: turn.id, step: step.step, index, arguments: args },
      tool,
      history: current.history,
      messages: shown.messages,
      ...(shown.cut ? { cut: shown.cut } : {}),
      earlierCalls: earlierCalls(turn),
      turnsInConversation: current.gateContext.turnsInConversation,
      onRetry: (failure) => log.warn({ failure, tool: tool.name }, 'critic failed on a tool call; retrying'),
    });
    if (decided.criticAttempts) {
      await spend(decided.criticAttempts);
      options.events?.modelCall?.('critic', decided.criticLatencyMs);
    }
    const decision: ActionGateDecision = decided.decision;
    options.events?.actionVerdict?.(turn, { tool: tool.name, server: tool.source, effect: tool.effect, decision: decisionLabel(decision), reason: reasonOf(decision), ...(decided.rule ? { rule: decided.rule } : {}) });
    log.info({ call: id, tool: tool.name, decision: decisionLabel(decision), rule: decided.rule }, 'action gate decided a tool call');
    switch (decision.kind) {
      case 'run': {
        const execution = await timed(turn, () => ledger.execute(decision.approval, { timeoutMs: callTimeout(turn) }));
        return afterExecution(turn, call, tool, step.step, index, execution);
      }
      case 'block':
        settle(turn, call, { status: 'refused', result: `Not run: refused by the operator's policy (rule ${decision.rule}): ${decision.message}`, by: `rule:${decision.rule}` }, tool);
        return null;
      case 'revise': {
        const revisions = turn.actionRevisions ?? 0;
        if (revisions >= options.maxRevisions) {
          return { index, source: 'revise-limit', reason: `the critic still sent a tool call back after ${revisions} revisions: ${decision.feedback}`, action: pendingAction(tool, step.step, index, args, { verdict: decision.verdict }) };
        }
        turn.actionRevisions = revisions + 1;
        settle(turn, call, { status: 'revised', result: `Not run: the reviewer sent this call back: ${decision.feedback}`, by: 'critic:revise', verdict: decision.verdict }, tool);
        return null;
      }
      case 'escalate':
        return {
          index,
          source: decision.source,
          reason: decision.reason,
          ...(decision.rule ? { rule: decision.rule } : {}),
          ...(decision.reviewers ? { reviewers: decision.reviewers } : {}),
          ...(decision.holdingMessage !== undefined ? { holdingMessage: decision.holdingMessage } : {}),
          action: pendingAction(tool, step.step, index, decision.arguments, decision.verdict ? { verdict: decision.verdict } : {}),
        };
    }
  }

  /** Hold the turn for a human over one call (the conversation is held too: the turn goes on after). */
  async function hold(current: TurnInProgress, held: HeldCall): Promise<TurnEnd> {
    const { turn } = current;
    await persist(turn);
    const found: Escalation = {
      source: held.source,
      reason: held.reason,
      at: Date.now(),
      ...(held.rule ? { rule: held.rule } : {}),
      ...(held.reviewers ? { reviewers: held.reviewers } : {}),
      action: held.action,
    };
    options.events?.toolCall?.(turn, { tool: held.action.tool, server: held.action.server, effect: held.action.effect, outcome: 'escalated' });
    await escalation.escalate({ current, escalation: found, hold: true, ...(held.holdingMessage !== undefined ? { holdingText: held.holdingMessage } : {}) });
    return 'more';
  }

  /** Settle every open call of a step: reads at once and together, the others in order through the gate. */
  async function finishStep(current: TurnInProgress, step: ToolStep, spend: SpendCalls): Promise<TurnEnd | null> {
    const { turn } = current;
    const reads: Array<Promise<HeldCall | null>> = [];
    const gated: Array<{ index: number; tool: ToolDescriptor; args: Record<string, unknown> }> = [];
    step.calls.forEach((call, index) => {
      if (call.outcome) return;
      const tool = registry.get(call.name);
      if (!tool) {
        settle(turn, call, { status: 'invalid', result: `Error: there is no tool named ${JSON.stringify(call.name)}; nothing was run` }, undefined);
        return;
      }
      const args = parseArguments(call.arguments);
      if (typeof args === 'string') {
        settle(turn, call, { status: 'invalid', result: `Error: ${args}; nothing was run` }, tool);
        return;
      }
      const valid = registry.validate(tool.name, args);
      if (!valid.ok) {
        settle(turn, call, { status: 'invalid', result: `Error: invalid arguments for ${tool.name}: ${valid.error}; nothing was run` }, tool);
        return;
      }
      // A read the critic does not review waits for nothing: it runs now, beside the others.
      if (tool.effect === 'read' && !tool.reviewedByCritic) reads.push(settleCall(current, step, index, tool, args, spend));
      else gated.push({ index, tool, args });
    });
    const held: HeldCall[] = [];
    // Writes one at a time, in the actor's order: the first held for a human stops the rest (they wait for the decision).
    try {
      for (const { index, tool, args } of gated) {
        const found = await settleCall(current, step, index, tool, args, spend);
        await persist(turn);
        if (found) {
          held.push(found);
          break;
        }
      }
    } finally {
      for (const found of await Promise.all(reads)) if (found) held.push(found);
    }
    await persist(turn);
    if (!held.length) return null;
    held.sort((a, b) => a.index - b.index);
    return hold(current, held[0]!);
  }

  /** A reviewer's decision on the held call: run it, or tell the actor it was refused. */
  async function applyDecision(current: TurnInProgress, action: PendingAction): Promise<HeldCall | null> {
    const { turn, log } = current;
    const resolution = turn.resolution!;
    const step = stepsOf(turn)[action.step];
    const call = step?.calls[action.index];
    if (!step || !call) throw new CountersignError('turn.inconsistent', `turn ${turn.id} holds a tool call (step ${action.step}, call ${action.index}) it does not have`);
    const id = callId(turn, action.step, action.index);
    const tool = registry.find({ source: action.server, sourceName: action.sourceName });
    const reviewer = `reviewer:${resolution.reviewer.via}:${resolution.reviewer.id}`;
    const approved = resolution.decision !== 'rejected';
    log.info({ call: id, tool: action.tool, decision: resolution.decision }, 'a reviewer decided a held tool call');
    if (action.outcomeUnknown) {
      let record = await ledger.get(id);
      if (record?.state === 'unknown') record = await ledger.resolveUnknown(id, { outcome: approved ? 'done' : 'failed', reviewer: resolution.reviewer, note: approved ? 'approved in review' : 'rejected in review' });
      const result = record?.result ?? { ok: false as const, code: 'tool-error' as const, error: 'the call has no ledger record' };
      settle(turn, call, { status: result.ok ? 'done' : 'failed', result: toolResultText(result), by: reviewer }, tool);
      return null;
    }
    if (!approved) {
      settle(turn, call, { status: 'refused', result: RESULT_REFUSED_BY_HUMAN, by: reviewer }, tool);
      for (const later of step.calls.slice(action.index + 1)) if (!later.outcome) settle(turn, later, { status: 'skipped', result: RESULT_SKIPPED }, registry.get(later.name));
      return null;
    }
    const execution = await timed(turn, () => ledger.resume(id, { timeoutMs: callTimeout(turn) }));
    if (!execution) {
      // The review service records the reviewer's approval right after the decision; give it a
      // moment, then hold the call again rather than run anything without a recorded approval.
      if (Date.now() - resolution.at < 30_000) throw new CountersignError('tools.ledger-missing', `the approval of tool call ${id} is not recorded yet`);
      return { index: action.index, source: 'rule', reason: 'the reviewer\'s approval of this call was not recorded (the review was interrupted); approve it again', action: { ...action, decided: false } };
    }
    return afterExecution(turn, call, tool, action.step, action.index, execution);
  }

  return {
    offer(turn) {
      const specs = registry.toOpenAITools().map((tool) => ({ name: tool.function.name, description: tool.function.description ?? '', parameters: (tool.function.parameters ?? { type: 'object' }) as Record<string, unknown> }));
      if (!specs.length) return null;
      // After a human refused a call, the actor finishes the turn with a reply.
      const refused = stepsOf(turn).some((step) => step.calls.some((call) => call.outcome?.status === 'refused' && call.outcome.by?.startsWith('reviewer:')));
      return { tools: specs, toolChoice: refused ? 'none' : 'auto' };
    },

    async runStep(current, answer, spend) {
      const { turn, log } = current;
      const steps = stepsOf(turn);
      if (steps.length >= tools.maxToolSteps) {
        await escalation.escalate({ current, escalation: { source: 'tool-limit', reason: `the actor asked for more than ${tools.maxToolSteps} tool steps (turn.maxToolSteps)`, at: Date.now() } });
        return 'more';
      }
      if ((turn.toolMs ?? 0) >= tools.timeBudgetMs) {
        await escalation.escalate({ current, escalation: { source: 'tool-limit', reason: `the turn's tool calls took ${Math.round(turn.toolMs ?? 0)} ms, past turn.toolTimeBudgetMs (${tools.timeBudgetMs})`, at: Date.now() } });
        return 'more';
      }
      const step: ToolStep = { step: steps.length, content: answer.text || null, calls: answer.toolCalls.map((call) => ({ id: call.id, name: call.name, arguments: call.arguments })) };
      steps.push(step);
      log.info({ step: step.step, calls: step.calls.map((call) => call.name) }, 'the actor called tools');
      // Stored before anything runs: a crash from here on finds the step and its ledger records.
      await persist(turn);
      return finishStep(current, step, spend);
    },

    async resume(current, spend) {
      const { turn } = current;
      const action = turn.escalation?.action;
      if (action && !action.decided && turn.resolution && (turn.status === 'approved' || turn.status === 'rejected')) {
        let held: HeldCall | null;
        try {
          held = await applyDecision(current, action);
        } catch (error) {
          current.log.warn({ err: describeError(error) }, 'could not take the reviewer\'s decision on a tool call yet');
          throw error;
        }
        if (held) return hold(current, held);
        turn.status = 'drafting';
        turn.escalation = { ...turn.escalation!, action: { ...action, decided: true } };
        await store.updateTurn(turn.id, { status: 'drafting', escalation: turn.escalation, toolSteps: turn.toolSteps ?? [], toolMs: Math.round(turn.toolMs ?? 0) });
      }
      const open = stepsOf(turn).find((step) => step.calls.some((call) => !call.outcome));
      return open ? finishStep(current, open, spend) : null;
    },

    callsForCritic(turn) {
      return earlierCalls(turn).map((call) => ({ tool: call.tool, arguments: call.arguments, result: call.result }));
    },
  };
}

function decisionLabel(decision: ActionGateDecision): string {
  if (decision.kind === 'run') return decision.approval.approvedBy.kind === 'policy' ? 'read' : (decision.verdict?.decision ?? 'approve');
  if (decision.kind === 'escalate') return decision.source === 'critic-failure' ? 'critic-failure' : decision.source === 'rule' ? 'rule-escalate' : 'escalate';
  if (decision.kind === 'block') return 'rule-block';
  return 'revise';
}

function reasonOf(decision: ActionGateDecision): string {
  if (decision.kind === 'run') return decision.verdict?.reason ?? 'a read the critic does not review';
  if (decision.kind === 'revise') return decision.feedback;
  return decision.reason;
}
