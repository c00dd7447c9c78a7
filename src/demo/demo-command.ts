import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createWebAdapter } from '../../adapters/web/web-adapter.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { CountersignError, describeError } from '../core/errors.js';
import { createCountersign } from '../main.js';
import { createLogger } from '../observability/logger.js';
import { displayRedisUrl } from '../queue/redis-availability.js';
import { createDemoAirline, type DemoAirline } from './demo-airline-tools.js';
import { DEMO_PROMPTS, startDemoModels } from './demo-models.js';
import { findRedis } from './find-redis.js';

export interface DemoOptions {
  env?: Record<string, string | undefined>;
  /** Where the banner goes. @defaultValue process.stdout */
  out?: NodeJS.WritableStream;
  /** Where log lines go (human-readable). @defaultValue process.stderr */
  logTo?: NodeJS.WritableStream;
  /** Aborting it (Ctrl+C while waiting for Redis, say) stops the demo as it starts. */
  signal?: AbortSignal;
  /** Keep the demo's Redis keys when it stops (they are removed by default). @defaultValue false */
  keep?: boolean;
}

/** The demo's key prefix when REDIS_PREFIX is not set. */
export const DEMO_PREFIX = 'countersign-demo';

export interface RunningDemo {
  url: string;
  reviewToken: string;
  prefix: string;
  /** The demo airline behind the actor's tools (its bookings, vouchers and counts). */
  airline: DemoAirline;
  /** Stop the service and what the demo started; remove its keys unless `keep`. */
  stop(): Promise<{ removedKeys: number }>;
}

/** Delete every key under the demo's prefix (SCAN, never FLUSHDB: the Redis may be shared). */
async function removeKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  let removed = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

/**
 * `npm run demo`: the web chat on embedded defaults. Real models when OPENAI_API_KEY is set,
 * otherwise the offline stand-ins; the Redis findRedis finds or starts; a generated review
 * token. Returns a function that stops everything it started.
 */
export async function runDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const env = { ...(options.env ?? process.env) };
  const out = options.out ?? process.stdout;
  const redis = await findRedis({ env });
  const offline = !env.OPENAI_API_KEY;
  const models = offline ? await startDemoModels() : null;
  const reviewToken = env.REVIEW_TOKEN || randomBytes(18).toString('base64url');
  const prefix = env.REDIS_PREFIX || DEMO_PREFIX;
  const demoEnv: Record<string, string | undefined> = {
    ...env,
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    ADAPTERS: 'web',
    REVIEW_TOKEN: reviewToken,
    PORT: env.PORT ?? '3000',
    LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    ...(models
      ? {
          OPENAI_BASE_URL: models.actor.baseUrl,
          OPENAI_API_KEY: models.actor.apiKey,
          ACTOR_MODEL: models.actor.model,
          CRITIC_BASE_URL: models.critic.baseUrl,
          CRITIC_API_KEY: models.critic.apiKey,
          CRITIC_MODEL: models.critic.model,
        }
      : {}),
  };
  const cleanUp = async () => {
    await models?.close();
    await redis.stop();
  };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ file: env.COUNTERSIGN_CONFIG ?? 'countersign.yaml', env: demoEnv });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const web = createWebAdapter({
    maxMessageChars: config.turn.maxMessageChars,
    ...config.web,
    // The demo is there to show the critic at work: each reply says who countersigned it
    // (unless WEB_SHOW_REVIEW=off or the file says otherwise).
    showReview: config.web.showReview ?? true,
    page: {
      ...(offline
        ? { notice: 'Offline demo: the actor and the critic are rule-based stand-ins running inside countersign, not language models. Set OPENAI_API_KEY to use real models.' }
        : {}),
      // Each example says which decision of the critic it triggers.
      examples: offline ? DEMO_PROMPTS.map((prompt) => ({ text: prompt.text, label: prompt.label, decision: prompt.decision, hint: prompt.explanation })) : [],
      reviewUrl: '/review',
    },
  });
  const logger = createLogger({ level: config.logLevel, pretty: true, ...(options.logTo ? { destination: options.logTo } : {}) });
  // The demo airline's tools (a lookup, a cancellation, a voucher), in memory: the actor calls
  // them and the critic countersigns each write before it runs (docs/tools.md).
  const airline = createDemoAirline();
  const service = createCountersign({ config, adapters: [web], logger, tools: airline.tools });
  const onAbort = () => void service.stop().catch(() => {});
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await service.start();
  } catch (error) {
    await service.stop().catch(() => {});
    await cleanUp();
    if (options.signal?.aborted) throw new CountersignError('demo.aborted', 'stopped before the demo was up');
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      throw new CountersignError('demo.port-in-use', `port ${config.port} is already in use by another program; run the demo on another one: PORT=${config.port + 1} npm run demo`);
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const base = `http://localhost:${new URL(service.url).port}`;
  // One export line gives another terminal this demo's address, token, Redis and prefix, so the
  // commands after it (and README's) are the same for everyone.
  // A URL with a password is not printed: the commands then read it from the environment.
  const hasPassword = (() => {
    try {
      return Boolean(new URL(redis.url).password);
    } catch {
      return true;
    }
  })();
  const redisForCommands = hasPassword ? 'REDIS_URL="$REDIS_URL"' : `REDIS_URL=${redis.url}`;
  const terminal = `${redisForCommands} REDIS_PREFIX=${prefix}`;
  out.write(
    [
      '',
      'countersign demo is running',
      `  chat page:   ${base}/`,
      `  dashboard:   ${base}/review   (sign in with the REVIEW_TOKEN below)`,
      `  review API:  ${base}/api/review/turns?status=pending`,
      `  REVIEW_TOKEN=${reviewToken}`,
      `  models:      ${offline ? 'offline stand-ins (set OPENAI_API_KEY for real models)' : `${config.models.actor.model} drafts, ${config.models.critic.model} reviews`}`,
      `  redis:       ${hasPassword ? displayRedisUrl(redis.url) : redis.url} (${redis.source === 'started' ? 'started for this demo' : redis.source === 'env' ? 'from REDIS_URL' : 'local'}), keys under "${prefix}:"`,
      '',
      offline ? `Try: ${DEMO_PROMPTS.map((prompt) => `${prompt.label}: "${prompt.text}"`).join('\n     ')}` : '',
      `Airline tools: get_reservation (a read), cancel_reservation and issue_voucher (writes, countersigned before they run); bookings ${[...airline.bookings.keys()].join(', ')}.`,
      '',
      'From another terminal, on the same data as this demo (paste the export line first):',
      `  export DEMO_URL=${base} REVIEW_TOKEN=${reviewToken} ${terminal}`,
      `  curl -H "Authorization: Bearer $REVIEW_TOKEN" "$DEMO_URL/api/review/turns?status=pending"`,
      '  npx countersign review list',
      '  npx countersign export --out reviews.jsonl',
      '',
      options.keep ? 'Stop with Ctrl+C; the demo\'s keys stay in Redis (--keep).' : 'Stop with Ctrl+C; the demo\'s keys are removed then (npm run demo -- --keep keeps them).',
      '',
    ].join('\n'),
  );
  let stopping: Promise<{ removedKeys: number }> | undefined;
  return {
    url: service.url,
    reviewToken,
    prefix,
    airline,
    stop() {
      stopping ??= (async () => {
        await service.stop();
        // A Redis the demo started goes away with its data; a shared one keeps only what was asked.
        const removedKeys = options.keep || redis.source === 'started' ? 0 : await removeKeys(redis.url, prefix).catch(() => 0);
        await cleanUp();
        return { removedKeys };
      })();
      return stopping;
    },
  };
}

/** The CLI entry: run until SIGINT/SIGTERM; configuration problems exit 2. */
export async function demoMain(options: { keep?: boolean } = {}): Promise<void> {
  const controller = new AbortController();
  let demo: RunningDemo | undefined;
  let stopping = false;
  const stop = () => {
    // A second Ctrl+C means now.
    if (stopping) process.exit(130);
    stopping = true;
    controller.abort();
    if (!demo) return; // still starting: runDemo sees the abort and cleans up
    demo.stop().then(
      ({ removedKeys }) => {
        if (removedKeys) process.stdout.write(`removed the demo's ${removedKeys} Redis keys (prefix ${demo!.prefix}:)\n`);
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    demo = await runDemo({ signal: controller.signal, ...(options.keep ? { keep: true } : {}) });
  } catch (error) {
    if (stopping) process.exit(0);
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`${problem}\n`);
      process.exit(2);
    }
    process.stderr.write(`countersign: ${error instanceof CountersignError ? error.message : describeError(error)}\n`);
    process.exit(error instanceof CountersignError && error.code === 'demo.port-in-use' ? 2 : 1);
  }
}
