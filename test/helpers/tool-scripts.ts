/**
 * Scripting actors and critics that use tools, over the scripted model server's requests (the
 * real `openai` client's wire format): what calls a request carries and with which results,
 * which call a critic request reviews, and the answers (tool calls, verdicts on a call).
 */
import type { ModelServerAnswer, ModelServerRequest } from '../../src/demo/model-server.js';

export interface SeenCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  /** The `tool` message answering it. */
  result: string;
}

interface WireMessage {
  role: string;
  content?: unknown;
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

const textOf = (content: unknown): string => (typeof content === 'string' ? content : '');

function wireMessages(request: ModelServerRequest): WireMessage[] {
  return (request.body.messages as WireMessage[] | undefined) ?? [];
}

/** The calls an actor request carries after its newest user message, each with its result. */
export function callsSinceUser(request: ModelServerRequest): SeenCall[] {
  const messages = wireMessages(request);
  const lastUser = messages.map((message) => message.role).lastIndexOf('user');
  return callsIn(messages.slice(lastUser + 1));
}

/** Every call a request carries (history included), each with its result. */
export function allCalls(request: ModelServerRequest): SeenCall[] {
  return callsIn(wireMessages(request));
}

function callsIn(messages: WireMessage[]): SeenCall[] {
  const results = new Map(messages.filter((message) => message.role === 'tool').map((message) => [message.tool_call_id, textOf(message.content)]));
  return messages.flatMap((message) =>
    (message.tool_calls ?? []).map((call) => ({ id: call.id, name: call.function.name, arguments: JSON.parse(call.function.arguments || '{}') as Record<string, unknown>, result: results.get(call.id) ?? '' })),
  );
}

/** The newest user message's text. */
export function newestUserText(request: ModelServerRequest): string {
  const users = wireMessages(request).filter((message) => message.role === 'user');
  return textOf(users.at(-1)?.content);
}

let callIds = 0;

/** The actor calls these tools (in one assistant message: parallel calls when more than one). */
export function callTools(...calls: Array<[name: string, args: Record<string, unknown>]>): ModelServerAnswer {
  return { toolCalls: calls.map(([name, args]) => ({ id: `call_${++callIds}`, name, arguments: JSON.stringify(args) })) };
}

export interface ReviewedCall {
  tool: string;
  description: string;
  effect: string;
  inputSchema: Record<string, unknown>;
  arguments: Record<string, unknown>;
}

/** The call a critic request reviews, or null when it reviews a reply. */
export function proposedCall(request: ModelServerRequest): (ReviewedCall & { callsThisTurn: unknown[] }) | null {
  const data = textOf(wireMessages(request).find((message) => message.role === 'user')?.content);
  const lines = data.split('\n');
  const open = lines.findIndex((line) => line.startsWith('<<<ACTION-DATA '));
  if (open < 0) return null;
  const close = lines.findIndex((line, index) => index > open && line.startsWith('<<<END ACTION-DATA '));
  const document = JSON.parse(lines.slice(open + 1, close).join('\n')) as { proposedCall: ReviewedCall; callsThisTurn: unknown[] };
  return { ...document.proposedCall, callsThisTurn: document.callsThisTurn };
}

/** The critic's verdict on a call, as JSON text. */
export function actionVerdict(decision: 'approve' | 'edit' | 'revise' | 'escalate', extra: Record<string, unknown> = {}): ModelServerAnswer {
  return {
    content: JSON.stringify({ decision, reason: `scripted ${decision}`, categories: [], confidence: 0.9, revised_arguments: null, feedback: null, ...extra }),
  };
}

/** The critic's verdict on a reply, as JSON text. */
export function replyVerdict(decision: 'approve' | 'escalate' = 'approve'): ModelServerAnswer {
  return { content: JSON.stringify({ decision, reason: `scripted ${decision}`, categories: [], confidence: 0.9, revised_text: null, feedback: null }) };
}

/** Assistant messages with tool calls after the newest user message: the agent-loop steps taken so far. */
export function stepsSinceUser(request: ModelServerRequest): number {
  const messages = wireMessages(request);
  const lastUser = messages.map((message) => message.role).lastIndexOf('user');
  return messages.slice(lastUser + 1).filter((message) => message.role === 'assistant' && message.tool_calls?.length).length;
}

/**
 * An actor that takes these steps (each a list of calls, made together), then replies
 * `Done: <result> | <result> ...` with every result since the newest user message. It replies at
 * once when it may not call tools (`tool_choice: none`).
 */
export function stepsActor(steps: Array<Array<[name: string, args: Record<string, unknown>]>>): (request: ModelServerRequest) => ModelServerAnswer {
  return (request) => {
    const taken = stepsSinceUser(request);
    const mayCall = Array.isArray(request.body.tools) && request.body.tool_choice !== 'none';
    if (mayCall && taken < steps.length) return callTools(...steps[taken]!);
    return { content: `Done: ${callsSinceUser(request).map((call) => call.result).join(' | ')}` };
  };
}
