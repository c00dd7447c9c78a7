/**
 * The Discord adapter with the real discord.js client against the fake Discord (REST and
 * gateway), with the fake AdapterContext: inbound rules, replies, nonce dedupe, 429s,
 * splitting, mentions, typing, gateway resume, and the review buttons and modal.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordAdapter } from '../../adapters/discord/discord-adapter.js';
import { isCountersignError } from '../../src/core/errors.js';
import type { ChatAdapter, OutboundPart, } from '../../src/core/ports.js';
import type { InboundMessage } from '../../src/core/types.js';
import { escalatedReviewTurn } from '../fakes/escalated-review-turn.js';
import { replyPart } from '../fakes/reply-part.js';
import { createFakeAdapterContext, type FakeAdapterContext } from '../fakes/fake-adapter-context.js';
import { type FakeDiscord, type FakeUser, startFakeDiscord } from '../fakes/fake-discord.js';
import { addTestGuild, ann, GENERAL, GUILD, REVIEW, REVIEWER_ROLE, rita, THREAD } from '../fakes/discord-test-guild.js';

// ann talks to the bot; rita reviews by role (test/fakes/discord-test-guild.ts).
const uwe: FakeUser = { id: '440000000000000003', username: 'uwe' }; // reviewer by user id
const otherBot: FakeUser = { id: '440000000000000009', username: 'helper-bot', bot: true };

let fake: FakeDiscord;
let adapter: ChatAdapter;
let context: FakeAdapterContext;

beforeEach(async () => {
  fake = await startFakeDiscord({ heartbeatIntervalMs: 1500 });
  addTestGuild(fake, { thread: true });
  adapter = createDiscordAdapter({
    botToken: fake.token,
    apiUrl: fake.apiUrl,
    reviewChannel: REVIEW,
    reviewerRole: REVIEWER_ROLE,
    reviewers: [uwe.id],
    typingIntervalMs: 100,
  });
  context = createFakeAdapterContext();
  await adapter.start(context);
});

afterEach(async () => {
  await adapter.stop();
  await context.close();
  await fake.close();
});

/** A reply part answering `message`. */
const part = (message: InboundMessage, text: string, overrides: Partial<OutboundPart> = {}) => replyPart(message.conversation, text, { replyTo: [message], ...overrides });

async function mention(content: string, author: FakeUser = ann, channelId = GENERAL): Promise<InboundMessage> {
  const count = context.accepted.length;
  const posted = fake.userMessage({ channelId, author, content, mentionBot: true });
  await fake.waitFor(() => context.accepted.length > count, 'the mention to be ingested');
  const accepted = context.accepted.at(-1)!;
  expect(accepted.id).toBe(posted.id);
  return accepted;
}

describe('inbound', () => {
  it('accepts a mention in a guild channel as guild:channel, without the mention', async () => {
    const message = await mention('where is my order?');
    expect(message.conversation).toEqual({ platform: 'discord', id: `${GUILD}:${GENERAL}`, route: { channelId: GENERAL, guildId: GUILD } });
    expect(message.text).toBe('where is my order?');
    expect(message.user).toEqual({ id: ann.id, name: 'Ann' });
  });

  it('accepts direct messages as @me:channel without a mention', async () => {
    const dm = fake.dmChannel(ann);
    const posted = fake.userMessage({ channelId: dm.id, author: ann, content: 'hi in private' });
    await fake.waitFor(() => context.accepted.length === 1, 'the DM');
    expect(context.accepted[0]).toMatchObject({ id: posted.id, text: 'hi in private', conversation: { id: `@me:${dm.id}` } });
  });

  it('ignores unaddressed channel messages, its own messages and other bots', async () => {
    fake.userMessage({ channelId: GENERAL, author: ann, content: 'just chatting' });
    fake.userMessage({ channelId: GENERAL, author: otherBot, content: 'beep', mentionBot: true });
    fake.userMessage({ channelId: GENERAL, author: fake.botUser, content: 'my own words', mentionBot: true });
    // A later addressed message is accepted; everything before it was seen and ignored.
    const last = await mention('now I ask');
    expect(context.accepted).toEqual([last]);
  });

  it('answers in a thread once the bot takes part in it', async () => {
    fake.userMessage({ channelId: THREAD, author: ann, content: 'not for the bot yet' });
    const first = await mention('can you help here?', ann, THREAD);
    expect(first.conversation.id).toBe(`${GUILD}:${THREAD}`);
    const follow = fake.userMessage({ channelId: THREAD, author: ann, content: 'and one more thing' });
    await fake.waitFor(() => context.accepted.length === 2, 'the thread follow-up');
    expect(context.accepted.map((message) => message.id)).toEqual([first.id, follow.id]);
  });

  it('resumes a dropped gateway and replays nothing twice', async () => {
    const first = await mention('first question');
    fake.dropGateway();
    // Sent while the client is away: Discord keeps it for the session and replays it on RESUME,
    // together with (here) the event before it, which the client already handled.
    fake.replayOverlap = 2;
    const second = fake.userMessage({ channelId: GENERAL, author: ann, content: 'second question', mentionBot: true });
    await fake.waitFor(() => context.accepted.length === 2, 'the replayed message');
    await fake.waitFor(() => fake.resumes === 1 && fake.gatewayConnected(), 'the resume');
    const replayed = fake.lastReplay.filter((event) => event.t === 'MESSAGE_CREATE').map((event) => (event.d as { id: string }).id);
    expect(replayed).toEqual(expect.arrayContaining([first.id, second.id]));
    // Op 7: Discord asks the client to reconnect; it resumes the same session again.
    fake.requestReconnect();
    await fake.waitFor(() => fake.resumes === 2 && fake.gatewayConnected(), 'the second resume');
    const third = await mention('third question');
    expect(context.accepted.map((message) => message.id)).toEqual([first.id, second.id, third.id]);
    // The replayed first message reached ingest again and was refused as a duplicate.
    expect(context.results.filter((result) => result.duplicate).map((result) => result.messageId)).toEqual([first.id]);
    expect(fake.identifies).toBe(1);
  });
});

describe('outbound', () => {
  it('replies to the user message with a nonce and pings nobody from model output', async () => {
    const message = await mention('hello');
    const sent = await adapter.send(part(message, 'Hi @everyone and @here, ping <@&330000000000000001> and <@440000000000000002>!'));
    const posted = fake.messages.find((item) => item.id === sent.messageId)!;
    expect(posted.message_reference?.message_id).toBe(message.id);
    expect(posted.mention_everyone).toBe(false);
    expect(posted.mention_roles).toEqual([]);
    // Only the user being answered is notified, through the reply.
    expect(posted.mentions.map((user) => user.id)).toEqual([ann.id]);
    expect(posted.allowed_mentions).toEqual({ parse: [], replied_user: true });
    expect(typeof posted.nonce).toBe('string');
    expect(String(posted.nonce).length).toBeLessThanOrEqual(25);
  });

  it('posts once when a send is retried after its response was lost (nonce)', async () => {
    const message = await mention('hello');
    fake.dropCreateResponses(1);
    const failure = await adapter.send(part(message, 'only once please')).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isCountersignError(failure)).toBe(true);
    expect((failure as { retryable: boolean }).retryable).toBe(true);
    const stored = fake.messagesIn(GENERAL).filter((item) => item.author.id === fake.botUser.id);
    expect(stored).toHaveLength(1);
    const retried = await adapter.send(part(message, 'only once please', { recovering: true }));
    expect(retried.messageId).toBe(stored[0]!.id);
    expect(fake.messagesIn(GENERAL).filter((item) => item.author.id === fake.botUser.id)).toHaveLength(1);
    // A later recovery finds the part in the adapter's own record, without asking Discord.
    const again = await adapter.send(part(message, 'only once please', { recovering: true }));
    expect(again).toEqual({ messageId: stored[0]!.id, alreadyPosted: true });
  });

  it('honours 429 with retry_after and then posts', async () => {
    const message = await mention('hello');
    fake.rateLimitNext('POST /channels/:id/messages', 1, 0.5);
    const sent = await adapter.send(part(message, 'after the limit'));
    const creates = fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith(`/channels/${GENERAL}/messages`));
    expect(creates.map((request) => request.status)).toEqual([429, 200]);
    expect(creates[1]!.at - creates[0]!.at).toBeGreaterThanOrEqual(500);
    expect(fake.messages.find((item) => item.id === sent.messageId)?.content).toBe('after the limit');
  });

  it('paces sends by the X-RateLimit headers of a route bucket', async () => {
    const message = await mention('hello');
    fake.setBucket('POST /channels/:id/messages', 2, 600);
    const texts = ['one', 'two', 'three', 'four', 'five'];
    for (const [index, text] of texts.entries()) {
      await adapter.send(part(message, text, { part: index, parts: texts.length, key: `turn-1:${index}` }));
    }
    expect(fake.messagesIn(GENERAL).filter((item) => item.author.id === fake.botUser.id).map((item) => item.content)).toEqual(texts);
    const creates = fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith(`/channels/${GENERAL}/messages`));
    // discord.js waited for the bucket to reset instead of running into 429s (or, at worst, honoured them).
    expect(creates.filter((request) => request.status === 200)).toHaveLength(texts.length);
    expect(creates.at(-1)!.at - creates[0]!.at).toBeGreaterThanOrEqual(600);
  });

  it('splits a 5,000-character reply into ordered parts, the first one replying', async () => {
    const message = await mention('tell me everything');
    const paragraphs = Array.from({ length: 26 }, (_, index) => `Paragraph ${index + 1}. ${'word '.repeat(37).trim()}`);
    const text = paragraphs.join('\n\n');
    expect(text.length).toBeGreaterThan(5000);
    const parts = adapter.render(text);
    expect(parts.length).toBe(3);
    for (const [index, body] of parts.entries()) {
      await adapter.send(part(message, body, { part: index, parts: parts.length, key: `turn-1:${index}` }));
    }
    const posted = fake.messagesIn(GENERAL).filter((item) => item.author.id === fake.botUser.id);
    expect(posted.map((item) => item.content)).toEqual(parts);
    expect(posted.every((item) => item.content.length <= 2000)).toBe(true);
    expect(posted.map((item) => Boolean(item.message_reference))).toEqual([true, false, false]);
    expect(posted.map((item) => item.content).join('\n\n')).toBe(text);
    expect(new Set(posted.map((item) => item.nonce)).size).toBe(3);
  });

  it('shows the typing indicator while working and stops when told', async () => {
    const message = await mention('hello');
    await adapter.setWorking!(message.conversation, [message], true);
    await fake.waitFor(() => fake.typing.filter((item) => item.channelId === GENERAL).length >= 3, 'repeated typing');
    await adapter.setWorking!(message.conversation, [message], false);
    const settled = fake.typing.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    // One request may have been in flight when it stopped; no new ones start.
    expect(fake.typing.length - settled).toBeLessThanOrEqual(1);
  });
});

describe('review in Discord', () => {
  async function present(draft = 'We will refund you in full.') {
    const message = await mention('I want my money back');
    const turn = escalatedReviewTurn([message], { draft, reason: 'asks for a refund', user: 'Ann' });
    context.review.turns.set(turn.id, turn);
    await adapter.presentEscalation!(turn);
    const reviewMessage = fake.messagesIn(REVIEW).at(-1)!;
    return { turn, reviewMessage };
  }

  const buttonIds = (components: unknown[]) =>
    (components as Array<{ components: Array<{ custom_id: string; label: string }> }>).flatMap((row) => row.components.map((button) => button.label));

  it('posts the escalation as an embed with Approve, Edit and Reject, once', async () => {
    const { turn, reviewMessage } = await present();
    const embed = reviewMessage.embeds[0] as { description: string; fields: Array<{ name: string; value: string }> };
    expect(embed.description).toContain('We will refund you in full.');
    expect(embed.fields.map((field) => field.name)).toEqual(expect.arrayContaining(['Recent conversation', 'Critic decision', 'Reason', 'Categories']));
    expect(embed.fields.find((field) => field.name === 'Categories')?.value).toBe('refund');
    expect(buttonIds(reviewMessage.components)).toEqual(['Approve', 'Edit', 'Reject']);
    expect(JSON.parse(context.storage.peek(`review:${turn.id}`)!)).toEqual({ channelId: REVIEW, messageId: reviewMessage.id });
    await adapter.presentEscalation!(turn);
    expect(fake.messagesIn(REVIEW)).toHaveLength(1);
  });

  it('refuses a non-reviewer with an ephemeral answer', async () => {
    const { turn, reviewMessage } = await present();
    const click = fake.clickButton({ messageId: reviewMessage.id, customId: `countersign:approve:${turn.id}`, user: ann });
    await fake.waitFor(() => click.callbacks.length === 1, 'the refusal');
    expect(click.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(fake.ephemeralReplies(click)[0]?.content).toContain('Only reviewers');
    expect(context.review.decisions).toEqual([]);
    expect(buttonIds(fake.messages.find((item) => item.id === reviewMessage.id)!.components)).toHaveLength(3);
  });

  it('lets a reviewer (by role) approve; the message shows who decided, buttons removed', async () => {
    const { turn, reviewMessage } = await present();
    const click = fake.clickButton({ messageId: reviewMessage.id, customId: `countersign:approve:${turn.id}`, user: rita });
    await fake.waitFor(() => click.webhookCalls.length === 1, 'the resolved message');
    expect(click.callbacks[0]!.type).toBe(6);
    expect(context.review.decisions).toEqual([{ turnId: turn.id, decision: 'approve', reviewer: { via: 'discord', id: rita.id, name: 'Rita' } }]);
    const edited = fake.messages.find((item) => item.id === reviewMessage.id)!;
    expect(edited.components).toEqual([]);
    expect(click.webhookCalls[0]!.body).toMatchObject({ allowed_mentions: { parse: [] } });
    const fields = (edited.embeds[0] as { fields: Array<{ name: string; value: string }> }).fields;
    expect(fields.find((field) => field.name === 'Decision')?.value).toMatch(new RegExp(`^Approved by <@${rita.id}> \\(via discord\\) <t:\\d+:f>$`));
  });

  it('lets a reviewer edit the draft in a prefilled modal', async () => {
    const { turn, reviewMessage } = await present('We will refund you in full.');
    const click = fake.clickButton({ messageId: reviewMessage.id, customId: `countersign:edit:${turn.id}`, user: uwe });
    await fake.waitFor(() => fake.modalOf(click), 'the modal');
    expect(fake.modalOf(click)!.fields).toEqual([expect.objectContaining({ custom_id: 'text', value: 'We will refund you in full.' })]);
    const submit = fake.submitModal({ after: click, values: { text: 'A teammate will look at your refund request today.' } });
    await fake.waitFor(() => submit.webhookCalls.length === 1, 'the resolved message');
    expect(context.review.decisions).toEqual([
      { turnId: turn.id, decision: 'approve', reviewer: { via: 'discord', id: uwe.id, name: 'uwe' }, text: 'A teammate will look at your refund request today.' },
    ]);
    const edited = fake.messages.find((item) => item.id === reviewMessage.id)!;
    expect(edited.components).toEqual([]);
    expect(JSON.stringify(edited.embeds)).toContain('Posted instead');
  });

  it('lets a reviewer (by user id) reject, and answers a second click as already resolved', async () => {
    const { turn, reviewMessage } = await present();
    const click = fake.clickButton({ messageId: reviewMessage.id, customId: `countersign:reject:${turn.id}`, user: uwe });
    await fake.waitFor(() => click.webhookCalls.length === 1, 'the rejection');
    expect(context.review.decisions.map((decision) => decision.decision)).toEqual(['reject']);
    expect(fake.messages.find((item) => item.id === reviewMessage.id)!.content).toBe('Rejected by uwe');

    const late = fake.clickButton({ messageId: reviewMessage.id, customId: `countersign:approve:${turn.id}`, user: rita });
    await fake.waitFor(() => fake.ephemeralReplies(late).length === 1, 'the conflict answer');
    expect(fake.ephemeralReplies(late)[0]!.content).toContain('Already resolved');
    expect(context.review.decisions).toHaveLength(1);
  });

  it('presentResolution edits the review message for decisions made elsewhere', async () => {
    const { turn, reviewMessage } = await present();
    const resolved = await context.review.approve(turn.id, { reviewer: { via: 'api', id: 'ops', name: 'Ops' } });
    await adapter.presentResolution!(resolved);
    const edited = fake.messages.find((item) => item.id === reviewMessage.id)!;
    expect(edited.components).toEqual([]);
    expect(edited.content).toBe('Approved by Ops');
  });
});

describe('worker processes', () => {
  it('post through REST without connecting to the gateway', async () => {
    const message = await mention('hello');
    const worker = createDiscordAdapter({ botToken: fake.token, apiUrl: `${fake.apiUrl}/v10/` });
    const workerContext = createFakeAdapterContext({ inbound: false });
    await worker.start(workerContext);
    try {
      const sent = await worker.send(part(message, 'from a worker'));
      expect(fake.messages.find((item) => item.id === sent.messageId)?.content).toBe('from a worker');
      // Only the inbound adapter of this test identified; the worker never opened a gateway session.
      expect(fake.identifies).toBe(1);
    } finally {
      await worker.stop();
      await workerContext.close();
    }
  });
});
