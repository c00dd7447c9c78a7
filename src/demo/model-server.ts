/**
 * An OpenAI-compatible Chat Completions server that answers from a script function. The offline
 * demo serves its stand-in models with it, and the tests use it to play actor and critic,
 * including the ways real servers fail: HTTP errors, 429 with Retry-After, time-outs,
 * truncated streams, refusals. Speaks the wire format the `openai` client expects, plain and
 * streamed (SSE).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chatCompletionBody, chatCompletionStream } from '../core/chat-completion-wire.js';

export interface ModelServerRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  stream: boolean;
  /** The whole request body as received. */
  body: Record<string, unknown>;
  /** The request body as JSON text, for substring checks. */
  raw: string;
}

export interface ModelServerAnswer {
  /** The assistant message content. */
  content?: string;
  /** Answer with a refusal instead of content. */
  refusal?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer with this HTTP status and an OpenAI-style error body. */
  status?: number;
  /** With status 429: the Retry-After header, in seconds. */
  retryAfterSeconds?: number;
  /**
   * Streamed answers only: stop after half the content. `true` drops the connection; `'clean'`
   * ends the stream properly (`[DONE]`) but without a finish_reason, as some proxies do.
   */
  truncate?: boolean | 'clean';
  /** Never answer; the connection stays open until the client gives up. */
  hang?: boolean;
  /** Call tools instead of (or beside) writing content: `tool_calls`, finish_reason `tool_calls`. */
  toolCalls?: Array<{ id: string; name: string; arguments: string }>;
}

export type ModelScript = (request: ModelServerRequest) => ModelServerAnswer | Promise<ModelServerAnswer>;

export interface ModelServerCall {
  model: string;
  at: number;
  raw: string;
  answer: ModelServerAnswer;
}

export interface ModelServer {
  /** Base URL to give the `openai` client, ending in `/v1`. */
  url: string;
  calls: ModelServerCall[];
  setScript(script: ModelScript): void;
  close(): Promise<void>;
}

const textOf = (content: unknown): string => {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part === 'object' && part && 'text' in part ? String(part.text) : '')).join('\n');
  return '';
};

function completionBody(model: string, answer: ModelServerAnswer) {
  const content = answer.refusal ? null : answer.toolCalls?.length ? (answer.content ?? null) : (answer.content ?? '');
  return chatCompletionBody(model, { content, refusal: answer.refusal ?? null, ...(answer.toolCalls ? { toolCalls: answer.toolCalls } : {}) }, { prompt_tokens: 10, completion_tokens: 10 });
}

function writeStream(response: http.ServerResponse, model: string, answer: ModelServerAnswer) {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const stream = chatCompletionStream(model);
  const chunk = stream.chunk;
  response.write(chunk({ role: 'assistant', content: '' }));
  if (answer.refusal) {
    response.write(chunk({ refusal: answer.refusal }));
  } else {
    const content = answer.content ?? '';
    const end = answer.truncate ? Math.floor(content.length / 2) : content.length;
    for (let i = 0; i < end; i += 16) response.write(chunk({ content: content.slice(i, Math.min(i + 16, end)) }));
    // Tool calls in pieces, as OpenAI streams them: the first names the call, the rest add arguments.
    (answer.toolCalls ?? []).forEach((call, index) => {
      response.write(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
      for (let i = 0; i < call.arguments.length; i += 8) response.write(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(i, i + 8) } }] }));
    });
    if (answer.truncate === 'clean') {
      response.end(stream.done);
      return;
    }
    if (answer.truncate) {
      // The connection drops mid-answer: no finish_reason, no [DONE].
      response.destroy();
      return;
    }
  }
  response.write(stream.finish(answer.toolCalls));
  response.end(stream.done);
}

export async function startModelServer(options: { script: ModelScript; port?: number; host?: string }): Promise<ModelServer> {
  let script = options.script;
  const calls: ModelServerCall[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (response.destroyed) return;
        response.writeHead(status, { 'content-type': 'application/json', ...headers });
        response.end(JSON.stringify(body));
      };
      if (request.method === 'GET' && request.url?.endsWith('/models')) {
        return send(200, { object: 'list', data: [] });
      }
      if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
        return send(404, { error: { message: `no route ${request.method} ${request.url}`, type: 'invalid_request_error' } });
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return send(400, { error: { message: 'invalid JSON', type: 'invalid_request_error' } });
      }
      const model = String(body.model ?? '');
      const messages = Array.isArray(body.messages)
        ? body.messages.map((m: { role?: unknown; content?: unknown }) => ({ role: String(m.role), content: textOf(m.content) }))
        : [];
      let answer: ModelServerAnswer;
      try {
        answer = await script({ model, messages, stream: body.stream === true, body, raw });
      } catch (error) {
        answer = { status: 500, content: String(error) };
      }
      calls.push({ model, at: Date.now(), raw, answer });
      if (answer.hang) return; // the client's time-out ends it
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (response.destroyed) return;
      if (answer.status && answer.status >= 400) {
        const headers: Record<string, string> = {};
        if (answer.retryAfterSeconds !== undefined) headers['retry-after'] = String(answer.retryAfterSeconds);
        return send(answer.status, { error: { message: `scripted ${answer.status}`, type: 'server_error', code: null } }, headers);
      }
      if (body.stream === true) return writeStream(response, model, answer);
      send(200, completionBody(model, answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}/v1`,
    calls,
    setScript(next) {
      script = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
