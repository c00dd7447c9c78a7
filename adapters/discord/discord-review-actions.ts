/**
 * The review buttons (Approve, Edit, Reject) and the Edit modals of Discord review messages (a
 * reply's text; a held tool call's arguments as JSON: text that is not a JSON object, or that the
 * tool's schema refuses, is told to the reviewer alone and nothing runs).
 * Every decision goes through the review service; a decision that comes too late (the turn
 * resolved elsewhere) brings the review message up to date and tells the reviewer, and only
 * them, who was first, in the words every platform uses.
 */
import { type ButtonInteraction, GuildMember, type Interaction, MessageFlags, type ModalSubmitInteraction } from 'discord.js';
import type { Logger } from 'pino';
import { describeError, isCountersignError } from '../../src/core/errors.js';
import type { ReviewActions, ReviewTurn } from '../../src/core/ports.js';
import { alreadyResolvedNotice, parseReviewerArguments } from '../../src/core/review-notices.js';
import type { Reviewer } from '../../src/core/types.js';
import { translateDiscordError } from './discord-errors.js';
import { DISCORD_MODAL_TEXT_LIMIT, EDIT_FIELD_ID, editArgumentsModal, editModal, isDiscordReviewer, parseReviewCustomId, resolutionMessage } from './discord-review-ui.js';

export interface DiscordReviewActionsOptions {
  review: ReviewActions;
  logger: Logger;
  /** Who may review: members of this role, these user ids. */
  policy: { reviewerRole?: string; reviewers: readonly string[] };
}

/** Handle one interaction; anything but a countersign review button or modal is left alone. Never throws. */
export type DiscordReviewActions = (interaction: Interaction) => Promise<void>;

type ReviewInteraction = ButtonInteraction | ModalSubmitInteraction;

function reviewerOf(interaction: Interaction): { reviewer: Reviewer; roleIds: string[] } {
  const member = interaction.member;
  let roleIds: string[] = [];
  let name: string | undefined;
  if (member instanceof GuildMember) {
    roleIds = [...member.roles.cache.keys()];
    name = member.displayName;
  } else if (member) {
    // Uncached members arrive as the raw API object, roles as an id list.
    roleIds = member.roles;
    name = member.nick ?? undefined;
  }
  const user = interaction.user;
  return { reviewer: { via: 'discord', id: user.id, name: name ?? user.globalName ?? user.username }, roleIds };
}

/** An answer only the reviewer sees, pinging nobody. */
const ephemeral = (content: string) => ({ content, flags: MessageFlags.Ephemeral as const, allowedMentions: { parse: [] } });

/** A raw review payload as discord.js interaction methods take it (camelCase `allowedMentions`). */
function forInteraction(message: ReturnType<typeof resolutionMessage>) {
  const { allowed_mentions: _raw, ...rest } = message;
  return { ...rest, allowedMentions: { parse: [] } };
}

export function createDiscordReviewActions(options: DiscordReviewActionsOptions): DiscordReviewActions {
  const { review } = options;

  /** Edit: the modal with the draft, unless the turn is resolved already or too long for the modal. */
  async function openEditor(interaction: ReviewInteraction, turnId: string): Promise<void> {
    if (!interaction.isButton()) return;
    const turn = await review.get(turnId);
    if (!turn) return void (await interaction.reply(ephemeral(alreadyResolvedNotice(null))));
    if (turn.status !== 'escalated') {
      await interaction.update(forInteraction(resolutionMessage(turn)));
      await interaction.followUp(ephemeral(alreadyResolvedNotice(turn)));
      return;
    }
    const action = turn.escalation?.action;
    if (action) {
      if (action.outcomeUnknown) return void (await interaction.reply(ephemeral('This call may already have run: say whether it took effect (Approve) or not (Reject); it takes no new arguments.')));
      const modal = editArgumentsModal(turn, action);
      const json = (modal.components[0] as { component: { value: string } }).component.value;
      if (json.length > DISCORD_MODAL_TEXT_LIMIT) {
        await interaction.reply(ephemeral(`The arguments are longer than Discord's ${DISCORD_MODAL_TEXT_LIMIT}-character edit box; edit them in the dashboard or the review API.`));
        return;
      }
      await interaction.showModal({ toJSON: () => modal });
      return;
    }
    const draft = turn.drafts.at(-1)?.text ?? '';
    if (draft.length > DISCORD_MODAL_TEXT_LIMIT) {
      await interaction.reply(ephemeral(`The draft is longer than Discord's ${DISCORD_MODAL_TEXT_LIMIT}-character edit box; edit it in the dashboard or the review API.`));
      return;
    }
    await interaction.showModal({ toJSON: () => editModal(turn) });
  }

  /** Approve (as drafted or with the modal's text) or reject, through the review service. */
  async function decide(
    interaction: ReviewInteraction,
    decision: { turnId: string; reviewer: Reviewer; decision: 'approve' | 'reject'; text?: string; arguments?: Record<string, unknown> },
    log: Logger,
  ): Promise<void> {
    // Discord wants an answer within 3 s; the decision may take longer (Redis, the outbox).
    await interaction.deferUpdate();
    let turn: ReviewTurn;
    try {
      turn =
        decision.decision === 'reject'
          ? await review.reject(decision.turnId, { reviewer: decision.reviewer })
          : await review.approve(decision.turnId, {
              reviewer: decision.reviewer,
              ...(decision.text !== undefined ? { text: decision.text } : {}),
              ...(decision.arguments !== undefined ? { arguments: decision.arguments } : {}),
            });
    } catch (error) {
      // Arguments the tool's schema refuses: nothing ran, the call still waits; only the reviewer is told.
      if (isCountersignError(error, 'review.invalid')) {
        await interaction.followUp(ephemeral(`Not run: ${error.message}. Edit the arguments again, or approve or reject the call as proposed.`));
        return;
      }
      if (isCountersignError(error, 'review.conflict')) {
        const current = await review.get(decision.turnId);
        if (current) await interaction.editReply(forInteraction(resolutionMessage(current)));
        await interaction.followUp(ephemeral(alreadyResolvedNotice(current)));
        return;
      }
      log.error({ err: error }, 'discord review decision failed');
      await interaction.followUp(ephemeral(`Could not record the decision: ${describeError(error)}`));
      return;
    }
    log.info({ decision: turn.resolution?.decision }, 'discord review decision recorded');
    await interaction.editReply(forInteraction(resolutionMessage(turn)));
  }

  return async (interaction) => {
    if (!interaction.isButton() && !interaction.isModalSubmit()) return;
    const parsed = parseReviewCustomId(interaction.customId);
    if (!parsed) return;
    const { reviewer, roleIds } = reviewerOf(interaction);
    const log = options.logger.child({ turnId: parsed.turnId, action: parsed.action, reviewer: reviewer.id });
    try {
      if (!isDiscordReviewer({ userId: reviewer.id, roleIds }, options.policy)) {
        log.info('discord review action refused: not a reviewer');
        await interaction.reply(ephemeral('Only reviewers can decide on escalated replies.'));
        return;
      }
      if (parsed.action === 'edit') return await openEditor(interaction, parsed.turnId);
      if (parsed.action === 'edit-arguments') {
        if (!interaction.isModalSubmit()) return;
        const args = parseReviewerArguments(interaction.fields.getTextInputValue(EDIT_FIELD_ID));
        if (!args.ok) return void (await interaction.reply(ephemeral(`${args.error} Edit the arguments again, or approve or reject the call as proposed.`)));
        return await decide(interaction, { turnId: parsed.turnId, reviewer, decision: 'approve', arguments: args.value }, log);
      }
      let text: string | undefined;
      if (parsed.action === 'edit-submit') {
        if (!interaction.isModalSubmit()) return;
        text = interaction.fields.getTextInputValue(EDIT_FIELD_ID).trim();
        if (!text) return void (await interaction.reply(ephemeral('The reply cannot be empty.')));
      }
      await decide(interaction, { turnId: parsed.turnId, reviewer, decision: parsed.action === 'reject' ? 'reject' : 'approve', ...(text !== undefined ? { text } : {}) }, log);
    } catch (error) {
      log.error({ err: translateDiscordError(error, 'answer a review interaction') }, 'discord review interaction failed');
    }
  };
}
