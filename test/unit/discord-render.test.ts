import { describe, expect, it } from 'vitest';
import { DISCORD_MESSAGE_LIMIT, splitDiscordMessage } from '../../adapters/discord/discord-render.js';

const fences = (text: string) => (text.match(/^\s*```/gm) ?? []).length;

describe('splitDiscordMessage', () => {
  it('keeps a short reply whole and drops nothing but outer whitespace', () => {
    expect(splitDiscordMessage('  Hello **there**\n\nsecond paragraph  ')).toEqual(['Hello **there**\n\nsecond paragraph']);
    expect(splitDiscordMessage('   ')).toEqual([]);
  });

  it('splits on paragraph boundaries into parts within the limit, in order', () => {
    const paragraphs = Array.from({ length: 12 }, (_, index) => `P${index} ${'x'.repeat(450)}`);
    const parts = splitDiscordMessage(paragraphs.join('\n\n'));
    expect(parts.every((part) => part.length <= DISCORD_MESSAGE_LIMIT)).toBe(true);
    // Every paragraph survives intact, none cut in two.
    expect(parts.flatMap((part) => part.split('\n\n'))).toEqual(paragraphs);
    expect(parts).toHaveLength(3);
  });

  it('never cuts a code block that fits in a message', () => {
    const code = `\`\`\`ts\n${Array.from({ length: 40 }, (_, index) => `const value${index} = ${index};`).join('\n')}\n\`\`\``;
    const text = `${'Intro sentence. '.repeat(100).trim()}\n\n${code}\n\nOutro.`;
    const parts = splitDiscordMessage(text);
    expect(parts.some((part) => part.includes(code))).toBe(true);
    expect(parts.every((part) => fences(part) % 2 === 0)).toBe(true);
  });

  it('splits an oversized code block on lines, reopening the same fence', () => {
    const lines = Array.from({ length: 200 }, (_, index) => `print("line ${index}")`);
    const text = `\`\`\`python\n${lines.join('\n')}\n\`\`\``;
    const parts = splitDiscordMessage(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
      expect(part.startsWith('```python\n')).toBe(true);
      expect(part.endsWith('\n```')).toBe(true);
    }
    expect(parts.flatMap((part) => part.split('\n').slice(1, -1))).toEqual(lines);
  });

  it('closes an unclosed fence', () => {
    const parts = splitDiscordMessage(`${'a '.repeat(1100)}\n\n\`\`\`\nunclosed code`);
    expect(parts.at(-1)!.endsWith('\n\n```\nunclosed code\n```')).toBe(true);
  });

  it('splits one huge paragraph at sentence ends, then spaces, then anywhere', () => {
    const sentences = `${'This is a sentence. '.repeat(300)}`.trim();
    const parts = splitDiscordMessage(sentences);
    expect(parts.every((part) => part.length <= DISCORD_MESSAGE_LIMIT && part.endsWith('.'))).toBe(true);
    const noSpaces = 'y'.repeat(4500);
    expect(splitDiscordMessage(noSpaces).map((part) => part.length)).toEqual([2000, 2000, 500]);
  });

  it('does not split an emoji in two', () => {
    const text = `${'x'.repeat(1999)}😀${'z'.repeat(10)}`;
    const parts = splitDiscordMessage(text);
    expect(parts.join('')).toBe(text);
    expect(parts.every((part) => part.length <= DISCORD_MESSAGE_LIMIT)).toBe(true);
    expect(parts[1]!.startsWith('😀')).toBe(true);
  });

  it('keeps a long one-line code block, split into fenced parts, instead of dropping it', () => {
    const code = Array.from({ length: 500 }, (_, index) => `word${index}`).join(' ');
    const parts = splitDiscordMessage(`Before.\n\n\`\`\`${code}\`\`\`\n\nAfter.`);
    expect(parts.every((part) => part.length <= DISCORD_MESSAGE_LIMIT && fences(part) % 2 === 0)).toBe(true);
    const inside = parts.join('\n').match(/word\d+/g) ?? [];
    expect(inside).toEqual(code.split(' '));
    expect(parts[0]!.startsWith('Before.')).toBe(true);
    expect(parts.at(-1)!.endsWith('After.')).toBe(true);
  });

  it('repeats only the fence when the opening line is too long to repeat, keeping its text as code', () => {
    const opening = `\`\`\`${'z'.repeat(2_500)}`;
    const parts = splitDiscordMessage(`${opening}\nsome code\n\`\`\``);
    expect(parts.every((part) => part.length <= DISCORD_MESSAGE_LIMIT && part.startsWith('```\n') && part.endsWith('\n```'))).toBe(true);
    expect(parts.join('').replace(/[^z]/g, '')).toHaveLength(2_500);
    expect(parts.at(-1)).toContain('some code');
  });

  it('is deterministic', () => {
    const text = Array.from({ length: 30 }, (_, index) => `Paragraph ${index}: ${'lorem ipsum '.repeat(20)}`).join('\n\n');
    expect(splitDiscordMessage(text)).toEqual(splitDiscordMessage(text));
  });
});
