import { PermissionFlagsBits } from 'discord.js';
import { CountersignError } from '../../src/core/errors.js';

/**
 * Exactly the permissions the bot uses, and why:
 * - View Channels: see the channels it answers in and the review channel.
 * - Send Messages / Send Messages in Threads: post replies (and the typing indicator).
 * - Read Message History: a reply references the user's message, which Discord only allows
 *   with this permission.
 * - Embed Links: the review message is an embed.
 * Buttons and modals need no permission; no slash commands, so no `applications.commands`.
 */
export const DISCORD_BOT_PERMISSIONS: bigint =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.SendMessagesInThreads |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.EmbedLinks;

/** The OAuth2 URL that adds the bot to a server with exactly {@link DISCORD_BOT_PERMISSIONS}. */
export function discordInviteUrl(applicationId: string): string {
  if (!/^\d{17,20}$/.test(applicationId)) {
    throw new CountersignError('config.invalid', 'the Discord application id must be a snowflake (17 to 20 digits); find it under General Information in the Developer Portal');
  }
  const query = new URLSearchParams({ client_id: applicationId, scope: 'bot', permissions: DISCORD_BOT_PERMISSIONS.toString() });
  return `https://discord.com/oauth2/authorize?${query.toString()}`;
}
