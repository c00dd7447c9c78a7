/**
 * An answer in the OpenAI Chat Completions wire format, as the `openai` client reads it: a whole
 * completion, and the `data:` frames of a streamed one. The servers that answer from a script
 * (the demo's model server, the τ-bench model gateway) both write it from here, so the format a
 * client parses is written once.
 */

export interface WireToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments as JSON text, as a model writes them. */
  readonly arguments: string;
}

export interface WireUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
}

export interface WireAnswer {
  readonly content: string | null;
  readonly refusal?: string | null;
  readonly toolCalls?: readonly WireToolCall[];
}

const completionId = () => `chatcmpl-${Math.random().toString(36).slice(2)}`;
const withTotal = (usage: WireUsage) => ({ ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens });
const finishReason = (toolCalls: readonly WireToolCall[] | undefined) => (toolCalls?.length ? 'tool_calls' : 'stop');

/** A whole (not streamed) completion: one choice, with `tool_calls` and finish_reason `tool_calls` when the answer calls tools. */
export function chatCompletionBody(model: string, answer: WireAnswer, usage: WireUsage) {
  const toolCalls = answer.toolCalls ?? [];
  return {
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.content,
          refusal: answer.refusal ?? null,
          ...(toolCalls.length ? { tool_calls: toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(toolCalls),
      },
    ],
    usage: withTotal(usage),
  };
}

/** The frames of one streamed completion; every chunk carries the same id, as a real server's do. */
export function chatCompletionStream(model: string) {
  const base = { id: completionId(), object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  return {
    chunk,
    /** The last chunk: an empty delta with the finish reason the answer's tool calls imply. */
    finish: (toolCalls: readonly WireToolCall[] | undefined) => chunk({}, finishReason(toolCalls)),
    /** The usage chunk `stream_options.include_usage` asks for: no choices. */
    usage: (usage: WireUsage) => `data: ${JSON.stringify({ ...base, choices: [], usage: withTotal(usage) })}\n\n`,
    done: 'data: [DONE]\n\n',
  };
}
