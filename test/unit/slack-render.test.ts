import { describe, expect, it } from 'vitest';
import { renderSlackReply, splitSlackText, toSlackMrkdwn } from '../../adapters/slack/slack-render.js';

describe('Slack rendering', () => {
  it('converts Markdown to mrkdwn with slackify-markdown', () => {
    const mrkdwn = toSlackMrkdwn('# Hours\n\nWe are open **Monday** to _Friday_, see [the page](https://example.com/hours).\n\n- one\n- two');
    expect(mrkdwn).toContain('*Hours*');
    expect(mrkdwn).toMatch(/\*Monday\*/);
    expect(mrkdwn).toContain('<https://example.com/hours|the page>');
    expect(mrkdwn).toContain('•');
    expect(mrkdwn).not.toContain('**');
  });

  it('escapes what Slack would read as markup', () => {
    expect(toSlackMrkdwn('a < b & c > d')).toBe('a &lt; b &amp; c &gt; d');
  });

  it('keeps a short reply in one part and an empty one in none', () => {
    expect(renderSlackReply('Hello there.')).toEqual(['Hello there.']);
    expect(renderSlackReply('  \n ')).toEqual([]);
  });

  it('splits at paragraph boundaries, every part within the limit, nothing lost', () => {
    const paragraphs = Array.from({ length: 30 }, (_, index) => `Paragraph ${index} ${'word '.repeat(20).trim()}`);
    const mrkdwn = paragraphs.join('\n\n');
    const parts = splitSlackText(mrkdwn, 500);
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(500);
    expect(parts.join('\n\n')).toBe(mrkdwn);
    // No paragraph was cut.
    for (const part of parts) for (const paragraph of part.split('\n\n')) expect(paragraphs).toContain(paragraph);
  });

  it('keeps a code block whole when it fits, and fences every piece of one that does not', () => {
    const code = `\`\`\`\n${Array.from({ length: 10 }, (_, index) => `line ${index}`).join('\n')}\n\`\`\``;
    const small = splitSlackText(`Intro text here.\n\n${code}\n\nOutro.`, 90);
    expect(small.length).toBeGreaterThan(1);
    expect(small.some((part) => part.includes(code))).toBe(true);

    const big = `\`\`\`\n${Array.from({ length: 200 }, (_, index) => `const value${index} = ${index};`).join('\n')}\n\`\`\``;
    const parts = splitSlackText(`Before.\n\n${big}\n\nAfter.`, 400);
    const codeParts = parts.filter((part) => part.includes('const value'));
    expect(codeParts.length).toBeGreaterThan(5);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(400);
    for (const part of codeParts) {
      // Opened and closed within the part.
      expect(part.split('```')).toHaveLength(3);
      expect(part).toMatch(/```\nconst value[\s\S]*;\n```/);
    }
    const lines = codeParts.flatMap((part) => part.split('\n').filter((line) => line.startsWith('const value')));
    expect(lines).toEqual(Array.from({ length: 200 }, (_, index) => `const value${index} = ${index};`));
  });

  it('splits a paragraph without breaks at sentences, then words, then anywhere', () => {
    const sentences = Array.from({ length: 40 }, (_, index) => `Sentence number ${index} ends here.`).join(' ');
    const parts = splitSlackText(sentences, 200);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(200);
      expect(part.endsWith('.')).toBe(true);
    }
    expect(parts.join(' ')).toBe(sentences);

    const unbroken = 'x'.repeat(1_050);
    const hard = splitSlackText(unbroken, 200);
    expect(hard.map((part) => part.length)).toEqual([200, 200, 200, 200, 200, 50]);
  });

  it('never cuts an emoji (surrogate pair) in half', () => {
    const text = '😀'.repeat(300);
    const parts = splitSlackText(text, 101);
    for (const part of parts) expect(part).not.toMatch(/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/);
    expect(parts.join('')).toBe(text);
  });

  it('is deterministic: the same text renders to the same parts', () => {
    const text = Array.from({ length: 50 }, (_, index) => `**Point ${index}**: ${'detail '.repeat(30)}`).join('\n\n');
    expect(renderSlackReply(text, 1_000)).toEqual(renderSlackReply(text, 1_000));
  });
});
