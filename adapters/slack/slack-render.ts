/**
 * Markdown -> Slack mrkdwn, and splitting of long replies into parts Slack shows whole.
 * Everything here is pure and deterministic: the outbox re-renders a reply when it recovers
 * and must get exactly the same parts back.
 */
import slackifyMarkdown from 'slackify-markdown';
import { splitMessage } from '../../src/core/split-message.js';

/**
 * Longest part we post. Slack truncates `text` at 40,000 characters but advises at most 4,000
 * for a message to render and notify well; we stay a little under that.
 */
export const SLACK_PART_LIMIT = 3_900;

/** Convert the actor's Markdown to Slack mrkdwn with slackify-markdown (no hand-written regexes). */
export function toSlackMrkdwn(markdown: string): string {
  return slackifyMarkdown(markdown).replace(/\s+$/, '');
}

/**
 * Split converted mrkdwn into parts of at most `limit` characters, at paragraph or code-block
 * boundaries; a single block that is too long is split inside (lines, sentences, words), a code
 * block keeping its fences in every part.
 */
export function splitSlackText(mrkdwn: string, limit = SLACK_PART_LIMIT): string[] {
  return splitMessage(mrkdwn, limit);
}

/** The adapter's `render()`: Markdown in, the mrkdwn parts to post out (empty text: no parts). */
export function renderSlackReply(markdown: string, limit = SLACK_PART_LIMIT): string[] {
  if (!markdown.trim()) return [];
  return splitSlackText(toSlackMrkdwn(markdown), limit);
}
