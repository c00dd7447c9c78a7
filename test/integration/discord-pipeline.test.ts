/**
 * Discord end to end: the real countersign service (createCountersign with the Discord adapter
 * built from the configuration, real Redis, BullMQ, outbox and review service), actor and
 * critic played by the scriptable model servers, and the real discord.js client talking to the
 * fake Discord over REST and the gateway WebSocket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { splitDiscordMessage } from '../../adapters/discord/discord-render.js';
import type { ModelScript } from '../../src/demo/model-server.js';
import type { InProcessTool } from '../../src/tools/define-tool.js';
import { bookingActor, bookingCritic, bookingTools, HOLD_REASON } from '../helpers/booking-tools.js';
import { type FakeDiscord, type FakeMessage, type FakeUser, startFakeDiscord } from '../fakes/fake-discord.js';
import { ann, GENERAL, GUILD, REVIEW, REVIEWER_ROLE, rita } from '../fakes/discord-test-guild.js';
import { criticInput, deferred, HOLDING, type Pipeline, startPipeline, turnMessages, verdict, waitFor } from '../helpers/pipeline.js';

const stranger: FakeUser = { id: '440000000000000005', username: 'mallory' };

let discord: FakeDiscord | undefined;
let pipeline: Pipeline | undefined;

afterEach(async () => {
  await pipeline?.stop();
  await discord?.close();
  pipeline = undefined;
  discord = undefined;
});

async function start(options: { actor?: ModelScript; critic?: ModelScript; tools?: InProcessTool[] } = {}) {
  discord = await startFakeDiscord({ heartbeatIntervalMs: 2000 });
  discord.addGuild({
    id: GUILD,
    roles: [{ id: REVIEWER_ROLE, name: 'reviewers' }],
    memberRoles: { [rita.id]: [REVIEWER_ROLE] },
    channels: [
      { id: GENERAL, type: 0, name: 'general' },
      { id: REVIEW, type: 0, name: 'review' },
    ],
  });
  pipeline = await startPipeline({
    env: {
      ADAPTERS: 'discord',
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_REVIEW_CHANNEL: REVIEW,
      DISCORD_REVIEWER_ROLE: REVIEWER_ROLE,
      DISCORD_REQUEST_TIMEOUT_MS: '2000',
    },
    ...(options.actor ? { actor: options.actor } : {}),
    ...(options.critic ? { critic: options.critic } : {}),
    ...(options.tools ? { tools: options.tools } : {}),
  });
  return { discord, pipeline };
}

const botPosts = (fake: FakeDiscord, channelId: string): FakeMessage[] => fake.messagesIn(channelId).filter((message) => message.author.id === fake.botUser.id);
const repliesTo = (fake: FakeDiscord, message: FakeMessage): FakeMessage[] =>
  botPosts(fake, message.channel_id).filter((post) => post.message_reference?.message_id === message.id);

describe('Discord through the whole pipeline', () => {
  it('answers a channel mention and a direct message, typing meanwhile', async () => {
    const { discord, pipeline } = await start();
    const question = discord.userMessage({ channelId: GENERAL, author: ann, content: 'what are your hours?', mentionBot: true });
    await waitFor(() => repliesTo(discord, question).length === 1, 'the reply in the channel');
    expect(repliesTo(discord, question).map((post) => post.content)).toEqual(['reply to: what are your hours?']);
    await waitFor(() => discord.typing.some((item) => item.channelId === GENERAL), 'the typing indicator');

    const dm = discord.dmChannel(ann);
    const direct = discord.userMessage({ channelId: dm.id, author: ann, content: 'and on sundays?' });
    await waitFor(() => repliesTo(discord, direct).length === 1, 'the reply in the DM');
    expect(repliesTo(discord, direct).map((post) => post.content)).toEqual(['reply to: and on sundays?']);
    await pipeline.waitIdle();
    expect(pipeline.actorRequests()).toHaveLength(2);
  });

  it('survives a dropped gateway mid-conversation: resumed, replayed, answered once', async () => {
    const { discord, pipeline } = await start();
    const first = discord.userMessage({ channelId: GENERAL, author: ann, content: 'first question', mentionBot: true });
    await waitFor(() => repliesTo(discord, first).length === 1, 'the first reply');
    discord.dropGateway();
    // The replay includes events the client had already handled, the first question among them.
    discord.replayOverlap = 10;
    const second = discord.userMessage({ channelId: GENERAL, author: ann, content: 'second question', mentionBot: true });
    await waitFor(() => repliesTo(discord, second).length === 1, 'the reply to the message sent while disconnected');
    expect(discord.resumes).toBe(1);
    expect(discord.lastReplay.some((event) => (event.d as { id?: string }).id === first.id)).toBe(true);
    await pipeline.waitIdle();
    expect(repliesTo(discord, first)).toHaveLength(1);
    expect(repliesTo(discord, second).map((post) => post.content)).toEqual(['reply to: second question']);
    expect(pipeline.actorRequests()).toHaveLength(2);
  });

  it('posts once when the response of a send is lost and the send is retried (nonce)', async () => {
    const { discord, pipeline } = await start();
    discord.dropCreateResponses(1);
    const question = discord.userMessage({ channelId: GENERAL, author: ann, content: 'is my order late?', mentionBot: true });
    const creates = () => discord.requests.filter((request) => request.method === 'POST' && request.path.endsWith(`/channels/${GENERAL}/messages`));
    await waitFor(() => creates().length >= 2, 'the retried send');
    await pipeline.waitIdle();
    expect(repliesTo(discord, question).map((post) => post.content)).toEqual(['reply to: is my order late?']);
    const nonces = creates().map((request) => (request.body as { nonce: string }).nonce);
    expect(new Set(nonces).size).toBe(1);
    expect(creates().every((request) => (request.body as { enforce_nonce: boolean }).enforce_nonce === true)).toBe(true);
  });

  it('splits a 5,000-character reply into ordered parts', async () => {
    const long = Array.from({ length: 32 }, (_, index) => `Step ${index + 1}. ${'Check the settings page and try again. '.repeat(4).trim()}`).join('\n\n');
    expect(long.length).toBeGreaterThan(5000);
    const { discord, pipeline } = await start({ actor: () => ({ content: long }) });
    const question = discord.userMessage({ channelId: GENERAL, author: ann, content: 'tell me everything', mentionBot: true });
    const expected = splitDiscordMessage(long);
    expect(expected.length).toBe(3);
    await waitFor(() => botPosts(discord, GENERAL).length >= expected.length, 'every part');
    await pipeline.waitIdle();
    const posts = botPosts(discord, GENERAL);
    expect(posts.map((post) => post.content)).toEqual(expected);
    expect(posts[0]!.message_reference?.message_id).toBe(question.id);
  });

  it('lets model output containing @everyone ping nobody', async () => {
    const { discord, pipeline } = await start({ actor: () => ({ content: 'Attention @everyone and @here: <@&330000000000000001> <@440000000000000002> read this.' }) });
    const question = discord.userMessage({ channelId: GENERAL, author: ann, content: 'announce it', mentionBot: true });
    await waitFor(() => repliesTo(discord, question).length === 1, 'the reply');
    await pipeline.waitIdle();
    const [post] = repliesTo(discord, question);
    expect(post!.content).toContain('@everyone');
    expect(post!.mention_everyone).toBe(false);
    expect(post!.mention_roles).toEqual([]);
    expect(post!.mentions.map((user) => user.id)).toEqual([ann.id]);
  });

  it('lets a reviewer approve, edit and reject with buttons, and refuses anyone else', async () => {
    const critic: ModelScript = (request) => {
      const last = criticInput(request).conversation.at(-1)?.text ?? '';
      return { content: last.includes('refund') ? verdict('escalate', { reason: 'Refund promise.', categories: ['refund'] }) : verdict('approve') };
    };
    const actor: ModelScript = (request) => ({ content: `Sure, I will refund: ${turnMessages(request).at(-1)}` });
    const { discord, pipeline } = await start({ actor, critic });

    const reviewFor = async (question: FakeMessage) => {
      await waitFor(() => repliesTo(discord, question).some((post) => post.content === HOLDING), 'the holding message');
      return waitFor(() => botPosts(discord, REVIEW).find((post) => JSON.stringify(post.embeds).includes(`${GUILD}:${GENERAL}`) && JSON.stringify(post.embeds).includes(question.content.slice(-14))), 'the review message');
    };
    const customId = (review: FakeMessage, label: string) =>
      (review.components as Array<{ components: Array<{ label: string; custom_id: string }> }>)[0]!.components.find((button) => button.label === label)!.custom_id;
    const conversationPosts = (question: FakeMessage) => botPosts(discord, GENERAL).filter((post) => post.id > question.id).map((post) => post.content);

    // Approve, after a stranger is refused.
    const first = discord.userMessage({ channelId: GENERAL, author: ann, content: 'refund order 1', mentionBot: true });
    const firstReview = await reviewFor(first);
    expect(JSON.stringify(firstReview.embeds)).toContain('Refund promise.');
    const refused = discord.clickButton({ messageId: firstReview.id, customId: customId(firstReview, 'Approve'), user: stranger });
    await waitFor(() => discord.ephemeralReplies(refused).length === 1, 'the refusal');
    expect(refused.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    const approve = discord.clickButton({ messageId: firstReview.id, customId: customId(firstReview, 'Approve'), user: rita });
    await waitFor(() => conversationPosts(first).length === 2, 'the approved draft');
    expect(conversationPosts(first)).toEqual([HOLDING, 'Sure, I will refund: refund order 1']);
    expect(approve.callbacks[0]!.type).toBe(6);
    await waitFor(() => firstReview.components.length === 0, 'the buttons to go');
    expect(JSON.stringify(firstReview.embeds)).toContain(`Approved by <@${rita.id}> (via discord)`);

    // Edit through the modal, prefilled with the draft.
    const second = discord.userMessage({ channelId: GENERAL, author: ann, content: 'refund order 2', mentionBot: true });
    const secondReview = await reviewFor(second);
    const edit = discord.clickButton({ messageId: secondReview.id, customId: customId(secondReview, 'Edit'), user: rita });
    const modal = await waitFor(() => discord.modalOf(edit), 'the edit modal');
    expect(modal.fields[0]!.value).toBe('Sure, I will refund: refund order 2');
    discord.submitModal({ after: edit, values: { [modal.fields[0]!.custom_id]: 'A teammate will check order 2 today.' } });
    await waitFor(() => conversationPosts(second).length === 2, 'the edited reply');
    expect(conversationPosts(second)).toEqual([HOLDING, 'A teammate will check order 2 today.']);
    await waitFor(() => JSON.stringify(secondReview.embeds).includes('Edited and approved'), 'the review message update');

    // Reject: nothing more is posted.
    const third = discord.userMessage({ channelId: GENERAL, author: ann, content: 'refund order 3', mentionBot: true });
    const thirdReview = await reviewFor(third);
    discord.clickButton({ messageId: thirdReview.id, customId: customId(thirdReview, 'Reject'), user: rita });
    await waitFor(() => JSON.stringify(thirdReview.embeds).includes('Rejected by'), 'the rejection on the review message');
    await pipeline.waitIdle();
    expect(conversationPosts(third)).toEqual([HOLDING]);
    expect(thirdReview.components).toEqual([]);

    // The review API sees the Discord decisions, with the reviewer.
    const rejected = await pipeline.reviewApi('GET', '/api/review/turns?status=rejected');
    expect(JSON.stringify(rejected.body)).toContain(rita.id);
  });

  it('reviews a held tool call: tool, arguments and reason shown; approve runs it, the arguments modal refuses bad JSON and arguments the schema refuses (told to the reviewer alone, nothing run), then runs valid ones; reject refuses it', async () => {
    const { tools, cancelled } = bookingTools();
    const { discord, pipeline } = await start({ actor: bookingActor, critic: bookingCritic, tools });
    const reviewFor = async (question: FakeMessage, code: string) => {
      await waitFor(() => repliesTo(discord, question).some((post) => post.content === HOLDING), 'the holding message');
      return waitFor(() => botPosts(discord, REVIEW).find((post) => JSON.stringify(post.embeds).includes(`\\"bookingId\\": \\"${code}\\"`)), 'the review message');
    };
    const labels = (review: FakeMessage) => ((review.components as Array<{ components: Array<{ label: string }> }>)[0]?.components ?? []).map((button) => button.label);
    const customId = (review: FakeMessage, label: string) =>
      (review.components as Array<{ components: Array<{ label: string; custom_id: string }> }>)[0]!.components.find((button) => button.label === label)!.custom_id;
    const conversationPosts = (question: FakeMessage) => botPosts(discord, GENERAL).filter((post) => post.id > question.id).map((post) => post.content);
    type Embed = { title: string; description: string; fields: Array<{ name: string; value: string }> };

    // Approve: the call runs once, with the proposed arguments.
    const first = discord.userMessage({ channelId: GENERAL, author: ann, content: 'please cancel ABC123', mentionBot: true });
    const firstReview = await reviewFor(first, 'ABC123');
    const embed = (firstReview.embeds as Embed[])[0]!;
    expect(firstReview.content).toContain('a tool call needs review (wants to run cancel_booking)');
    expect(embed.title).toBe(`Tool call waiting for review · discord:${GUILD}:${GENERAL}`);
    expect(embed.description).toContain('**wants to run cancel_booking** on `in-process` · write, not idempotent');
    expect(embed.description).toContain('**Arguments**\n```json\n{\n  "bookingId": "ABC123"\n}\n```');
    expect(embed.fields.find((field) => field.name === 'Reason')?.value).toBe(HOLD_REASON);
    expect(embed.fields.find((field) => field.name === 'Calls before it in this turn')?.value).toMatch(/^`look_up_booking` \{"bookingId":"ABC123"\} → done: Booking ABC123/);
    expect(labels(firstReview)).toEqual(['Approve', 'Edit arguments', 'Reject']);
    discord.clickButton({ messageId: firstReview.id, customId: customId(firstReview, 'Approve'), user: rita });
    await waitFor(() => conversationPosts(first).length === 2, 'the reply after the call ran');
    expect(conversationPosts(first)).toEqual([HOLDING, 'Tool said: Booking ABC123 is cancelled.']);
    expect(cancelled).toEqual([{ bookingId: 'ABC123' }]);
    await waitFor(() => firstReview.components.length === 0, 'the buttons to go');
    expect(JSON.stringify(firstReview.embeds)).toContain(`Approved by <@${rita.id}> (via discord)`);

    // Edit arguments: refused twice, to the reviewer alone, nothing run; then run.
    const second = discord.userMessage({ channelId: GENERAL, author: ann, content: 'please cancel XYZ789', mentionBot: true });
    const secondReview = await reviewFor(second, 'XYZ789');
    const submitArguments = async (text: string) => {
      const edit = discord.clickButton({ messageId: secondReview.id, customId: customId(secondReview, 'Edit arguments'), user: rita });
      const modal = await waitFor(() => discord.modalOf(edit), 'the arguments modal');
      expect(JSON.parse(modal.fields[0]!.value!)).toEqual({ bookingId: 'XYZ789' });
      return discord.submitModal({ after: edit, values: { [modal.fields[0]!.custom_id]: text } });
    };
    const badJson = await submitArguments('{ "bookingId": ');
    const badJsonNotice = await waitFor(() => discord.ephemeralReplies(badJson)[0], 'the bad JSON notice');
    expect(badJsonNotice.content).toMatch(/^The arguments are not valid JSON .*; nothing was run\. Edit the arguments again/);
    const badSchema = await submitArguments('{ "bookingId": "xyz" }');
    const badSchemaNotice = await waitFor(() => discord.ephemeralReplies(badSchema)[0], 'the schema notice');
    expect(badSchemaNotice.content).toMatch(/^Not run: the arguments do not fit cancel_booking's input schema: .*nothing was run\. Edit the arguments again/);
    expect(cancelled).toEqual([{ bookingId: 'ABC123' }]);
    expect(labels(secondReview)).toEqual(['Approve', 'Edit arguments', 'Reject']);
    expect((await pipeline.reviewApi('GET', '/api/review/turns?status=pending')).body.turns).toHaveLength(1);
    await submitArguments('{ "bookingId": "XYZ780" }');
    await waitFor(() => conversationPosts(second).length === 2, 'the reply after the edited call ran');
    expect(conversationPosts(second)).toEqual([HOLDING, 'Tool said: Booking XYZ780 is cancelled.']);
    expect(cancelled).toEqual([{ bookingId: 'ABC123' }, { bookingId: 'XYZ780' }]);
    await waitFor(() => JSON.stringify(secondReview.embeds).includes('Edited and approved'), 'the review message update');
    expect((secondReview.embeds as Embed[])[0]!.fields.find((field) => field.name === "Runs with the reviewer's arguments")?.value).toBe('```json\n{\n  "bookingId": "XYZ780"\n}\n```');

    // Reject: the call never runs; the actor is told, and says so.
    const third = discord.userMessage({ channelId: GENERAL, author: ann, content: 'please cancel QRS456', mentionBot: true });
    const thirdReview = await reviewFor(third, 'QRS456');
    const rejectId = customId(thirdReview, 'Reject');
    discord.clickButton({ messageId: thirdReview.id, customId: rejectId, user: rita });
    await waitFor(() => conversationPosts(third).length === 2, 'the reply after the refusal');
    expect(conversationPosts(third)[1]).toMatch(/^Tool said: .*refused/i);
    await waitFor(() => JSON.stringify(thirdReview.embeds).includes('Rejected by'), 'the rejection on the review message');
    // A late click: the conflict is shown as for replies.
    const late = discord.clickButton({ messageId: thirdReview.id, customId: rejectId.replace(':reject:', ':approve:'), user: rita });
    await waitFor(() => discord.ephemeralReplies(late).length === 1, 'the already-resolved notice');
    expect(discord.ephemeralReplies(late)[0]!.content).toContain('Already resolved');
    await pipeline.waitIdle();
    expect(cancelled.map((call) => call.bookingId)).toEqual(['ABC123', 'XYZ780']);
  });

  it('shows a turn resolved through the review API as resolved in Discord', async () => {
    const gate = deferred();
    const critic: ModelScript = async () => {
      await gate.promise;
      return { content: verdict('escalate', { reason: 'Needs a human.' }) };
    };
    const { discord, pipeline } = await start({ critic });
    const question = discord.userMessage({ channelId: GENERAL, author: ann, content: 'complicated question', mentionBot: true });
    // While the turn is drafted and reviewed, the user sees the typing indicator.
    await waitFor(() => discord.typing.some((item) => item.channelId === GENERAL), 'the typing indicator');
    gate.resolve();
    const review = await waitFor(() => botPosts(discord, REVIEW)[0], 'the review message');
    const pending = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
    const turnId = (pending.body.turns as Array<{ id: string }>)[0]!.id;
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turnId}/approve`, {})).status).toBe(200);
    await waitFor(() => review.components.length === 0, 'the review message update');
    await waitFor(() => repliesTo(discord, question).length === 2, 'the approved reply');
    expect(repliesTo(discord, question).map((post) => post.content)).toEqual([HOLDING, 'reply to: complicated question']);
    // A late click finds the turn resolved.
    const late = discord.clickButton({ messageId: review.id, customId: `countersign:reject:${turnId}`, user: rita });
    await waitFor(() => discord.ephemeralReplies(late).length === 1, 'the already-resolved notice');
    expect(discord.ephemeralReplies(late)[0]!.content).toContain('Already resolved');
    await pipeline.waitIdle();
    expect(repliesTo(discord, question)).toHaveLength(2);
  });
});
