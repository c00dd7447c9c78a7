/**
 * Markdown -> Slack mrkdwn, and splitting of long replies into parts Slack shows whole.
 * Everything here is pure and deterministic: the outbox re-renders a reply when it recovers
 * and must get exactly the same parts back.
 */
import slackifyMarkdown from 'slackify-markdown';

/**
 * Longest part we post. Slack truncates `text` at 40,000 characters but advises at most 4,000
 * for a message to render and notify well; we stay a little under that.
 */
export const SLACK_PART_LIMIT = 3_900;

const FENCE = '```';

/** Convert the actor's Markdown to Slack mrkdwn with slackify-markdown (no hand-written regexes). */
export function toSlackMrkdwn(markdown: string): string {
  return slackifyMarkdown(markdown).replace(/\s+$/, '');
}

/** A paragraph or a whole fenced code block of the converted text. */
interface Block {
  text: string;
  code: boolean;
}

function blocksOf(mrkdwn: string): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let code: string[] | null = null;
  const flush = () => {
    if (paragraph.length) blocks.push({ text: paragraph.join('\n'), code: false });
    paragraph = [];
  };
  for (const line of mrkdwn.split('\n')) {
    if (code) {
      code.push(line);
      if (line.trimEnd().endsWith(FENCE) && code.length > 1) {
        blocks.push({ text: code.join('\n'), code: true });
        code = null;
      }
      continue;
    }
    if (line.trimStart().startsWith(FENCE)) {
      flush();
      // A one-line block (```x```) opens and closes on the same line.
      const rest = line.trimStart().slice(FENCE.length);
      if (rest.length >= FENCE.length && rest.trimEnd().endsWith(FENCE)) blocks.push({ text: line, code: true });
      else code = [line];
      continue;
    }
    if (line.trim() === '') flush();
    else paragraph.push(line);
  }
  if (code) blocks.push({ text: code.join('\n'), code: true }); // unclosed fence: keep as is
  flush();
  return blocks;
}

/** Cut at `limit` without splitting a surrogate pair. */
function hardCut(text: string, limit: number): [string, string] {
  let at = limit;
  const code = text.charCodeAt(at - 1);
  if (code >= 0xd800 && code <= 0xdbff) at -= 1;
  return [text.slice(0, at), text.slice(at)];
}

/** Split one over-long run of prose: at line breaks, then sentence ends, then spaces, then anywhere. */
function splitProse(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    let at = window.lastIndexOf('\n');
    if (at <= 0) {
      const sentence = Math.max(window.lastIndexOf('. '), window.lastIndexOf('! '), window.lastIndexOf('? '));
      at = sentence > 0 ? sentence + 1 : -1;
    }
    if (at <= 0) at = window.lastIndexOf(' ');
    if (at <= 0) {
      const [head, tail] = hardCut(rest, limit);
      pieces.push(head);
      rest = tail;
      continue;
    }
    pieces.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).replace(/^[ \n]+/, '');
  }
  if (rest.length) pieces.push(rest);
  return pieces.filter((piece) => piece.length > 0);
}

/** Split an over-long code block by lines, closing and reopening the fence in every piece. */
function splitCode(text: string, limit: number): string[] {
  const lines = text.split('\n');
  const opening = lines[0] ?? FENCE;
  const closed = lines.length > 1 && (lines.at(-1) ?? '').trimEnd().endsWith(FENCE);
  const body = lines.slice(1, closed ? -1 : undefined);
  const room = limit - opening.length - FENCE.length - 2; // the two newlines around the body
  const pieces: string[] = [];
  let current: string[] = [];
  let size = 0;
  const flush = () => {
    if (current.length) pieces.push(`${opening}\n${current.join('\n')}\n${FENCE}`);
    current = [];
    size = 0;
  };
  for (const line of body) {
    const segments = line.length > room ? splitLongLine(line, room) : [line];
    for (const segment of segments) {
      const added = (current.length ? 1 : 0) + segment.length;
      if (size + added > room) flush();
      current.push(segment);
      size += (current.length > 1 ? 1 : 0) + segment.length;
    }
  }
  flush();
  return pieces;
}

function splitLongLine(line: string, room: number): string[] {
  const segments: string[] = [];
  let rest = line;
  while (rest.length > room) {
    const [head, tail] = hardCut(rest, room);
    segments.push(head);
    rest = tail;
  }
  segments.push(rest);
  return segments;
}

/**
 * Split converted mrkdwn into parts of at most `limit` characters, at paragraph or code-block
 * boundaries; a single block that is too long is split inside (lines, sentences, words), a code
 * block keeping its fences in every part.
 */
export function splitSlackText(mrkdwn: string, limit = SLACK_PART_LIMIT): string[] {
  const parts: string[] = [];
  let current = '';
  for (const block of blocksOf(mrkdwn)) {
    const pieces = block.text.length <= limit ? [block.text] : block.code ? splitCode(block.text, limit) : splitProse(block.text, limit);
    for (const piece of pieces) {
      if (!current) current = piece;
      else if (current.length + 2 + piece.length <= limit) current = `${current}\n\n${piece}`;
      else {
        parts.push(current);
        current = piece;
      }
    }
  }
  if (current) parts.push(current);
  return parts;
}

/** The adapter's `render()`: Markdown in, the mrkdwn parts to post out (empty text: no parts). */
export function renderSlackReply(markdown: string, limit = SLACK_PART_LIMIT): string[] {
  if (!markdown.trim()) return [];
  return splitSlackText(toSlackMrkdwn(markdown), limit);
}
