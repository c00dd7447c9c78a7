import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load-config.js';
import type { ChatAdapter, Completion, CompletionRequest, ModelClient, OutboundPart, SentPart } from '../src/core/ports.js';
import { createCountersign, type Countersign } from '../src/main.js';
import { createLogger } from '../src/observability/logger.js';
import type { InProcessTool } from '../src/tools/define-tool.js';
import { deletePrefix as deleteKeysUnder } from '../test/helpers/redis.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const median = (values: number[]) => percentile(values, 50);
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** An in-process model: answers at once (or after `delayMs`), and accounts the time spent in it. */
export function createBenchModel(options: { model: string; answer: (request: CompletionRequest) => string; delayMs?: number }) {
  let spentMs = 0;
  const client: ModelClient = {
    model: options.model,
    async complete(request): Promise<Completion> {
      const started = performance.now();
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      const content = options.answer(request);
      const latencyMs = performance.now() - started;
      spentMs += latencyMs;
      return { content, refusal: null, finishReason: 'stop', latencyMs };
    },
  };
  return { client, spentMs: () => spentMs };
}

export const APPROVE = JSON.stringify({ decision: 'approve', reason: 'fine', categories: [], confidence: 0.9, revised_text: null, feedback: null });

/** A chat adapter that posts nowhere and tells the benchmark when each reply was sent. */
export function createNoopAdapter(onSend: (part: OutboundPart, at: number) => void): ChatAdapter {
  return {
    platform: 'web',
    async start() {},
    async stop() {},
    render: (text) => [text],
    async send(part): Promise<SentPart> {
      onSend(part, performance.now());
      return { messageId: part.key };
    },
  };
}

export interface BenchService {
  service: Countersign;
  prefix: string;
  close(): Promise<void>;
}

export async function startBenchService(options: { adapter: ChatAdapter; actor: ModelClient; critic: ModelClient; concurrency: number; tools?: InProcessTool[]; prefix?: string }): Promise<BenchService> {
  const prefix = options.prefix ?? `cs-bench-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    file: '/nonexistent/countersign.yaml',
    env: { REDIS_URL, REDIS_PREFIX: prefix, PORT: '0', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'bench', LOG_LEVEL: 'silent', WORKER_CONCURRENCY: String(options.concurrency) },
  });
  const service = createCountersign({
    config,
    adapters: [options.adapter],
    models: { actor: options.actor, critic: options.critic },
    logger: createLogger({ level: 'silent' }),
    ...(options.tools ? { tools: options.tools } : {}),
  });
  await service.start();
  return {
    service,
    prefix,
    async close() {
      await service.stop();
      await deletePrefix(prefix);
    },
  };
}

export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
}

/** Bytes Redis holds under a prefix (MEMORY USAGE of every key). */
export async function prefixMemory(prefix: string): Promise<{ bytes: number; keys: number }> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of found) {
      bytes += Number((await redis.memory('USAGE', key)) ?? 0);
      keys++;
    }
  } while (cursor !== '0');
  await redis.quit();
  return { bytes, keys };
}
