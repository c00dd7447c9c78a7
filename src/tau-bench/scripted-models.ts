/**
 * Scripted stand-ins for the models of a `bench tau` run, answering through the model gateway
 * over the Chat Completions wire protocol, so the pipeline under test is the real one:
 *
 * - the replaying actor answers with the recorded assistant messages of a conversation, in
 *   order: within the turn of the user's k-th message, its j-th answer is the j-th recorded
 *   assistant message after that user message (a tool call, or the reply that ends the turn);
 *   told to reply now (`tool_choice: "none"`, as after a human refused a call), it skips to the
 *   turn's recorded reply;
 * - the scripted critic approves, or (`escalate-unexpected`) escalates every write call that is
 *   not one of the task's expected actions and approves the rest.
 *
 * With the replaying user (tau-user-simulator.ts) they reproduce a recorded conversation through
 * countersign; with the oracle reviewer (`oracleApproves`) the scripted critic shows what a critic
 * that stops exactly the wrong calls is worth.
 */
import { isDeepStrictEqual } from 'node:util';
import { AIRLINE_TOOLS, AIRLINE_WRITE_TOOL_NAMES } from './airline-tool-definitions.js';
import { type GatewayMessage, type GatewayRequest, messageText, type ScriptedAnswer } from './tau-model-gateway.js';
import type { TauAction, TauMessage, TauTask, TauTrajectory } from './tau-trajectories.js';

/** What the replaying actor says once the recording has nothing more for the turn (after a transfer, say). */
export const REPLAY_END_TEXT = 'YOU ARE BEING TRANSFERRED TO A HUMAN AGENT. PLEASE HOLD ON.';

type RecordedAssistant = Extract<TauMessage, { role: 'assistant' }>;

/** The recorded assistant messages that follow each user message, per user message. */
export function recordedTurns(trajectory: TauTrajectory): RecordedAssistant[][] {
  const turns: RecordedAssistant[][] = [];
  for (const message of trajectory.traj) {
    if (message.role === 'user') turns.push([]);
    else if (message.role === 'assistant' && turns.length > 0) turns.at(-1)!.push(message);
  }
  return turns;
}

/** Tool results since the newest user message: how far into its turn the actor is. */
export function stepsIntoTurn(messages: readonly GatewayMessage[]): number {
  let count = 0;
  for (let index = messages.length - 1; index >= 0; index--) {
    const role = messages[index]!.role;
    if (role === 'user') break;
    if (role === 'tool') count += 1;
  }
  return count;
}

/** Whether `candidate` is `name` namespaced by its server: `<server>_<name>` (or `-`, `.`, `:`, `/`). */
const namespaces = (candidate: string, name: string): boolean => candidate.length > name.length && candidate.endsWith(name) && /[_\-.:/]/.test(candidate.charAt(candidate.length - name.length - 1));

/** The offered tool for a recorded name: itself, else the one offered tool named `<server>_<name>` (namespaced). */
function offeredName(request: GatewayRequest, name: string): string {
  const offered = (request.tools ?? []).map((tool) => tool.function?.name ?? '').filter(Boolean);
  if (offered.includes(name)) return name;
  const namespaced = offered.filter((candidate) => namespaces(candidate, name));
  return namespaced.length === 1 ? namespaced[0]! : name;
}

export interface ReplayingActor {
  answer(request: GatewayRequest): ScriptedAnswer;
}

/**
 * The recorded actor of `trajectory`. `turn()` says which user message the conversation is at
 * (0 for the first): the runner knows, since it posts them.
 */
export function createReplayingActor(trajectory: TauTrajectory, turn: () => number): ReplayingActor {
  const turns = recordedTurns(trajectory);
  return {
    answer(request) {
      const steps = turns[turn()] ?? [];
      // Told to reply now (after a human refused a call, countersign's actor must finish its turn):
      // the turn's recorded reply; its remaining recorded calls are never made.
      if (request.tool_choice === 'none') {
        const reply = steps.slice(stepsIntoTurn(request.messages)).find((message) => (message.tool_calls ?? []).length === 0);
        return { content: reply?.content ?? REPLAY_END_TEXT };
      }
      const recorded = steps[stepsIntoTurn(request.messages)];
      if (recorded === undefined) return { content: REPLAY_END_TEXT };
      // τ-bench's agent ran only the first call of a message; so does its replay.
      const call = (recorded.tool_calls ?? [])[0];
      if (call === undefined) return { content: recorded.content ?? '' };
      return {
        content: recorded.content !== null && recorded.content !== '' ? recorded.content : null,
        toolCalls: [{ id: call.id, name: offeredName(request, call.function.name), arguments: call.function.arguments }],
      };
    },
  };
}

/** A tool call as the critic or a reviewer sees it. */
export interface ProposedCall {
  readonly tool: string;
  readonly arguments: unknown;
}

/** The airline tool a (possibly namespaced) tool name stands for. */
export function airlineToolName(name: string): string {
  if (AIRLINE_TOOLS.some((tool) => tool.name === name)) return name;
  const found = AIRLINE_TOOLS.filter((tool) => namespaces(name, tool.name));
  return found.length === 1 ? found[0]!.name : name;
}

/** Whether a call is one of the task's expected actions (same tool, JSON-equal arguments). */
export function matchesExpectedAction(actions: readonly TauAction[], call: ProposedCall): boolean {
  const tool = airlineToolName(call.tool);
  return actions.some((action) => action.name === tool && isDeepStrictEqual(action.kwargs, call.arguments));
}

/**
 * Whether the scripted critic (`escalate-unexpected`) with the oracle reviewer stops a call: a
 * write call that is not one of the task's expected actions. For `replayTauTrajectory`'s `skip`.
 */
export function stoppedByOracleGate(task: Pick<TauTask, 'actions'>): (call: { name: string; arguments: unknown }) => boolean {
  const writes = new Set<string>(AIRLINE_WRITE_TOOL_NAMES);
  return (call) => writes.has(airlineToolName(call.name)) && !matchesExpectedAction(task.actions, { tool: call.name, arguments: call.arguments });
}

/** The oracle reviewer: approves exactly the calls that match an expected action of the task. */
export function oracleApproves(task: Pick<TauTask, 'actions'>, call: ProposedCall): boolean {
  return matchesExpectedAction(task.actions, call);
}

const isCall = (value: unknown): value is ProposedCall =>
  value !== null && typeof value === 'object' && typeof (value as { tool?: unknown }).tool === 'string' && typeof (value as { arguments?: unknown }).arguments === 'object' && (value as { arguments?: unknown }).arguments !== null;

/**
 * The call an action critic's request reviews: the `proposedCall` of the JSON document in its
 * last message (between `<<<...-DATA boundary>>>` delimiters, or the whole message), or the
 * document itself when it is a `{tool, arguments}` call. A reply review has none, even when its
 * conversation shows earlier tool calls.
 */
export function proposedCallOf(request: Pick<GatewayRequest, 'messages'>): ProposedCall | null {
  const text = messageText(request.messages.at(-1)?.content);
  const documents: unknown[] = [];
  const lines = text.split('\n');
  for (let open = 0; open < lines.length; open++) {
    if (!/^<<<[A-Z-]+-DATA [^>]*>>>$/.test(lines[open]!)) continue;
    const close = lines.findIndex((line, index) => index > open && line.startsWith('<<<END '));
    if (close < 0) break;
    try {
      documents.push(JSON.parse(lines.slice(open + 1, close).join('\n')));
    } catch {
      // Not JSON: not a document this critic reads.
    }
    open = close;
  }
  if (documents.length === 0) {
    try {
      documents.push(JSON.parse(text));
    } catch {
      return null;
    }
  }
  for (const document of documents.reverse()) {
    const proposed = (document as { proposedCall?: unknown } | null)?.proposedCall;
    if (isCall(proposed)) return { tool: proposed.tool, arguments: proposed.arguments };
    if (isCall(document)) return { tool: document.tool, arguments: document.arguments };
  }
  return null;
}

export type ScriptedCriticMode = 'approve' | 'escalate-unexpected';

/** A verdict as the critic writes it, with only the keys a JSON schema's `properties` name when the request gives one. */
function verdictContent(request: GatewayRequest, verdict: Record<string, unknown>): string {
  const properties = request.response_format?.json_schema?.schema?.properties;
  if (properties === undefined) return JSON.stringify(verdict);
  return JSON.stringify(Object.fromEntries(Object.entries(verdict).filter(([key]) => key in properties)));
}

export function createScriptedCritic(task: Pick<TauTask, 'actions'>, mode: ScriptedCriticMode): { answer(request: GatewayRequest): ScriptedAnswer } {
  const stopped = stoppedByOracleGate(task);
  const verdict = (decision: 'approve' | 'escalate', reason: string) => ({
    decision,
    reason,
    categories: decision === 'escalate' ? ['unexpected-action'] : [],
    confidence: 1,
    revised_text: null,
    revised_arguments: null,
    feedback: null,
  });
  return {
    answer(request) {
      const call = proposedCallOf(request);
      if (call === null) return { content: verdictContent(request, verdict('approve', 'scripted critic: replies are approved')) };
      if (mode === 'escalate-unexpected' && stopped({ name: call.tool, arguments: call.arguments })) {
        return { content: verdictContent(request, verdict('escalate', `scripted critic: ${airlineToolName(call.tool)} with these arguments is not one of the task's expected actions`)) };
      }
      return { content: verdictContent(request, verdict('approve', 'scripted critic: an expected action, or a read')) };
    },
  };
}
