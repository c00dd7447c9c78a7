import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CountersignError } from '../core/errors.js';
import type { Keys } from '../core/keys.js';
import type { ChatAdapter, OutboundPart } from '../core/ports.js';
import type { ConversationRef, InboundMessage, Platform } from '../core/types.js';

/**
 * Claim one part before sending it. A claim held by another live worker is respected (lease);
 * a claim that exists but expired, or our own, means an earlier attempt may have reached the
 * platform, so the adapter must look before it posts again.
 * KEYS: outbox. ARGV: part, owner, now, leaseMs, partsJson -> 'done' | 'busy' | 'fresh' | 'recover'
 */
const CLAIM = `
if redis.call('HGET', KEYS[1], 'state') == 'sent' then return 'done' end
if redis.call('HSETNX', KEYS[1], 'parts', ARGV[5]) == 1 then redis.call('HSET', KEYS[1], 'partCount', tostring(#cjson.decode(ARGV[5]))) end
local sent = tonumber(redis.call('HGET', KEYS[1], 'sent') or '0')
if sent > tonumber(ARGV[1]) then return 'done' end
local field = 'claim:' .. ARGV[1]
local claim = redis.call('HGET', KEYS[1], field)
local result = 'fresh'
if claim then
  local owner, expires = string.match(claim, '^(.-)|(%d+)$')
  if owner ~= ARGV[2] and tonumber(expires) > tonumber(ARGV[3]) then return 'busy' end
  result = 'recover'
end
redis.call('HSET', KEYS[1], field, ARGV[2] .. '|' .. tostring(tonumber(ARGV[3]) + tonumber(ARGV[4])))
return result`;

/**
 * Record a sent part. Once the last part is sent the record starts to expire: a record that is
 * gone means "nothing to send" (deliver finds no state), so its expiry can never cause a second
 * post; an unsent record never expires.
 * KEYS: outbox. ARGV: part, messageId, isLast, now, retentionSeconds -> 1
 */
const RECORD = `
redis.call('HSET', KEYS[1], 'sent', tostring(tonumber(ARGV[1]) + 1), 'id:' .. ARGV[1], ARGV[2])
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'state', 'sent', 'sentAt', ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
end
return 1`;

type OutboxRedis = Redis & {
  csClaim(outbox: string, part: number, owner: string, now: number, leaseMs: number, parts: string): Promise<string>;
  csRecord(outbox: string, part: number, messageId: string, isLast: string, now: number, retentionSeconds: number): Promise<number>;
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

export interface DeliveryReport {
  deliveryId: string;
  messageIds: string[];
  /** Parts a recovery found already posted. */
  recovered: number;
}

/**
 * The exactly-once posting protocol (DESIGN invariant 2). An outbox record exists only for an
 * approved text (see approval.ts); `deliver` is the one code path that calls an adapter's send.
 * Each part is claimed before the send and its platform id recorded after; a re-run after a
 * crash sends only what was not recorded, and asks the adapter to look first for a part whose
 * claim exists (its outcome unknown).
 */
export function createOutbox(options: OutboxOptions) {
  const redis = options.redis as OutboxRedis;
  if (!('csClaim' in options.redis)) {
    options.redis.defineCommand('csClaim', { numberOfKeys: 1, lua: CLAIM });
    options.redis.defineCommand('csRecord', { numberOfKeys: 1, lua: RECORD });
  }
  const owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const leaseMs = options.claimLeaseMs ?? 60_000;
  const retentionSeconds = options.retentionSeconds ?? 7 * 24 * 3600;

  async function deliver(deliveryId: string, record?: Record<string, string>): Promise<DeliveryReport | null> {
    const key = options.keys.outbox(deliveryId);
    const stored = record ?? (await redis.hgetall(key));
    if (!stored.state) return null;
    const conversation = JSON.parse(stored.conversation!) as ConversationRef;
    const adapter = options.adapters.get(conversation.platform);
    if (!adapter) throw new CountersignError('delivery.no-adapter', `no ${conversation.platform} adapter is configured to deliver ${deliveryId}`, { retryable: true });
    const parts = stored.parts ? (JSON.parse(stored.parts) as string[]) : adapter.render(stored.text!);
    const messageIds: string[] = [];
    let recovered = 0;
    if (stored.state === 'sent') return { deliveryId, messageIds, recovered };
    const replyTo = JSON.parse(stored.replyTo ?? '[]') as InboundMessage[];
    for (let part = Number(stored.sent ?? 0); part < parts.length; part++) {
      const claim = await redis.csClaim(key, part, owner, Date.now(), leaseMs, JSON.stringify(parts));
      if (claim === 'done') continue;
      if (claim === 'busy') throw new CountersignError('delivery.claimed', `part ${part} of ${deliveryId} is being sent by another worker`, { retryable: true });
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
      await redis.csRecord(key, part, sent.messageId, part === parts.length - 1 ? '1' : '0', Date.now(), retentionSeconds);
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

export type Outbox = ReturnType<typeof createOutbox>;
