/**
 * The review UI of Discord, as raw API payloads: the escalation message (an embed with the
 * recent conversation, the draft, the critic's decision, reason and categories, and buttons
 * Approve / Edit / Reject), the Edit modal with the draft prefilled, and the resolved message
 * (who decided what and when, buttons removed). A held tool call gets the same message with the
 * call instead of a draft (the tool, its server and effect, the arguments in a code block, this
 * turn's earlier calls) and an Edit arguments modal with the JSON prefilled. Pure: no I/O, easy
 * to test, and the same functions serve the gateway process and worker processes.
 */
import {
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
  type APIModalInteractionResponseCallbackData,
  ButtonStyle,
  ComponentType,
  TextInputStyle,
} from 'discord.js';
import type { ReviewSummary, ReviewTurn } from '../../src/core/ports.js';
import { actionEffectWords, actionHeadline, DECISION_WORDS, formatToolArguments, OUTCOME_UNKNOWN_NOTE } from '../../src/core/review-notices.js';
import { currentDraft, type PendingAction } from '../../src/core/types.js';

/** Embed limits Discord enforces (characters). */
const LIMITS = { title: 256, description: 4096, fieldValue: 1024, total: 6000 } as const;
/** Discord's longest text input value in a modal. */
export const DISCORD_MODAL_TEXT_LIMIT = 4000;

const COLORS = { escalated: 0xf0a020, approved: 0x2ecc71, edited: 0x3498db, rejected: 0xe74c3c } as const;

/** `edit-arguments`: the submission of a held tool call's Edit arguments modal. */
export type ReviewAction = 'approve' | 'edit' | 'reject' | 'edit-submit' | 'edit-arguments';

const PREFIX = 'countersign';
/** The id of the modal's text input. */
export const EDIT_FIELD_ID = 'text';

/** `countersign:<action>:<turnId>`: fits Discord's 100-character custom_id. */
export function reviewCustomId(action: ReviewAction, turnId: string): string {
  return `${PREFIX}:${action}:${turnId}`;
}

export function parseReviewCustomId(customId: string): { action: ReviewAction; turnId: string } | null {
  const match = customId.match(/^countersign:(approve|edit|reject|edit-submit|edit-arguments):(.+)$/);
  return match ? { action: match[1] as ReviewAction, turnId: match[2]! } : null;
}

/** Who may decide: members with the reviewer role, or users listed by id. Nobody when neither is configured. */
export function isDiscordReviewer(actor: { userId: string; roleIds: readonly string[] }, policy: { reviewerRole?: string; reviewers?: readonly string[] }): boolean {
  if (policy.reviewers?.includes(actor.userId)) return true;
  return Boolean(policy.reviewerRole && actor.roleIds.includes(policy.reviewerRole));
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Keep text from breaking out of the embed's markup (code fences in a draft). */
function quote(text: string, max: number): string {
  return clip(text.replace(/```/g, "'''"), max);
}

function recentConversation(turn: ReviewTurn): string {
  const entries =
    turn.context && turn.context.length > 0
      ? turn.context.map((entry) => ({ who: entry.role === 'assistant' ? 'bot' : entry.role === 'tool' ? `tool ${entry.tool ?? '?'}` : (entry.user ?? 'user'), text: entry.text }))
      : turn.messages.map((message) => ({ who: message.user.name ?? message.user.id, text: message.text }));
  const lines: string[] = [];
  let size = 0;
  // Newest last; keep as many of the newest as fit.
  for (const entry of entries.slice(-8).reverse()) {
    const line = `**${clip(entry.who, 40)}:** ${clip(entry.text.replace(/\s+/g, ' '), 300)}`;
    if (size + line.length + 1 > LIMITS.fieldValue) break;
    lines.unshift(line);
    size += line.length + 1;
  }
  return lines.join('\n') || '(none)';
}

const unix = (at: number) => Math.floor(at / 1000);

/** JSON in a code block that nothing inside can close early. */
function codeBlock(json: string, max: number): string {
  return `\`\`\`json\n${quote(json, max - 12)}\n\`\`\``;
}

/** The held call, as the embed's description: what would run, and its arguments. */
function actionDescription(action: PendingAction): string {
  const head = `**${actionHeadline(action)}** on \`${action.server}\` · ${actionEffectWords(action)}`;
  const description = action.description ? `\n*${clip(action.description.replace(/\s+/g, ' '), 300)}*` : '';
  const unknown = action.outcomeUnknown ? `\n⚠️ ${OUTCOME_UNKNOWN_NOTE}` : '';
  return `${head}${description}${unknown}\n**Arguments**\n${codeBlock(formatToolArguments(action.arguments), 3000)}`;
}

/** The calls the actor made before the held one in this turn, and what became of each. */
function earlierCalls(turn: ReviewTurn): string | null {
  const calls = (turn.toolSteps ?? []).flatMap((step) => step.calls.filter((call) => call.outcome));
  if (!calls.length) return null;
  const per = Math.floor(LIMITS.fieldValue / calls.length) - 1;
  return calls.map((call) => clip(`\`${call.name}\` ${call.arguments.replace(/\s+/g, ' ')} → ${call.outcome!.status}: ${call.outcome!.result.replace(/\s+/g, ' ')}`, per)).join('\n');
}

function baseEmbed(turn: ReviewTurn): APIEmbed {
  const action = turn.escalation?.action;
  const draft = currentDraft(turn);
  // An action's critic verdict is the one on the call, not on a reply.
  const verdict = action ? action.verdict : turn.verdict;
  const fields: NonNullable<APIEmbed['fields']> = [
    { name: 'Recent conversation', value: recentConversation(turn) },
    {
      name: 'Critic decision',
      value: verdict ? `${verdict.decision} (confidence ${verdict.confidence.toFixed(2)})` : `none (${turn.escalation?.source ?? 'unknown'})`,
      inline: true,
    },
    { name: 'Categories', value: clip(verdict?.categories.length ? verdict.categories.join(', ') : 'none', 200), inline: true },
    {
      name: 'Reason',
      value: clip(turn.escalation?.reason || verdict?.reason || 'no reason given', LIMITS.fieldValue),
    },
  ];
  if (turn.escalation?.rule) fields.push({ name: 'Rule', value: clip(turn.escalation.rule, 200), inline: true });
  const calls = action ? earlierCalls(turn) : null;
  if (calls) fields.splice(1, 0, { name: 'Calls before it in this turn', value: calls });
  return {
    title: clip(`${action ? 'Tool call' : 'Reply'} waiting for review · ${turn.conversation.platform}:${turn.conversation.id}`, LIMITS.title),
    description: action ? actionDescription(action) : draft ? `**Draft**\n${quote(draft, 2800)}` : '*The actor produced no draft.*',
    fields,
    footer: { text: `turn ${turn.id}` },
    timestamp: new Date(turn.escalation?.at ?? turn.updatedAt).toISOString(),
    color: COLORS.escalated,
  };
}

/** The message posted to the review channel for an escalated turn. */
export function escalationMessage(turn: ReviewTurn, options: { reviewerRole?: string } = {}) {
  const action = turn.escalation?.action;
  const hasDraft = currentDraft(turn) !== null;
  const unknown = action?.outcomeUnknown === true;
  // A held call: Approve runs it, Edit arguments opens the JSON, Reject refuses it; a call of
  // unknown outcome is only told whether it took effect.
  const buttons: APIButtonComponent[] = action
    ? [
        { type: ComponentType.Button, style: ButtonStyle.Success, label: unknown ? 'It took effect' : 'Approve', custom_id: reviewCustomId('approve', turn.id) },
        ...(unknown ? [] : [{ type: ComponentType.Button, style: ButtonStyle.Primary, label: 'Edit arguments', custom_id: reviewCustomId('edit', turn.id) } as const]),
        { type: ComponentType.Button, style: ButtonStyle.Danger, label: unknown ? 'It did not' : 'Reject', custom_id: reviewCustomId('reject', turn.id) },
      ]
    : [
        { type: ComponentType.Button, style: ButtonStyle.Success, label: 'Approve', custom_id: reviewCustomId('approve', turn.id), disabled: !hasDraft },
        { type: ComponentType.Button, style: ButtonStyle.Primary, label: 'Edit', custom_id: reviewCustomId('edit', turn.id) },
        { type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Reject', custom_id: reviewCustomId('reject', turn.id) },
      ];
  const row: APIActionRowComponent<APIButtonComponent> = { type: ComponentType.ActionRow, components: buttons };
  const what = action ? `a tool call needs review (${actionHeadline(action)})` : 'a reply needs review';
  return {
    content: options.reviewerRole ? `<@&${options.reviewerRole}> ${what}` : `${what[0]!.toUpperCase()}${what.slice(1)}`,
    embeds: [baseEmbed(turn)],
    components: [row],
    // Ping the reviewer role, nothing in the draft: embeds never ping, content might.
    allowed_mentions: { parse: [], roles: options.reviewerRole ? [options.reviewerRole] : [] },
  };
}

/** The review message once resolved: the decision, who and when; no buttons. */
export function resolutionMessage(turn: ReviewTurn) {
  const embed = baseEmbed(turn);
  const resolution = turn.resolution;
  if (resolution) {
    const who = resolution.reviewer.via === 'discord' ? `<@${resolution.reviewer.id}>` : (resolution.reviewer.name ?? resolution.reviewer.id);
    embed.title = clip(`${DECISION_WORDS[resolution.decision]} · ${turn.conversation.platform}:${turn.conversation.id}`, LIMITS.title);
    embed.color = COLORS[resolution.decision];
    embed.fields = [
      ...(embed.fields ?? []),
      { name: 'Decision', value: clip(`${DECISION_WORDS[resolution.decision]} by ${who} (via ${resolution.reviewer.via}) <t:${unix(resolution.at)}:f>`, LIMITS.fieldValue) },
    ];
    if (resolution.decision === 'edited' && resolution.text) embed.fields.push({ name: 'Posted instead', value: quote(resolution.text, LIMITS.fieldValue) });
    if (resolution.decision === 'edited' && resolution.arguments) embed.fields.push({ name: "Runs with the reviewer's arguments", value: codeBlock(formatToolArguments(resolution.arguments), LIMITS.fieldValue) });
  } else {
    embed.title = clip(`Resolved (${turn.status}) · ${turn.conversation.platform}:${turn.conversation.id}`, LIMITS.title);
  }
  return {
    content: resolution ? `${DECISION_WORDS[resolution.decision]} by ${resolution.reviewer.name ?? resolution.reviewer.id}` : `Resolved: ${turn.status}`,
    embeds: [embed],
    components: [],
    allowed_mentions: { parse: [] as never[] },
  };
}

/**
 * The summary of escalations past the notification limits: how many, since when, how many still
 * wait, where to review them. No buttons. The reviewer role is pinged when it is first posted
 * (edits never ping).
 */
export function reviewSummaryMessage(summary: ReviewSummary, options: { reviewerRole?: string } = {}) {
  const replies = summary.folded === 1 ? 'reply' : 'replies';
  const title = `${summary.folded} more ${replies} waiting for review`;
  const where = summary.reviewUrl ? `[the review dashboard](${summary.reviewUrl})` : 'the review dashboard (`/review`)';
  return {
    content: options.reviewerRole ? `<@&${options.reviewerRole}> ${title}` : title,
    embeds: [
      {
        title: clip(title, LIMITS.title),
        description: clip(
          `Too many escalations at once to post each one here: **${summary.folded}** more since <t:${unix(summary.since)}:f> (the latest <t:${unix(summary.latest)}:R>), ` +
            `**${summary.waiting}** still waiting for a decision. Review them in ${where}, with the review API or \`countersign review\`.`,
          LIMITS.description,
        ),
        footer: { text: 'This message is updated as more come.' },
        color: COLORS.escalated,
      } satisfies APIEmbed,
    ],
    components: [],
    allowed_mentions: { parse: [] as never[], roles: options.reviewerRole ? [options.reviewerRole] : [] },
  };
}

/** The Edit modal: one paragraph input prefilled with the draft. */
export function editModal(turn: ReviewTurn): APIModalInteractionResponseCallbackData {
  const draft = currentDraft(turn) ?? '';
  return {
    custom_id: reviewCustomId('edit-submit', turn.id),
    title: 'Edit the reply before posting',
    components: [
      {
        type: ComponentType.Label,
        label: 'Reply to post',
        description: 'Posted to the user as written here.',
        component: {
          type: ComponentType.TextInput,
          custom_id: EDIT_FIELD_ID,
          style: TextInputStyle.Paragraph,
          required: true,
          min_length: 1,
          max_length: DISCORD_MODAL_TEXT_LIMIT,
          ...(draft ? { value: draft.slice(0, DISCORD_MODAL_TEXT_LIMIT) } : {}),
        },
      },
    ],
  };
}

/**
 * The Edit arguments modal of a held tool call: its arguments as indented JSON. Discord shows no
 * errors on a modal, so what comes back is checked (JSON, then the tool's schema, by the review
 * service) and a refusal is told to the reviewer alone; nothing runs then.
 */
export function editArgumentsModal(turn: ReviewTurn, action: PendingAction): APIModalInteractionResponseCallbackData {
  const json = formatToolArguments(action.arguments);
  return {
    custom_id: reviewCustomId('edit-arguments', turn.id),
    title: clip(`Edit the arguments of ${action.tool}`, 45),
    components: [
      {
        type: ComponentType.Label,
        label: 'Arguments (a JSON object)',
        description: "Checked against the tool's input schema before anything runs.",
        component: {
          type: ComponentType.TextInput,
          custom_id: EDIT_FIELD_ID,
          style: TextInputStyle.Paragraph,
          required: true,
          min_length: 2,
          max_length: DISCORD_MODAL_TEXT_LIMIT,
          value: json,
        },
      },
    ],
  };
}
