import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WebAuthenticate } from '../adapters/web/conversation-access.js';
import type { Config } from './config/schema.js';
import { createConversationStore } from './conversation/conversation-store.js';
import { readBudgetChars } from './conversation/history.js';
import type { TurnGate } from './core/conversation-ports.js';
import { CountersignError } from './core/errors.js';
import { createKeys } from './core/keys.js';
import { createEscalationGate } from './escalation/escalation-gate.js';
import type { ChatAdapter, ModelClient } from './core/ports.js';
import type { Platform } from './core/types.js';
import { createOutbox } from './delivery/outbox.js';
import { createHttpRoutes, createHttpServer } from './http/http-server.js';
import { createRateLimits } from './http/rate-limits.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { type ConversationQueue, createConversationQueue } from './queue/conversation-queue.js';
import { createConnectionWatch, waitForRedis } from './queue/redis-availability.js';
import { type AuditLog, createAuditLog } from './review/audit-log.js';
import { createReviewNotifier } from './review/review-notifier.js';
import { createReviewService, type ReviewService } from './review/review-service.js';
import { startAdapters } from './service/adapter-startup.js';
import { buildAdapters } from './service/build-adapters.js';
import { createConfiguredTools } from './service/configured-tools.js';
import { createConfiguredTurnRunner } from './service/configured-turn-runner.js';
import { createHealthCheck, type Health, registerHealthRoutes } from './service/health.js';
import { createIngest, type Ingest } from './service/ingest.js';
import { createModels } from './service/models.js';
import { createReconciler } from './service/reconciler.js';
import { registerReviewSurfaces } from './service/review-surfaces.js';
import { createLedgerObserver, createTurnObserver } from './service/turn-observer.js';
import { startConversationWorker, stopConversationWorker } from './service/worker-lifecycle.js';
import type { InProcessTool } from './tools/define-tool.js';
import type { ToolRegistry } from './tools/tool-registry.js';

export type Role = 'all' | 'ingest' | 'worker';

export interface CountersignOptions {
  config: Config;
  /** Adapters to use instead of constructing them from the configuration (tests, embedding). */
  adapters?: ChatAdapter[];
  /** Model clients to use instead of the configured OpenAI-compatible endpoints. */
  models?: { actor?: ModelClient; critic?: ModelClient };
  logger?: Logger;
  /**
   * What this process does. `all`: HTTP, platform input and turns. `ingest`: HTTP and platform
   * input only. `worker`: turns only (and /healthz). @defaultValue 'all'
   */
  role?: Role;
  /** Escalation rules and pre-critic checks; by default those of the configuration. */
  gate?: TurnGate;
  /** How often workers re-queue conversations whose work lost its job (a crash between steps). @defaultValue 5000 */
  reconcileIntervalMs?: number;
  /**
   * The application's own tools (made with `defineTool`), offered to the actor beside the tools
   * of the configured MCP servers (`tools.servers`).
   */
  tools?: readonly InProcessTool[];
  /** The web chat's library-only options (the rest is the `web:` section of the configuration). */
  web?: {
    /** Map requests to the operator's own users instead of conversation tokens (docs/security.md). */
    authenticate?: WebAuthenticate;
  };
}

export interface Countersign {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly redis: Redis;
  readonly review: ReviewService;
  readonly audit: AuditLog;
  readonly adapters: Map<Platform, ChatAdapter>;
  /** The actor's tools: the configured MCP servers and the in-process tools. */
  readonly tools: ToolRegistry;
  /** The HTTP base URL once started. */
  readonly url: string;
  readonly http: FastifyInstance;
  ingest: Ingest;
  /** Queue a conversation's job (the reconciler and the review service use this). */
  enqueue(conversation: string): Promise<void>;
  start(): Promise<void>;
  /** Stop taking work, let active turns finish (or hand them back after the shutdown timeout), close. */
  stop(): Promise<void>;
  health(): Promise<Health>;
}


/** The composition root: config -> redis -> queue -> models -> adapters -> http. */
export function createCountersign(options: CountersignOptions): Countersign {
  const { config } = options;
  const role = options.role ?? 'all';
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = createMetrics();
  // Nothing connects before start(): it first waits until Redis answers (saying clearly why
  // not), so an unreachable Redis is one line per attempt rather than every client's errors.
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true, connectionName: `countersign:${role}` });
  const connection = createConnectionWatch({ logger, url: config.redis.url });
  redis.on('error', (error) => connection.error(error, 'redis'));
  redis.on('ready', () => connection.ready());
  const keys = createKeys(config.redis.prefix);
  const store = createConversationStore({
    redis,
    keys,
    keep: config.turn.history.keep,
    historyBudgetChars: readBudgetChars(config.turn.history.budget, config.turn.history.unit),
    retention: config.retention,
    inbox: config.inbox,
  });
  // Made in start(), once Redis answers (BullMQ connects as soon as a queue exists).
  let queue: ConversationQueue | null = null;
  const enqueue = async (conversation: string, enqueueOptions?: { yielded?: boolean }): Promise<void> => {
    if (!queue) throw new CountersignError('service.not-started', 'countersign is not started yet');
    await queue.enqueue(conversation, enqueueOptions);
  };
  const starting = new AbortController();
  const adapters = new Map<Platform, ChatAdapter>();
  // A claim only has to outlive the job lock: past it another worker owns the job, and the
  // adapter looks before it posts a part whose claim lapsed.
  const outbox = createOutbox({ redis, keys, adapters, logger, claimLeaseMs: config.queue.lockDurationMs, retentionSeconds: config.retention.turnSeconds });
  const audit = createAuditLog({ redis, keys, logger, retention: config.retention });
  // Escalations reach the review channels within limits; past them, one summary per channel.
  const notifier = createReviewNotifier({
    redis,
    keys,
    adapters,
    limits: config.reviewNotifications,
    retentionSeconds: config.retention.turnSeconds,
    logger,
    onDecision: (platform, decision) => metrics.reviewNotifications.inc({ platform, decision }),
  });
  // One gate for the models' texts and the reviewers': every check and rule applies to what is posted.
  const gate = options.gate ?? createEscalationGate({ rules: config.escalation.rules, checks: config.escalation.checks, reviewerText: config.review.checkReviewerText });
  // The actor's tools and the ledger every approved call runs through (its transitions counted and audited).
  const { registry: tools, ledger } = createConfiguredTools(config, {
    redis,
    keys,
    logger,
    onTransition: createLedgerObserver({ metrics, audit }),
    ...(options.tools ? { inProcess: options.tools } : {}),
  });
  // The review service shows resolutions through whichever adapters start() puts in the map.
  const review = createReviewService({
    redis,
    keys,
    store,
    enqueue,
    adapters,
    logger,
    audit,
    notifier,
    gate,
    resolvedRetentionSeconds: config.retention.reviewedTurnSeconds,
    actions: { ledger },
  });
  const http = createHttpServer({
    logger,
    requestTimeoutMs: config.http.requestTimeoutMs,
    headersTimeoutMs: config.http.headersTimeoutMs,
    idleTimeoutMs: config.http.idleTimeoutMs,
    maxConnections: config.http.maxConnections,
    trustProxy: config.http.trustProxy,
  });
  let url = '';
  let worker: Worker | null = null;
  let stopping = false;

  // Each model remembers whether its endpoint works, for /healthz.
  const models = createModels(config, options.models, logger);

  const runner = createConfiguredTurnRunner({
    config,
    models,
    store,
    outbox,
    adapters,
    gate,
    tools: { registry: tools, ledger },
    presentEscalation: (turn, log) => notifier.present(turn, log),
    events: createTurnObserver({ metrics, audit, redis, keys }),
    redis,
    keys,
    logger,
  });

  const ingest = createIngest({
    store,
    enqueue,
    metrics,
    logger,
    maxMessageChars: config.turn.maxMessageChars,
    dedupeTtlSeconds: config.dedupeTtlSeconds,
    inbox: config.inbox,
  });
  const reconciler = createReconciler({ store, enqueue, logger, intervalMs: options.reconcileIntervalMs ?? 5000 });
  const health = createHealthCheck({
    redis,
    runsWorkers: role !== 'ingest',
    workerRunning: () => worker?.isRunning() ?? false,
    stopping: () => stopping,
    models: () => ({ actor: models.actor.health(), critic: models.critic.health() }),
  });
  registerHealthRoutes(http, health, metrics);

  return {
    config,
    logger,
    metrics,
    redis,
    review,
    audit,
    adapters,
    tools,
    http,
    get url() {
      return url;
    },
    ingest,
    enqueue,
    health,
    async start() {
      await waitForRedis(config.redis.url, { logger, signal: starting.signal, initialDelayMs: config.redis.retryInitialDelayMs, maxDelayMs: config.redis.retryMaxDelayMs });
      await redis.connect();
      queue = createConversationQueue({ connection: { url: config.redis.url, maxRetriesPerRequest: null }, prefix: config.redis.prefix, attempts: config.queue.attempts, eventsMaxLength: config.retention.queueEventsMaxEntries });
      queue.queue.on('error', (error) => connection.error(error, 'queue'));
      const built = options.adapters ?? (await buildAdapters(config, options.web));
      for (const adapter of built) adapters.set(adapter.platform, adapter);
      const routes = createHttpRoutes(http);
      const limits = createRateLimits({ redis, keys, metrics });
      if (role !== 'worker') registerReviewSurfaces(http, { config, review, audit, redis, keys, logger });
      await startAdapters(built, { config, ingest, review, store, routes, limits, inbound: role !== 'worker', redis, keys, logger });
      if (role !== 'ingest') {
        // Tool servers are connected before turns run (one that is down is a log line, not a failure).
        await tools.start();
        worker = await startConversationWorker({ config, runner, enqueue, stopping: () => stopping, connectionWatch: connection, logger });
        await reconciler.start();
      }
      await http.listen({ port: config.port, host: process.env.HOST ?? '0.0.0.0' });
      const address = http.server.address() as AddressInfo;
      url = `http://127.0.0.1:${address.port}`;
      logger.info({ url, role, adapters: [...adapters.keys()], prefix: config.redis.prefix }, 'countersign started');
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      starting.abort();
      reconciler.stop();
      notifier.stop();
      logger.info('stopping: no new work; waiting for active turns');
      await http.close().catch(() => {});
      if (worker) await stopConversationWorker(worker, config.shutdownTimeoutMs, logger);
      for (const adapter of adapters.values()) await adapter.stop().catch((error: unknown) => logger.warn({ err: error }, 'adapter stop failed'));
      // Once no turn runs: close the tool servers' connections and stop the stdio servers.
      await tools.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the tool servers failed'));
      // With Redis gone, closing would wait for a connection that may never come: bounded.
      const bounded = (work: Promise<unknown>) => Promise.race([work.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      if (queue) await bounded(queue.close());
      if (redis.status === 'ready') await bounded(redis.quit());
      redis.disconnect();
      logger.info('stopped');
    },
  };
}
