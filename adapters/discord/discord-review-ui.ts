/**
 * The review UI of Discord, as raw API payloads: the escalation message (an embed with the
 * recent conversation, the draft, the critic's decision, reason and categories, and buttons
 * Approve / Edit / Reject), the Edit modal with the draft prefilled, and the resolved message
 * (who decided what and when, buttons removed). Pure: no I/O, easy to test, and the same
 * functions serve the gateway process and worker processes.
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
import { DECISION_WORDS } from '../../src/core/review-notices.js';
import { currentDraft } from '../../src/core/types.js';

/** Embed limits Discord enforces (characters). */
const LIMITS = { title: 256, description: 4096, fieldValue: 1024, total: 6000 } as const;
/** Discord's longest text input value in a modal. */
export const DISCORD_MODAL_TEXT_LIMIT = 4000;

const COLORS = { escalated: 0xf0a020, approved: 0x2ecc71, edited: 0x3498db, rejected: 0xe74c3c } as const;

export type ReviewAction = 'approve' | 'edit' | 'reject' | 'edit-submit';

const PREFIX = 'countersign';
/** The id of the modal's text input. */
export const EDIT_FIELD_ID = 'text';

/** `countersign:<action>:<turnId>`: fits Discord's 100-character custom_id. */
export function reviewCustomId(action: ReviewAction, turnId: string): string {
  return `${PREFIX}:${action}:${turnId}`;
}

export function parseReviewCustomId(customId: string): { action: ReviewAction; turnId: string } | null {
  const match = customId.match(/^countersign:(approve|edit|reject|edit-submit):(.+)$/);
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
      ? turn.context.map((entry) => ({ who: entry.role === 'assistant' ? 'bot' : (entry.user ?? 'user'), text: entry.text }))
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

function baseEmbed(turn: ReviewTurn): APIEmbed {
  const draft = currentDraft(turn);
  const verdict = turn.verdict;
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
  return {
    title: clip(`Reply waiting for review · ${turn.conversation.platform}:${turn.conversation.id}`, LIMITS.title),
    description: draft ? `**Draft**\n${quote(draft, 2800)}` : '*The actor produced no draft.*',
    fields,
    footer: { text: `turn ${turn.id}` },
    timestamp: new Date(turn.escalation?.at ?? turn.updatedAt).toISOString(),
    color: COLORS.escalated,
  };
}

/** The message posted to the review channel for an escalated turn. */
export function escalationMessage(turn: ReviewTurn, options: { reviewerRole?: string } = {}) {
  const hasDraft = currentDraft(turn) !== null;
  const buttons: APIButtonComponent[] = [
    { type: ComponentType.Button, style: ButtonStyle.Success, label: 'Approve', custom_id: reviewCustomId('approve', turn.id), disabled: !hasDraft },
    { type: ComponentType.Button, style: ButtonStyle.Primary, label: 'Edit', custom_id: reviewCustomId('edit', turn.id) },
    { type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Reject', custom_id: reviewCustomId('reject', turn.id) },
  ];
  const row: APIActionRowComponent<APIButtonComponent> = { type: ComponentType.ActionRow, components: buttons };
  return {
    content: options.reviewerRole ? `<@&${options.reviewerRole}> a reply needs review` : 'A reply needs review',
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
