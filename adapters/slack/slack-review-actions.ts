/**
 * The review buttons (Approve, Edit, Reject) and the Edit modals of Slack review messages (a
 * reply's text; a held tool call's arguments as JSON, checked against the tool's schema by the
 * review service before the modal closes, so a refusal shows on the input and nothing runs). Every
 * decision goes through the review service, which shows the resolution on every platform; a
 * decision that comes too late (the turn resolved elsewhere) brings the review message up to
 * date and tells the reviewer who was first, in the words every platform uses.
 */
import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { isCountersignError } from '../../src/core/errors.js';
import type { ReviewActions } from '../../src/core/ports.js';
import { alreadyResolvedNotice, parseReviewerArguments } from '../../src/core/review-notices.js';
import type { Reviewer } from '../../src/core/types.js';
import type { SlackReviewerCheck } from './slack-reviewer-check.js';
import {
  buildEditArgumentsModal,
  buildEditModal,
  EDIT_ACTION_ID,
  EDIT_ARGUMENTS_ACTION_ID,
  EDIT_ARGUMENTS_BLOCK_ID,
  EDIT_ARGUMENTS_CALLBACK_ID,
  EDIT_BLOCK_ID,
  EDIT_MODAL_CALLBACK_ID,
  type EditModalMetadata,
  escapeMrkdwn,
  REVIEW_ACTION_APPROVE,
  REVIEW_ACTION_EDIT,
  REVIEW_ACTION_REJECT,
} from './slack-review-blocks.js';
import type { SlackMessageLocation, SlackReviewMessages } from './slack-review-messages.js';
import type { SlackWebApi } from './slack-web-api.js';

export interface SlackReviewActionsOptions {
  api: SlackWebApi;
  review: ReviewActions;
  messages: Pick<SlackReviewMessages, 'presentResolution'>;
  isReviewer: SlackReviewerCheck;
  logger: Logger;
}

interface Decision {
  turnId: string;
  reviewer: Reviewer;
  decision: 'approve' | 'reject';
  /** The review message the reviewer acted on. */
  where: SlackMessageLocation | undefined;
  /** The reviewer's text (an edit). */
  text?: string;
}

function reviewerOf(user: { id: string; name?: string; username?: string }): Reviewer {
  const name = user.name ?? user.username;
  return name ? { via: 'slack', id: user.id, name } : { via: 'slack', id: user.id };
}

export function registerSlackReviewActions(app: App, options: SlackReviewActionsOptions): void {
  const { api, review, logger } = options;

  /** A message only this reviewer sees, in the review channel. */
  async function tell(to: { channel: string | undefined; user: string }, text: string): Promise<void> {
    if (!to.channel) return;
    await api.call('chat.postEphemeral', { channel: to.channel, user: to.user, text }).catch((error: unknown) => logger.warn({ err: error }, 'slack ephemeral notice failed'));
  }

  /** A decision that came too late (resolved elsewhere, or gone): the message brought up to date, the reviewer told. */
  async function tooLate(turnId: string, reviewer: Reviewer, where: SlackMessageLocation | undefined): Promise<void> {
    const current = await review.get(turnId);
    if (current) await options.messages.presentResolution(current, where);
    await tell({ channel: where?.channel, user: reviewer.id }, escapeMrkdwn(alreadyResolvedNotice(current)));
  }

  /** Approve or reject through the review service; a turn resolved elsewhere is shown as such here. */
  async function decide({ turnId, reviewer, decision, where, text }: Decision): Promise<void> {
    try {
      if (decision === 'approve') await review.approve(turnId, text === undefined ? { reviewer } : { reviewer, text });
      else await review.reject(turnId, { reviewer });
    } catch (error) {
      if (isCountersignError(error, 'review.forbidden')) {
        await tell({ channel: where?.channel, user: reviewer.id }, `You cannot decide this turn: ${error.message}.`);
        return;
      }
      if (!isCountersignError(error, 'review.conflict') && !isCountersignError(error, 'review.not-found')) throw error;
      await tooLate(turnId, reviewer, where);
    }
  }

  /** Edit: open the modal with the draft, unless the turn is resolved already. */
  async function openEditor(turnId: string, where: SlackMessageLocation | undefined, click: { user: string; channel: string | undefined; triggerId: string }): Promise<void> {
    const turn = await review.get(turnId);
    if (turn?.status !== 'escalated') {
      if (turn) await options.messages.presentResolution(turn, where);
      await tell({ channel: click.channel, user: click.user }, escapeMrkdwn(alreadyResolvedNotice(turn)));
      return;
    }
    const metadata: EditModalMetadata = { turnId, channel: where?.channel ?? '', ts: where?.ts ?? '' };
    const action = turn.escalation?.action;
    if (action?.outcomeUnknown) {
      await tell({ channel: click.channel, user: click.user }, 'This call may already have run: say whether it took effect (Approve) or not (Reject); it takes no new arguments.');
      return;
    }
    await api.call('views.open', { trigger_id: click.triggerId, view: action ? buildEditArgumentsModal(action, metadata) : buildEditModal(turn, metadata) });
  }

  const onButton =
    (action: 'approve' | 'edit' | 'reject') =>
    async ({ ack, body, action: button }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) => {
      await ack();
      const turnId = button.value ?? '';
      const channel = body.channel?.id ?? body.container?.channel_id;
      const messageTs = body.message?.ts ?? body.container?.message_ts;
      const where = channel && messageTs ? { channel, ts: messageTs } : undefined;
      if (!(await options.isReviewer(body.user.id))) {
        await tell({ channel, user: body.user.id }, 'Only configured reviewers can act on countersign reviews.');
        return;
      }
      if (action === 'edit') return openEditor(turnId, where, { user: body.user.id, channel, triggerId: body.trigger_id });
      await decide({ turnId, reviewer: reviewerOf(body.user), decision: action, where });
    };
  app.action<BlockAction<ButtonAction>>(REVIEW_ACTION_APPROVE, onButton('approve'));
  app.action<BlockAction<ButtonAction>>(REVIEW_ACTION_EDIT, onButton('edit'));
  app.action<BlockAction<ButtonAction>>(REVIEW_ACTION_REJECT, onButton('reject'));

  app.view(EDIT_MODAL_CALLBACK_ID, async ({ ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => {
    const text = view.state.values[EDIT_BLOCK_ID]?.[EDIT_ACTION_ID]?.value?.trim() ?? '';
    if (!text) {
      await ack({ response_action: 'errors', errors: { [EDIT_BLOCK_ID]: 'The reply cannot be empty.' } });
      return;
    }
    // Checked again: a modal outlives the click, and its payload is not the button's.
    if (!(await options.isReviewer(body.user.id))) {
      await ack({ response_action: 'errors', errors: { [EDIT_BLOCK_ID]: 'Only configured reviewers can approve replies.' } });
      return;
    }
    await ack();
    let metadata: EditModalMetadata;
    try {
      metadata = JSON.parse(view.private_metadata) as EditModalMetadata;
    } catch {
      return;
    }
    const where = metadata.channel && metadata.ts ? { channel: metadata.channel, ts: metadata.ts } : undefined;
    await decide({ turnId: metadata.turnId, reviewer: reviewerOf(body.user), decision: 'approve', where, text });
  });

  // A held tool call's new arguments. The review service checks them against the tool's schema
  // and records the approval in one step, before the modal is answered: arguments it refuses are
  // shown on the input (the modal stays open, nothing runs), and a closed modal means the call
  // was approved as typed. The service answers in milliseconds, well within Slack's 3 seconds.
  app.view(EDIT_ARGUMENTS_CALLBACK_ID, async ({ ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => {
    const refuse = (message: string) => ack({ response_action: 'errors', errors: { [EDIT_ARGUMENTS_BLOCK_ID]: message.slice(0, 1000) } });
    const parsed = parseReviewerArguments(view.state.values[EDIT_ARGUMENTS_BLOCK_ID]?.[EDIT_ARGUMENTS_ACTION_ID]?.value ?? '');
    if (!parsed.ok) return refuse(parsed.error);
    if (!(await options.isReviewer(body.user.id))) return refuse('Only configured reviewers can approve tool calls.');
    let metadata: EditModalMetadata;
    try {
      metadata = JSON.parse(view.private_metadata) as EditModalMetadata;
    } catch {
      return refuse('This form is damaged; open it again from the review message.');
    }
    const where = metadata.channel && metadata.ts ? { channel: metadata.channel, ts: metadata.ts } : undefined;
    const reviewer = reviewerOf(body.user);
    try {
      await review.approve(metadata.turnId, { reviewer, arguments: parsed.value });
    } catch (error) {
      if (isCountersignError(error, 'review.invalid') || isCountersignError(error, 'review.forbidden')) return refuse(error.message);
      await ack();
      if (!isCountersignError(error, 'review.conflict') && !isCountersignError(error, 'review.not-found')) throw error;
      await tooLate(metadata.turnId, reviewer, where);
      return;
    }
    await ack();
  });
}
