/**
 * The chat platform of a `bench tau` episode, in process: a ChatAdapter (platform `web`) that
 * hands the simulated user's messages to countersign's ingest and collects what the outbox
 * posts. A turn has ended when the last part of its reply (or canned reply) was posted; the
 * holding message a user gets while a human reviews is not the bot's answer and is left out.
 */
import { randomUUID } from 'node:crypto';
import type { AdapterContext, ChatAdapter, OutboundPart, SentPart } from '../../core/ports.js';
import { CountersignError } from '../../core/errors.js';

export interface BenchChannel {
  readonly adapter: ChatAdapter;
  /**
   * Post a user message to `conversation`; resolves with the texts of the reply that answers it
   * once its last part was posted, or with none when `abandon(messageId)` is called first (a
   * reviewer rejected the reply).
   */
  post(conversation: string, text: string): { messageId: string; reply: Promise<string[]> };
  /** The turn that answers `messageId` will post nothing: resolve its reply with none. */
  abandon(messageId: string): void;
}

export function createBenchChannel(): BenchChannel {
  let context: AdapterContext | null = null;
  const waiting = new Map<string, (texts: string[]) => void>();
  const parts = new Map<string, string[]>();

  const adapter: ChatAdapter = {
    platform: 'web',
    async start(given) {
      context = given;
    },
    async stop() {
      context = null;
    },
    // No platform limit to split at: a reply is one message, as τ-bench's agent writes it.
    render: (text) => [text],
    async send(part: OutboundPart): Promise<SentPart> {
      if (part.kind === 'holding-message') return { messageId: `${part.key}` };
      const collected = parts.get(part.deliveryId) ?? [];
      collected[part.part] = part.text;
      parts.set(part.deliveryId, collected);
      if (part.part === part.parts - 1) {
        parts.delete(part.deliveryId);
        const answered = part.replyTo.at(-1)?.id;
        const resolve = answered === undefined ? undefined : waiting.get(answered);
        if (answered !== undefined && resolve) {
          waiting.delete(answered);
          resolve([collected.join('')]);
        }
      }
      return { messageId: part.key };
    },
  };

  return {
    adapter,
    post(conversation, text) {
      const messageId = randomUUID();
      const reply = new Promise<string[]>((resolve, reject) => {
        waiting.set(messageId, resolve);
        if (!context) {
          waiting.delete(messageId);
          reject(new CountersignError('service.not-started', 'the bench channel is not started'));
          return;
        }
        context.ingest({ id: messageId, conversation: { platform: 'web', id: conversation }, user: { id: 'tau-user', name: 'customer' }, text }).then(
          (result) => {
            if (result.accepted) return;
            waiting.delete(messageId);
            reject(new CountersignError('bench.refused', `countersign did not accept the user's message (${result.refused ?? (result.duplicate ? 'duplicate' : 'refused')})`));
          },
          (error: unknown) => {
            waiting.delete(messageId);
            reject(error);
          },
        );
      });
      return { messageId, reply };
    },
    abandon(messageId) {
      const resolve = waiting.get(messageId);
      if (!resolve) return;
      waiting.delete(messageId);
      resolve([]);
    },
  };
}
