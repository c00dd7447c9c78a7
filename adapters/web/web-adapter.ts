import type { AdapterContext, AdapterStorage, ChatAdapter, HttpResponse, OutboundPart, SentPart } from '../../src/core/ports.js';
import type { ConversationRef } from '../../src/core/types.js';
import { renderChatPage, type ChatPageOptions } from './web-chat-page.js';
import { CONVERSATION_ID, toInboundMessage, webMessageBody } from './web-message-mapper.js';

export interface WebAdapterOptions {
  /** Longest accepted message, in characters. @defaultValue 16000 */
  maxMessageChars?: number;
  /** Transcript entries kept per conversation for GET. @defaultValue 1000 */
  transcriptLimit?: number;
  /** What the chat page shows beside the chat (offline demo notice, example prompts). */
  page?: ChatPageOptions;
}

export interface TranscriptEntry {
  id: string;
  role: 'user' | 'bot';
  text: string;
  at: number;
}

const error = (status: number, message: string): HttpResponse => ({ status, body: { error: message } });

/**
 * The web chat: the chat API of CONTRACT.md and a page at `/`. Its transcript (what the user
 * said and what was posted to them) lives in Redis through the adapter storage, so every
 * process of a deployment serves the same conversation.
 */
export function createWebAdapter(options: WebAdapterOptions = {}): ChatAdapter & { transcript(conversationId: string): Promise<TranscriptEntry[]> } {
  const maxChars = options.maxMessageChars ?? 16_000;
  let storage: AdapterStorage | undefined;
  const store = () => {
    if (!storage) throw new Error('the web adapter is not started');
    return storage;
  };

  async function transcript(conversationId: string): Promise<TranscriptEntry[]> {
    const items = await store().range(`transcript:${conversationId}`, -(options.transcriptLimit ?? 1000), -1);
    return items.map((item) => JSON.parse(item) as TranscriptEntry);
  }

  async function state(conversationId: string): Promise<'held' | 'working' | 'idle'> {
    const [held, working] = await Promise.all([store().get(`held:${conversationId}`), store().get(`working:${conversationId}`)]);
    return held ? 'held' : working ? 'working' : 'idle';
  }

  return {
    platform: 'web',
    transcript,
    async start(context: AdapterContext) {
      storage = context.storage;
      const page = renderChatPage(options.page ?? {});
      context.http.route({ method: 'GET', url: '/', handler: () => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page }) });
      context.http.route({
        method: 'POST',
        url: '/api/chat/:conversationId/messages',
        handler: async (request) => {
          const conversationId = request.params.conversationId ?? '';
          if (!CONVERSATION_ID.test(conversationId)) return error(400, 'conversationId: 1-128 letters, digits, dot, dash or underscore');
          const parsed = webMessageBody.safeParse(request.body ?? {});
          if (!parsed.success) return error(400, parsed.error.issues[0]?.message ?? 'invalid body');
          const message = toInboundMessage(conversationId, parsed.data);
          if (!message.text) return error(400, 'text must not be empty');
          if (message.text.length > maxChars) return error(413, `text is ${message.text.length} characters; the limit is ${maxChars}`);
          // The user's entry goes in before the message is queued: a fast worker can post the
          // reply before ingest returns, and the transcript must show the question first. Once
          // per message id in its conversation, so a retried POST (same clientMessageId) adds
          // nothing, and the same id in another conversation is another message.
          const entry: TranscriptEntry = { id: message.id, role: 'user', text: message.text, at: Date.now() };
          await store().append(`transcript:${conversationId}`, JSON.stringify(entry), { once: `user:${conversationId}:${message.id}` });
          const result = await context.ingest(message);
          return { status: 202, body: { messageId: message.id, duplicate: result.duplicate } };
        },
      });
      context.http.route({
        method: 'GET',
        url: '/api/chat/:conversationId/messages',
        handler: async (request) => {
          const conversationId = request.params.conversationId ?? '';
          if (!CONVERSATION_ID.test(conversationId)) return error(400, 'conversationId: 1-128 letters, digits, dot, dash or underscore');
          const [messages, current] = await Promise.all([transcript(conversationId), state(conversationId)]);
          return { status: 200, body: { messages, state: current } };
        },
      });
    },
    async stop() {},
    render(text: string) {
      return [text];
    },
    async send(part: OutboundPart): Promise<SentPart> {
      const conversationId = part.conversation.id;
      const entry: TranscriptEntry = { id: part.key, role: 'bot', text: part.text, at: Date.now() };
      // The append and its idempotency key are one atomic step: a retried send appends nothing.
      const appended = await store().append(`transcript:${conversationId}`, JSON.stringify(entry), { once: `sent:${part.key}` });
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
