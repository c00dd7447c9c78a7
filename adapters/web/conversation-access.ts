import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AdapterStorage, HttpRequest } from '../../src/core/ports.js';

/** The header that carries a conversation's token on every request of that conversation. */
export const TOKEN_HEADER = 'x-conversation-token';

/**
 * A conversation token: at least 128 random bits in a URL-safe or base64 alphabet (22+
 * base64url characters, 32+ hex digits). Its strength is the client's choice; the length is
 * the floor this service holds it to.
 */
export const CONVERSATION_TOKEN = /^[A-Za-z0-9_~+/.=-]{22,512}$/;

/** Who the operator's hook says a request comes from. */
export interface WebIdentity {
  /** The operator's own user: conversations this user starts belong to this user only. */
  user: { id: string; name?: string };
  /** The key the web chat's per-client limits count under. @defaultValue `user.id` */
  key?: string;
}

/**
 * The operator's authentication: map a request (its cookies or headers) to one of the
 * operator's users, or null to refuse it (401). It replaces conversation tokens.
 */
export type WebAuthenticate = (request: HttpRequest) => WebIdentity | null | Promise<WebIdentity | null>;

const identitySchema = z.object({
  user: z.object({ id: z.string().min(1).max(256), name: z.string().min(1).max(100).optional() }),
  key: z.string().min(1).max(256).optional(),
});

/** Who is asking, as far as this service can tell. */
export type Requester =
  /** Conversation tokens: the token sent, or null when none was. */
  | { kind: 'token'; token: string | null }
  /** The operator's hook named a user. */
  | { kind: 'user'; identity: WebIdentity }
  /** Tokens turned off: everyone may do everything. */
  | { kind: 'open' };

export type AccessMode = { kind: 'tokens' } | { kind: 'open' } | { kind: 'hook'; authenticate: WebAuthenticate };

/** What a requester may do with a conversation. */
export type Access = 'owner' | 'new' | 'denied';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Who owns a web conversation. The owner record (`owner:<id>` in the adapter's storage) holds
 * only a SHA-256 of the token, or of the hook's user id, never the token itself. A
 * conversation whose transcript exists without an owner record (started before tokens were on,
 * or whose record was lost) is closed to everyone rather than handed to the first who asks.
 */
export function createConversationAccess(options: { storage: () => AdapterStorage; mode: AccessMode; transcriptKey: (conversationId: string) => string }) {
  const { mode } = options;
  const ownerKey = (conversationId: string) => `owner:${conversationId}`;

  const recordOf = (requester: Requester, token?: string): string | null => {
    if (requester.kind === 'open') return 'open';
    if (requester.kind === 'user') return `user:${sha256(requester.identity.user.id)}`;
    const secret = token ?? requester.token;
    return secret ? `token:${sha256(secret)}` : null;
  };

  const sameRecord = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

  /** May this requester use the conversation: its owner, a new conversation, or denied. */
  async function check(conversationId: string, requester: Requester): Promise<Access> {
    const record = await options.storage().get(ownerKey(conversationId));
    if (record === null) {
      const { total } = await options.storage().page(options.transcriptKey(conversationId), { limit: 0 });
      if (total === 0) return 'new';
      return mode.kind === 'open' ? 'owner' : 'denied';
    }
    if (mode.kind === 'open') return 'owner';
    const mine = recordOf(requester);
    return mine !== null && sameRecord(mine, record) ? 'owner' : 'denied';
  }

  return {
    check,
    /**
     * Who sent this request: a requester and the key the per-client limits count under, or
     * the answer that refuses it (a malformed token, or the hook said no).
     */
    async identify(request: HttpRequest, clientKey: string): Promise<{ requester: Requester; clientKey: string } | { refusal: { status: number; error: string } }> {
      if (mode.kind === 'open') return { requester: { kind: 'open' }, clientKey };
      if (mode.kind === 'hook') {
        const answer = await mode.authenticate(request);
        if (answer === null || answer === undefined) return { refusal: { status: 401, error: 'sign in to use the chat' } };
        const parsed = identitySchema.safeParse(answer);
        // A malformed identity is the operator's bug, not the user's: a 500 and a log line.
        if (!parsed.success) throw new Error(`the web chat's authenticate hook returned an invalid identity: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
        const identity: WebIdentity = parsed.data;
        return { requester: { kind: 'user', identity }, clientKey: `user:${sha256(identity.key ?? identity.user.id)}` };
      }
      const header = request.headers[TOKEN_HEADER];
      if (header === undefined) return { requester: { kind: 'token', token: null }, clientKey };
      if (typeof header !== 'string' || !CONVERSATION_TOKEN.test(header)) {
        return { refusal: { status: 400, error: `${TOKEN_HEADER}: one token of 22 to 512 characters (letters, digits, - _ . ~ + / =), at least 128 random bits` } };
      }
      return { requester: { kind: 'token', token: header }, clientKey };
    },

    /**
     * Make a new conversation the requester's. A token request without a token gets one made
     * here (returned once, in the POST's answer). When another request claimed it first, the
     * answer is whether that was the same owner (a retried first POST).
     */
    async claim(conversationId: string, requester: Requester): Promise<{ access: Exclude<Access, 'new'>; madeToken?: string }> {
      const madeToken = requester.kind === 'token' && requester.token === null ? randomBytes(24).toString('base64url') : undefined;
      const record = recordOf(requester, madeToken)!;
      if (await options.storage().setIfAbsent(ownerKey(conversationId), record)) return { access: 'owner', ...(madeToken ? { madeToken } : {}) };
      return { access: (await check(conversationId, requester)) === 'owner' ? 'owner' : 'denied' };
    },
  };
}

export type ConversationAccess = ReturnType<typeof createConversationAccess>;
