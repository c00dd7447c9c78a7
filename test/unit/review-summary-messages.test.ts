import { describe, expect, it } from 'vitest';
import { reviewSummaryMessage } from '../../adapters/discord/discord-review-ui.js';
import { buildReviewSummaryMessage } from '../../adapters/slack/slack-review-blocks.js';
import type { ReviewSummary } from '../../src/core/ports.js';

const summary: ReviewSummary = { id: '1700000000000', folded: 14, waiting: 9, since: 1_700_000_000_000, latest: 1_700_000_060_000, reviewUrl: 'https://bot.example.com/review' };

describe('the review summary message', () => {
  it('Slack: says how many more wait, since when, how many are still open and where; no buttons', () => {
    const message = buildReviewSummaryMessage(summary);
    expect(message.text).toBe('14 more replies waiting for review: too many escalations at once to post each one here');
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('*14* more since <!date^1700000000^');
    expect(text).toContain('*9* still waiting for a decision');
    expect(text).toContain('<https://bot.example.com/review|the review dashboard>');
    expect(message.blocks.some((block) => block.type === 'actions')).toBe(false);
    expect(buildReviewSummaryMessage({ ...summary, folded: 1, reviewUrl: undefined }).text).toMatch(/^1 more reply waiting/);
    expect(JSON.stringify(buildReviewSummaryMessage({ ...summary, reviewUrl: undefined }).blocks)).toContain('(`/review`)');
  });

  it('Discord: the same, pinging only the reviewer role, within the embed limits', () => {
    const message = reviewSummaryMessage(summary, { reviewerRole: '330000000000000001' });
    expect(message.content).toBe('<@&330000000000000001> 14 more replies waiting for review');
    expect(message.allowed_mentions).toEqual({ parse: [], roles: ['330000000000000001'] });
    expect(message.components).toEqual([]);
    const embed = message.embeds[0]!;
    expect(embed.description).toContain('**14** more since <t:1700000000:f>');
    expect(embed.description).toContain('**9** still waiting');
    expect(embed.description).toContain('[the review dashboard](https://bot.example.com/review)');
    expect(embed.title!.length).toBeLessThanOrEqual(256);
    expect(reviewSummaryMessage(summary).allowed_mentions).toEqual({ parse: [], roles: [] });
  });
});
