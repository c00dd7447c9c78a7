/**
 * The one AdapterContext of the adapter tests (Slack, Discord, web, and the adapter contract
 * suite), standing in for what createCountersign gives an adapter:
 * - `storage`: the full AdapterStorage port in memory, with the Redis implementation's
 *   semantics (test/fakes/memory-adapter-storage.ts; the storage contract runs against both);
 * - `ingest`: dedupes by platform and message id like the service's (a duplicate answers
 *   `duplicate: true` and is not stored again; a refused message is not remembered), records
 *   every call and its result, and can fail once (Redis down) or refuse (inbox full);
 * - `review`: a review service over in-memory turns with the real one's rules (`review.not-found`,
 *   `review.conflict` for a turn already resolved, `review.forbidden` for a platform reviewer a
 *   rule left out, `review.invalid`, `review.no-draft`), scriptable to lose a race (the next
 *   decision finds the turn just resolved by someone else and answers `review.conflict`), and
 *   showing each resolution on the adapters given to it, as the real one does;
 * - `http`: the service's own HTTP server (src/http/http-server.ts, Fastify), on a local port once
 *   `listen()` is called, so routes are exercised over real HTTP;
 * - `limits`: rate limits in memory (fixed windows);
 * - `logger`: pino writing into `logs` (and to stderr when TEST_LOG_LEVEL is set).
 */
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { CountersignError } from '../../src/core/errors.js';
import type { AdapterContext, ChatAdapter, IngestResult, RateLimits, ReviewActions, ReviewTurn } from '../../src/core/ports.js';
import { conversationKey, currentDraft, type InboundMessage, type Resolution, type Reviewer } from '../../src/core/types.js';
import { createHttpRoutes, createHttpServer } from '../../src/http/http-server.js';
import { createMemoryAdapterStorage, type MemoryAdapterStorage } from './memory-adapter-storage.js';

export interface FakeAdapterContextOptions {
  /** Whether the adapter takes platform input in this "process". @defaultValue true */
  inbound?: boolean;
  /** The clock of the storage and the dedupe, in milliseconds. @defaultValue Date.now */
  now?: () => number;
  /** How long a message id is remembered for dedupe (`dedupeTtlSeconds`). @defaultValue 7 days */
  dedupeTtlSeconds?: number;
  /** Messages a conversation's inbox takes before it refuses more (`inbox.maxMessages`). @defaultValue unlimited */
  inboxMaxMessages?: number;
}

/** A review decision as the fake review service recorded it. */
export interface FakeReviewDecision {
  turnId: string;
  decision: 'approve' | 'reject';
  reviewer: Reviewer;
  text?: string;
}

export interface FakeReviewService extends ReviewActions {
  /** The escalated turns it knows; a test puts a turn here before presenting it. */
  turns: Map<string, ReviewTurn>;
  /** Every decision that resolved a turn, in order (the ones answered with an error are not here). */
  decisions: FakeReviewDecision[];
  /**
   * The next decision on `turnId` loses a race: the turn is resolved with `resolution` (someone
   * else, elsewhere) just before it, and it answers `review.conflict` as the service does.
   */
  loseNextRace(turnId: string, resolution: Omit<Resolution, 'at'>): void;
  /** Show every resolution on this adapter (presentResolution), as the service does for all adapters. */
  showResolutionsOn(adapter: ChatAdapter): void;
}

export interface FakeIngestCall {
  message: InboundMessage;
  /** The answer, or the error the call threw. */
  result: IngestResult | { error: unknown };
}

export interface CapturedLog {
  level: string;
  msg?: string;
  [field: string]: unknown;
}

export interface FakeAdapterContext extends AdapterContext {
  storage: MemoryAdapterStorage;
  review: FakeReviewService;
  /** Every message accepted into an inbox (not duplicates, not refusals), in order. */
  accepted: InboundMessage[];
  /** Every ingest call's result, duplicates and refusals included (not the failed ones). */
  results: IngestResult[];
  /** Every ingest call, with its answer or error. */
  ingestCalls: FakeIngestCall[];
  /** Every log line, parsed. */
  logs: CapturedLog[];
  /** Make the next ingest fail, as when Redis is unavailable. */
  failNextIngest(): void;
  /** Start the HTTP server (after the adapter registered its routes); resolves to its base URL. */
  listen(): Promise<string>;
  /** The base URL once listening. */
  readonly url: string;
  close(): Promise<void>;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

function createCapturingLogger(logs: CapturedLog[]) {
  const echo = process.env.TEST_LOG_LEVEL;
  return pino(
    { level: 'debug' },
    {
      write(line: string) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        logs.push({ ...parsed, level: LEVELS[Number(parsed.level)] ?? String(parsed.level) });
        if (echo && echo !== 'silent') process.stderr.write(line);
      },
    },
  );
}

/** Rate limits in memory: `points` per fixed window of `durationSeconds`, per name and key. */
export function createMemoryRateLimits(now: () => number = Date.now): RateLimits {
  return {
    create(_name, options) {
      const windows = new Map<string, { start: number; used: number }>();
      const windowOf = (key: string) => {
        const current = windows.get(key);
        if (current && now() - current.start < options.durationSeconds * 1000) return current;
        const fresh = { start: now(), used: 0 };
        windows.set(key, fresh);
        return fresh;
      };
      return {
        async take(key, points = 1) {
          const window = windowOf(key);
          if (window.used + points > options.points) {
            return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.start + options.durationSeconds * 1000 - now()) / 1000)) };
          }
          window.used += points;
          return { allowed: true };
        },
        async giveBack(key, points = 1) {
          const window = windowOf(key);
          window.used = Math.max(0, window.used - points);
        },
      };
    },
  };
}

function createFakeReviewService(logger: pino.Logger): FakeReviewService {
  const turns = new Map<string, ReviewTurn>();
  const decisions: FakeReviewDecision[] = [];
  const races = new Map<string, Omit<Resolution, 'at'>>();
  const adapters = new Set<ChatAdapter>();

  function resolve(turnId: string, resolution: Resolution, replyText: string | null): ReviewTurn {
    const race = races.get(turnId);
    if (race) {
      races.delete(turnId);
      resolve(turnId, { ...race, at: Date.now() }, race.decision === 'rejected' ? null : (race.text ?? currentDraft(turns.get(turnId)!) ?? ''));
    }
    const turn = turns.get(turnId);
    if (!turn) throw new CountersignError('review.not-found', `no escalated turn ${turnId}`);
    if (turn.status !== 'escalated') throw new CountersignError('review.conflict', `turn ${turnId} is already resolved (${turn.resolution?.decision ?? turn.status})`);
    const named = turn.escalation?.reviewers;
    const viaPlatform = resolution.reviewer.via === 'slack' || resolution.reviewer.via === 'discord';
    if (named?.length && viaPlatform && !named.includes(resolution.reviewer.id) && !(resolution.reviewer.name && named.includes(resolution.reviewer.name))) {
      throw new CountersignError('review.forbidden', `rule "${turn.escalation?.rule}" leaves this turn to ${named.join(', ')}`);
    }
    const resolved: ReviewTurn = {
      ...turn,
      status: replyText === null ? 'rejected' : 'approved',
      resolution,
      ...(replyText === null ? {} : { reply: { text: replyText, source: { kind: 'reviewer' as const, reviewer: resolution.reviewer } } }),
      updatedAt: resolution.at,
    };
    turns.set(turnId, resolved);
    decisions.push({
      turnId,
      decision: replyText === null ? 'reject' : 'approve',
      reviewer: resolution.reviewer,
      ...(resolution.decision === 'edited' && resolution.text !== undefined ? { text: resolution.text } : {}),
    });
    // Fire and forget, as the review service does.
    for (const adapter of adapters) {
      adapter.presentResolution?.(resolved).catch((error: unknown) => logger.warn({ err: error, turn: turnId }, 'could not show the resolution'));
    }
    return resolved;
  }

  return {
    turns,
    decisions,
    async get(turnId) {
      return turns.get(turnId) ?? null;
    },
    async approve(turnId, { reviewer, text }) {
      const edited = text !== undefined;
      if (edited && !text.trim()) throw new CountersignError('review.invalid', 'the reviewer text is empty');
      const turn = turns.get(turnId);
      const replyText = edited ? text : turn ? currentDraft(turn) : '';
      if (replyText === null && turn?.status === 'escalated' && !races.has(turnId)) {
        throw new CountersignError('review.no-draft', `turn ${turnId} has no draft to approve; send the reply text instead`);
      }
      return resolve(turnId, { decision: edited ? 'edited' : 'approved', reviewer, at: Date.now(), ...(edited ? { text } : {}) }, replyText ?? '');
    },
    async reject(turnId, { reviewer }) {
      return resolve(turnId, { decision: 'rejected', reviewer, at: Date.now() }, null);
    },
    loseNextRace(turnId, resolution) {
      races.set(turnId, resolution);
    },
    showResolutionsOn(adapter) {
      adapters.add(adapter);
    },
  };
}

export function createFakeAdapterContext(options: FakeAdapterContextOptions = {}): FakeAdapterContext {
  const now = options.now ?? Date.now;
  const dedupeMs = (options.dedupeTtlSeconds ?? 7 * 24 * 3600) * 1000;
  const logs: CapturedLog[] = [];
  const logger = createCapturingLogger(logs);
  const storage = createMemoryAdapterStorage({ now });
  const review = createFakeReviewService(logger);
  const seen = new Map<string, number>();
  const inboxes = new Map<string, number>();
  const accepted: InboundMessage[] = [];
  const results: IngestResult[] = [];
  const ingestCalls: FakeIngestCall[] = [];
  let failIngest = false;
  const server = createHttpServer({ logger });
  let url = '';

  return {
    inbound: options.inbound ?? true,
    logger,
    logs,
    storage,
    review,
    accepted,
    results,
    ingestCalls,
    http: createHttpRoutes(server),
    limits: createMemoryRateLimits(now),
    async ingest(input) {
      const message: InboundMessage = { ...input, receivedAt: input.receivedAt ?? now() };
      if (failIngest) {
        failIngest = false;
        const error = new CountersignError('redis.unavailable', 'inbox unavailable (injected)', {  });
        ingestCalls.push({ message, result: { error } });
        throw error;
      }
      // The service's dedupe key: platform and the platform's message id.
      const seenKey = `${message.conversation.platform}:${message.id}`;
      const conversation = conversationKey(message.conversation);
      let result: IngestResult;
      if ((seen.get(seenKey) ?? 0) > now()) result = { accepted: false, duplicate: true, messageId: message.id };
      else if (options.inboxMaxMessages !== undefined && (inboxes.get(conversation) ?? 0) >= options.inboxMaxMessages) {
        // Refused messages are not remembered: the same message may come again later.
        result = { accepted: false, duplicate: false, messageId: message.id, refused: 'inbox-full' };
      } else {
        seen.set(seenKey, now() + dedupeMs);
        inboxes.set(conversation, (inboxes.get(conversation) ?? 0) + 1);
        accepted.push(message);
        result = { accepted: true, duplicate: false, messageId: message.id };
      }
      results.push(result);
      ingestCalls.push({ message, result });
      return result;
    },
    failNextIngest() {
      failIngest = true;
    },
    async listen() {
      await server.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
      return url;
    },
    get url() {
      if (!url) throw new Error('the fake adapter context is not listening: call listen() after the adapter started');
      return url;
    },
    async close() {
      server.server.closeAllConnections();
      await server.close();
    },
  };
}
