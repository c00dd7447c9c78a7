/**
 * A small in-memory AdapterContext for testing the Discord adapter alone: ingest with dedupe by
 * platform message id, a key-value storage, and review actions over an in-memory set of turns
 * that behave like the review service (a resolved turn answers `review.conflict`).
 */
import pino from 'pino';
import { CountersignError } from '../../src/core/errors.js';
import type { AdapterContext, IngestResult, ReviewTurn } from '../../src/core/ports.js';
import type { InboundMessage, Reviewer } from '../../src/core/types.js';

export interface DiscordTestContext extends AdapterContext {
  /** Every accepted (non-duplicate) message, in order. */
  accepted: InboundMessage[];
  /** Every ingest call's result, duplicates included. */
  results: IngestResult[];
  store: Map<string, string>;
  turns: Map<string, ReviewTurn>;
  decisions: Array<{ turnId: string; action: 'approve' | 'reject'; reviewer: Reviewer; text?: string }>;
}

export function createDiscordTestContext(options: { inbound?: boolean } = {}): DiscordTestContext {
  const seen = new Set<string>();
  const accepted: InboundMessage[] = [];
  const results: IngestResult[] = [];
  const store = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const turns = new Map<string, ReviewTurn>();
  const decisions: DiscordTestContext['decisions'] = [];

  const resolve = (turnId: string, action: 'approve' | 'reject', reviewer: Reviewer, text?: string) => {
    const turn = turns.get(turnId);
    if (!turn) throw new CountersignError('review.not_found', `no turn ${turnId}`);
    if (turn.status !== 'escalated') throw new CountersignError('review.conflict', `turn ${turnId} is already ${turn.status}`);
    decisions.push({ turnId, action, reviewer, ...(text !== undefined ? { text } : {}) });
    const at = Date.now();
    const decision = action === 'reject' ? 'rejected' : text !== undefined ? 'edited' : 'approved';
    const next: ReviewTurn = {
      ...turn,
      status: action === 'reject' ? 'rejected' : 'approved',
      resolution: { decision, reviewer, at, ...(text !== undefined ? { text } : {}) },
      updatedAt: at,
    };
    turns.set(turnId, next);
    return next;
  };

  return {
    accepted,
    results,
    store,
    turns,
    decisions,
    inbound: options.inbound ?? true,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    async ingest(message) {
      const duplicate = seen.has(message.id);
      seen.add(message.id);
      if (!duplicate) accepted.push({ ...message, receivedAt: message.receivedAt ?? Date.now() });
      const result = { accepted: !duplicate, duplicate, messageId: message.id };
      results.push(result);
      return result;
    },
    review: {
      async get(turnId) {
        return turns.get(turnId) ?? null;
      },
      async approve(turnId, { reviewer, text }) {
        return resolve(turnId, 'approve', reviewer, text);
      },
      async reject(turnId, { reviewer }) {
        return resolve(turnId, 'reject', reviewer);
      },
    },
    storage: {
      async get(key) {
        return store.get(key) ?? null;
      },
      async set(key, value) {
        store.set(key, value);
      },
      async setIfAbsent(key, value) {
        if (store.has(key)) return false;
        store.set(key, value);
        return true;
      },
      async delete(key) {
        store.delete(key);
      },
      async append(listKey, value, appendOptions) {
        if (appendOptions?.once) {
          if (store.has(appendOptions.once)) return false;
          store.set(appendOptions.once, '1');
        }
        const items = [...(lists.get(listKey) ?? []), value];
        lists.set(listKey, appendOptions?.keep ? items.slice(-appendOptions.keep) : items);
        return true;
      },
      async length(listKey) {
        return lists.get(listKey)?.length ?? 0;
      },
      async retract(listKey, value, retractOptions) {
        const items = lists.get(listKey) ?? [];
        const at = items.lastIndexOf(value);
        if (at >= 0) lists.set(listKey, [...items.slice(0, at), ...items.slice(at + 1)]);
        if (retractOptions?.once) store.delete(retractOptions.once);
      },
      async range(listKey, start, stop) {
        const items = lists.get(listKey) ?? [];
        const from = start < 0 ? Math.max(items.length + start, 0) : start;
        const to = stop < 0 ? items.length + stop : stop;
        return items.slice(from, to + 1);
      },
      async page(listKey, pageOptions) {
        // Nothing here trims, so positions are indexes.
        const items = lists.get(listKey) ?? [];
        const before = Math.min(pageOptions.before ?? items.length, items.length);
        const first = Math.max(before - pageOptions.limit, 0);
        return { items: items.slice(first, before), first, oldest: 0, total: items.length };
      },
    },
    http: { route() {} },
  };
}
