import { randomBytes } from 'node:crypto';
import { createWebAdapter } from '../../adapters/web/web-adapter.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { describeError } from '../core/errors.js';
import { createCountersign } from '../main.js';
import { createLogger } from '../observability/logger.js';
import { DEMO_PROMPTS, startDemoModels } from './demo-models.js';
import { findRedis } from './find-redis.js';

export interface DemoOptions {
  env?: Record<string, string | undefined>;
  /** Where the banner goes. @defaultValue process.stdout */
  out?: NodeJS.WritableStream;
}

/**
 * `npm run demo`: the web chat on embedded defaults. Real models when OPENAI_API_KEY is set,
 * otherwise the offline stand-ins; the Redis findRedis finds or starts; a generated review
 * token. Returns a function that stops everything it started.
 */
export async function runDemo(options: DemoOptions = {}): Promise<{ url: string; reviewToken: string; stop(): Promise<void> }> {
  const env = { ...(options.env ?? process.env) };
  const out = options.out ?? process.stdout;
  const redis = await findRedis({ env });
  const offline = !env.OPENAI_API_KEY;
  const models = offline ? await startDemoModels() : null;
  const reviewToken = env.REVIEW_TOKEN || randomBytes(18).toString('base64url');
  const demoEnv: Record<string, string | undefined> = {
    ...env,
    REDIS_URL: redis.url,
    REDIS_PREFIX: env.REDIS_PREFIX ?? 'countersign-demo',
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
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ file: env.COUNTERSIGN_CONFIG ?? 'countersign.yaml', env: demoEnv });
  } catch (error) {
    await models?.close();
    await redis.stop();
    throw error;
  }
  const web = createWebAdapter({
    maxMessageChars: config.turn.maxMessageChars,
    ...config.web,
    page: {
      ...(offline
        ? { notice: 'Offline demo: the actor and the critic are rule-based stand-ins running inside countersign, not language models. Set OPENAI_API_KEY to use real models.' }
        : {}),
      examples: offline ? DEMO_PROMPTS.map((prompt) => prompt.text) : [],
    },
  });
  const service = createCountersign({ config, adapters: [web], logger: createLogger({ level: config.logLevel }) });
  try {
    await service.start();
  } catch (error) {
    await service.stop().catch(() => {});
    await models?.close();
    await redis.stop();
    throw error;
  }
  const base = `http://localhost:${new URL(service.url).port}`;
  out.write(
    [
      '',
      'countersign demo is running',
      `  chat page:   ${base}/`,
      `  review API:  ${base}/api/review/turns?status=pending`,
      `  REVIEW_TOKEN=${reviewToken}`,
      `  models:      ${offline ? 'offline stand-ins (set OPENAI_API_KEY for real models)' : `${config.models.actor.model} drafts, ${config.models.critic.model} reviews`}`,
      `  redis:       ${redis.url} (${redis.source === 'started' ? 'started for this demo' : redis.source === 'env' ? 'from REDIS_URL' : 'local'})`,
      '',
      offline ? `Try: ${DEMO_PROMPTS.map((prompt) => `${prompt.decision}: "${prompt.text}"`).join('\n     ')}` : '',
      `Resolve an escalation:  curl -H "Authorization: Bearer ${reviewToken}" '${base}/api/review/turns?status=pending'`,
      'Stop with Ctrl+C.',
      '',
    ].join('\n'),
  );
  return {
    url: service.url,
    reviewToken,
    async stop() {
      await service.stop();
      await models?.close();
      await redis.stop();
    },
  };
}

/** The CLI entry: run until SIGINT/SIGTERM; configuration problems exit 2. */
export async function demoMain(): Promise<void> {
  let demo: Awaited<ReturnType<typeof runDemo>>;
  try {
    demo = await runDemo();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`${problem}\n`);
      process.exit(2);
    }
    process.stderr.write(`${describeError(error)}\n`);
    process.exit(1);
  }
  const stop = () => demo.stop().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
