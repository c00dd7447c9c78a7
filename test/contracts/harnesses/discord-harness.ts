/**
 * The Discord adapter for the ChatAdapter contract: the real discord.js client against the fake
 * Discord's REST API and gateway.
 */
import { createDiscordAdapter, type DiscordAdapterOptions } from '../../../adapters/discord/discord-adapter.js';
import { DISCORD_MESSAGE_LIMIT } from '../../../adapters/discord/discord-render.js';
import { createFakeAdapterContext } from '../../fakes/fake-adapter-context.js';
import { type FakeInteraction, type FakeMessage, startFakeDiscord } from '../../fakes/fake-discord.js';
import { addTestGuild, ann, GENERAL, REVIEW, REVIEWER_ROLE, rita } from '../../fakes/discord-test-guild.js';
import { type ChatAdapterHarness, eventually } from '../chat-adapter.contract.js';

export async function createDiscordHarness(): Promise<ChatAdapterHarness> {
  const fake = await startFakeDiscord({ heartbeatIntervalMs: 1500 });
  addTestGuild(fake);
  const options: DiscordAdapterOptions = { botToken: fake.token, apiUrl: fake.apiUrl, reviewChannel: REVIEW, reviewerRole: REVIEWER_ROLE };
  const adapter = createDiscordAdapter(options);
  const context = createFakeAdapterContext();
  await adapter.start(context);
  const clicks: FakeInteraction[] = [];

  const reviewPosts = (turnId: string): FakeMessage[] => fake.messagesIn(REVIEW).filter((message) => JSON.stringify(message.embeds).includes(`"turn ${turnId}"`));
  const firstReview = (turnId: string) => {
    const message = reviewPosts(turnId)[0];
    if (!message) throw new Error(`no review message for ${turnId}`);
    return message;
  };
  const click = (turnId: string, action: string) => {
    const interaction = fake.clickButton({ messageId: firstReview(turnId).id, customId: `countersign:${action}:${turnId}`, user: rita });
    clicks.push(interaction);
    return interaction;
  };

  return {
    adapter,
    context,
    createAnother: () => createDiscordAdapter(options),
    partLimit: DISCORD_MESSAGE_LIMIT,
    async openConversation(text = 'hello, bot') {
      const count = context.accepted.length;
      const posted = fake.userMessage({ channelId: GENERAL, author: ann, content: text, mentionBot: true });
      const message = await eventually(() => context.accepted.length > count && context.accepted.find((item) => item.id === posted.id), 'the mention to be ingested');
      return { conversation: message.conversation, replyTo: [message] };
    },
    async botMessages(conversation) {
      return fake
        .messagesIn(conversation.route!.channelId!)
        .filter((message) => message.author.id === fake.botUser.id)
        .map((message) => ({ id: message.id, text: message.content }));
    },
    loseNextPostOutcome() {
      fake.dropCreateResponses(1);
    },
    async deliverTwice(text) {
      const posted = fake.userMessage({ channelId: GENERAL, author: ann, content: text, mentionBot: true });
      await eventually(() => context.ingestCalls.some((call) => call.message.id === posted.id), 'the message to reach ingest');
      // The connection drops; on RESUME Discord replays the session's events from the last one
      // the client acknowledged, here including this message again.
      const resumes = fake.resumes;
      fake.replayOverlap = 1;
      fake.dropGateway();
      await eventually(() => fake.resumes > resumes && fake.gatewayConnected(), 'the gateway to resume');
      if (!fake.lastReplay.some((event) => event.t === 'MESSAGE_CREATE' && (event.d as { id: string }).id === posted.id)) {
        throw new Error('the resume did not replay the message');
      }
      await eventually(() => context.ingestCalls.filter((call) => call.message.id === posted.id).length === 2, 'the replayed message to reach ingest');
    },
    review: {
      async reviewMessages(turnId) {
        return reviewPosts(turnId).map((message) => ({ text: `${message.content}\n${JSON.stringify(message.embeds)}`, actionable: message.components.length > 0 }));
      },
      async click(turnId, action) {
        click(turnId, action);
      },
      async openEdit(turnId) {
        const opened = click(turnId, 'edit');
        await fake.waitFor(() => fake.modalOf(opened), 'the edit modal');
        return {
          async submit(text) {
            clicks.push(fake.submitModal({ after: opened, values: { text } }));
          },
        };
      },
      async noticesToReviewer() {
        return clicks.flatMap((interaction) => fake.ephemeralReplies(interaction).map((message) => message.content));
      },
      async editBoxesOpened() {
        return clicks.filter((interaction) => fake.modalOf(interaction)).length;
      },
    },
    async close() {
      await adapter.stop();
      await context.close();
      await fake.close();
    },
  };
}
