/**
 * The model endpoint every model of a `bench tau` run is reached through: an OpenAI-compatible
 * Chat Completions server at `/episodes/<episode>/<role>/v1`, where role is the actor, the critic
 * or the simulated user. Each route either forwards to the operator's real endpoint (with the
 * key the gateway holds) or answers from a script (the scripted models of scripted-models.ts).
 * On the way it meters each episode: calls, tokens (the `usage` the server reported; for scripts
 * an estimate of four characters a token) and model time per role, and the critic's verdicts,
 * split into replies and actions. Because it speaks the wire protocol, countersign's pipeline
 * calls it with its own OpenAI client as it would call any model server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chatCompletionBody, chatCompletionStream, type WireToolCall, type WireUsage } from '../core/chat-completion-wire.js';

export type TauModelRole = 'actor' | 'critic' | 'user';
export const TAU_MODEL_ROLES: readonly TauModelRole[] = ['actor', 'critic', 'user'];

/** A Chat Completions message as it arrives (only the fields the scripts read are typed). */
export interface GatewayMessage {
  role: string;
  content?: unknown;
  tool_calls?: Array<{ id?: string; type?: string; function?: { name?: string; arguments?: string } }>;
  tool_call_id?: string;
  name?: string;
}

export interface GatewayRequest {
  model: string;
  messages: GatewayMessage[];
  tools?: Array<{ type?: string; function?: { name?: string } }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type?: string; json_schema?: { schema?: { properties?: Record<string, unknown> } } };
  [key: string]: unknown;
}

export interface ScriptedAnswer {
  readonly content?: string | null;
  readonly toolCalls?: readonly WireToolCall[];
}

export type GatewayScript = (request: GatewayRequest) => ScriptedAnswer | Promise<ScriptedAnswer>;

export type ModelRoute = { readonly upstream: { readonly baseUrl: string; readonly apiKey: string } } | { readonly script: GatewayScript };

export interface ModelUsage {
  calls: number;
  /** Calls answered with an HTTP error or a dropped connection. */
  failures: number;
  promptTokens: number;
  completionTokens: number;
  /** Calls whose tokens are an estimate (scripts, or a server that reported no usage). */
  estimatedCalls: number;
  /** Wall time of the calls, in milliseconds. */
  modelMs: number;
}

export type VerdictCount = Record<'approve' | 'edit' | 'revise' | 'escalate' | 'unreadable', number>;

export interface EpisodeMeter {
  readonly usage: Record<TauModelRole, ModelUsage>;
  /** The critic's verdicts as it answered them (before countersign's checks of the verdict). */
  readonly verdicts: { readonly reply: VerdictCount; readonly action: VerdictCount };
}

export interface TauModelGateway {
  readonly url: string;
  /** The base URL (ending in /v1) an OpenAI client uses for `role` of `episode`. */
  baseUrl(episode: string, role: TauModelRole): string;
  register(episode: string, routes: Partial<Record<TauModelRole, ModelRoute>>): void;
  meter(episode: string): EpisodeMeter | undefined;
  /** Forget the episode's routes; returns its meter. */
  release(episode: string): EpisodeMeter | undefined;
  close(): Promise<void>;
}

const emptyUsage = (): ModelUsage => ({ calls: 0, failures: 0, promptTokens: 0, completionTokens: 0, estimatedCalls: 0, modelMs: 0 });
export const emptyVerdicts = (): VerdictCount => ({ approve: 0, edit: 0, revise: 0, escalate: 0, unreadable: 0 });
export const emptyMeter = (): EpisodeMeter => ({
  usage: { actor: emptyUsage(), critic: emptyUsage(), user: emptyUsage() },
  verdicts: { reply: emptyVerdicts(), action: emptyVerdicts() },
});

/** The text of a message's content: a string, or the text parts of a list of parts. */
export const messageText = (content: unknown): string => {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '')).join('\n');
  return '';
};

/**
 * Whether a critic request reviews a tool call rather than a reply: countersign's action critic
 * shows the proposed call (`proposedCall`) last, in its data block.
 */
function isActionReview(request: Pick<GatewayRequest, 'messages'>): boolean {
  const last = messageText(request.messages.at(-1)?.content);
  return last.includes('"proposedCall"') || last.includes('ACTION-DATA');
}

/** The decision of a verdict the critic wrote (JSON, perhaps in a code fence), or null. */
function verdictDecision(content: string): keyof VerdictCount | null {
  const start = content.indexOf('{');
  const end = content.lastIndexOf('}');
  if (start < 0 || end < start) return null;
  try {
    const decision = (JSON.parse(content.slice(start, end + 1)) as { decision?: unknown }).decision;
    return decision === 'approve' || decision === 'edit' || decision === 'revise' || decision === 'escalate' ? decision : null;
  } catch {
    return null;
  }
}

const estimateTokens = (text: string) => Math.ceil(text.length / 4);

function writeScriptedStream(response: http.ServerResponse, model: string, answer: ScriptedAnswer, usage: WireUsage | null): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const stream = chatCompletionStream(model);
  response.write(stream.chunk({ role: 'assistant', content: answer.content === undefined || answer.content === null ? null : '' }));
  if (answer.content) response.write(stream.chunk({ content: answer.content }));
  const calls = answer.toolCalls ?? [];
  calls.forEach((call, index) => {
    response.write(stream.chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] }));
  });
  response.write(stream.finish(calls));
  if (usage) response.write(stream.usage(usage));
  response.end(stream.done);
}

/** The content and usage of a streamed answer, from its SSE text. */
function readStream(text: string): { content: string; usage: { prompt_tokens?: number; completion_tokens?: number } | null } {
  let content = '';
  let usage: { prompt_tokens?: number; completion_tokens?: number } | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]' || data === '') continue;
    try {
      const parsed = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string | null } }>; usage?: { prompt_tokens?: number; completion_tokens?: number } | null };
      content += parsed.choices?.[0]?.delta?.content ?? '';
      if (parsed.usage) usage = parsed.usage;
    } catch {
      // A line that is not JSON carries nothing to meter.
    }
  }
  return { content, usage };
}

export async function startTauModelGateway(options: { host?: string; port?: number } = {}): Promise<TauModelGateway> {
  const routes = new Map<string, Partial<Record<TauModelRole, ModelRoute>>>();
  const meters = new Map<string, EpisodeMeter>();

  const record = (episode: string, role: TauModelRole, entry: { ms: number; failed: boolean; prompt: number; completion: number; estimated: boolean }) => {
    const meter = meters.get(episode);
    if (!meter) return;
    const usage = meter.usage[role];
    usage.calls += 1;
    usage.modelMs += entry.ms;
    if (entry.failed) usage.failures += 1;
    usage.promptTokens += entry.prompt;
    usage.completionTokens += entry.completion;
    if (entry.estimated) usage.estimatedCalls += 1;
  };
  const tallyVerdict = (episode: string, request: GatewayRequest, content: string) => {
    const meter = meters.get(episode);
    if (!meter) return;
    const kind = isActionReview(request) ? 'action' : 'reply';
    meter.verdicts[kind][verdictDecision(content) ?? 'unreadable'] += 1;
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void handle(request, response, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: { message: `gateway: ${(error as Error).message}`, type: 'server_error' } });
        else response.destroy();
      });
    });
  });

  const sendJson = (response: http.ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  async function handle(request: http.IncomingMessage, response: http.ServerResponse, raw: string): Promise<void> {
    const match = /^\/episodes\/([^/]+)\/(actor|critic|user)\/v1\/(chat\/completions|models)$/.exec((request.url ?? '').split('?')[0] ?? '');
    if (!match) return sendJson(response, 404, { error: { message: `no route ${request.method} ${request.url}`, type: 'invalid_request_error' } });
    const episode = decodeURIComponent(match[1]!);
    const role = match[2] as TauModelRole;
    const route = routes.get(episode)?.[role];
    if (!route) return sendJson(response, 404, { error: { message: `no ${role} for episode ${episode}`, type: 'invalid_request_error' } });
    if (match[3] === 'models') return sendJson(response, 200, { object: 'list', data: [] });
    let body: GatewayRequest;
    try {
      body = JSON.parse(raw) as GatewayRequest;
      if (!Array.isArray(body.messages)) throw new Error('messages must be a list');
    } catch (error) {
      return sendJson(response, 400, { error: { message: `invalid request: ${(error as Error).message}`, type: 'invalid_request_error' } });
    }
    const started = performance.now();
    if ('script' in route) {
      const answer = await route.script(body);
      const usage = { prompt_tokens: estimateTokens(raw), completion_tokens: estimateTokens((answer.content ?? '') + JSON.stringify(answer.toolCalls ?? [])) };
      record(episode, role, { ms: performance.now() - started, failed: false, prompt: usage.prompt_tokens, completion: usage.completion_tokens, estimated: true });
      if (role === 'critic') tallyVerdict(episode, body, answer.content ?? '');
      if (body.stream) writeScriptedStream(response, body.model, answer, body.stream_options?.include_usage ? usage : null);
      else sendJson(response, 200, chatCompletionBody(body.model, { content: answer.content ?? null, ...(answer.toolCalls ? { toolCalls: answer.toolCalls } : {}) }, usage));
      return;
    }
    const upstream = await fetch(`${route.upstream.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${route.upstream.apiKey}` },
      body: raw,
    }).catch((error: unknown) => error as Error);
    if (upstream instanceof Error) {
      record(episode, role, { ms: performance.now() - started, failed: true, prompt: 0, completion: 0, estimated: false });
      return sendJson(response, 502, { error: { message: `the model server did not answer: ${upstream.message}`, type: 'server_error' } });
    }
    const headers: Record<string, string> = { 'content-type': upstream.headers.get('content-type') ?? 'application/json' };
    const retryAfter = upstream.headers.get('retry-after');
    if (retryAfter !== null) headers['retry-after'] = retryAfter;
    response.writeHead(upstream.status, headers);
    // Passed on as it arrives (a streamed answer stays streamed), kept to be metered at the end.
    let text = '';
    const decoder = new TextDecoder();
    try {
      if (upstream.body) {
        for await (const piece of upstream.body as unknown as AsyncIterable<Uint8Array>) {
          text += decoder.decode(piece, { stream: true });
          response.write(piece);
        }
      }
      response.end();
    } catch {
      response.destroy();
      record(episode, role, { ms: performance.now() - started, failed: true, prompt: 0, completion: 0, estimated: false });
      return;
    }
    const ms = performance.now() - started;
    if (upstream.status >= 400) {
      record(episode, role, { ms, failed: true, prompt: 0, completion: 0, estimated: false });
      return;
    }
    let content = '';
    let usage: { prompt_tokens?: number; completion_tokens?: number } | null = null;
    if ((headers['content-type'] ?? '').includes('text/event-stream')) ({ content, usage } = readStream(text));
    else {
      try {
        const parsed = JSON.parse(text) as { choices?: Array<{ message?: { content?: string | null; tool_calls?: unknown } }>; usage?: { prompt_tokens?: number; completion_tokens?: number } };
        content = parsed.choices?.[0]?.message?.content ?? '';
        usage = parsed.usage ?? null;
      } catch {
        content = '';
      }
    }
    const reported = usage !== null && typeof usage.prompt_tokens === 'number';
    record(episode, role, {
      ms,
      failed: false,
      prompt: reported ? (usage?.prompt_tokens ?? 0) : estimateTokens(raw),
      completion: reported ? (usage?.completion_tokens ?? 0) : estimateTokens(content),
      estimated: !reported,
    });
    if (role === 'critic') tallyVerdict(episode, body, content);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  return {
    url,
    baseUrl: (episode, role) => `${url}/episodes/${encodeURIComponent(episode)}/${role}/v1`,
    register(episode, episodeRoutes) {
      routes.set(episode, episodeRoutes);
      meters.set(episode, emptyMeter());
    },
    meter: (episode) => meters.get(episode),
    release(episode) {
      const meter = meters.get(episode);
      routes.delete(episode);
      meters.delete(episode);
      return meter;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
