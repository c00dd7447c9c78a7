import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WebAuthenticate } from '../adapters/web/conversation-access.js';
import { createWebAdapter } from '../adapters/web/web-adapter.js';
import { createActor } from './agents/actor.js';
import { createCritic } from './agents/critic.js';
import { type ModelHealth, observeModel } from './agents/model-health.js';
import { createOpenAIModelClient, displayEndpoint } from './agents/openai-model-client.js';
import type { Config } from './config/schema.js';
import { createConversationStore } from './conversation/conversation-store.js';
import { readBudgetChars } from './conversation/history.js';
import { createModelCallBudget } from './conversation/model-call-budget.js';
import { createTurnRunner } from './conversation/turn-runner.js';
import type { TurnGate } from './core/conversation-ports.js';
import { CountersignError, describeError } from './core/errors.js';
import { createKeys } from './core/keys.js';
import { createEscalationGate } from './escalation/escalation-gate.js';
import type { AdapterContext, ChatAdapter, IngestResult, ModelClient } from './core/ports.js';
import { conversationKey, type InboundMessage, type Platform } from './core/types.js';
import { createOutbox } from './delivery/outbox.js';
import { createHttpRoutes, createHttpServer } from './http/http-server.js';
import { createAuthLimiter } from './http/auth-limiter.js';
import { registerDashboard } from './http/dashboard.js';
import { createReviewCredentials } from './http/review-credentials.js';
import { createRateLimits } from './http/rate-limits.js';
import { registerReviewApi } from './http/review-api.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createAdapterStorage } from './queue/adapter-storage.js';
import { createConversationQueue, createConversationWorker } from './queue/conversation-queue.js';
import { createConnectionWatch, waitForRedis } from './queue/redis-availability.js';
import { type AuditLog, createAuditLog } from './review/audit-log.js';
import { createReviewNotifier } from './review/review-notifier.js';
import { createReviewService, type ReviewService } from './review/review-service.js';
import { createThrottledWarning } from './observability/throttled-warning.js';

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
  /** The web chat's library-only options (the rest is the `web:` section of the configuration). */
  web?: {
    /** Map requests to the operator's own users instead of conversation tokens (docs/security-web.md). */
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
  /** The HTTP base URL once started. */
  readonly url: string;
  readonly http: FastifyInstance;
  ingest(message: Omit<InboundMessage, 'receivedAt'> & { receivedAt?: number }): Promise<IngestResult>;
  /** Queue a conversation's job (the reconciler and the review service use this). */
  enqueue(conversation: string): Promise<void>;
  start(): Promise<void>;
  /** Stop taking work, let active turns finish (or hand them back after the shutdown timeout), close. */
  stop(): Promise<void>;
  health(): Promise<{ ok: boolean; redis: string; workers: string; models?: { actor: ModelHealth; critic: ModelHealth } }>;
}

async function buildAdapters(config: Config, web: CountersignOptions['web']): Promise<ChatAdapter[]> {
  const adapters: ChatAdapter[] = [];
  for (const name of config.adapters) {
    if (name === 'web') adapters.push(createWebAdapter({ maxMessageChars: config.turn.maxMessageChars, ...config.web, ...web }));
    if (name === 'slack') {
      const { createSlackAdapter } = await import('../adapters/slack/slack-adapter.js');
      adapters.push(createSlackAdapter({ ...config.slack }));
    }
    if (name === 'discord') {
      const { createDiscordAdapter } = await import('../adapters/discord/discord-adapter.js');
      adapters.push(createDiscordAdapter({ ...config.discord }));
    }
  }
  return adapters;
}

/**
 * Messages longer than `turn.maxMessageChars` are cut before they reach the models. The web chat
 * refuses them with 413; Slack and Discord messages cannot be refused, so they are cut, and the
 * models are told so.
 */
export function boundedText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  // Never cut between the halves of a surrogate pair.
  const cut = text.charCodeAt(limit - 1) >= 0xd800 && text.charCodeAt(limit - 1) <= 0xdbff ? limit - 1 : limit;
  return `${text.slice(0, cut)}\n[message cut at ${limit} characters]`;
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
  const bullConnection = { url: config.redis.url, maxRetriesPerRequest: null };
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
  let queue: ReturnType<typeof createConversationQueue> | null = null;
  const enqueue = async (conversation: string, enqueueOptions?: { yielded?: boolean }): Promise<void> => {
    if (!queue) throw new CountersignError('service.not-started', 'countersign is not started yet', {  });
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
  });
  const warnInboxFull = createThrottledWarning(logger, 'conversation inbox full: message refused (inbox.maxMessages / inbox.maxBytes)');
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
  let reconciler: NodeJS.Timeout | null = null;
  let stopping = false;

  // Each model remembers whether its endpoint works, for /healthz.
  const actorModel = observeModel(
    options.models?.actor ??
      createOpenAIModelClient({ ...config.models.actor, maxRetries: config.actor.maxRetries, timeoutMs: config.actor.timeoutMs, logger: logger.child({ role: 'actor' }) }),
    options.models?.actor ? undefined : displayEndpoint(config.models.actor.baseUrl),
  );
  const criticModel = observeModel(
    options.models?.critic ??
      createOpenAIModelClient({
        ...config.models.critic,
        maxRetries: 0,
        timeoutMs: config.critic.timeoutMs,
        responseFormat: config.critic.responseFormat,
        logger: logger.child({ role: 'critic' }),
      }),
    options.models?.critic ? undefined : displayEndpoint(config.models.critic.baseUrl),
  );

  const { perConversation, global, windowSeconds } = config.turn.modelCalls;
  const budget = perConversation > 0 || global > 0 ? createModelCallBudget({ redis, keyPrefix: keys.budget, perConversation, global, windowSeconds }) : null;
  const runner = createTurnRunner({
    store,
    outbox,
    actor: createActor({ model: actorModel, systemPrompt: config.actor.systemPrompt, timeoutMs: config.actor.timeoutMs }),
    critic: createCritic({ model: criticModel, policy: config.critic.policy, timeoutMs: config.critic.timeoutMs, attempts: config.critic.attempts }),
    adapters,
    logger,
    maxRevisions: config.turn.maxRevisions,
    maxFolds: config.turn.maxFolds,
    history: { budget: config.turn.history.budget, unit: config.turn.history.unit },
    holdingMessage: config.review.holdingMessage,
    holdConversation: config.review.holdConversation,
    presentEscalation: (turn, log) => notifier.present(turn, log),
    gate,
    prompt: config.turn.prompt,
    ...(budget ? { budget } : {}),
    whenBudgetSpent: config.turn.modelCalls.whenSpent,
    turnsPerJob: config.queue.turnsPerJob,
    events: {
      verdict: (turn, verdict) => {
        metrics.verdicts.inc({ decision: verdict.decision });
        audit.record({ type: 'verdict', turnId: turn.id, conversation: conversationKey(turn.conversation), actor: 'critic', decision: verdict.decision, reason: verdict.reason });
      },
      escalated: (turn) => {
        const escalation = turn.escalation!;
        const actor = escalation.source === 'rule' || escalation.source === 'check' ? `${escalation.source}:${escalation.rule}` : escalation.source;
        audit.record({ type: 'escalated', turnId: turn.id, conversation: conversationKey(turn.conversation), actor, decision: 'escalate', reason: escalation.reason });
        redis.publish(keys.reviewEvents, JSON.stringify({ type: 'escalated', turnId: turn.id, at: Date.now() })).catch(() => {});
      },
      finished: (turn, outcome, durationMs) => {
        metrics.turns.inc({ outcome });
        metrics.turnSeconds.observe({ outcome }, durationMs / 1000);
        if (outcome === 'posted') audit.record({ type: 'posted', turnId: turn.id, conversation: conversationKey(turn.conversation), actor: turn.reply?.source.kind ?? 'critic', decision: 'posted' });
      },
      ruled: (turn, decision) =>
        audit.record({ type: decision.rule.startsWith('check:') ? 'check' : 'rule', turnId: turn.id, conversation: conversationKey(turn.conversation), actor: decision.rule, decision: decision.action, reason: decision.reason }),
      modelCall: (modelRole, latencyMs) => metrics.modelSeconds.observe({ role: modelRole }, latencyMs / 1000),
      promptCut: (_turn, modelRole, cut) => {
        metrics.promptCuts.inc({ role: modelRole });
        metrics.promptCutMessages.inc({ role: modelRole }, cut.messages);
      },
      budgetSpent: (_turn, scope, action) => metrics.budgetSpent.inc({ scope, action }),
      handedBack: () => metrics.handBacks.inc(),
    },
  });

  async function ingest(message: Omit<InboundMessage, 'receivedAt'> & { receivedAt?: number }): Promise<IngestResult> {
    const full: InboundMessage = { ...message, text: boundedText(message.text, config.turn.maxMessageChars), receivedAt: message.receivedAt ?? Date.now() };
    if (full.text !== message.text) logger.warn({ platform: full.conversation.platform, length: message.text.length, limit: config.turn.maxMessageChars }, 'a message over the length limit was cut');
    const key = conversationKey(full.conversation);
    const { outcome, workWaiting } = await store.accept(full, key, config.dedupeTtlSeconds);
    // A crash between these two steps leaves the message in the inbox without a job. The
    // reconciler finds it through the pending-conversations index within seconds; a retry of
    // the message (a duplicate, while its conversation still has work waiting) queues it at once.
    if (outcome === 'accepted' || workWaiting) await enqueue(key);
    const platform = full.conversation.platform;
    metrics.ingested.inc({ platform, result: outcome });
    if (outcome === 'inbox-full') {
      // Never silent: the web chat answers 429; Slack and Discord cannot be refused, so the
      // message is dropped here, logged (throttled per conversation) and counted.
      metrics.inboxRefused.inc({ platform });
      warnInboxFull(key, { conversation: key, platform, messageId: full.id, dropped: platform !== 'web', maxMessages: config.inbox.maxMessages, maxBytes: config.inbox.maxBytes });
      return { accepted: false, duplicate: false, messageId: full.id, refused: 'inbox-full' };
    }
    return { accepted: outcome === 'accepted', duplicate: outcome === 'duplicate', messageId: full.id };
  }

  async function reconcile(): Promise<void> {
    const conversations = await store.staleConversations(Math.max(2 * (options.reconcileIntervalMs ?? 5000), 10_000));
    for (const conversation of conversations) await enqueue(conversation);
    if (conversations.length) logger.info({ conversations: conversations.length }, 'reconciler re-queued conversations with waiting work');
  }

  async function health() {
    const redisState = await Promise.race([
      redis.ping().then(() => 'up', () => 'down'),
      new Promise<string>((resolve) => setTimeout(() => resolve('down'), 1000).unref()),
    ]);
    const workers = role === 'ingest' ? 'not in this process' : worker?.isRunning() && !stopping ? 'running' : 'stopped';
    // Models are detail, not liveness: with a model down, turns still end safely (escalated).
    const models = role === 'ingest' ? undefined : { actor: actorModel.health(), critic: criticModel.health() };
    return { ok: redisState === 'up' && workers !== 'stopped' && !stopping, redis: redisState, workers, ...(models ? { models } : {}) };
  }

  http.get('/healthz', async (_request, reply) => {
    const state = await health();
    return reply
      .status(state.ok ? 200 : 503)
      .send({ status: state.ok ? 'ok' : 'unavailable', redis: state.redis, workers: state.workers, ...(state.models ? { models: state.models } : {}) });
  });
  http.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  return {
    config,
    logger,
    metrics,
    redis,
    review,
    audit,
    adapters,
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
      queue = createConversationQueue({ connection: bullConnection, prefix: config.redis.prefix, attempts: config.queue.attempts, eventsMaxLength: config.retention.queueEventsMaxEntries });
      queue.queue.on('error', (error) => connection.error(error, 'queue'));
      const built = options.adapters ?? (await buildAdapters(config, options.web));
      for (const adapter of built) adapters.set(adapter.platform, adapter);
      const routes = createHttpRoutes(http);
      const limits = createRateLimits({ redis, keys, metrics });
      if (role !== 'worker') {
        const credentials = createReviewCredentials({
          sharedToken: config.review.token,
          reviewers: config.review.reviewers,
          trustedHeader: config.review.trustedHeader,
          trustProxy: config.http.trustProxy,
        });
        // One set of counters for both doors: a wrong token is a guess wherever it is tried.
        const limiter = createAuthLimiter({ redis, prefix: `${keys.prefix}:review-auth:`, ...config.http.authLimits });
        registerReviewApi(http, { review, credentials, limiter, logger });
        registerDashboard(http, {
          review,
          audit,
          redis,
          keys,
          credentials,
          limiter,
          logger,
          sessionIdleSeconds: config.review.session.idleSeconds,
          sessionAbsoluteSeconds: config.review.session.absoluteSeconds,
          secureCookies: config.http.secureCookies,
          allowedOrigins: config.http.allowedOrigins,
          // The live stream's keep-alive must beat the idle time-out that would close it.
          heartbeatMs: Math.min(20_000, Math.floor(config.http.idleTimeoutMs / 2)),
        });
      }
      for (const adapter of built) {
        const context: AdapterContext = {
          ingest,
          review,
          storage: createAdapterStorage(redis, keys, adapter.platform, { defaultTtlSeconds: config.retention.conversationSeconds }),
          http: routes,
          logger: logger.child({ adapter: adapter.platform }),
          inbound: role !== 'worker',
          limits,
          turnReader: { get: (turnId) => store.loadTurn(turnId) },
        };
        await adapter.start(context);
      }
      if (role !== 'ingest') {
        worker = createConversationWorker({
          connection: bullConnection,
          prefix: config.redis.prefix,
          concurrency: config.queue.concurrency,
          lockDurationMs: config.queue.lockDurationMs,
          stalledIntervalMs: config.queue.stalledIntervalMs,
          backoffMs: config.queue.backoffMs,
          logger,
          connectionWatch: connection,
          run: async (conversation) => {
            const run = await runner.runConversation(conversation, { shouldStop: () => stopping });
            // A model-call budget is spent: the job itself waits (delayed), keeping the order.
            if (run.delayMs !== undefined) return { delayMs: run.delayMs };
            // Hand the rest back: on shutdown, or after this job's share of turns (fairness:
            // then behind the conversations with new work, so a flood cannot starve them).
            if (stopping) await enqueue(conversation);
            else if (run.handBack) await enqueue(conversation, { yielded: true });
            return run;
          },
        });
        void worker.run().catch((error: unknown) => logger.error({ err: error }, 'worker stopped'));
        await worker.waitUntilReady();
        await reconcile().catch((error: unknown) => logger.warn({ err: describeError(error) }, 'reconcile failed'));
        reconciler = setInterval(() => {
          reconcile().catch((error: unknown) => logger.warn({ err: describeError(error) }, 'reconcile failed'));
        }, options.reconcileIntervalMs ?? 5000);
        reconciler.unref();
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
      if (reconciler) clearInterval(reconciler);
      notifier.stop();
      logger.info('stopping: no new work; waiting for active turns');
      await http.close().catch(() => {});
      if (worker) {
        const closing = worker.close();
        const timedOut = await Promise.race([
          closing.then(() => false),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(true), config.shutdownTimeoutMs).unref()),
        ]);
        // Turns still active past the bound are handed back: their locks lapse and another
        // worker takes them over as stalled jobs; their state is in Redis. close(true) cannot
        // do it: it returns the close() already waiting for those turns (and renewing their
        // locks). Dropping the worker's connection ends the renewals.
        if (timedOut) {
          logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'active turns did not finish in time; handing them back');
          await worker.disconnect().catch(() => {});
        }
      }
      for (const adapter of adapters.values()) await adapter.stop().catch((error: unknown) => logger.warn({ err: error }, 'adapter stop failed'));
      // With Redis gone, closing would wait for a connection that may never come: bounded.
      const bounded = (work: Promise<unknown>) => Promise.race([work.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      if (queue) await bounded(queue.close());
      if (redis.status === 'ready') await bounded(redis.quit());
      redis.disconnect();
      logger.info('stopped');
    },
  };
}
