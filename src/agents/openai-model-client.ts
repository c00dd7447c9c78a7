import OpenAI from 'openai';
import type { Logger } from 'pino';
import type { ChatCompletionCreateParams, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { CountersignError } from '../core/errors.js';
import type { ChatMessage, Completion, CompletionRequest, ModelClient, ModelToolCall } from '../core/ports.js';

export interface OpenAIModelClientOptions {
  /** OpenAI-compatible base URL, up to and including `/v1`. */
  baseUrl: string;
  apiKey: string;
  model: string;
  /** Request a streamed answer and assemble it. @defaultValue false */
  stream?: boolean;
  temperature?: number;
  maxTokens?: number;
  /**
   * Retries of 429, 5xx and connection errors inside the `openai` client (it honours
   * Retry-After). The critic passes 0: its retry is the turn's single bounded retry.
   * @defaultValue 2
   */
  maxRetries?: number;
  /** Time limit of one call when the request names none. @defaultValue 60000 */
  timeoutMs?: number;
  /** `auto` asks for json_schema and falls back to json_object on a 400 that refuses it. */
  responseFormat?: 'auto' | 'json_schema' | 'json_object';
  /** A ready client (tests, custom fetch); otherwise one is built from the options. */
  client?: OpenAI;
  /**
   * Where the client's own retries are logged (each 429, 5xx or connection retry is a line);
   * without it they are silent.
   */
  logger?: Logger;
}

/**
 * The `openai` client's logger interface over pino. Its info lines are of two kinds: retries and
 * give-ups ("... - retrying, 1 attempts remaining", "connection failed - error; no more
 * retries left"), which an operator must see as warnings, and one line per successful response,
 * which is debug: a healthy service does not warn.
 */
function sdkLogger(logger: Logger, model: string, endpoint: string) {
  const trouble = /retrying|no more retries|failed|timed out|error/i;
  return {
    error: (message: string) => logger.error({ model, endpoint }, `openai client: ${message}`),
    warn: (message: string) => logger.warn({ model, endpoint }, `openai client: ${message}`),
    info: (message: string) => (trouble.test(message) ? logger.warn({ model, endpoint }, `openai client: ${message}`) : logger.debug({ model }, `openai client: ${message}`)),
    // Request details (headers, bodies) stay out of the log.
    debug: () => {},
  };
}

/** The endpoint without credentials, for logs and /healthz. */
export function displayEndpoint(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return 'an invalid URL';
  }
}

/**
 * Translate anything the `openai` client throws into CountersignError `model.*`. The one place
 * vendor errors are mapped (status kept for logs, the key never).
 */
function translateError(error: unknown, model: string, timeoutMs: number, endpoint: string): CountersignError {
  if (error instanceof CountersignError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new CountersignError('model.timeout', `${model} at ${endpoint} did not answer within ${timeoutMs} ms`, { cause: error, details: { endpoint } });
  }
  if (error instanceof OpenAI.APIUserAbortError) {
    return new CountersignError('model.aborted', `${model} call aborted`, { cause: error });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = (error.cause as { code?: string } | undefined)?.code;
    return new CountersignError('model.connection', `${model}: cannot reach ${endpoint} (${cause ?? error.message})`, { cause: error, details: { endpoint } });
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    return new CountersignError('model.http', `${model} at ${endpoint} answered HTTP ${status}`, {
      cause: error,
      retryable: status === 429 || status >= 500,
      details: { status, endpoint },
    });
  }
  return new CountersignError('model.failed', `${model}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/** Our messages as Chat Completions messages: tool calls and their `tool` answers in the wire shape. */
export function toOpenAIMessages(messages: readonly ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    if (message.role === 'tool') return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
    if (message.role === 'assistant' && message.toolCalls?.length) {
      return {
        role: 'assistant',
        content: message.content || null,
        tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })),
      };
    }
    return { role: message.role, content: message.content } as ChatCompletionMessageParam;
  });
}

/** The function calls of a plain answer (other kinds of tool calls are not ours: left out). */
function toolCallsOf(calls: ReadonlyArray<{ id: string; type: string; function?: { name: string; arguments: string } }> | undefined): ModelToolCall[] | undefined {
  const found = (calls ?? []).flatMap((call) => (call.type === 'function' && call.function ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments ?? '' }] : []));
  return found.length ? found : undefined;
}

/** A ModelClient over any OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama, llama.cpp). */
export function createOpenAIModelClient(options: OpenAIModelClientOptions): ModelClient & { readonly endpoint: string } {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const endpoint = displayEndpoint(options.baseUrl);
  const client =
    options.client ??
    new OpenAI({
      baseURL: options.baseUrl,
      apiKey: options.apiKey,
      maxRetries: options.maxRetries ?? 2,
      timeout: timeoutMs,
      ...(options.logger ? { logger: sdkLogger(options.logger, options.model, endpoint), logLevel: 'info' as const } : {}),
    });
  let responseFormat = options.responseFormat ?? 'auto';

  async function call(request: CompletionRequest, format: 'json_schema' | 'json_object' | null): Promise<Completion> {
    const started = performance.now();
    const limit = request.timeoutMs ?? timeoutMs;
    const params: ChatCompletionCreateParams = {
      model: options.model,
      messages: toOpenAIMessages(request.messages),
      ...(request.tools?.length
        ? {
            tools: request.tools.map((tool) => ({ type: 'function' as const, function: { name: tool.name, description: tool.description, parameters: tool.parameters } })),
            ...(request.toolChoice === 'none' ? { tool_choice: 'none' as const } : {}),
          }
        : {}),
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
    };
    if (request.json && format === 'json_schema') {
      params.response_format = { type: 'json_schema', json_schema: { name: request.json.name, schema: request.json.schema, strict: request.json.strict ?? true } };
    } else if (request.json && format === 'json_object') {
      params.response_format = { type: 'json_object' };
    }
    const requestOptions = { timeout: limit, ...(request.signal ? { signal: request.signal } : {}) };
    if (!options.stream) {
      const response = await client.chat.completions.create({ ...params, stream: false }, requestOptions);
      const choice = response.choices?.[0];
      if (!choice) throw new CountersignError('model.empty', `${options.model} answered no choices`, {  });
      const toolCalls = toolCallsOf(choice.message?.tool_calls as Parameters<typeof toolCallsOf>[0]);
      return {
        content: choice.message?.content ?? null,
        refusal: choice.message?.refusal ?? null,
        finishReason: choice.finish_reason ?? null,
        latencyMs: performance.now() - started,
        ...(toolCalls ? { toolCalls } : {}),
      };
    }
    const stream = await client.chat.completions.create({ ...params, stream: true }, requestOptions);
    let content = '';
    let refusal = '';
    let finishReason: string | null = null;
    // Streamed tool calls arrive in pieces, keyed by their index: the first names it, the rest add arguments.
    const streamedCalls = new Map<number, { id: string; name: string; arguments: string }>();
    for await (const chunk of stream) {
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      if (choice.delta?.content) content += choice.delta.content;
      for (const delta of choice.delta?.tool_calls ?? []) {
        const call = streamedCalls.get(delta.index) ?? { id: '', name: '', arguments: '' };
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name += delta.function.name;
        if (delta.function?.arguments) call.arguments += delta.function.arguments;
        streamedCalls.set(delta.index, call);
      }
      const deltaRefusal = (choice.delta as { refusal?: string | null } | undefined)?.refusal;
      if (deltaRefusal) refusal += deltaRefusal;
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    // A stream that ends without a finish_reason was cut off: its text is not a whole answer.
    if (finishReason === null) throw new CountersignError('model.truncated', `${options.model}: the stream ended before the answer was complete`, {  });
    const toolCalls = [...streamedCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    return { content, refusal: refusal || null, finishReason, latencyMs: performance.now() - started, ...(toolCalls.length ? { toolCalls } : {}) };
  }

  return {
    model: options.model,
    endpoint,
    async complete(request) {
      const format = request.json ? (responseFormat === 'auto' ? 'json_schema' : responseFormat) : null;
      try {
        return await call(request, format);
      } catch (error) {
        // Servers without structured output (older vLLM, llama.cpp builds) refuse json_schema
        // with a 400; json_object is the widely supported fallback. Remember it for next time.
        if (format === 'json_schema' && responseFormat === 'auto' && error instanceof OpenAI.BadRequestError) {
          responseFormat = 'json_object';
          try {
            return await call(request, 'json_object');
          } catch (retryError) {
            throw translateError(retryError, options.model, request.timeoutMs ?? timeoutMs, endpoint);
          }
        }
        throw translateError(error, options.model, request.timeoutMs ?? timeoutMs, endpoint);
      }
    },
  };
}
