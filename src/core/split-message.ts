/**
 * Splitting an approved reply into the messages a platform shows whole, cut where a reader
 * would: between paragraphs, never inside a code block unless the block alone is too long, in
 * which case each piece is closed and reopened with the same fence so it still renders as code.
 * Shared by the Slack and Discord adapters. Pure and deterministic: the outbox re-renders a
 * reply when it recovers and must get exactly the same parts (and Discord the same nonces).
 */

interface Block {
  kind: 'text' | 'code';
  text: string;
  /** Code blocks: the opening fence line (```` ```ts ````). */
  fence?: string;
}

/** A block that opens and closes on one line (```x```), as Slack's mrkdwn writes short code. */
function isOneLineBlock(line: string, marker: string): boolean {
  const rest = line.trim().slice(marker.length);
  return rest.length >= marker.length && rest.endsWith(marker);
}

/** Cut text into paragraphs and fenced code blocks, in order. */
function blocksOf(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let paragraph: string[] = [];
  const flush = () => {
    const joined = paragraph.join('\n').trim();
    if (joined) blocks.push({ kind: 'text', text: joined });
    paragraph = [];
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    const fence = line.match(/^\s*(`{3,}|~{3,})/);
    if (fence && isOneLineBlock(line, fence[1]!)) {
      flush();
      blocks.push({ kind: 'code', text: line, fence: line.trim() });
      continue;
    }
    if (fence) {
      flush();
      const marker = fence[1]!;
      const code = [line];
      let closed = false;
      for (index += 1; index < lines.length; index += 1) {
        const inner = lines[index]!;
        code.push(inner);
        if (inner.trim().startsWith(marker) && inner.trim().replace(/[`~]/g, '') === '') {
          closed = true;
          break;
        }
      }
      // An unclosed fence runs to the end, as Discord renders it; close it so parts stay valid.
      if (!closed) code.push(marker);
      blocks.push({ kind: 'code', text: code.join('\n'), fence: line.trim() });
      continue;
    }
    if (line.trim() === '') flush();
    else paragraph.push(line);
  }
  flush();
  return blocks;
}

/** Index of the last occurrence of a break in `text[0..limit]` worth cutting at, or -1. */
function lastBreak(text: string, limit: number, pattern: RegExp): number {
  let found = -1;
  const window = text.slice(0, limit);
  for (const match of window.matchAll(pattern)) {
    const end = (match.index ?? 0) + match[0].length;
    if (end > 0 && end <= limit) found = end;
  }
  return found;
}

/** Never cut between the two halves of a surrogate pair (an emoji, say). */
function safeCut(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/** Split plain text that is too long: at line ends, then sentence ends, then spaces, then anywhere. */
function splitLong(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const half = Math.floor(limit / 2);
    let cut = lastBreak(rest, limit, /\n/g);
    if (cut < half) cut = lastBreak(rest, limit, /[.!?]["')\]]?\s/g);
    if (cut < half) cut = lastBreak(rest, limit, /\s/g);
    if (cut < half) cut = safeCut(rest, limit);
    const piece = rest.slice(0, cut).trimEnd();
    if (piece) pieces.push(piece);
    rest = rest.slice(cut).replace(/^\s+/, '');
  }
  if (rest.trim()) pieces.push(rest.trimEnd());
  return pieces;
}

/** The opening line, the code lines and the closing line of a code block. */
function codeLines(block: Block, limit: number): { open: string; close: string; body: string[] } {
  const lines = block.text.split('\n');
  const marker = lines[0]!.match(/^\s*(`{3,}|~{3,})/)?.[1] ?? '```';
  if (lines.length === 1) {
    // A one-line block (```code```): its code sits between the two fences on that line.
    const line = lines[0]!.trim();
    return { open: marker, close: marker, body: [line.slice(marker.length, line.length - marker.length)] };
  }
  const open = lines[0]!;
  const body = lines.slice(1, -1);
  // An opening line too long to repeat in every piece is text after the fence, not a language
  // name: only the fence is repeated, and the rest of the line is kept as the first code line.
  if (open.length > limit / 4) {
    const rest = open.trim().slice(marker.length);
    return { open: marker, close: lines.at(-1)!, body: rest ? [rest, ...body] : body };
  }
  return { open, close: lines.at(-1)!, body };
}

/** Split a code block that is too long into several blocks with the same fence. */
function splitCode(block: Block, limit: number): string[] {
  const { open, close, body } = codeLines(block, limit);
  const overhead = open.length + close.length + 2;
  const room = Math.max(limit - overhead, 1);
  const pieces: string[] = [];
  let current: string[] = [];
  let size = 0;
  const flush = () => {
    if (current.length) pieces.push(`${open}\n${current.join('\n')}\n${close}`);
    current = [];
    size = 0;
  };
  for (const line of body) {
    // A single line longer than the room is cut hard; code has no better place to cut.
    const chunks = line.length > room ? splitLong(line, room) : [line];
    for (const chunk of chunks) {
      const added = (current.length ? 1 : 0) + chunk.length;
      if (size + added > room) flush();
      current.push(chunk);
      size += (current.length > 1 ? 1 : 0) + chunk.length;
    }
  }
  flush();
  return pieces;
}

/**
 * Split a reply into messages of at most `limit` characters, on paragraph or code-block
 * boundaries. Returns no parts for empty text.
 */
export function splitMessage(text: string, limit: number): string[] {
  const normalised = text.replace(/\r\n?/g, '\n').trim();
  if (!normalised) return [];
  if (normalised.length <= limit) return [normalised];
  const pieces: string[] = [];
  for (const block of blocksOf(normalised)) {
    if (block.text.length <= limit) pieces.push(block.text);
    else if (block.kind === 'code') pieces.push(...splitCode(block, limit));
    else pieces.push(...splitLong(block.text, limit));
  }
  // Pack consecutive pieces into as few messages as fit, keeping the blank line between them.
  const parts: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (!current) current = piece;
    else if (current.length + 2 + piece.length <= limit) current = `${current}\n\n${piece}`;
    else {
      parts.push(current);
      current = piece;
    }
  }
  if (current) parts.push(current);
  return parts;
}
