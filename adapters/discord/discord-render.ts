/**
 * Splitting approved replies into Discord messages: Discord refuses content over 2,000
 * characters, so a long reply becomes several messages (src/core/split-message.ts says where
 * it cuts).
 */
import { splitMessage } from '../../src/core/split-message.js';

/** Discord's limit on a message's `content`, in characters (UTF-16 code units, as Discord counts). */
export const DISCORD_MESSAGE_LIMIT = 2000;

/** Split a reply into Discord messages of at most `limit` characters. Returns no parts for empty text. */
export function splitDiscordMessage(text: string, limit: number = DISCORD_MESSAGE_LIMIT): string[] {
  return splitMessage(text, limit);
}
