/**
 * The agent of a `bench tau` episode: a whole countersign service (createCountersign: ingest,
 * queue, turn runner, action gate, reply gate, outbox, review API) under its own Redis prefix,
 * with the in-process bench channel as its chat platform, its models behind the bench's model
 * gateway, and the airline environment's MCP server (Streamable HTTP, the episode's own
 * `/episodes/<id>/mcp`) as its tool server. A stand-in reviewer decides every escalated review
 * item through the review API over HTTP, as a person would: `reject`, `approve`, or `oracle`
 * (approve exactly the calls that match an expected action of the task; approve replies).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { CountersignError } from '../../core/errors.js';
import type { ModelClient } from '../../core/ports.js';
import { createCountersign } from '../../main.js';
import type { EpisodeAgentHandle, EpisodeContext } from '../../tau-bench/tau-bench-runner.js';
import type { TauModelGateway } from '../../tau-bench/tau-model-gateway.js';
import { noEscalations } from '../../tau-bench/tau-bench-report.js';
import { oracleApproves } from '../../tau-bench/scripted-models.js';
import { createBenchChannel } from './bench-channel-adapter.js';

export type OnEscalate = 'reject' | 'approve' | 'oracle';

/**
 * The critic of the baseline: approves everything, without a model call. With it every reply is
 * posted and every tool call runs as the actor proposed it, exactly as with no critic at all,
 * while the rest of the pipeline (rules the operator configured included) is unchanged.
 */
export const NO_CRITIC: ModelClient = {
  model: 'no-critic',
  async complete() {
    const verdict = { decision: 'approve', reason: 'no critic: everything is approved', categories: [], confidence: 1, revised_text: null, revised_arguments: null, feedback: null };
    return { content: JSON.stringify(verdict), refusal: null, finishReason: 'stop', latencyMs: 0 };
  },
};

export interface PipelineAgentOptions {
  readonly base: Config;
  readonly gateway: TauModelGateway;
  /** The airline MCP server's `/mcp` URL; episodes live at `/episodes/<id>/mcp` beside it. */
  readonly airlineUrl: string;
  /** Each episode's Redis prefix is `<prefix>.<episode id>`. */
  readonly redisPrefix: string;
  readonly redis: Redis;
  readonly noCritic: boolean;
  readonly onEscalate: OnEscalate;
  readonly logger: Logger;
  /** Longest wait for one turn's reply. @defaultValue 600000 */
  readonly turnTimeoutMs?: number;
  /** Keep the episode's Redis keys after it ends (by default they are deleted). */
  readonly keepKeys?: boolean;
  /** How often the reviewer looks for escalated items. @defaultValue 100 */
  readonly reviewPollMs?: number;
}

/** The episode's configuration: the operator's, with the bench's service, models and tool server. */
export function episodeConfig(options: Pick<PipelineAgentOptions, 'base' | 'gateway' | 'airlineUrl' | 'redisPrefix'>, episodeId: string, reviewToken: string): Config {
  const { base, gateway } = options;
  const episodeUrl = options.airlineUrl.replace(/\/mcp$/, `/episodes/${encodeURIComponent(episodeId)}/mcp`);
  return {
    ...base,
    port: 0,
    redis: { ...base.redis, prefix: `${options.redisPrefix}.${episodeId}` },
    adapters: ['web'],
    review: { ...base.review, token: reviewToken },
    models: {
      actor: { ...base.models.actor, baseUrl: gateway.baseUrl(episodeId, 'actor'), apiKey: 'bench-gateway' },
      critic: { ...base.models.critic, baseUrl: gateway.baseUrl(episodeId, 'critic'), apiKey: 'bench-gateway' },
    },
    tools: {
      ...base.tools,
      servers: [...base.tools.servers.filter((server) => server.name !== 'airline'), { name: 'airline', transport: 'http', url: episodeUrl, headers: {} }],
    },
    // An episode's service stops when its episode ends; nothing should be left mid-turn by then.
    shutdownTimeoutMs: Math.min(base.shutdownTimeoutMs, 5000),
  };
}

interface PresentedItem {
  id: string;
  conversation: string;
  kind?: string;
  /** Present (not null) on a held tool call. */
  action?: { server?: string; tool?: string; arguments?: unknown; effect?: string } | null;
  messages?: Array<{ id: string }>;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

export async function startPipelineAgent(options: PipelineAgentOptions, context: EpisodeContext): Promise<EpisodeAgentHandle> {
  const reviewToken = randomBytes(18).toString('base64url');
  const config = episodeConfig(options, context.episodeId, reviewToken);
  const channel = createBenchChannel();
  const service = createCountersign({
    config,
    adapters: [channel.adapter],
    logger: options.logger.child({ episode: context.episodeId }),
    ...(options.noCritic ? { models: { critic: NO_CRITIC } } : {}),
  });
  const escalations = noEscalations();
  const decided = new Set<string>();
  let stopped = false;
  await service.start();

  const reviewApi = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${reviewToken}`, 'x-reviewer': `bench-${options.onEscalate}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    // 409: decided already (a retry of ours); not a failure of the bench.
    if (!response.ok && response.status !== 409) throw new CountersignError('bench.review', `review API ${method} ${path} answered ${response.status}: ${JSON.stringify(json).slice(0, 300)}`);
    return json;
  };

  /** Decide every pending item; returns the message ids whose reply a rejection abandoned. */
  const review = async (): Promise<string[]> => {
    const listed = (await reviewApi('GET', '/api/review/turns?status=pending')) as { turns?: PresentedItem[] };
    const abandoned: string[] = [];
    for (const item of listed.turns ?? []) {
      if (decided.has(item.id)) continue;
      const kind = item.kind === 'action' || (item.kind === undefined && item.action) ? 'action' : 'reply';
      let approve: boolean;
      if (options.onEscalate === 'approve') approve = true;
      else if (options.onEscalate === 'reject') approve = false;
      else approve = kind === 'reply' || (typeof item.action?.tool === 'string' && oracleApproves(context.task, { tool: item.action.tool, arguments: item.action.arguments ?? {} }));
      await reviewApi('POST', `/api/review/turns/${encodeURIComponent(item.id)}/${approve ? 'approve' : 'reject'}`, {});
      decided.add(item.id);
      escalations[kind][approve ? 'approved' : 'rejected'] += 1;
      if (kind === 'reply' && !approve) abandoned.push(...(item.messages ?? []).map((message) => message.id));
    }
    return abandoned;
  };

  const turnTimeoutMs = options.turnTimeoutMs ?? 600_000;
  const pollMs = options.reviewPollMs ?? 100;
  return {
    agent: {
      async send(text) {
        const posted = channel.post(context.episodeId, text);
        let settled = false;
        const reply = posted.reply.finally(() => {
          settled = true;
        });
        const deadline = Date.now() + turnTimeoutMs;
        // The reviewer works while the turn runs: escalated items hold the turn until decided.
        const reviewer = (async () => {
          while (!settled && !stopped) {
            for (const messageId of await review()) channel.abandon(messageId);
            if (Date.now() > deadline) {
              channel.abandon(posted.messageId);
              throw new CountersignError('bench.turn-timeout', `no reply within ${turnTimeoutMs} ms`);
            }
            await new Promise((resolve) => setTimeout(resolve, pollMs));
          }
        })();
        const [texts] = await Promise.all([reply, reviewer]);
        if (Date.now() > deadline) throw new CountersignError('bench.turn-timeout', `no reply within ${turnTimeoutMs} ms`);
        return texts;
      },
    },
    escalations: () => escalations,
    async stop() {
      if (stopped) return;
      stopped = true;
      await service.stop();
      if (!options.keepKeys) await deleteKeys(options.redis, config.redis.prefix);
    },
  };
}
