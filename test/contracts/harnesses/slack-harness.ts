/**
 * The Slack adapter for the ChatAdapter contract: the real bolt App and WebClient against the
 * fake Slack, events over the HTTP Events API of the fake context's HTTP server.
 */
import { createSlackAdapter, type SlackAdapterOptions } from '../../../adapters/slack/slack-adapter.js';
import { REVIEW_ACTION_APPROVE, REVIEW_ACTION_EDIT, REVIEW_ACTION_REJECT } from '../../../adapters/slack/slack-review-blocks.js';
import { SLACK_PART_LIMIT } from '../../../adapters/slack/slack-render.js';
import { createFakeAdapterContext } from '../../fakes/fake-adapter-context.js';
import { type FakeSlackMessage, startFakeSlack } from '../../fakes/fake-slack.js';
import { type ChatAdapterHarness, eventually } from '../chat-adapter.contract.js';

const REVIEW_CHANNEL = 'C0REVIEW';
const REVIEWER = 'U0REVIEWER';
const ACTIONS = { approve: REVIEW_ACTION_APPROVE, reject: REVIEW_ACTION_REJECT, edit: REVIEW_ACTION_EDIT } as const;

export async function createSlackHarness(): Promise<ChatAdapterHarness> {
  const slack = await startFakeSlack();
  const context = createFakeAdapterContext();
  const options: SlackAdapterOptions = {
    botToken: slack.botToken,
    signingSecret: slack.signingSecret,
    apiUrl: slack.apiUrl,
    reviewChannel: REVIEW_CHANNEL,
    reviewers: [REVIEWER],
    requestTimeoutMs: 2_000,
  };
  const adapter = createSlackAdapter(options);
  await adapter.start(context);
  const events = { url: `${await context.listen()}/slack/events` };

  const reviewPosts = (turnId: string): FakeSlackMessage[] => slack.botPosts({ channel: REVIEW_CHANNEL }).filter((message) => message.metadata?.event_payload.turn_id === turnId);
  const firstReview = (turnId: string) => {
    const message = reviewPosts(turnId)[0];
    if (!message) throw new Error(`no review message for ${turnId}`);
    return { channel: message.channel, ts: message.ts };
  };
  const hasButtons = (message: FakeSlackMessage) => (message.blocks ?? []).some((block) => (block as { type?: string }).type === 'actions');

  return {
    adapter,
    context,
    createAnother: () => createSlackAdapter(options),
    partLimit: SLACK_PART_LIMIT,
    async openConversation(text = 'hello, bot') {
      const { mention } = slack.userMessage({ channel: 'C0GENERAL', user: 'U0ALICE', text: `<@${slack.botUserId}> ${text}`, mention: true });
      const count = context.accepted.length;
      await slack.sendEvent(events, slack.envelope(mention!));
      const message = await eventually(() => context.accepted.length > count && context.accepted.at(-1), 'the mention to be ingested');
      return { conversation: message.conversation, replyTo: [message] };
    },
    async botMessages(conversation) {
      return slack.botPosts({ channel: conversation.route!.channel!, threadTs: conversation.route!.threadTs! }).map((message) => ({ id: message.ts, text: message.text }));
    },
    loseNextPostOutcome() {
      slack.failNextPost('reset');
    },
    async deliverTwice(text) {
      const { message } = slack.userMessage({ channel: 'D0ALICE', user: 'U0ALICE', text });
      const envelope = slack.envelope(message);
      await slack.sendEvent(events, envelope);
      // Slack's retry of an event it thinks was not delivered: same envelope, X-Slack-Retry-Num.
      await slack.sendEvent(events, envelope, { retryNum: 1, retryReason: 'http_timeout' });
    },
    review: {
      async reviewMessages(turnId) {
        return reviewPosts(turnId).map((message) => ({ text: `${message.text}\n${JSON.stringify(message.blocks ?? [])}`, actionable: hasButtons(message) }));
      },
      async click(turnId, action) {
        await slack.clickButton(events, { user: REVIEWER, userName: 'rita', actionId: ACTIONS[action], message: firstReview(turnId) });
      },
      async openEdit(turnId) {
        const opened = slack.views.length;
        await slack.clickButton(events, { user: REVIEWER, userName: 'rita', actionId: REVIEW_ACTION_EDIT, message: firstReview(turnId) });
        const view = await eventually(() => slack.views[opened], 'the edit modal');
        return {
          async submit(text) {
            await slack.submitView(events, { user: REVIEWER, userName: 'rita', view, text });
          },
        };
      },
      async noticesToReviewer() {
        return slack.ephemerals.filter((ephemeral) => ephemeral.user === REVIEWER).map((ephemeral) => ephemeral.text);
      },
      async editBoxesOpened() {
        return slack.views.length;
      },
    },
    async close() {
      await adapter.stop();
      await context.close();
      await slack.close();
    },
  };
}
