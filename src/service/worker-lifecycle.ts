/**
 * Starting and stopping a process's conversation worker: what a finished run asks of the queue
 * (a delay, or handing the conversation back), and a shutdown bounded by `shutdownTimeoutMs`
 * that hands still-active turns back instead of waiting for them for ever.
 */
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { TurnRunner } from '../core/conversation-ports.js';
import { type ConversationWorkerOptions, createConversationWorker } from '../queue/conversation-queue.js';

export interface StartWorkerOptions {
  config: Config;
  runner: TurnRunner;
  enqueue(conversation: string, options?: { yielded?: boolean }): Promise<void>;
  stopping(): boolean;
  connectionWatch: ConversationWorkerOptions['connectionWatch'];
  logger: Logger;
}

export async function startConversationWorker(options: StartWorkerOptions): Promise<Worker> {
  const { config, runner, enqueue, stopping, logger } = options;
  const worker = createConversationWorker({
    connection: { url: config.redis.url, maxRetriesPerRequest: null },
    prefix: config.redis.prefix,
    concurrency: config.queue.concurrency,
    lockDurationMs: config.queue.lockDurationMs,
    stalledIntervalMs: config.queue.stalledIntervalMs,
    backoffMs: config.queue.backoffMs,
    logger,
    connectionWatch: options.connectionWatch,
    run: async (conversation) => {
      const run = await runner.runConversation(conversation, { shouldStop: stopping });
      // A model-call budget is spent: the job itself waits (delayed), keeping the order.
      if (run.delayMs !== undefined) return { delayMs: run.delayMs };
      // Hand the rest back: on shutdown, or after this job's share of turns (fairness:
      // then behind the conversations with new work, so a flood cannot starve them).
      if (stopping()) await enqueue(conversation);
      else if (run.handBack) await enqueue(conversation, { yielded: true });
      return run;
    },
  });
  void worker.run().catch((error: unknown) => logger.error({ err: error }, 'worker stopped'));
  await worker.waitUntilReady();
  return worker;
}

/** Waits up to `timeoutMs` for active turns; past it, hands them back to the queue. */
export async function stopConversationWorker(worker: Worker, timeoutMs: number, logger: Logger): Promise<void> {
  const closing = worker.close();
  const timedOut = await Promise.race([closing.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref())]);
  // Turns still active past the bound are handed back: their locks lapse and another worker
  // takes them over as stalled jobs; their state is in Redis. close(true) cannot do it: it
  // returns the close() already waiting for those turns (and renewing their locks). Dropping
  // the worker's connection ends the renewals.
  if (timedOut) {
    logger.warn({ timeoutMs }, 'active turns did not finish in time; handing them back');
    await worker.disconnect().catch(() => {});
  }
}
