/**
 * `/healthz` and `/metrics`. Liveness is Redis answering and, in a worker, the worker running;
 * the models' state is shown as detail without failing liveness (with a model down, turns still
 * end safely: they escalate).
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { ModelHealth } from '../agents/model-health.js';
import type { Metrics } from '../observability/metrics.js';

export interface Health {
  ok: boolean;
  redis: string;
  workers: string;
  models?: { actor: ModelHealth; critic: ModelHealth };
}

export interface HealthOptions {
  redis: Redis;
  /** Whether this process runs workers at all (an ingest process does not). */
  runsWorkers: boolean;
  workerRunning(): boolean;
  stopping(): boolean;
  models(): { actor: ModelHealth; critic: ModelHealth };
}

export function createHealthCheck(options: HealthOptions): () => Promise<Health> {
  return async () => {
    // A connection that is not ready is down at once (a crashed Redis is seen within
    // milliseconds). A ready one must answer a PING; a busy machine or Redis can take a while
    // to, which is slow, not down, so it gets longer before /healthz says it is unavailable.
    const redisState =
      options.redis.status !== 'ready'
        ? 'down'
        : await Promise.race([
            options.redis.ping().then(
              () => 'up',
              () => 'down',
            ),
            new Promise<string>((resolve) => setTimeout(() => resolve('down'), 3000).unref()),
          ]);
    const stopping = options.stopping();
    const workers = !options.runsWorkers ? 'not in this process' : options.workerRunning() && !stopping ? 'running' : 'stopped';
    const models = options.runsWorkers ? options.models() : undefined;
    return { ok: redisState === 'up' && workers !== 'stopped' && !stopping, redis: redisState, workers, ...(models ? { models } : {}) };
  };
}

export function registerHealthRoutes(http: FastifyInstance, health: () => Promise<Health>, metrics: Metrics): void {
  http.get('/healthz', async (_request, reply) => {
    const state = await health();
    return reply.status(state.ok ? 200 : 503).send({ status: state.ok ? 'ok' : 'unavailable', redis: state.redis, workers: state.workers, ...(state.models ? { models: state.models } : {}) });
  });
  http.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
}
