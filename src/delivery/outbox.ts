import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CountersignError } from '../core/errors.js';
import type { DeliveryReport, Outbox } from '../core/conversation-ports.js';
import type { Keys } from '../core/keys.js';
import { defineScripts, runScript } from '../core/redis-scripts.js';
import type { ChatAdapter, OutboundPart } from '../core/ports.js';
import type { ConversationRef, InboundMessage, Platform } from '../core/types.js';

const SCRIPTS = {
  csClaimPart: { file: new URL('./scripts/claim-part.lua', import.meta.url), keys: 1 },
  csRecordPart: { file: new URL('./scripts/record-part.lua', import.meta.url), keys: 1 },
};

export interface OutboxOptions {
  redis: Redis;
  keys: Keys;
  adapters: Map<Platform, ChatAdapter>;
  logger: Logger;
  /** How long a claim protects a part from other workers. @defaultValue 60000 */
  claimLeaseMs?: number;
  /** How long a sent record is kept (`retention.turnSeconds`). @defaultValue 7 days */
  retentionSeconds?: number;
}


/**
 * The exactly-once posting protocol (DESIGN invariant 2). An outbox record exists only for an
 * approved text (see approval.ts); `deliver` is the one code path that calls an adapter's send.
 * Each part is claimed before the send and its platform id recorded after; a re-run after a
 * crash sends only what was not recorded, and asks the adapter to look first for a part whose
 * claim exists (its outcome unknown).
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { redis } = options;
  defineScripts(redis, SCRIPTS);
  const owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const leaseMs = options.claimLeaseMs ?? 60_000;
  const retentionSeconds = options.retentionSeconds ?? 7 * 24 * 3600;

  async function deliver(deliveryId: string, record?: Record<string, string>): Promise<DeliveryReport | null> {
    const key = options.keys.outbox(deliveryId);
    const stored = record ?? (await redis.hgetall(key));
    if (!stored.state) return null;
    const conversation = JSON.parse(stored.conversation!) as ConversationRef;
    const adapter = options.adapters.get(conversation.platform);
    if (!adapter) throw new CountersignError('delivery.no-adapter', `no ${conversation.platform} adapter is configured to deliver ${deliveryId}`, {  });
    const parts = stored.parts ? (JSON.parse(stored.parts) as string[]) : adapter.render(stored.text!);
    const messageIds: string[] = [];
    let recovered = 0;
    if (stored.state === 'sent') return { deliveryId, messageIds, recovered };
    const replyTo = JSON.parse(stored.replyTo ?? '[]') as InboundMessage[];
    for (let part = Number(stored.sent ?? 0); part < parts.length; part++) {
      const claim = await runScript<string>(redis, 'csClaimPart', [key], [part, owner, Date.now(), leaseMs, JSON.stringify(parts)]);
      if (claim === 'done') continue;
      if (claim === 'busy') throw new CountersignError('delivery.claimed', `part ${part} of ${deliveryId} is being sent by another worker`, {  });
      const outbound: OutboundPart = {
        conversation,
        deliveryId,
        turnId: stored.turnId!,
        part,
        parts: parts.length,
        text: parts[part]!,
        key: `${deliveryId}:${part}`,
        replyTo,
        recovering: claim === 'recover',
        kind: stored.kind as OutboundPart['kind'],
      };
      const sent = await adapter.send(outbound);
      if (sent.alreadyPosted) recovered++;
      messageIds.push(sent.messageId);
      await runScript(redis, 'csRecordPart', [key], [part, sent.messageId, part === parts.length - 1 ? '1' : '0', Date.now(), retentionSeconds]);
    }
    if (parts.length === 0) await redis.multi().hset(key, 'state', 'sent', 'sentAt', String(Date.now())).expire(key, retentionSeconds).exec();
    if (recovered) options.logger.warn({ deliveryId, recovered }, 'recovery found parts already posted; not posted again');
    return { deliveryId, messageIds, recovered };
  }

  return {
    deliver,
    async state(deliveryId: string): Promise<string | null> {
      return redis.hget(options.keys.outbox(deliveryId), 'state');
    },
  };
}

export type { DeliveryReport, Outbox };
