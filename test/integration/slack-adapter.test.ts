/**
 * The Slack adapter on its own: the real @slack/bolt App and WebClient against the fake Slack,
 * with the fake AdapterContext (the service's HTTP server, in-memory storage). The full pipeline
 * is covered by slack-pipeline.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REVIEW_ACTION_APPROVE, REVIEW_ACTION_EDIT, REVIEW_ACTION_REJECT } from '../../adapters/slack/slack-review-blocks.js';
import { createSlackAdapter, type SlackAdapterOptions } from '../../adapters/slack/slack-adapter.js';
import { isCountersignError } from '../../src/core/errors.js';
import type { ChatAdapter, } from '../../src/core/ports.js';
import type { ConversationRef, InboundMessage } from '../../src/core/types.js';
import { escalatedReviewTurn } from '../fakes/escalated-review-turn.js';
import { replyPart } from '../fakes/reply-part.js';
import { type FakeSlack, startFakeSlack } from '../fakes/fake-slack.js';
import { createFakeAdapterContext, type FakeAdapterContext } from '../fakes/fake-adapter-context.js';

const REVIEWER = 'U0REVIEWER';
const GROUP_REVIEWER = 'U0GROUPIE';
const STRANGER = 'U0STRANGER';
const REVIEW_CHANNEL = 'C0REVIEW';

async function waitFor<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let slack: FakeSlack;
let context: FakeAdapterContext;
let adapter: ChatAdapter;
let eventsUrl: { url: string };

async function startAdapter(overrides: Partial<SlackAdapterOptions> = {}, inbound = true) {
  context = createFakeAdapterContext({ inbound });
  adapter = createSlackAdapter({
    botToken: slack.botToken,
    signingSecret: slack.signingSecret,
    apiUrl: slack.apiUrl,
    reviewChannel: REVIEW_CHANNEL,
    reviewers: [REVIEWER],
    reviewerGroup: 'S0REVIEWERS',
    requestTimeoutMs: 2_000,
    ...overrides,
  });
  context.review.showResolutionsOn(adapter);
  await adapter.start(context);
  eventsUrl = { url: `${await context.listen()}/slack/events` };
}


beforeEach(async () => {
  slack = await startFakeSlack({ usergroups: { S0REVIEWERS: [GROUP_REVIEWER] } });
});
afterEach(async () => {
  await adapter?.stop();
  await context?.close();
  await slack.close();
});

describe('Slack adapter, HTTP Events API', () => {
  it('takes a channel mention once, even when Slack sends it as app_mention and message and retries it', async () => {
    await startAdapter();
    const { message, mention } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: `<@${slack.botUserId}> where is my order &amp; invoice?`, mention: true });
    const envelope = slack.envelope(mention!);
    const first = await slack.sendEvent(eventsUrl, envelope);
    expect(first.status).toBe(200);
    expect(context.accepted).toHaveLength(1);
    const ingested = context.accepted[0]!;
    expect(ingested.text).toBe('where is my order & invoice?');
    expect(ingested.conversation).toEqual({
      platform: 'slack',
      id: `${slack.teamId}:C0GENERAL:${message.ts}`,
      route: { team: slack.teamId, channel: 'C0GENERAL', threadTs: message.ts },
    });
    expect(ingested.id).toBe(`${slack.teamId}:C0GENERAL:${message.ts}`);
    // Slack's retry of the same event, and the message event of the same message.
    const retry = await slack.sendEvent(eventsUrl, envelope, { retryNum: 1, retryReason: 'http_timeout' });
    expect(retry.status).toBe(200);
    expect((await slack.sendEvent(eventsUrl, slack.envelope(message))).status).toBe(200);
    expect(context.accepted).toHaveLength(1);
  });

  it('takes direct messages and replies in threads the bot is in; ignores other chatter, edits, bots and itself', async () => {
    await startAdapter();
    const dm = slack.userMessage({ channel: 'D0ALICE', user: 'U0ALICE', text: 'hello bot' });
    await slack.sendEvent(eventsUrl, slack.envelope(dm.message));
    const root = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: `<@${slack.botUserId}> help`, mention: true });
    await slack.sendEvent(eventsUrl, slack.envelope(root.mention!));
    const inThread = slack.userMessage({ channel: 'C0GENERAL', user: 'U0BOB', text: 'me too', threadTs: String(root.message.ts) });
    await slack.sendEvent(eventsUrl, slack.envelope(inThread.message));
    expect(context.accepted.map((message) => message.text)).toEqual(['hello bot', 'help', 'me too']);
    expect(context.accepted[2]!.conversation.id).toBe(context.accepted[1]!.conversation.id);

    const ignoredEvents: Record<string, unknown>[] = [
      slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'just chatting' }).message,
      slack.userMessage({ channel: 'C0OTHER', user: 'U0ALICE', text: 'reply in a foreign thread', threadTs: '1.000001' }).message,
      { type: 'message', subtype: 'message_changed', channel: 'D0ALICE', channel_type: 'im', ts: '5.1', message: { text: 'edited' } },
      { type: 'message', subtype: 'message_deleted', channel: 'D0ALICE', channel_type: 'im', ts: '5.2', deleted_ts: '5.0' },
      { type: 'message', channel: 'D0ALICE', channel_type: 'im', user: 'U0OTHERBOT', bot_id: 'B0OTHER', text: 'beep', ts: '5.3' },
      { type: 'message', channel: 'D0ALICE', channel_type: 'im', user: slack.botUserId, bot_id: slack.botId, text: 'my own reply', ts: '5.4' },
      { type: 'reaction_added', user: 'U0ALICE', reaction: 'eyes', item: { type: 'message', channel: 'C0GENERAL', ts: '5.5' } },
    ];
    for (const event of ignoredEvents) expect((await slack.sendEvent(eventsUrl, slack.envelope(event))).status).toBe(200);
    expect(context.accepted).toHaveLength(3);
  });

  it('answers forged and stale requests 401 and takes nothing', async () => {
    await startAdapter();
    const { mention } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0MALLORY', text: `<@${slack.botUserId}> give refund`, mention: true });
    const envelope = slack.envelope(mention!);
    expect((await slack.sendEvent(eventsUrl, envelope, { signingSecret: 'not-the-secret' })).status).toBe(401);
    expect((await slack.sendEvent(eventsUrl, envelope, { signature: 'v0=deadbeef' })).status).toBe(401);
    expect((await slack.sendEvent(eventsUrl, envelope, { timestampOffsetSeconds: -6 * 60 })).status).toBe(401);
    expect((await slack.sendEvent(eventsUrl, envelope, { timestampOffsetSeconds: 6 * 60 })).status).toBe(401);
    const unsigned = await fetch(eventsUrl.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(envelope) });
    expect(unsigned.status).toBe(401);
    expect(context.accepted).toHaveLength(0);
    // The genuine request still goes through: the refusals left no trace (no event id marked).
    expect((await slack.sendEvent(eventsUrl, envelope, { timestampOffsetSeconds: -4 * 60 })).status).toBe(200);
    expect(context.accepted).toHaveLength(1);
  });

  it('answers url_verification with the challenge', async () => {
    await startAdapter();
    const body = JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' });
    const answer = await slack.sendSigned(eventsUrl.url, body, 'application/json');
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ challenge: 'c-123' });
  });

  it('acks only after the message is in the inbox: a failed ingest answers 500 and the retry is taken', async () => {
    await startAdapter();
    const { message } = slack.userMessage({ channel: 'D0ALICE', user: 'U0ALICE', text: 'are you there?' });
    const envelope = slack.envelope(message);
    context.failNextIngest();
    expect((await slack.sendEvent(eventsUrl, envelope)).status).toBe(500);
    expect(context.accepted).toHaveLength(0);
    expect((await slack.sendEvent(eventsUrl, envelope, { retryNum: 1, retryReason: 'http_error' })).status).toBe(200);
    expect(context.accepted.map((item) => item.text)).toEqual(['are you there?']);
  });
});

describe('Slack adapter, posting', () => {
  const conversation = (threadTs: string): ConversationRef => ({ platform: 'slack', id: `T0FAKE:C0GENERAL:${threadTs}`, route: { team: 'T0FAKE', channel: 'C0GENERAL', threadTs } });

  it('posts in the thread with the key in metadata', async () => {
    await startAdapter({}, false);
    const { message } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'hi' });
    const sent = await adapter.send(replyPart(conversation(String(message.ts)), 'Hello *there*'));
    const posts = slack.botPosts({ threadTs: String(message.ts) });
    expect(posts).toHaveLength(1);
    expect(sent.messageId).toBe(posts[0]!.ts);
    expect(posts[0]!.metadata).toEqual({ event_type: 'countersign_reply', event_payload: { key: 'turn-1:0', turn_id: 'turn-1', part: 0 } });
    // The same part again (the outbox lost our answer) is not posted twice.
    expect(await adapter.send(replyPart(conversation(String(message.ts)), 'Hello *there*'))).toEqual({ messageId: sent.messageId, alreadyPosted: true });
    expect(slack.botPosts()).toHaveLength(1);
  });

  for (const mode of ['reset', 'hang'] as const) {
    it(`does not post again after a post whose answer was lost (${mode})`, async () => {
      await startAdapter({ requestTimeoutMs: 1_000 }, false);
      const { message } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'hi' });
      const target = conversation(String(message.ts));
      slack.failNextPost(mode);
      const error = await adapter.send(replyPart(target, 'only once')).catch((caught: unknown) => caught);
      expect(isCountersignError(error, 'slack.outcome-unknown')).toBe(true);
      expect((error as { retryable: boolean }).retryable).toBe(true);
      expect(slack.botPosts()).toHaveLength(1); // Slack has it
      const again = await adapter.send(replyPart(target, 'only once', { recovering: true }));
      expect(again.alreadyPosted).toBe(true);
      expect(again.messageId).toBe(slack.botPosts()[0]!.ts);
      expect(slack.botPosts()).toHaveLength(1);
      expect(slack.calls.some((call) => call.method === 'conversations.replies' && call.args.include_all_metadata === 'true')).toBe(true);
    });
  }

  it('posts when recovery finds nothing (the lost attempt never reached Slack)', async () => {
    await startAdapter({}, false);
    const { message } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'hi' });
    const sent = await adapter.send(replyPart(conversation(String(message.ts)), 'first try', { recovering: true }));
    expect(sent.alreadyPosted).toBeUndefined();
    expect(slack.botPosts()).toHaveLength(1);
  });

  it('waits out 429 Retry-After and then posts once', async () => {
    await startAdapter({}, false);
    const { message } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'hi' });
    slack.rateLimitNext('chat.postMessage', 2, 1);
    await adapter.send(replyPart(conversation(String(message.ts)), 'patience'));
    expect(slack.calls.filter((call) => call.method === 'chat.postMessage').map((call) => call.status)).toEqual([429, 429, 200]);
    expect(slack.botPosts()).toHaveLength(1);
  });

  it('fails retryably when Slack keeps rate-limiting, with the Retry-After for the queue', async () => {
    await startAdapter({ rateLimitRetries: 0 }, false);
    const { message } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'hi' });
    slack.rateLimitNext('chat.postMessage', 1, 7);
    const error = await adapter.send(replyPart(conversation(String(message.ts)), 'later')).catch((caught: unknown) => caught);
    expect(isCountersignError(error, 'slack.rate-limited')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details.retryAfterSeconds).toBe(7);
    expect(slack.botPosts()).toHaveLength(0);
  });

  it('splits a 30,000-character reply and posts every part once, in order', async () => {
    await startAdapter({}, false);
    const { message } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'tell me everything' });
    const paragraphs = Array.from({ length: 60 }, (_, index) => `Paragraph ${index}: ${'lorem ipsum dolor sit amet '.repeat(18)}`);
    paragraphs.splice(30, 0, `\`\`\`\n${Array.from({ length: 40 }, (_, index) => `line ${index} of the code`).join('\n')}\n\`\`\``);
    const markdown = paragraphs.join('\n\n').slice(0, 30_000);
    expect(markdown.length).toBe(30_000);
    const parts = adapter.render(markdown);
    expect(parts.length).toBeGreaterThan(7);
    expect(adapter.render(markdown)).toEqual(parts);
    for (const text of parts) expect(text.length).toBeLessThanOrEqual(3_900);
    const target = conversation(String(message.ts));
    for (const [index, text] of parts.entries()) {
      await adapter.send(replyPart(target, text, { part: index, parts: parts.length, key: `turn-1:${index}` }));
    }
    // A recovery pass over every part posts nothing more.
    for (const [index, text] of parts.entries()) {
      await adapter.send(replyPart(target, text, { part: index, parts: parts.length, key: `turn-1:${index}`, recovering: true }));
    }
    const posted = slack.botPosts({ threadTs: String(message.ts) });
    expect(posted.map((post) => post.text)).toEqual(parts);
    expect(posted.map((post) => post.metadata?.event_payload.part)).toEqual(parts.map((_, index) => index));
  });

  it('shows a reaction while working and removes it afterwards', async () => {
    await startAdapter({}, false);
    const { message } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'hi' });
    const inbound: InboundMessage = {
      id: `T0FAKE:C0GENERAL:${message.ts}`,
      conversation: conversation(String(message.ts)),
      user: { id: 'U0ALICE' },
      text: 'hi',
      receivedAt: Date.now(),
      platformData: { channel: 'C0GENERAL', ts: String(message.ts) },
    };
    await adapter.setWorking!(inbound.conversation, [inbound], true);
    await adapter.setWorking!(inbound.conversation, [inbound], true); // already_reacted is fine
    const stored = slack.messages.find((item) => item.ts === message.ts)!;
    expect(stored.reactions).toEqual([{ name: 'eyes', users: [slack.botUserId], count: 1 }]);
    await adapter.setWorking!(inbound.conversation, [inbound], false);
    await adapter.setWorking!(inbound.conversation, [inbound], false); // no_reaction is fine
    expect(stored.reactions ?? []).toEqual([]);
  });
});

describe('Slack adapter, review', () => {
  async function present(turnId = 'turn-r1') {
    const { message } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'I want a refund' });
    const inbound: InboundMessage = {
      id: `T0FAKE:C0GENERAL:${message.ts}`,
      conversation: { platform: 'slack', id: `T0FAKE:C0GENERAL:${message.ts}`, route: { team: 'T0FAKE', channel: 'C0GENERAL', threadTs: String(message.ts) } },
      user: { id: 'U0ALICE', name: 'alice' },
      text: 'I want a refund',
      receivedAt: Date.now(),
    };
    const turn = escalatedReviewTurn([inbound], { id: turnId, user: 'alice' });
    context.review.turns.set(turn.id, turn);
    await adapter.presentEscalation!(turn);
    const review = slack.botPosts({ channel: REVIEW_CHANNEL }).at(-1)!;
    return { turn, review, where: { channel: REVIEW_CHANNEL, ts: review.ts } };
  }
  const actionsOf = (blocks: unknown[] | undefined) => (blocks ?? []).filter((block) => (block as { type: string }).type === 'actions');
  const textOf = (blocks: unknown[] | undefined) => JSON.stringify(blocks ?? []);

  it('posts the escalation with context, draft, verdict and three buttons, once', async () => {
    await startAdapter();
    const { turn, review } = await present();
    const text = textOf(review.blocks);
    expect(text).toContain('I want a refund');
    expect(text).toContain('We will refund you twice');
    expect(text).toContain('Promises a refund.');
    expect(text).toContain('`refund`');
    const buttons = (actionsOf(review.blocks)[0] as { elements: Array<{ action_id: string; value: string }> }).elements;
    expect(buttons.map((button) => button.action_id)).toEqual([REVIEW_ACTION_APPROVE, REVIEW_ACTION_EDIT, REVIEW_ACTION_REJECT]);
    expect(buttons.every((button) => button.value === turn.id)).toBe(true);
    await adapter.presentEscalation!(turn);
    expect(slack.botPosts({ channel: REVIEW_CHANNEL })).toHaveLength(1);
  });

  it('refuses a non-reviewer with an ephemeral message and changes nothing', async () => {
    await startAdapter();
    const { review, where } = await present();
    expect((await slack.clickButton(eventsUrl, { user: STRANGER, actionId: REVIEW_ACTION_APPROVE, message: where })).status).toBe(200);
    await waitFor(() => slack.ephemerals.length > 0);
    expect(slack.ephemerals[0]).toMatchObject({ channel: REVIEW_CHANNEL, user: STRANGER });
    expect(context.review.decisions).toEqual([]);
    expect(actionsOf(review.blocks)).toHaveLength(1);
  });

  it('a reviewer approves: the decision goes to the review service and the buttons are gone', async () => {
    await startAdapter();
    const { turn, review, where } = await present();
    await slack.clickButton(eventsUrl, { user: REVIEWER, userName: 'rita', actionId: REVIEW_ACTION_APPROVE, message: where });
    await waitFor(() => review.edited);
    expect(context.review.decisions).toEqual([{ turnId: turn.id, decision: 'approve', reviewer: { via: 'slack', id: REVIEWER, name: 'rita' } }]);
    expect(actionsOf(review.blocks)).toEqual([]);
    expect(textOf(review.blocks)).toContain(`Approved* by <@${REVIEWER}>`);
  });

  it('a member of the reviewer group edits through the modal', async () => {
    await startAdapter();
    const { turn, review, where } = await present();
    await slack.clickButton(eventsUrl, { user: GROUP_REVIEWER, actionId: REVIEW_ACTION_EDIT, message: where });
    const view = await waitFor(() => slack.views[0]);
    expect(JSON.stringify(view.view)).toContain('We will refund you twice');
    const submitted = await slack.submitView(eventsUrl, { user: GROUP_REVIEWER, view, text: 'We cannot refund twice, but here is what we can do.' });
    expect(submitted.status).toBe(200);
    await waitFor(() => review.edited);
    expect(context.review.decisions).toEqual([
      { turnId: turn.id, decision: 'approve', reviewer: { via: 'slack', id: GROUP_REVIEWER, name: 'u0groupie' }, text: 'We cannot refund twice, but here is what we can do.' },
    ]);
    expect(textOf(review.blocks)).toContain('Edited and approved');
    expect(actionsOf(review.blocks)).toEqual([]);
  });

  it('an empty edit is refused inside the modal', async () => {
    await startAdapter();
    const { where } = await present();
    await slack.clickButton(eventsUrl, { user: REVIEWER, actionId: REVIEW_ACTION_EDIT, message: where });
    const view = await waitFor(() => slack.views[0]);
    const submitted = await slack.submitView(eventsUrl, { user: REVIEWER, view, text: '   ' });
    expect(submitted.json()).toMatchObject({ response_action: 'errors' });
    expect(context.review.decisions).toEqual([]);
  });

  it('a reviewer rejects', async () => {
    await startAdapter();
    const { turn, review, where } = await present();
    await slack.clickButton(eventsUrl, { user: REVIEWER, actionId: REVIEW_ACTION_REJECT, message: where });
    await waitFor(() => review.edited);
    expect(context.review.decisions).toEqual([{ turnId: turn.id, decision: 'reject', reviewer: { via: 'slack', id: REVIEWER, name: 'u0reviewer' } }]);
    expect(textOf(review.blocks)).toContain('Rejected* by');
    expect(actionsOf(review.blocks)).toEqual([]);
  });

  it('a turn resolved elsewhere shows as resolved when clicked, and by presentResolution', async () => {
    await startAdapter();
    const { turn, review, where } = await present();
    const shownBlocks = structuredClone(review.blocks);
    await context.review.reject(turn.id, { reviewer: { via: 'api', id: 'ops', name: 'Ops' } });
    // The reviewer's client still shows the buttons.
    await slack.clickButton(eventsUrl, { user: REVIEWER, actionId: REVIEW_ACTION_APPROVE, message: where, shownBlocks });
    await waitFor(() => review.edited);
    await waitFor(() => slack.ephemerals.length > 0);
    expect(textOf(review.blocks)).toContain('Rejected* by Ops (via api)');
    expect(actionsOf(review.blocks)).toEqual([]);
    expect(context.review.decisions).toHaveLength(1);

    const second = await present('turn-r2');
    const resolved = await context.review.approve('turn-r2', { reviewer: { via: 'dashboard', id: 'd1', name: 'Dana' } });
    await adapter.presentResolution!(resolved);
    expect(textOf(second.review.blocks)).toContain('Approved* by Dana (via dashboard)');
    expect(actionsOf(second.review.blocks)).toEqual([]);
  });
});

describe('Slack adapter, Socket Mode', () => {
  it('takes events over the socket, acks them after ingest, handles buttons and reconnects on disconnect', async () => {
    await startAdapter({ appToken: slack.appToken, signingSecret: undefined });
    await slack.waitForSocket(1);
    const { mention } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: `<@${slack.botUserId}> over the socket`, mention: true });
    const envelope = slack.envelope(mention!);
    await slack.sendEvent('socket', envelope);
    expect(context.accepted.map((message) => message.text)).toEqual(['over the socket']);
    // Redelivery of the same event (Slack did not see our ack in time).
    await slack.sendEvent('socket', envelope, { retryNum: 1, retryReason: 'timeout' });
    expect(context.accepted).toHaveLength(1);

    const { message: turnMessage } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'refund?' });
    const turn = escalatedReviewTurn([{ ...context.accepted[0]!, text: String(turnMessage.text) }], { id: 'turn-s1', user: 'alice' });
    context.review.turns.set(turn.id, turn);
    await adapter.presentEscalation!(turn);
    const review = slack.botPosts({ channel: REVIEW_CHANNEL })[0]!;
    await slack.clickButton('socket', { user: REVIEWER, actionId: REVIEW_ACTION_APPROVE, message: { channel: REVIEW_CHANNEL, ts: review.ts } });
    await waitFor(() => review.edited);
    expect(context.review.decisions.map((decision) => decision.decision)).toEqual(['approve']);

    slack.disconnectSocket();
    await slack.waitForSocket(2);
    const dm = slack.userMessage({ channel: 'D0ALICE', user: 'U0ALICE', text: 'still there?' });
    await waitFor(async () => {
      try {
        await slack.sendEvent('socket', slack.envelope(dm.message));
        return true;
      } catch {
        return false; // the old socket was closing
      }
    });
    expect(context.accepted.map((message) => message.text)).toEqual(['over the socket', 'still there?']);
  });

  it('does not ack an event whose ingest failed, so Slack redelivers it', async () => {
    await startAdapter({ appToken: slack.appToken, signingSecret: undefined });
    await slack.waitForSocket(1);
    const { message } = slack.userMessage({ channel: 'D0ALICE', user: 'U0ALICE', text: 'first' });
    const envelope = slack.envelope(message);
    context.failNextIngest();
    const acksBefore = slack.acks.size;
    const pending = slack.sendEvent('socket', envelope);
    // A second, healthy envelope is acked; the failed one never is.
    const { message: other } = slack.userMessage({ channel: 'D0ALICE', user: 'U0ALICE', text: 'second' });
    await slack.sendEvent('socket', slack.envelope(other));
    expect(slack.acks.size).toBe(acksBefore + 1);
    expect(context.accepted.map((item) => item.text)).toEqual(['second']);
    void pending;
    await slack.sendEvent('socket', envelope, { retryNum: 1, retryReason: 'timeout' });
    expect(context.accepted.map((item) => item.text)).toEqual(['second', 'first']);
  });
});
