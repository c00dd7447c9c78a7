/**
 * Slack end to end: the real countersign service (createCountersign, adapters from the
 * configuration, real Redis, BullMQ, outbox and review service), actor and critic played by the
 * scriptable model servers, and the real @slack/bolt app talking to the fake Slack over HTTP
 * and Socket Mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { renderSlackReply } from '../../adapters/slack/slack-render.js';
import { REVIEW_ACTION_APPROVE, REVIEW_ACTION_EDIT, REVIEW_ACTION_REJECT } from '../../adapters/slack/slack-review-blocks.js';
import type { ModelScript } from '../../src/demo/model-server.js';
import type { InProcessTool } from '../../src/tools/define-tool.js';
import { bookingActor, bookingCritic, bookingTools, HOLD_REASON } from '../helpers/booking-tools.js';
import { type FakeSlack, type FakeSlackTarget, startFakeSlack } from '../fakes/fake-slack.js';
import { criticInput, HOLDING, type Pipeline, startPipeline, turnMessages, verdict, waitFor } from '../helpers/pipeline.js';

const REVIEW_CHANNEL = 'C0REVIEW';
const REVIEWER = 'U0REVIEWER';
const STRANGER = 'U0STRANGER';

let slack: FakeSlack | undefined;
let pipeline: Pipeline | undefined;

afterEach(async () => {
  await pipeline?.stop();
  await slack?.close();
  pipeline = undefined;
  slack = undefined;
});

async function start(options: { socket?: boolean; actor?: ModelScript; critic?: ModelScript; tools?: InProcessTool[] } = {}) {
  slack = await startFakeSlack();
  const env: Record<string, string> = {
    ADAPTERS: 'slack',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    SLACK_REVIEW_CHANNEL: REVIEW_CHANNEL,
    SLACK_REVIEWERS: REVIEWER,
    SLACK_REQUEST_TIMEOUT_MS: '1000',
  };
  if (options.socket) env.SLACK_APP_TOKEN = slack.appToken;
  else env.SLACK_SIGNING_SECRET = slack.signingSecret;
  pipeline = await startPipeline({ env, ...(options.actor ? { actor: options.actor } : {}), ...(options.critic ? { critic: options.critic } : {}), ...(options.tools ? { tools: options.tools } : {}) });
  const target: FakeSlackTarget = options.socket ? 'socket' : { url: `${pipeline.url()}/slack/events` };
  if (options.socket) await slack.waitForSocket(1);
  return { slack, pipeline, target };
}

/** A user mentions the bot in a channel; returns the thread ts. */
async function mention(fake: FakeSlack, target: FakeSlackTarget, text: string, channel = 'C0GENERAL') {
  const { message, mention: event } = fake.userMessage({ channel, user: 'U0ALICE', text: `<@${fake.botUserId}> ${text}`, mention: true });
  const envelope = fake.envelope(event!);
  const answer = await fake.sendEvent(target, envelope);
  expect(answer.status).toBe(200);
  return { threadTs: String(message.ts), envelope, message };
}

const postsIn = (fake: FakeSlack, channel: string, threadTs: string) => fake.botPosts({ channel, threadTs }).map((post) => post.text);

describe('Slack through the whole pipeline', () => {
  it('answers a channel mention and a direct message in their threads, with a working reaction meanwhile', async () => {
    const { slack, pipeline, target } = await start();
    const { threadTs, message } = await mention(slack, target, 'what are your hours?');
    await waitFor(() => postsIn(slack, 'C0GENERAL', threadTs).length === 1, 'the reply in the channel thread');
    expect(postsIn(slack, 'C0GENERAL', threadTs)).toEqual(['reply to: what are your hours?']);
    const reply = slack.botPosts({ threadTs })[0]!;
    expect(reply.metadata?.event_type).toBe('countersign_reply');

    const dm = slack.userMessage({ channel: 'D0ALICE', user: 'U0ALICE', text: 'and on sundays?' });
    expect((await slack.sendEvent(target, slack.envelope(dm.message))).status).toBe(200);
    await waitFor(() => postsIn(slack, 'D0ALICE', String(dm.message.ts)).length === 1, 'the reply in the DM thread');
    expect(postsIn(slack, 'D0ALICE', String(dm.message.ts))).toEqual(['reply to: and on sundays?']);

    // The reaction came and went.
    const reactionCalls = slack.calls.filter((call) => call.method.startsWith('reactions.') && call.args.timestamp === message.ts).map((call) => call.method);
    expect(reactionCalls[0]).toBe('reactions.add');
    await waitFor(() => (slack.messages.find((item) => item.ts === message.ts)?.reactions ?? []).length === 0, 'the working reaction to be removed');
    expect(pipeline.actorRequests()).toHaveLength(2);
  });

  it('answers forged and stale requests 401 and queues nothing', async () => {
    const { slack, pipeline, target } = await start();
    const { mention: event } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0MALLORY', text: `<@${slack.botUserId}> hi`, mention: true });
    const envelope = slack.envelope(event!);
    expect((await slack.sendEvent(target, envelope, { signingSecret: 'forged-secret' })).status).toBe(401);
    expect((await slack.sendEvent(target, envelope, { timestampOffsetSeconds: -10 * 60 })).status).toBe(401);
    expect(await pipeline.redis.keys(`${pipeline.prefix}:conv:*`)).toEqual([]);
    expect(await pipeline.redis.keys(`${pipeline.prefix}:seen:*`)).toEqual([]);
    await pipeline.waitIdle();
    expect(pipeline.actorRequests()).toHaveLength(0);
    expect(slack.botPosts()).toHaveLength(0);
  });

  it("answers an event once however often Slack retries it", async () => {
    const { slack, pipeline, target } = await start();
    const { threadTs, envelope, message } = await mention(slack, target, 'track my parcel');
    expect((await slack.sendEvent(target, envelope, { retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
    expect((await slack.sendEvent(target, slack.envelope(message))).status).toBe(200); // the message event of it
    await waitFor(() => postsIn(slack, 'C0GENERAL', threadTs).length === 1, 'the reply');
    expect((await slack.sendEvent(target, envelope, { retryNum: 2, retryReason: 'http_timeout' })).status).toBe(200);
    await pipeline.waitIdle();
    expect(postsIn(slack, 'C0GENERAL', threadTs)).toEqual(['reply to: track my parcel']);
    expect(pipeline.actorRequests()).toHaveLength(1);
  });

  it('does not post again after a post that timed out once Slack had recorded it', async () => {
    const { slack, pipeline, target } = await start();
    slack.failNextPost('hang');
    const { threadTs } = await mention(slack, target, 'is my order late?');
    await waitFor(() => slack.calls.some((call) => call.method === 'conversations.replies'), 'the outbox to retry with recovery');
    await pipeline.waitIdle();
    expect(postsIn(slack, 'C0GENERAL', threadTs)).toEqual(['reply to: is my order late?']);
    expect(slack.calls.filter((call) => call.method === 'chat.postMessage')).toHaveLength(1);
  });

  it('splits a 30,000-character reply and posts every part once, in order', async () => {
    const long = Array.from({ length: 80 }, (_, index) => `Section ${index}. ${'The quick brown fox jumps over the lazy dog. '.repeat(9)}`)
      .join('\n\n')
      .slice(0, 30_000);
    const { slack, pipeline, target } = await start({ actor: () => ({ content: long }) });
    const { threadTs } = await mention(slack, target, 'tell me everything');
    const expected = renderSlackReply(long);
    expect(expected.length).toBeGreaterThan(7);
    await waitFor(() => postsIn(slack, 'C0GENERAL', threadTs).length >= expected.length, 'every part');
    await pipeline.waitIdle();
    const posts = slack.botPosts({ threadTs });
    expect(posts.map((post) => post.text)).toEqual(expected);
    expect(posts.map((post) => post.metadata?.event_payload.part)).toEqual(expected.map((_, index) => index));
  });

  it('lets a reviewer approve, edit and reject through buttons, and refuses anyone else', async () => {
    const critic: ModelScript = (request) => {
      const input = criticInput(request);
      const last = input.conversation.at(-1)?.text ?? '';
      return { content: last.includes('refund') ? verdict('escalate', { reason: 'Refund promise.', categories: ['refund'] }) : verdict('approve') };
    };
    const actor: ModelScript = (request) => ({ content: `Sure, I will refund: ${turnMessages(request).at(-1)}` });
    const { slack, pipeline, target } = await start({ actor, critic });

    const reviewFor = async (threadTs: string) => {
      await waitFor(() => postsIn(slack, 'C0GENERAL', threadTs).includes(HOLDING), 'the holding message');
      return waitFor(() => slack.botPosts({ channel: REVIEW_CHANNEL }).find((post) => JSON.stringify(post.blocks).includes(threadTs)), 'the review message');
    };

    // Approve (after a stranger is refused).
    const first = await mention(slack, target, 'refund order 1');
    const firstReview = await reviewFor(first.threadTs);
    expect(JSON.stringify(firstReview.blocks)).toContain('Refund promise.');
    await slack.clickButton(target, { user: STRANGER, actionId: REVIEW_ACTION_APPROVE, message: { channel: REVIEW_CHANNEL, ts: firstReview.ts } });
    await waitFor(() => slack.ephemerals.find((item) => item.user === STRANGER), 'the refusal');
    expect(postsIn(slack, 'C0GENERAL', first.threadTs)).toEqual([HOLDING]);
    await slack.clickButton(target, { user: REVIEWER, userName: 'rita', actionId: REVIEW_ACTION_APPROVE, message: { channel: REVIEW_CHANNEL, ts: firstReview.ts } });
    await waitFor(() => postsIn(slack, 'C0GENERAL', first.threadTs).length === 2, 'the approved draft');
    expect(postsIn(slack, 'C0GENERAL', first.threadTs)).toEqual([HOLDING, 'Sure, I will refund: refund order 1']);
    await waitFor(() => !JSON.stringify(firstReview.blocks).includes(REVIEW_ACTION_APPROVE), 'the buttons to go');
    expect(JSON.stringify(firstReview.blocks)).toContain(`Approved* by <@${REVIEWER}>`);

    // Edit through the modal.
    const second = await mention(slack, target, 'refund order 2');
    const secondReview = await reviewFor(second.threadTs);
    await slack.clickButton(target, { user: REVIEWER, actionId: REVIEW_ACTION_EDIT, message: { channel: REVIEW_CHANNEL, ts: secondReview.ts } });
    const view = await waitFor(() => slack.views.at(-1), 'the edit modal');
    expect(JSON.stringify(view.view)).toContain('Sure, I will refund: refund order 2');
    expect((await slack.submitView(target, { user: REVIEWER, view, text: 'A teammate will check order 2 today.' })).status).toBe(200);
    await waitFor(() => postsIn(slack, 'C0GENERAL', second.threadTs).length === 2, 'the edited reply');
    expect(postsIn(slack, 'C0GENERAL', second.threadTs)).toEqual([HOLDING, 'A teammate will check order 2 today.']);
    await waitFor(() => JSON.stringify(secondReview.blocks).includes('Edited and approved'), 'the review message update');

    // Reject: nothing more is posted.
    const third = await mention(slack, target, 'refund order 3');
    const thirdReview = await reviewFor(third.threadTs);
    await slack.clickButton(target, { user: REVIEWER, actionId: REVIEW_ACTION_REJECT, message: { channel: REVIEW_CHANNEL, ts: thirdReview.ts } });
    await waitFor(() => JSON.stringify(thirdReview.blocks).includes('Rejected* by'), 'the rejection on the review message');
    await pipeline.waitIdle();
    expect(postsIn(slack, 'C0GENERAL', third.threadTs)).toEqual([HOLDING]);
    expect(JSON.stringify(thirdReview.blocks)).not.toContain(REVIEW_ACTION_REJECT);

    // The review API sees the Slack decisions, with the reviewer.
    const rejected = await pipeline.reviewApi('GET', '/api/review/turns?status=rejected');
    expect(JSON.stringify(rejected.body)).toContain(REVIEWER);
  });

  it('reviews a held tool call: tool, arguments and reason shown; approve runs it, the arguments modal refuses bad JSON and arguments the schema refuses, then runs valid ones; reject refuses it', async () => {
    const { tools, cancelled } = bookingTools();
    const { slack, pipeline, target } = await start({ actor: bookingActor, critic: bookingCritic, tools });
    const reviewFor = async (threadTs: string) => {
      await waitFor(() => postsIn(slack, 'C0GENERAL', threadTs).includes(HOLDING), 'the holding message');
      return waitFor(() => slack.botPosts({ channel: REVIEW_CHANNEL }).find((post) => JSON.stringify(post.blocks).includes(threadTs)), 'the review message');
    };
    const sectionTexts = (blocks: unknown[] | undefined) => (blocks ?? []).map((block) => (block as { text?: { text?: string } }).text?.text ?? '').join('\n');
    const buttonTexts = (blocks: unknown[] | undefined) =>
      (blocks ?? []).flatMap((block) => ((block as { type: string }).type === 'actions' ? (block as { elements: Array<{ text: { text: string } }> }).elements.map((button) => button.text.text) : []));

    // Approve: the call runs once, with the proposed arguments.
    const first = await mention(slack, target, 'please cancel ABC123');
    const firstReview = await reviewFor(first.threadTs);
    expect(firstReview.text).toContain('Tool call waiting for review: wants to run cancel_booking');
    const shown = sectionTexts(firstReview.blocks);
    expect(shown).toContain('*wants to run cancel_booking* on `in-process` · write, not idempotent');
    expect(shown).toContain('*Arguments*\n```{\n  "bookingId": "ABC123"\n}```');
    expect(shown).toContain(`*Reason:* ${HOLD_REASON}`);
    expect(shown).toMatch(/\*Calls before it in this turn\*\n• `look_up_booking` \{"bookingId":"ABC123"\} → done: Booking ABC123: Lisbon/);
    expect(buttonTexts(firstReview.blocks)).toEqual(['Approve', 'Edit arguments', 'Reject']);
    await slack.clickButton(target, { user: REVIEWER, userName: 'rita', actionId: REVIEW_ACTION_APPROVE, message: { channel: REVIEW_CHANNEL, ts: firstReview.ts } });
    await waitFor(() => postsIn(slack, 'C0GENERAL', first.threadTs).length === 2, 'the reply after the call ran');
    expect(postsIn(slack, 'C0GENERAL', first.threadTs)).toEqual([HOLDING, 'Tool said: Booking ABC123 is cancelled.']);
    expect(cancelled).toEqual([{ bookingId: 'ABC123' }]);
    await waitFor(() => JSON.stringify(firstReview.blocks).includes(`Approved* by <@${REVIEWER}>`), 'the review message update');
    expect(buttonTexts(firstReview.blocks)).toEqual([]);

    // Edit arguments through the modal: refused twice (nothing runs, the modal stays), then run.
    const second = await mention(slack, target, 'please cancel XYZ789');
    const secondReview = await reviewFor(second.threadTs);
    await slack.clickButton(target, { user: REVIEWER, actionId: REVIEW_ACTION_EDIT, message: { channel: REVIEW_CHANNEL, ts: secondReview.ts } });
    const view = await waitFor(() => slack.views.at(-1), 'the arguments modal');
    expect(JSON.stringify(view.view)).toContain(JSON.stringify('{\n  "bookingId": "XYZ789"\n}'));
    const badJson = await slack.submitView(target, { user: REVIEWER, view, text: '{ "bookingId": ' });
    expect(badJson.json()).toEqual({ response_action: 'errors', errors: { arguments: expect.stringMatching(/^The arguments are not valid JSON .*; nothing was run\.$/) } });
    const badSchema = await slack.submitView(target, { user: REVIEWER, view, text: '{ "bookingId": "xyz" }' });
    expect(badSchema.json()).toEqual({ response_action: 'errors', errors: { arguments: expect.stringMatching(/^the arguments do not fit cancel_booking's input schema: .*; nothing was run$/) } });
    expect(cancelled).toEqual([{ bookingId: 'ABC123' }]);
    expect((await pipeline.reviewApi('GET', '/api/review/turns?status=pending')).body.turns).toHaveLength(1);
    const good = await slack.submitView(target, { user: REVIEWER, view, text: '{ "bookingId": "XYZ780" }' });
    expect(good.status).toBe(200);
    expect(good.body).toBe('');
    await waitFor(() => postsIn(slack, 'C0GENERAL', second.threadTs).length === 2, 'the reply after the edited call ran');
    expect(postsIn(slack, 'C0GENERAL', second.threadTs)).toEqual([HOLDING, 'Tool said: Booking XYZ780 is cancelled.']);
    expect(cancelled).toEqual([{ bookingId: 'ABC123' }, { bookingId: 'XYZ780' }]);
    await waitFor(() => JSON.stringify(secondReview.blocks).includes('Edited and approved'), 'the review message update');
    expect(sectionTexts(secondReview.blocks)).toContain("*Runs with the reviewer's arguments*\n```{\n  \"bookingId\": \"XYZ780\"\n}```");

    // Reject: the call never runs; the actor is told, and says so.
    const third = await mention(slack, target, 'please cancel QRS456');
    const thirdReview = await reviewFor(third.threadTs);
    const thirdShown = structuredClone(thirdReview.blocks);
    await slack.clickButton(target, { user: REVIEWER, actionId: REVIEW_ACTION_REJECT, message: { channel: REVIEW_CHANNEL, ts: thirdReview.ts } });
    await waitFor(() => postsIn(slack, 'C0GENERAL', third.threadTs).length === 2, 'the reply after the refusal');
    expect(postsIn(slack, 'C0GENERAL', third.threadTs)[1]).toMatch(/^Tool said: .*refused/i);
    await waitFor(() => JSON.stringify(thirdReview.blocks).includes('Rejected* by'), 'the rejection on the review message');
    // A late click on the rejected call, as a reviewer's client still showed it: the conflict is shown as for replies.
    await slack.clickButton(target, { user: REVIEWER, actionId: REVIEW_ACTION_APPROVE, message: { channel: REVIEW_CHANNEL, ts: thirdReview.ts }, shownBlocks: thirdShown });
    await waitFor(() => slack.ephemerals.find((item) => item.user === REVIEWER && item.text.startsWith('Already resolved')), 'the already-resolved notice');
    await pipeline.waitIdle();
    expect(cancelled.map((call) => call.bookingId)).toEqual(['ABC123', 'XYZ780']);
  });

  it('a turn approved through the review API shows as resolved in Slack', async () => {
    const critic: ModelScript = () => ({ content: verdict('escalate', { reason: 'Needs a human.' }) });
    const { slack, pipeline, target } = await start({ critic });
    const { threadTs } = await mention(slack, target, 'complicated question');
    const review = await waitFor(() => slack.botPosts({ channel: REVIEW_CHANNEL })[0], 'the review message');
    const shownBlocks = structuredClone(review.blocks);
    const pending = await pipeline.reviewApi('GET', '/api/review/turns?status=pending');
    const turnId = (pending.body.turns as Array<{ id: string }>)[0]!.id;
    expect((await pipeline.reviewApi('POST', `/api/review/turns/${turnId}/approve`, {})).status).toBe(200);
    await waitFor(() => JSON.stringify(review.blocks).includes('Approved* by'), 'the review message update');
    expect(JSON.stringify(review.blocks)).not.toContain(REVIEW_ACTION_APPROVE);
    await waitFor(() => postsIn(slack, 'C0GENERAL', threadTs).length === 2, 'the approved reply');
    // A late click on the message as a reviewer's client still showed it finds the turn resolved.
    await slack.clickButton(target, { user: REVIEWER, actionId: REVIEW_ACTION_REJECT, message: { channel: REVIEW_CHANNEL, ts: review.ts }, shownBlocks });
    await waitFor(() => slack.ephemerals.find((item) => item.user === REVIEWER), 'the already-resolved notice');
    await pipeline.waitIdle();
    expect(postsIn(slack, 'C0GENERAL', threadTs)).toEqual([HOLDING, 'reply to: complicated question']);
  });

  it('round-trips over Socket Mode: a mention answered in thread, a button approval, a reconnect', async () => {
    const critic: ModelScript = (request) =>
      ({ content: (criticInput(request).conversation.at(-1)?.text ?? '').includes('refund') ? verdict('escalate') : verdict('approve') });
    const { slack, target } = await start({ socket: true, critic });
    const { threadTs } = await mention(slack, target, 'hello over the socket');
    await waitFor(() => postsIn(slack, 'C0GENERAL', threadTs).length === 1, 'the reply');
    expect(postsIn(slack, 'C0GENERAL', threadTs)).toEqual(['reply to: hello over the socket']);

    const escalated = await mention(slack, target, 'refund please');
    const review = await waitFor(() => slack.botPosts({ channel: REVIEW_CHANNEL })[0], 'the review message');
    await slack.clickButton(target, { user: REVIEWER, actionId: REVIEW_ACTION_APPROVE, message: { channel: REVIEW_CHANNEL, ts: review.ts } });
    await waitFor(() => postsIn(slack, 'C0GENERAL', escalated.threadTs).length === 2, 'the approved reply');
    expect(postsIn(slack, 'C0GENERAL', escalated.threadTs)).toEqual([HOLDING, 'reply to: refund please']);

    slack.disconnectSocket();
    await slack.waitForSocket(2);
    const dm = slack.userMessage({ channel: 'D0ALICE', user: 'U0ALICE', text: 'after the reconnect' });
    await waitFor(async () => {
      try {
        return (await slack.sendEvent('socket', slack.envelope(dm.message))).status === 200;
      } catch {
        return false; // the old connection was closing
      }
    }, 'the event over the new connection');
    await waitFor(() => postsIn(slack, 'D0ALICE', String(dm.message.ts)).length === 1, 'the reply after reconnecting');
  });
});
