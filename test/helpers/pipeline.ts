/**
 * The harness of the pipeline tests: a real countersign service (createCountersign with the
 * web adapter on port 0) against the real Redis under a random prefix, with actor and critic
 * played by two scriptable OpenAI-compatible model servers reached through the real `openai`
 * client. Every helper waits for conditions with a generous deadline; nothing measures time.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { createKeys } from '../../src/core/keys.js';
import { createCountersign, type Countersign, type Role } from '../../src/main.js';
import type { InProcessTool } from '../../src/tools/define-tool.js';
import { type ModelScript, type ModelServer, type ModelServerRequest, startModelServer } from '../../src/demo/model-server.js';
import { CONVERSATION_QUEUE } from '../../src/queue/conversation-queue.js';
import { connectRedis, deletePrefix, REDIS_URL, randomPrefix } from './redis.js';

export const REVIEW_TOKEN = 'test-review-token';
export const HOLDING = 'HOLDING: a human will look at this.';

/** Wait until `check` returns a truthy value; fail with `what` (and the last value) past the deadline. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}

/** A promise with its resolve handle (gates in model scripts). */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** A verdict as the critic's message content. */
export function verdict(decision: 'approve' | 'edit' | 'revise' | 'escalate', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    decision,
    reason: `scripted ${decision}`,
    categories: [],
    confidence: 0.9,
    revised_text: null,
    feedback: null,
    ...extra,
  });
}

/** What the critic was shown: the JSON document between the REVIEW-DATA delimiters. */
export function criticInput(request: Pick<ModelServerRequest, 'messages'>): { conversation: Array<{ role: string; text: string; user?: string }>; draft: string } {
  const content = request.messages.at(-1)?.content ?? '';
  const lines = content.split('\n');
  const open = lines.findIndex((line) => line.startsWith('<<<REVIEW-DATA '));
  const close = lines.findIndex((line) => line.startsWith('<<<END REVIEW-DATA '));
  if (open < 0 || close < open) throw new Error('the critic request has no REVIEW-DATA block');
  return JSON.parse(lines.slice(open + 1, close).join('\n'));
}

/** The user messages of the actor request that the turn answers: the user messages after the last assistant one. */
export function turnMessages(request: Pick<ModelServerRequest, 'messages'>): string[] {
  const messages = request.messages;
  let start = messages.length;
  while (start > 0 && messages[start - 1]!.role === 'user') start--;
  return messages.slice(start).map((message) => message.content);
}

const conversationTokens = new Map<string, string>();

/**
 * The `X-Conversation-Token` header of a web conversation, as a client sends it with every
 * request: a token of its own choosing (144 random bits), the same for every request of that
 * conversation in this test process.
 */
export function conversationHeaders(conversation: string): { 'x-conversation-token': string } {
  if (!conversationTokens.has(conversation)) conversationTokens.set(conversation, randomBytes(18).toString('base64url'));
  return { 'x-conversation-token': conversationTokens.get(conversation)! };
}

/** Every entry of a web transcript: the newest page, then earlier ones through `previous`. */
export async function readWholeTranscript<T>(baseUrl: string, conversation: string): Promise<T[]> {
  const entries: T[] = [];
  let path: string | null = `/api/chat/${conversation}/messages`;
  while (path) {
    const response = await fetch(`${baseUrl}${path}`, { headers: conversationHeaders(conversation) });
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    const page = (await response.json()) as { messages: T[]; previous: string | null };
    entries.unshift(...page.messages);
    path = page.previous;
  }
  return entries;
}

export interface TranscriptMessage {
  id: string;
  role: 'user' | 'bot';
  text: string;
  at: number;
}

export interface PipelineOptions {
  /** The actor's script. @defaultValue replies `reply to: <newest user message>` */
  actor?: ModelScript;
  /** The critic's script. @defaultValue approves */
  critic?: ModelScript;
  /** Environment variables for loadConfig, over the harness defaults. */
  env?: Record<string, string>;
  /** Change the loaded configuration before the service is built. */
  configure?: (config: Config) => void;
  role?: Role;
  /** Start no service (the test starts worker processes itself). */
  noService?: boolean;
  /** The service's reconciler interval (a huge one keeps the reconciler out of a test). */
  reconcileIntervalMs?: number;
  /** In-process tools for createCountersign (MCP servers go in the config, with `configure`). */
  tools?: InProcessTool[];
}

export interface Pipeline {
  prefix: string;
  config: Config;
  /** The service, or null with `noService`. */
  service: Countersign | null;
  actor: ModelServer;
  critic: ModelServer;
  redis: Redis;
  keys: ReturnType<typeof createKeys>;
  /** The environment that configures this pipeline (for worker processes). */
  env: Record<string, string>;
  url(): string;
  /** POST a chat message; returns the status and the body. */
  send(conversation: string, text: string, extra?: Record<string, unknown>): Promise<{ status: number; body: { messageId?: string; duplicate?: boolean; error?: string } }>;
  transcript(conversation: string): Promise<TranscriptMessage[]>;
  botTexts(conversation: string): Promise<string[]>;
  /** Wait until the conversation has at least `count` bot messages; returns their texts. */
  waitForBot(conversation: string, count: number, timeoutMs?: number): Promise<string[]>;
  /** Wait until nothing is queued, running or waiting in the inbox for the conversation (or for all). */
  waitIdle(conversation?: string): Promise<void>;
  reviewApi(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Actor requests received so far, in order. */
  actorRequests(): ModelServerRequest[];
  criticRequests(): ModelServerRequest[];
  stop(): Promise<void>;
}

const echoActor: ModelScript = (request) => ({ content: `reply to: ${turnMessages(request).at(-1) ?? ''}` });
const approveCritic: ModelScript = () => ({ content: verdict('approve') });

/** Start model servers and (unless `noService`) a countersign service under a fresh Redis prefix. */
export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const prefix = randomPrefix('pipe');
  const actorRequests: ModelServerRequest[] = [];
  const criticRequests: ModelServerRequest[] = [];
  let actorScript = options.actor ?? echoActor;
  let criticScript = options.critic ?? approveCritic;
  const actor = await startModelServer({
    script: (request) => {
      actorRequests.push(request);
      return actorScript(request);
    },
  });
  const critic = await startModelServer({
    script: (request) => {
      criticRequests.push(request);
      return criticScript(request);
    },
  });
  // Scripts set later (setScript) still record requests.
  actor.setScript = (next) => {
    actorScript = next;
  };
  critic.setScript = (next) => {
    criticScript = next;
  };
  const env: Record<string, string> = {
    PORT: '0',
    REDIS_URL,
    REDIS_PREFIX: prefix,
    ADAPTERS: 'web',
    OPENAI_BASE_URL: actor.url,
    OPENAI_API_KEY: 'test-key',
    ACTOR_MODEL: 'test-actor',
    CRITIC_BASE_URL: critic.url,
    CRITIC_API_KEY: 'test-key',
    CRITIC_MODEL: 'test-critic',
    CRITIC_TIMEOUT_MS: '10000',
    REVIEW_TOKEN,
    HOLDING_MESSAGE: HOLDING,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Every test client posts from 127.0.0.1, many conversations on purpose: the web chat's
    // limits are lifted here (the web-limits tests turn them on).
    WEB_MESSAGES_PER_MINUTE: '0',
    WEB_CONVERSATIONS_PER_MINUTE: '0',
    WEB_GLOBAL_MESSAGES_PER_MINUTE: '0',
    WEB_GLOBAL_CONVERSATIONS_PER_MINUTE: '0',
    ...options.env,
  };
  const config = loadConfig({ file: '/nonexistent-countersign.yaml', env });
  // A test's stop must not wait long for a turn a script left hanging.
  config.shutdownTimeoutMs = 2000;
  options.configure?.(config);
  const redis = connectRedis();
  const keys = createKeys(prefix);
  let service: Countersign | null = null;
  if (!options.noService) {
    service = createCountersign({
      config,
      role: options.role ?? 'all',
      ...(options.reconcileIntervalMs ? { reconcileIntervalMs: options.reconcileIntervalMs } : {}),
      ...(options.tools ? { tools: options.tools } : {}),
    });
    await service.start();
  }
  const queue = new Queue(CONVERSATION_QUEUE, { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix });

  const url = () => {
    if (!service) throw new Error('this pipeline has no service');
    return service.url;
  };

  async function transcript(conversation: string): Promise<TranscriptMessage[]> {
    return readWholeTranscript<TranscriptMessage>(url(), conversation);
  }

  async function botTexts(conversation: string): Promise<string[]> {
    return (await transcript(conversation)).filter((message) => message.role === 'bot').map((message) => message.text);
  }

  async function idle(conversation?: string): Promise<boolean> {
    const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
    if (Object.values(counts).some((count) => count > 0)) return false;
    if (conversation) {
      const key = `web:${conversation}`;
      const [turn, held] = await redis.hmget(keys.state(key), 'turn', 'held');
      // A held conversation keeps its escalated turn and its waiting messages: that is idle too.
      if (turn && (await redis.hget(keys.turn(turn), 'status')) !== 'escalated') return false;
      if (!held && (await redis.llen(keys.inbox(key))) > 0) return false;
      if ((await redis.llen(keys.ready(key))) > 0) return false;
    }
    return true;
  }

  return {
    prefix,
    config,
    service,
    actor,
    critic,
    redis,
    keys,
    env,
    url,
    async send(conversation, text, extra = {}) {
      const response = await fetch(`${url()}/api/chat/${conversation}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...conversationHeaders(conversation) },
        body: JSON.stringify({ text, user: 'tester', ...extra }),
      });
      return { status: response.status, body: (await response.json()) as { messageId?: string; duplicate?: boolean; error?: string } };
    },
    transcript,
    botTexts,
    async waitForBot(conversation, count, timeoutMs) {
      return waitFor(
        async () => {
          const texts = await botTexts(conversation);
          return texts.length >= count ? texts : null;
        },
        `${count} bot message(s) in ${conversation}`,
        timeoutMs ? { timeoutMs } : {},
      );
    },
    async waitIdle(conversation) {
      // Two idle observations in a row: a job can be between "completed" and the next enqueue.
      await waitFor(async () => (await idle(conversation)) && (await idle(conversation)), `the queue to be idle${conversation ? ` for ${conversation}` : ''}`);
    },
    async reviewApi(method, path, body) {
      const response = await fetch(`${url()}${path}`, {
        method,
        headers: { authorization: `Bearer ${REVIEW_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    actorRequests: () => actorRequests,
    criticRequests: () => criticRequests,
    async stop() {
      await service?.stop().catch(() => {});
      await queue.close().catch(() => {});
      await actor.close();
      await critic.close();
      await deletePrefix(redis, prefix);
      await redis.quit();
    },
  };
}
