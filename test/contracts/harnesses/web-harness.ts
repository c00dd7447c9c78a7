/**
 * The web chat adapter for the ChatAdapter contract, driven over its HTTP API (the chat API of
 * CONTRACT.md) on the service's HTTP server, with conversation tokens as a browser sends them.
 */
import { randomUUID } from 'node:crypto';
import { TOKEN_HEADER } from '../../../adapters/web/conversation-access.js';
import { createWebAdapter } from '../../../adapters/web/web-adapter.js';
import { createFakeAdapterContext } from '../../fakes/fake-adapter-context.js';
import type { ChatAdapterHarness } from '../chat-adapter.contract.js';

export async function createWebHarness(): Promise<ChatAdapterHarness> {
  const context = createFakeAdapterContext();
  const adapter = createWebAdapter();
  await adapter.start(context);
  const url = await context.listen();
  const tokens = new Map<string, string>();

  /** A user's message, as the chat page posts it; its answer must be 202. */
  async function post(conversationId: string, body: { text: string; clientMessageId: string }) {
    const token = tokens.get(conversationId);
    const response = await fetch(`${url}/api/chat/${conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { [TOKEN_HEADER]: token } : {}) },
      body: JSON.stringify({ ...body, user: 'ann' }),
    });
    const answer = (await response.json()) as { conversationToken?: string; error?: string };
    if (response.status !== 202) throw new Error(`POST answered ${response.status}: ${answer.error}`);
    if (answer.conversationToken) tokens.set(conversationId, answer.conversationToken);
  }

  return {
    adapter,
    context,
    createAnother: () => createWebAdapter(),
    // The transcript takes a reply of any length: one part.
    partLimit: Number.POSITIVE_INFINITY,
    async openConversation(text = 'hello, bot') {
      const conversationId = `c-${randomUUID()}`;
      const clientMessageId = randomUUID();
      await post(conversationId, { text, clientMessageId });
      const message = context.accepted.find((item) => item.id === clientMessageId);
      if (!message) throw new Error('the message was not ingested');
      return { conversation: message.conversation, replyTo: [message] };
    },
    async botMessages(conversation) {
      const response = await fetch(`${url}/api/chat/${conversation.id}/messages?limit=200`, { headers: { [TOKEN_HEADER]: tokens.get(conversation.id) ?? '' } });
      const page = (await response.json()) as { messages: Array<{ id: string; role: string; text: string }> };
      return page.messages.filter((entry) => entry.role === 'bot').map((entry) => ({ id: entry.id, text: entry.text }));
    },
    loseNextPostOutcome() {
      // The transcript append happens in Redis, and its reply is lost on the way back.
      context.storage.loseNextAnswer('append');
    },
    async deliverTwice(text) {
      const conversationId = `c-${randomUUID()}`;
      const message = { text, clientMessageId: randomUUID() };
      await post(conversationId, message);
      // The browser did not get the answer and sends the same message again.
      await post(conversationId, message);
    },
    async close() {
      await adapter.stop();
      await context.close();
    },
  };
}
