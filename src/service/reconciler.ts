/**
 * The reconciler: a process killed between accepting a message and queueing its job leaves work
 * without a job. Every interval, conversations with work older than twice the interval (at
 * least 10 s) are queued again; a conversation already queued is not doubled (the queue dedupes).
 */
import type { Logger } from 'pino';
import type { ConversationStore } from '../core/conversation-ports.js';
import { describeError } from '../core/errors.js';

export interface ReconcilerOptions {
  store: ConversationStore;
  enqueue(conversation: string): Promise<void>;
  logger: Logger;
  /** How often it looks. */
  intervalMs: number;
}

export interface Reconciler {
  /** Look once now, then every interval. */
  start(): Promise<void>;
  stop(): void;
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  let timer: NodeJS.Timeout | null = null;
  async function reconcile(): Promise<void> {
    const conversations = await options.store.staleConversations(Math.max(2 * options.intervalMs, 10_000));
    for (const conversation of conversations) await options.enqueue(conversation);
    if (conversations.length) options.logger.info({ conversations: conversations.length }, 'reconciler re-queued conversations with waiting work');
  }
  const safely = () => reconcile().catch((error: unknown) => options.logger.warn({ err: describeError(error) }, 'reconcile failed'));
  return {
    async start() {
      await safely();
      timer = setInterval(safely, options.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
