import { z } from 'zod';
import type { AdapterContext, AdapterStorage, ChatAdapter, HttpRequest, HttpResponse, OutboundPart, SentPart } from '../../src/core/ports.js';
import type { ConversationRef } from '../../src/core/types.js';
import { CHAT_ASSETS } from './chat-assets.js';
import { type AccessMode, createConversationAccess, type ConversationAccess, type WebAuthenticate } from './conversation-access.js';
import { describeReply } from './describe-reply.js';
import type { ReplyReview, TranscriptEntry } from './transcript-entry.js';
import { CHAT_PAGE_HEADERS, renderChatPage, type ChatPageOptions } from './web-chat-page.js';
import { clientKeyOfAddress } from './web-client-key.js';
import { createWebLimits, type WebLimits, type WebLimitsOptions } from './web-limits.js';
import { CONVERSATION_ID, toInboundMessage, webMessageBody } from './web-message-mapper.js';

export interface WebAdapterOptions {
  /** Longest accepted message, in characters. @defaultValue 16000 */
  maxMessageChars?: number;
  /** Transcript entries kept per conversation; older ones are trimmed as new ones arrive. @defaultValue 500 */
  transcriptKeep?: number;
  /** Transcript entries a GET answers without `limit`. @defaultValue 50 */
  pageSize?: number;
  /** The largest `limit` a GET may ask for. @defaultValue 200 */
  maxPageSize?: number;
  /**
   * Conversation tokens (`X-Conversation-Token`, see docs/security.md): only the client
   * that started a conversation reads or posts into it. `false` opens every conversation to
   * anyone who knows (or guesses) its id. Ignored when `authenticate` is set.
   * @defaultValue true
   */
  conversationTokens?: boolean;
  /**
   * The operator's own authentication instead of conversation tokens: map a request to one of
   * the operator's users (or null: 401). Conversations then belong to that user, and the
   * per-client limits count under the identity's `key`.
   * @example
   * authenticate: async (request) => {
   *   const user = await sessions.userOf(request.headers.cookie);
   *   return user ? { user: { id: user.id, name: user.displayName } } : null;
   * }
   */
  authenticate?: WebAuthenticate;
  /** Messages and new conversations per minute, per client and for everyone; 0 lifts a limit. */
  limits?: WebLimitsOptions;
  /** What the chat page shows beside the chat (offline demo notice, example prompts). */
  page?: ChatPageOptions;
  /**
   * Show under each reply who countersigned it (the critic approved, edited or had it
   * redrafted; a human reviewer approved or wrote it; the operator's text), the critic's
   * reason, and the drafts the user never received. Made for demos: it shows users what the
   * critic kept from them, and stores it with the transcript (docs/web-chat.md). Off, the
   * chat API and page show none of it, also for replies stored while it was on.
   * @defaultValue false
   */
  showReview?: boolean;
}

export type { ReplyReview, TranscriptEntry };

const WEB_DEFAULTS = { maxMessageChars: 16_000, transcriptKeep: 500, pageSize: 50, maxPageSize: 200 } as const;

/** Statuses of the chat API carry no secret and must not be cached by anything in between. */
const API_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

const error = (status: number, message: string, headers: Record<string, string> = {}): HttpResponse => ({ status, headers: { ...API_HEADERS, ...headers }, body: { error: message } });
/** The one answer for a conversation that does not exist and one that is not the requester's. */
const notFound = () => error(404, 'conversation not found');
const badId = () => error(400, 'conversationId: 1-128 letters, digits, dot, dash or underscore');

const transcriptKey = (conversationId: string) => `transcript:${conversationId}`;

/**
 * A stored entry as the chat API answers it. Entries are answered as stored, without a parse;
 * only one that carries a review (the key `"review":` appears unescaped only as a key) is
 * parsed, to drop the review when `showReview` is off.
 */
function withoutReview(stored: string): string {
  if (!stored.includes('"review":')) return stored;
  const { review: _review, ...entry } = JSON.parse(stored) as TranscriptEntry;
  return JSON.stringify(entry);
}

/**
 * The web chat: the chat API of CONTRACT.md and a page at `/`. Its transcript (what the user
 * said and what was posted to them) lives in Redis through the adapter storage, so every
 * process of a deployment serves the same conversation. A conversation is readable and
 * writable only by the client that started it (conversation tokens, or the operator's
 * authenticate hook), and messages are rate limited per client and overall.
 */
export function createWebAdapter(options: WebAdapterOptions = {}): ChatAdapter & { transcript(conversationId: string): Promise<TranscriptEntry[]> } {
  const maxChars = options.maxMessageChars ?? WEB_DEFAULTS.maxMessageChars;
  const keep = options.transcriptKeep ?? WEB_DEFAULTS.transcriptKeep;
  const pageSize = options.pageSize ?? WEB_DEFAULTS.pageSize;
  const showReview = options.showReview ?? false;
  const maxPageSize = options.maxPageSize ?? WEB_DEFAULTS.maxPageSize;
  if (pageSize > maxPageSize) throw new Error(`web chat: pageSize (${pageSize}) must not exceed maxPageSize (${maxPageSize})`);
  const mode: AccessMode = options.authenticate ? { kind: 'hook', authenticate: options.authenticate } : options.conversationTokens === false ? { kind: 'open' } : { kind: 'tokens' };
  const pageQuery = z.object({
    limit: z.coerce.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be at least 1').max(maxPageSize, `limit must be at most ${maxPageSize}`).default(pageSize),
    before: z.coerce.number({ error: 'before must be a number' }).int('before must be a whole number').min(0, 'before must not be negative').optional(),
  });

  let storage: AdapterStorage | undefined;
  let access: ConversationAccess | undefined;
  let limits: WebLimits | undefined;
  let adapterContext: AdapterContext | undefined;
  const store = () => {
    if (!storage) throw new Error('the web adapter is not started');
    return storage;
  };

  async function transcript(conversationId: string): Promise<TranscriptEntry[]> {
    const page = await store().page(transcriptKey(conversationId), { limit: keep });
    return page.items.map((item) => JSON.parse(item) as TranscriptEntry);
  }

  async function state(conversationId: string): Promise<'held' | 'working' | 'idle'> {
    const [held, working] = await Promise.all([store().get(`held:${conversationId}`), store().get(`working:${conversationId}`)]);
    return held ? 'held' : working ? 'working' : 'idle';
  }

  /** Who asks, and may they use this conversation; or the answer that refuses them. */
  async function authorize(request: HttpRequest, conversationId: string) {
    const who = await access!.identify(request, clientKeyOfAddress(request.ip));
    if ('refusal' in who) return { ok: false as const, response: error(who.refusal.status, who.refusal.error) };
    return { ok: true as const, who, access: await access!.check(conversationId, who.requester) };
  }

  /** The chat page's script or stylesheet (bundled on first request when running from the sources). */
  async function chatAsset(name: string, context: AdapterContext): Promise<HttpResponse> {
    try {
      const asset = await CHAT_ASSETS.get(name);
      return { status: 200, headers: { ...CHAT_PAGE_HEADERS, 'content-type': asset.contentType }, body: asset.body };
    } catch (failure) {
      context.logger.error({ err: failure, asset: name }, 'a chat page asset could not be loaded');
      return error(503, `the chat page's ${name} is unavailable`);
    }
  }

  /**
   * How the reply this part ends was countersigned, from its turn. Only for the page: a turn
   * that cannot be read leaves the reply without it, and never holds the reply back.
   */
  async function reviewOf(part: OutboundPart): Promise<ReplyReview | null> {
    const reader = adapterContext?.turnReader;
    if (!reader) return null;
    try {
      const turn = await reader.get(part.turnId);
      return turn ? describeReply(turn, part.kind) : null;
    } catch (failure) {
      adapterContext?.logger.warn({ err: failure, turn: part.turnId }, 'could not read the turn to show how its reply was countersigned');
      return null;
    }
  }

  async function postMessage(request: HttpRequest, context: AdapterContext): Promise<HttpResponse> {
    const conversationId = request.params.conversationId ?? '';
    if (!CONVERSATION_ID.test(conversationId)) return badId();
    const authorized = await authorize(request, conversationId);
    if (!authorized.ok) return authorized.response;
    const { who } = authorized;
    const parsed = webMessageBody.safeParse(request.body ?? {});
    if (!parsed.success) return error(400, parsed.error.issues[0]?.message ?? 'invalid body');
    const mapped = toInboundMessage(conversationId, parsed.data);
    // The operator's hook knows who the user is; the body's `user` is only a display name.
    const message = who.requester.kind === 'user' ? { ...mapped, user: { id: who.requester.identity.user.id, name: who.requester.identity.user.name ?? who.requester.identity.user.id } } : mapped;
    if (!message.text) return error(400, 'text must not be empty');
    if (message.text.length > maxChars) return error(413, `text is ${message.text.length} characters; the limit is ${maxChars}`);
    if (authorized.access === 'denied') return notFound();
    // Limits come before anything is stored: a refused message is neither kept nor queued.
    const refusal = await limits!.admit(who.clientKey, { newConversation: authorized.access === 'new' });
    if (refusal) {
      // Debug only: a flood would otherwise flood the log too; the metrics count every refusal.
      context.logger.debug({ limit: refusal.limit, retryAfterSeconds: refusal.retryAfterSeconds }, 'web chat message refused by a rate limit');
      return error(429, refusal.error, { 'retry-after': String(refusal.retryAfterSeconds) });
    }
    let madeToken: string | undefined;
    if (authorized.access === 'new') {
      // Two first POSTs may race: the one that claims the conversation owns it; the other is
      // the same client retrying (same token) or someone else (404).
      const claimed = await access!.claim(conversationId, who.requester);
      if (claimed.access === 'denied') return notFound();
      madeToken = claimed.madeToken;
    }
    // The user's entry goes in before the message is queued: a fast worker can post the
    // reply before ingest returns, and the transcript must show the question first. Once
    // per message id in its conversation, so a retried POST (same clientMessageId) adds
    // nothing, and the same id in another conversation is another message.
    const entry: TranscriptEntry = { id: message.id, role: 'user', text: message.text, at: Date.now() };
    const stored = JSON.stringify(entry);
    await store().append(transcriptKey(conversationId), stored, { once: `user:${conversationId}:${message.id}`, keep });
    const result = await context.ingest(message);
    if (result.refused === 'inbox-full') {
      // The conversation's inbox is full (held for a human, typically): nothing was queued, so
      // the transcript must not show the message either; the same message may be sent later.
      await store().retract(transcriptKey(conversationId), stored, { once: `user:${conversationId}:${message.id}` });
      return error(429, 'too many messages are waiting in this conversation; try again later', { 'retry-after': '60' });
    }
    return { status: 202, headers: API_HEADERS, body: { messageId: message.id, duplicate: result.duplicate, ...(madeToken ? { conversationToken: madeToken } : {}) } };
  }

  async function getMessages(request: HttpRequest): Promise<HttpResponse> {
    const conversationId = request.params.conversationId ?? '';
    if (!CONVERSATION_ID.test(conversationId)) return badId();
    const authorized = await authorize(request, conversationId);
    if (!authorized.ok) return authorized.response;
    const query = pageQuery.safeParse(request.query ?? {});
    if (!query.success) return error(400, query.error.issues[0]?.message ?? 'invalid query');
    // Without tokens a conversation nobody has posted to yet reads as empty, as it always did.
    if (authorized.access === 'denied' || (authorized.access === 'new' && mode.kind !== 'open')) return notFound();
    const { limit, before } = query.data;
    const [page, current] = await Promise.all([store().page(transcriptKey(conversationId), { limit, ...(before === undefined ? {} : { before }) }), state(conversationId)]);
    const previous = page.first > page.oldest ? `/api/chat/${conversationId}/messages?before=${page.first}&limit=${limit}` : null;
    // The entries are JSON this adapter wrote: they go out as stored, without a parse and a
    // stringify of every entry, which under many readers kept the event loop (and /healthz) busy.
    const items = showReview ? page.items : page.items.map(withoutReview);
    const body = `{"messages":[${items.join(',')}],"state":${JSON.stringify(current)},"previous":${JSON.stringify(previous)}}`;
    return { status: 200, headers: { ...API_HEADERS, 'content-type': 'application/json; charset=utf-8' }, body };
  }

  return {
    platform: 'web',
    transcript,
    async start(context: AdapterContext) {
      storage = context.storage;
      access = createConversationAccess({ storage: store, mode, transcriptKey });
      limits = createWebLimits(context.limits, options.limits);
      adapterContext = context;
      if (showReview && !context.turnReader) context.logger.warn('web.showReview is on, but this service gives the web chat no turn reader: replies are shown without review');
      const page = renderChatPage(options.page ?? {});
      context.http.route({ method: 'GET', url: '/', handler: () => ({ status: 200, headers: { ...CHAT_PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' }, body: page }) });
      for (const name of CHAT_ASSETS.names) {
        context.http.route({ method: 'GET', url: `/assets/${name}`, handler: () => chatAsset(name, context) });
      }
      context.http.route({ method: 'POST', url: '/api/chat/:conversationId/messages', handler: (request) => postMessage(request, context) });
      context.http.route({ method: 'GET', url: '/api/chat/:conversationId/messages', handler: getMessages });
    },
    async stop() {},
    render(text: string) {
      // The transcript takes a reply of any length in one entry; a blank reply is nothing to post.
      return text.trim() ? [text] : [];
    },
    async send(part: OutboundPart): Promise<SentPart> {
      const conversationId = part.conversation.id;
      const review = showReview && part.part === part.parts - 1 ? await reviewOf(part) : null;
      const entry: TranscriptEntry = { id: part.key, role: 'bot', text: part.text, at: Date.now(), ...(review ? { review } : {}) };
      // The append and its idempotency key are one atomic step: a retried send appends nothing.
      const appended = await store().append(transcriptKey(conversationId), JSON.stringify(entry), { once: `sent:${part.key}`, keep });
      if (part.kind === 'holding-message') await store().set(`held:${conversationId}`, part.turnId);
      else await store().delete(`held:${conversationId}`);
      return { messageId: part.key, alreadyPosted: !appended };
    },
    async setWorking(conversation: ConversationRef, _replyTo, working) {
      if (working) await store().set(`working:${conversation.id}`, '1', 300);
      else await store().delete(`working:${conversation.id}`);
    },
  };
}
