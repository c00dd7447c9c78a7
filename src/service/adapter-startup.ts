/**
 * Starting the chat adapters: each gets its context (ingest, review, its own storage, HTTP
 * routes, limits, a turn reader). A worker-only process starts them for delivery but takes no
 * platform input (`inbound: false`).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ConversationStore, ReviewService } from '../core/conversation-ports.js';
import type { Keys } from '../core/keys.js';
import type { AdapterContext, ChatAdapter, HttpRoutes, RateLimits } from '../core/ports.js';
import { createAdapterStorage } from '../queue/adapter-storage.js';
import type { Ingest } from './ingest.js';

export interface StartAdaptersOptions {
  config: Config;
  ingest: Ingest;
  review: ReviewService;
  store: ConversationStore;
  routes: HttpRoutes;
  limits: RateLimits;
  inbound: boolean;
  redis: Redis;
  keys: Keys;
  logger: Logger;
}

export async function startAdapters(adapters: readonly ChatAdapter[], options: StartAdaptersOptions): Promise<void> {
  const { config, redis, keys, store } = options;
  for (const adapter of adapters) {
    const context: AdapterContext = {
      ingest: options.ingest,
      review: options.review,
      storage: createAdapterStorage(redis, keys, adapter.platform, { defaultTtlSeconds: config.retention.conversationSeconds }),
      http: options.routes,
      logger: options.logger.child({ adapter: adapter.platform }),
      inbound: options.inbound,
      limits: options.limits,
      turnReader: { get: (turnId) => store.loadTurn(turnId) },
    };
    await adapter.start(context);
  }
}
