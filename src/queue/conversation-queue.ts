import { type ConnectionOptions, DelayedError, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { describeError, isCountersignError } from '../core/errors.js';

/** The one queue: a job means "this conversation has work". */
export const CONVERSATION_QUEUE = 'conversations';

/** The BullMQ priority of a conversation that yielded its worker to others (lower runs later than none). */
const YIELDED_PRIORITY = 1;

export interface ConversationJob {
  conversation: string;
}

/** The backoff type of conversation jobs: the worker's `retryDelay` decides each delay. */
const BACKOFF_TYPE = 'countersign';

/**
 * How long a job that failed for a retryable reason waits before its next attempt: what the other
 * side asked for (a platform's Retry-After, as the error's `retryAfterMs`), else an exponential
 * backoff from `backoffMs` (attempt 1: backoffMs, 2: twice that, ...).
 */
export function retryDelay(attemptsMade: number, error: unknown, backoffMs: number): number {
  if (isCountersignError(error) && error.retryAfterMs !== undefined && error.retryAfterMs >= 0) return error.retryAfterMs;
  return backoffMs * 2 ** Math.max(0, attemptsMade - 1);
}

export interface ConversationQueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  /** Attempts of a job that fails for a retryable reason (`queue.attempts`). */
  attempts: number;
  /**
   * About how many entries BullMQ keeps in the queue's event stream (nothing in countersign
   * reads it; it is there for BullMQ's QueueEvents). @defaultValue 10000 (BullMQ's own default)
   */
  eventsMaxLength?: number;
}

/**
 * One BullMQ job per conversation: `deduplication` on the conversation key with
 * `keepLastIfActive` means at most one job runs per conversation while at most one more waits,
 * so turns of a conversation run one at a time and in order, across any number of workers, and
 * a message that arrives during a turn is never left without a job.
 */
/** The queue of conversation jobs, as the service uses it. */
export interface ConversationQueue {
  /** The BullMQ queue itself (for health checks and tests). */
  queue: Queue<ConversationJob, unknown, 'conversation'>;
  /**
   * Queue the conversation's job. `yielded`: the conversation just had its share of turns and
   * more wait (queue.turnsPerJob); its next job is prioritized behind every job without a
   * priority (BullMQ takes the wait list first: new work, retries, recovered stalled jobs), and
   * such yielded conversations take turns among themselves in order.
   */
  enqueue(conversation: string, options?: { yielded?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export function createConversationQueue(options: ConversationQueueOptions): ConversationQueue {
  const queue = new Queue<ConversationJob, unknown, 'conversation'>(CONVERSATION_QUEUE, {
    connection: options.connection,
    prefix: options.prefix,
    streams: { events: { maxLen: options.eventsMaxLength ?? 10_000 } },
    defaultJobOptions: {
      attempts: options.attempts,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    },
  });
  return {
    queue,
    async enqueue(conversation: string, options: { yielded?: boolean } = {}): Promise<void> {
      await queue.add('conversation', { conversation }, { deduplication: { id: conversation, keepLastIfActive: true }, ...(options.yielded ? { priority: YIELDED_PRIORITY } : {}) });
    },
    close: () => queue.close(),
  };
}

export interface ConversationWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** The first retry delay of a failed job, doubling each attempt (`queue.backoffMs`). */
  backoffMs: number;
  logger: Logger;
  /** Where connection errors go (one report per outage, not one per reconnect attempt). */
  connectionWatch?: { error(error: unknown, source: string): void; isDown(): boolean };
  /**
   * Run the conversation. An answer with `delayMs` moves the job to the delayed set for that
   * long: the same job (it keeps the conversation's deduplication id, so no other job of the
   * conversation runs meanwhile and the order holds) runs again then, without using an attempt.
   */
  run(conversation: string): Promise<{ delayMs?: number } | undefined | unknown>;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

export function createConversationWorker(options: ConversationWorkerOptions): Worker<ConversationJob> {
  const worker = new Worker<ConversationJob>(
    CONVERSATION_QUEUE,
    async (job, token) => {
      let result: unknown;
      try {
        result = await options.run(job.data.conversation);
      } catch (error) {
        // Non-retryable failures of our own (a bug, bad stored data) fail the job at once;
        // everything else (Redis, a platform outage) is retried with backoff.
        if (isCountersignError(error) && !error.retryable) throw new UnrecoverableError(describeError(error));
        throw error;
      }
      const delayMs = (result as { delayMs?: unknown } | undefined)?.delayMs;
      if (typeof delayMs === 'number' && delayMs >= 0) {
        await job.moveToDelayed(Date.now() + delayMs, token);
        // BullMQ's way to end a processor whose job it moved: nothing is completed or failed.
        throw new DelayedError();
      }
      return result;
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: 1000,
      autorun: false,
      // A retry waits as long as the platform asked (Retry-After), else backs off exponentially.
      settings: { backoffStrategy: (attemptsMade, _type, error) => retryDelay(attemptsMade, error, options.backoffMs) },
    },
  );
  worker.on('failed', (job, error) =>
    options.logger.warn({ conversation: job?.data.conversation, attempt: job?.attemptsMade, err: error }, 'conversation job failed'),
  );
  worker.on('error', (error) => {
    const code = (error as { code?: string }).code;
    if (options.connectionWatch && ((code && CONNECTION_ERRORS.has(code)) || options.connectionWatch.isDown() || /Connection is closed/i.test(error.message))) {
      options.connectionWatch.error(error, 'worker');
      return;
    }
    options.logger.error({ err: error }, 'worker error');
  });
  worker.on('stalled', (jobId) => options.logger.warn({ jobId }, 'a conversation job stalled (its worker died?); it will run again'));
  return worker;
}
