/**
 * The Block Kit of review in Slack: the escalation message with its buttons, the message after a
 * decision (no buttons), and the Edit modals (a reply's text; a held tool call's arguments, as
 * JSON). Pure builders; Slack's limits are applied here (section text 3,000 characters, header
 * 150, plain_text_input 3,000).
 */
import type { ReviewSummary, ReviewTurn } from '../../src/core/ports.js';
import { actionEffectWords, actionHeadline, DECISION_WORDS, formatToolArguments, OUTCOME_UNKNOWN_NOTE } from '../../src/core/review-notices.js';
import type { HistoryEntry, PendingAction } from '../../src/core/types.js';
import { currentDraft } from '../../src/core/types.js';

export const REVIEW_ACTION_APPROVE = 'countersign_review_approve';
export const REVIEW_ACTION_EDIT = 'countersign_review_edit';
export const REVIEW_ACTION_REJECT = 'countersign_review_reject';
export const EDIT_MODAL_CALLBACK_ID = 'countersign_review_edit';
export const EDIT_BLOCK_ID = 'reply';
export const EDIT_ACTION_ID = 'text';
/** The modal that edits a held tool call's arguments. */
export const EDIT_ARGUMENTS_CALLBACK_ID = 'countersign_review_edit_arguments';
export const EDIT_ARGUMENTS_BLOCK_ID = 'arguments';
export const EDIT_ARGUMENTS_ACTION_ID = 'json';

const SECTION_LIMIT = 3_000;
const INPUT_LIMIT = 3_000;
const RECENT_ENTRIES = 6;

export type SlackBlock = Record<string, unknown>;

export interface SlackMessageContent {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's three mrkdwn escapes, for any text we did not write ourselves. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function quote(text: string, limit: number): string {
  const quoted = escapeMrkdwn(text)
    .split('\n')
    .map((line) => `>${line}`)
    .join('\n');
  return clip(quoted, limit);
}

const section = (text: string): SlackBlock => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text, SECTION_LIMIT) } });
const context = (text: string): SlackBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(text, SECTION_LIMIT) }] });

/** A timestamp every reviewer sees in their own time zone, with an ISO fallback. */
export function slackDate(at: number): string {
  const iso = new Date(at).toISOString();
  return `<!date^${Math.floor(at / 1000)}^{date_short_pretty} at {time}|${iso}>`;
}

function recentConversation(turn: ReviewTurn): HistoryEntry[] {
  const history = turn.context?.length
    ? turn.context
    : turn.messages.map((message) => ({ role: 'user' as const, text: message.text, at: message.receivedAt, user: message.user.name ?? message.user.id }));
  return history.slice(-RECENT_ENTRIES);
}

/**
 * JSON in a code block: Slack's escapes apply there too, and a ``` inside a string would close
 * the block early (a zero-width space keeps it apart).
 */
function codeBlock(json: string, limit: number): string {
  const body = escapeMrkdwn(json).replace(/```/g, '`\u200b``');
  return `\`\`\`${clip(body, limit - 8)}\`\`\``;
}

function conversationLine(turn: ReviewTurn): string {
  const route = turn.conversation.route;
  const where = turn.conversation.platform === 'slack' && route?.channel ? `<#${route.channel}>` : `${turn.conversation.platform}`;
  return `*Conversation* ${where} \`${escapeMrkdwn(turn.conversation.id)}\` · turn \`${escapeMrkdwn(turn.id)}\``;
}

/** The held call: what would run, its arguments, and the calls before it in this turn. */
function actionBlocks(turn: ReviewTurn, action: PendingAction): SlackBlock[] {
  const blocks: SlackBlock[] = [
    section(
      `*${escapeMrkdwn(actionHeadline(action))}* on \`${escapeMrkdwn(action.server)}\` · ${actionEffectWords(action)}` +
        (action.description ? `\n_${escapeMrkdwn(action.description.replace(/\s+/g, ' '))}_` : ''),
    ),
    section(`*Arguments*\n${codeBlock(formatToolArguments(action.arguments), SECTION_LIMIT - 20)}`),
  ];
  const earlier = (turn.toolSteps ?? []).flatMap((step) => step.calls.filter((call) => call.outcome).map((call) => ({ step: step.step, call })));
  if (earlier.length) {
    const perCall = Math.floor((SECTION_LIMIT - 60) / earlier.length);
    const lines = earlier.map(({ call }) => clip(`• \`${escapeMrkdwn(call.name)}\` ${escapeMrkdwn(call.arguments.replace(/\s+/g, ' '))} → ${call.outcome!.status}: ${escapeMrkdwn(call.outcome!.result.replace(/\s+/g, ' '))}`, perCall));
    blocks.push(section(`*Calls before it in this turn*\n${lines.join('\n')}`));
  }
  if (action.outcomeUnknown) blocks.push(context(`:warning: ${OUTCOME_UNKNOWN_NOTE}`));
  return blocks;
}

function summaryBlocks(turn: ReviewTurn): SlackBlock[] {
  const action = turn.escalation?.action;
  const title = action ? 'Tool call waiting for review' : 'Reply waiting for review';
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: title, emoji: true } }, context(conversationLine(turn))];
  const entries = recentConversation(turn);
  if (entries.length) {
    const perEntry = Math.floor((SECTION_LIMIT - 40) / entries.length);
    const lines = entries.map((entry) => {
      if (entry.role === 'tool') return clip(`*tool \`${escapeMrkdwn(entry.tool ?? '?')}\`:* ${escapeMrkdwn(entry.text.replace(/\s+/g, ' '))}`, perEntry);
      const who = entry.role === 'user' ? escapeMrkdwn(entry.user ?? 'user') : 'bot';
      return clip(`*${who}:* ${escapeMrkdwn(entry.text.replace(/\s+/g, ' '))}`, perEntry);
    });
    blocks.push(section(`*Recent conversation*\n${lines.join('\n')}`));
  }
  if (action) {
    blocks.push(...actionBlocks(turn, action));
  } else {
    const draft = currentDraft(turn);
    blocks.push(section(`*Draft*\n${draft ? quote(draft, SECTION_LIMIT - 20) : '_The actor produced no draft._'}`));
  }
  // An action's critic verdict is the one on the call, not on a reply.
  const verdict = action ? action.verdict : turn.verdict;
  const critic: string[] = [];
  if (verdict) {
    critic.push(`*Critic:* ${verdict.decision} (confidence ${verdict.confidence.toFixed(2)})`);
    if (verdict.reason) critic.push(`*Reason:* ${escapeMrkdwn(verdict.reason)}`);
    if (verdict.categories.length) critic.push(`*Categories:* ${verdict.categories.map((category) => `\`${escapeMrkdwn(category)}\``).join(' ')}`);
  }
  if (turn.escalation) {
    const rule = turn.escalation.rule ? ` (${escapeMrkdwn(turn.escalation.rule)})` : '';
    critic.push(`*Escalated by:* ${turn.escalation.source}${rule}: ${escapeMrkdwn(turn.escalation.reason)}`);
  }
  if (critic.length) blocks.push(section(critic.join('\n')));
  return blocks;
}

/** The buttons of a held tool call: approve (run it), edit its arguments, reject (refuse it). */
function actionButtons(turn: ReviewTurn, action: PendingAction): SlackBlock[] {
  const unknown = action.outcomeUnknown === true;
  const confirm = (title: string, text: string, button: string, style?: 'danger') => ({
    title: { type: 'plain_text', text: clip(title, 100) },
    text: { type: 'mrkdwn', text: clip(text, 300) },
    confirm: { type: 'plain_text', text: button },
    deny: { type: 'plain_text', text: 'Cancel' },
    ...(style ? { style } : {}),
  });
  const buttons: SlackBlock[] = [
    {
      type: 'button',
      action_id: REVIEW_ACTION_APPROVE,
      style: 'primary',
      text: { type: 'plain_text', text: unknown ? 'It took effect' : 'Approve' },
      value: turn.id,
      confirm: unknown ? confirm('Record that it took effect?', 'It is not run again.', 'Record') : confirm(`Run ${action.tool}?`, 'It runs with the arguments shown.', 'Run'),
    },
  ];
  if (!unknown) buttons.push({ type: 'button', action_id: REVIEW_ACTION_EDIT, text: { type: 'plain_text', text: 'Edit arguments' }, value: turn.id });
  buttons.push({
    type: 'button',
    action_id: REVIEW_ACTION_REJECT,
    style: 'danger',
    text: { type: 'plain_text', text: unknown ? 'It did not' : 'Reject' },
    value: turn.id,
    confirm: unknown
      ? confirm('Record that it did not take effect?', 'It is not run again.', 'Record', 'danger')
      : confirm('Refuse this call?', 'It does not run; the actor is told a human refused it.', 'Reject', 'danger'),
  });
  return buttons;
}

/** The escalation message: summary, then Approve / Edit / Reject. */
export function buildReviewMessage(turn: ReviewTurn): SlackMessageContent {
  const action = turn.escalation?.action;
  if (action) {
    return {
      text: `Tool call waiting for review: ${actionHeadline(action)} (turn ${turn.id})`,
      blocks: [...summaryBlocks(turn), { type: 'actions', block_id: `countersign_review:${turn.id}`.slice(0, 255), elements: actionButtons(turn, action) }],
    };
  }
  const hasDraft = currentDraft(turn) !== null;
  const buttons: SlackBlock[] = [];
  if (hasDraft) {
    buttons.push({ type: 'button', action_id: REVIEW_ACTION_APPROVE, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: turn.id });
  }
  buttons.push({ type: 'button', action_id: REVIEW_ACTION_EDIT, text: { type: 'plain_text', text: hasDraft ? 'Edit' : 'Write reply' }, value: turn.id });
  buttons.push({
    type: 'button',
    action_id: REVIEW_ACTION_REJECT,
    style: 'danger',
    text: { type: 'plain_text', text: 'Reject' },
    value: turn.id,
    confirm: {
      title: { type: 'plain_text', text: 'Reject this reply?' },
      text: { type: 'mrkdwn', text: 'Nothing more will be posted for this turn.' },
      confirm: { type: 'plain_text', text: 'Reject' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    },
  });
  return {
    text: `Reply waiting for review (turn ${turn.id})`,
    blocks: [...summaryBlocks(turn), { type: 'actions', block_id: `countersign_review:${turn.id}`.slice(0, 255), elements: buttons }],
  };
}

function decisionWords(turn: ReviewTurn): string {
  const resolution = turn.resolution;
  if (!resolution) return turn.status === 'rejected' ? 'Rejected' : 'Resolved';
  return DECISION_WORDS[resolution.decision];
}

/** The review message after a decision: who decided what and when, and no buttons. */
export function buildResolutionMessage(turn: ReviewTurn): SlackMessageContent {
  const resolution = turn.resolution;
  let line: string;
  if (resolution) {
    const reviewer = resolution.reviewer;
    const who = reviewer.via === 'slack' ? `<@${reviewer.id}>` : `${escapeMrkdwn(reviewer.name ?? reviewer.id)} (via ${escapeMrkdwn(reviewer.via)})`;
    const icon = resolution.decision === 'rejected' ? ':no_entry_sign:' : ':white_check_mark:';
    line = `${icon} *${decisionWords(turn)}* by ${who} on ${slackDate(resolution.at)}`;
  } else {
    line = `:information_source: *${decisionWords(turn)}* (status: ${turn.status})`;
  }
  const blocks = [...summaryBlocks(turn), section(line)];
  if (resolution?.decision === 'edited' && resolution.text) blocks.push(section(`*Posted instead*\n${quote(resolution.text, SECTION_LIMIT - 30)}`));
  if (resolution?.decision === 'edited' && resolution.arguments) blocks.push(section(`*Runs with the reviewer's arguments*\n${codeBlock(formatToolArguments(resolution.arguments), SECTION_LIMIT - 40)}`));
  // The header no longer asks for anything.
  blocks[0] = { type: 'header', text: { type: 'plain_text', text: `Review: ${decisionWords(turn).toLowerCase()}`, emoji: true } };
  return { text: `${decisionWords(turn)}: turn ${turn.id}`, blocks };
}

/**
 * The summary of escalations past the notification limits: how many, since when, how many still
 * wait, and where to review them. No buttons: each turn is decided in the dashboard or the API.
 */
export function buildReviewSummaryMessage(summary: ReviewSummary): SlackMessageContent {
  const replies = summary.folded === 1 ? 'reply' : 'replies';
  const title = `${summary.folded} more ${replies} waiting for review`;
  const where = summary.reviewUrl ? `<${summary.reviewUrl}|the review dashboard>` : 'the review dashboard (`/review`)';
  return {
    text: `${title}: too many escalations at once to post each one here`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(title, 150), emoji: true } },
      section(
        `Too many escalations at once to post each one here: *${summary.folded}* more since ${slackDate(summary.since)} (the latest ${slackDate(summary.latest)}), ` +
          `*${summary.waiting}* still waiting for a decision. Review them in ${where}, with the review API or \`countersign review\`.`,
      ),
      context('This message is updated as more come.'),
    ],
  };
}

/** What the Edit modal carries back in `private_metadata`. */
export interface EditModalMetadata {
  turnId: string;
  channel: string;
  ts: string;
}

/** The Edit modal, the draft prefilled (Slack's input holds at most 3,000 characters). */
export function buildEditModal(turn: ReviewTurn, metadata: EditModalMetadata): SlackBlock {
  const draft = currentDraft(turn) ?? '';
  const truncated = draft.length > INPUT_LIMIT;
  const blocks: SlackBlock[] = [
    {
      type: 'input',
      block_id: EDIT_BLOCK_ID,
      label: { type: 'plain_text', text: 'Reply to post' },
      element: {
        type: 'plain_text_input',
        action_id: EDIT_ACTION_ID,
        multiline: true,
        max_length: INPUT_LIMIT,
        // Slack refuses an empty initial_value: leave it out when there is no draft.
        ...(draft ? { initial_value: draft.slice(0, INPUT_LIMIT) } : {}),
      },
    },
  ];
  if (truncated) blocks.push(context(`The draft is ${draft.length} characters; only the first ${INPUT_LIMIT} fit here. Use the review API for longer replies.`));
  return {
    type: 'modal',
    callback_id: EDIT_MODAL_CALLBACK_ID,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Edit reply' },
    submit: { type: 'plain_text', text: 'Approve edited' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/**
 * The Edit modal of a held tool call: its arguments as indented JSON, to change and run. What
 * comes back is parsed and checked against the tool's input schema before anything runs; a
 * refusal is shown on the input, and the modal stays open.
 */
export function buildEditArgumentsModal(action: PendingAction, metadata: EditModalMetadata): SlackBlock {
  const json = formatToolArguments(action.arguments);
  const blocks: SlackBlock[] = [
    section(`*${escapeMrkdwn(actionHeadline(action))}* on \`${escapeMrkdwn(action.server)}\` · ${actionEffectWords(action)}`),
    {
      type: 'input',
      block_id: EDIT_ARGUMENTS_BLOCK_ID,
      label: { type: 'plain_text', text: 'Arguments (a JSON object)' },
      hint: { type: 'plain_text', text: "Checked against the tool's input schema before anything runs." },
      element: {
        type: 'plain_text_input',
        action_id: EDIT_ARGUMENTS_ACTION_ID,
        multiline: true,
        max_length: INPUT_LIMIT,
        ...(json.length <= INPUT_LIMIT ? { initial_value: json } : {}),
      },
    },
  ];
  if (json.length > INPUT_LIMIT) blocks.push(context(`The arguments are ${json.length} characters; Slack's input holds ${INPUT_LIMIT}. Use the review dashboard or API for this call.`));
  return {
    type: 'modal',
    callback_id: EDIT_ARGUMENTS_CALLBACK_ID,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Edit arguments' },
    submit: { type: 'plain_text', text: 'Run with these' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}
