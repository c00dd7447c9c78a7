import type { Logger } from 'pino';
import type { ConversationRef, InboundMessage, Platform, Reviewer, Turn } from './types.js';

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/** A tool call the model asked for (Chat Completions `tool_calls`). */
export interface ModelToolCall {
  /** The model's id of the call; the `tool` message with the result names it. */
  id: string;
  name: string;
  /** The arguments as the model wrote them: JSON text, not yet parsed or validated. */
  arguments: string;
}

/**
 * One message of a request. An assistant message may carry `toolCalls` (its content then may be
 * empty); a `tool` message answers one of them by `toolCallId`.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  toolCalls?: ModelToolCall[];
  toolCallId?: string;
}

/** A function the model may call (Chat Completions `tools`). */
export interface ModelToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

/** A JSON Schema the model's answer must follow, where the server supports structured output. */
export interface ResponseSchema {
  name: string;
  schema: Record<string, unknown>;
  /** Ask for strict structured output (every object closed). @defaultValue true */
  strict?: boolean;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  /** Ask for one JSON object (json_schema, falling back to json_object). */
  json?: ResponseSchema;
  /** This call's time limit; past it the call fails with `model.timeout`. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Functions the model may call; absent or empty: none. */
  tools?: ModelToolSpec[];
  /** `none`: the model must answer with text even though `tools` are offered. @defaultValue 'auto' */
  toolChoice?: 'auto' | 'none';
}

export interface Completion {
  content: string | null;
  /** The model's refusal (OpenAI's `message.refusal`), if it refused. */
  refusal: string | null;
  finishReason: string | null;
  /** Wall time of the call, in milliseconds. */
  latencyMs: number;
  /** The tool calls the model asked for, if any. */
  toolCalls?: ModelToolCall[];
}

/** One Chat Completions endpoint and model. Errors are CountersignError `model.*`. */
export interface ModelClient {
  readonly model: string;
  complete(request: CompletionRequest): Promise<Completion>;
}

// ---------------------------------------------------------------------------------------------
// Adapters
// ---------------------------------------------------------------------------------------------

/** One part of an approved reply, as the outbox hands it to an adapter. */
export interface OutboundPart {
  conversation: ConversationRef;
  /** The delivery this part belongs to (turn id, or `turnId:holding`). */
  deliveryId: string;
  turnId: string;
  /** 0-based index and count of the parts of this delivery. */
  part: number;
  parts: number;
  text: string;
  /** Deterministic idempotency key of this part: `deliveryId:part`. */
  key: string;
  /** The user messages this reply answers (the newest last), for threading and reply references. */
  replyTo: InboundMessage[];
  /**
   * True when an earlier attempt at this exact part may have reached the platform (it was
   * claimed but its outcome was never recorded). The adapter must look for the part by `key`
   * before it posts again.
   */
  recovering: boolean;
  kind: 'reply' | 'holding-message' | 'canned-reply';
}

export interface SentPart {
  /** The platform's id of the posted message. */
  messageId: string;
  /** True when recovery found the part already posted and did not post it again. */
  alreadyPosted?: boolean;
}

/** A turn as reviewers see it. */
export type ReviewTurn = Turn;

/** What an adapter may do with escalated turns (Slack and Discord review buttons). */
export interface ReviewActions {
  get(turnId: string): Promise<ReviewTurn | null>;
  /**
   * Approve as drafted (no text) or with the reviewer's text; a held tool call as proposed or with
   * the reviewer's `arguments` (checked against the tool's input schema first: `review.invalid`,
   * and nothing runs, when they do not fit). Throws `review.conflict` if resolved.
   */
  approve(turnId: string, options: { reviewer: Reviewer; text?: string; arguments?: Record<string, unknown> }): Promise<ReviewTurn>;
  reject(turnId: string, options: { reviewer: Reviewer }): Promise<ReviewTurn>;
}

export interface IngestResult {
  accepted: boolean;
  /** False when the platform message id was seen before (a retry or a replay). */
  duplicate: boolean;
  messageId: string;
  /**
   * Why a message that is neither accepted nor a duplicate was turned away. `inbox-full`: the
   * conversation already has `inbox.maxMessages` messages or `inbox.maxBytes` bytes waiting
   * (typically held for a human). Nothing was stored and the id is not remembered, so the same
   * message may be sent again later. The web chat answers 429; Slack and Discord messages,
   * which cannot be refused, are dropped (logged and counted by the service).
   */
  refused?: 'inbox-full';
}

/**
 * A small key-value store an adapter can keep its own state in (namespaced per platform). Every
 * key expires: after the `ttlSeconds` given, or the deployment's `retention.conversationSeconds`
 * when none is (docs/data-model.md).
 */
export interface AdapterStorage {
  get(key: string): Promise<string | null>;
  /** Set, expiring after `ttlSeconds` (default: the conversation retention). */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Set only if absent (with no expiry when `ttlSeconds` is not given); true when this call set it. */
  setIfAbsent(key: string, value: string, ttlSeconds?: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Append to a list, in one atomic step: with `once`, only when the `once` key was not set
   * before (idempotent appends; returns false when it was); then, with `keep`, trim the list to
   * its newest `keep` items; then expire the list (and the `once` key) `ttlSeconds` from now
   * (default: the conversation retention), so a list lives as long after its last append.
   */
  append(listKey: string, value: string, options?: AppendOptions): Promise<boolean>;
  /** Items of a list, like LRANGE (negative indexes count from the end). */
  range(listKey: string, start: number, stop: number): Promise<string[]>;
  /** Items in a list (0 when there is none). */
  length(listKey: string): Promise<number>;
  /**
   * A page of a list by position: position 0 is the first item ever appended, and items
   * trimmed away (`keep`) still count, so a position names the same item for good. Returns up
   * to `limit` kept items before position `before` (default: the end), oldest first; `first` is
   * the position of `items[0]`, `oldest` that of the oldest item still kept, `total` the number
   * ever appended.
   */
  page(listKey: string, options: { before?: number; limit: number }): Promise<ListPage>;
  /**
   * Take back an item just appended (the newest occurrence of `value`) and its `once` key, when
   * what it recorded did not happen after all (a message the inbox then refused): a retry can
   * append it again.
   */
  retract(listKey: string, value: string, options?: { once?: string }): Promise<void>;
}

export interface ListPage {
  items: string[];
  first: number;
  oldest: number;
  total: number;
}

export interface AppendOptions {
  /** A key set with the append: a second append with the same key does nothing. */
  once?: string;
  /** Expiry of the list and the `once` key, from this append. @defaultValue retention.conversationSeconds */
  ttlSeconds?: number;
  /** Keep only the newest `keep` items (older ones are dropped in the same step). */
  keep?: number;
}

/**
 * Escalations past the review notification limits (`reviewNotifications:`), shown as one
 * message per review channel instead of one each.
 */
export interface ReviewSummary {
  /** The summary message: the same id edits it, a new id posts a new one. */
  id: string;
  /** Escalated turns folded into it (not posted one by one). */
  folded: number;
  /** How many of those still wait for a decision. */
  waiting: number;
  /** When the first of them was folded in, and the last, ms since the epoch. */
  since: number;
  latest: number;
  /** Where reviewers find them: the dashboard's address, when the operator configured it. */
  reviewUrl?: string;
}

/** What a rate limit answers: go ahead, or wait this long. */
export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** One limit, shared by every process of a deployment: so many points per window, per key. */
export interface RateLimit {
  /** Take `points` (1 by default) for `key`; refused once the window's points are used up. */
  take(key: string, points?: number): Promise<RateLimitDecision>;
  /** Give points back (a request that a later limit refused did not happen). */
  giveBack(key: string, points?: number): Promise<void>;
}

/** Where adapters get their rate limits (Redis-backed, refusals counted in the metrics). */
export interface RateLimits {
  /** A limit of `points` per `durationSeconds`, named for its Redis keys and the metrics label. */
  create(name: string, options: { points: number; durationSeconds: number }): RateLimit;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  /** The parsed body (JSON, or URL-encoded form as an object). */
  body: unknown;
  /** The body's exact bytes, for routes registered with `rawBody: true` (signature checks). */
  rawBody?: Buffer;
  /** The client's address as the HTTP server sees it (a proxy's forwarded address only when the server trusts that proxy). */
  ip?: string;
}

/** A request as far as it has arrived before its body is read: what a route's `precheck` sees. */
export type HttpRequestHead = Omit<HttpRequest, 'body' | 'rawBody'>;

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON, a string as text. */
  body?: unknown;
}

/** The service's HTTP server, as adapters see it: no framework types leak into adapters. */
export interface HttpRoutes {
  route(options: {
    method: 'GET' | 'POST' | 'PUT' | 'DELETE';
    url: string;
    /** Keep the exact request bytes in `rawBody` (for HMAC signature checks). */
    rawBody?: boolean;
    /**
     * Runs once the request line and headers have arrived, before the body is read. A response
     * returned here is sent at once and the connection closed, so a refused request (a missing
     * signature, say) never gets to trickle its body in.
     */
    precheck?: (request: HttpRequestHead) => HttpResponse | undefined | Promise<HttpResponse | undefined>;
    handler: (request: HttpRequest) => Promise<HttpResponse> | HttpResponse;
  }): void;
}

/**
 * Read access to turns by id, for an adapter that shows how a reply it posts was countersigned
 * (the web chat's `showReview`). Read only: adapters never change a turn.
 */
export interface TurnReader {
  /** The turn, or null when there is none (never was, or expired). */
  get(turnId: string): Promise<Turn | null>;
}

export interface AdapterContext {
  /** Accept a user message: dedupe by platform id, then into the conversation's inbox. */
  ingest(message: Omit<InboundMessage, 'receivedAt'> & { receivedAt?: number }): Promise<IngestResult>;
  review: ReviewActions;
  storage: AdapterStorage;
  http: HttpRoutes;
  logger: Logger;
  /** Whether this process takes platform input (connects gateways, serves webhooks). */
  inbound: boolean;
  /** Rate limits shared by the deployment's processes (createCountersign always gives them). */
  limits?: RateLimits;
  /** Turns by id, read only (createCountersign always gives it). */
  turnReader?: TurnReader;
}

/**
 * A chat platform. Every adapter implements this; the shared contract suite in
 * `test/contracts/chat-adapter.contract.ts` runs against each (a new adapter adds a harness in
 * `test/contracts/harnesses/` and a one-line `<platform>.contract.test.ts`).
 */
export interface ChatAdapter {
  readonly platform: Platform;
  /** Connect and register routes. Called once per process. */
  start(context: AdapterContext): Promise<void>;
  /** Disconnect; stop taking input. */
  stop(): Promise<void>;
  /**
   * Turn an approved reply into the platform's parts (markup conversion, splitting at the
   * platform's length limit). Must be deterministic: recovery re-renders the same text.
   */
  render(text: string): string[];
  /** Post one part. Idempotent for the same `key` when `recovering` is true. */
  send(part: OutboundPart): Promise<SentPart>;
  /** Show or clear the "working on it" signal (typing indicator, reaction, thread status). */
  setWorking?(conversation: ConversationRef, replyTo: InboundMessage[], working: boolean): Promise<void>;
  /** Present an escalated turn to this platform's reviewers (Slack/Discord review channel). */
  presentEscalation?(turn: ReviewTurn): Promise<void>;
  /**
   * Post the summary of escalations past the notification limits, or edit the one already
   * posted for `summary.id`. Adapters without it get every escalation through
   * `presentEscalation`, unlimited.
   */
  presentReviewSummary?(summary: ReviewSummary): Promise<void>;
  /** Show how an escalated turn was resolved wherever it was presented. */
  presentResolution?(turn: ReviewTurn): Promise<void>;
}
