import { describe, expect, it } from 'vitest';
import { describeCut } from '../../src/agents/describe-cut.js';
import { fitHistory, fitTurnMessages, loadCounter, readBudgetChars } from '../../src/conversation/history.js';
import type { HistoryEntry } from '../../src/core/types.js';

const entry = (text: string, role: HistoryEntry['role'] = 'user'): HistoryEntry => ({ role, text, at: 0 });

describe('fitHistory', () => {
  it('keeps the newest entries that fit, oldest first; the oldest go out first', async () => {
    const count = await loadCounter('characters');
    const entries = [entry('aaaaa'), entry('bbbbb', 'assistant'), entry('ccccc'), entry('ddddd', 'assistant')];
    expect(fitHistory(entries, 100, count)).toEqual(entries);
    expect(fitHistory(entries, 20, count)).toEqual(entries);
    expect(fitHistory(entries, 19, count)).toEqual(entries.slice(1));
    expect(fitHistory(entries, 10, count)).toEqual(entries.slice(2));
    expect(fitHistory(entries, 4, count)).toEqual([]);
    expect(fitHistory([], 10, count)).toEqual([]);
  });

  it('never skips an entry to squeeze an older, smaller one in', async () => {
    const count = await loadCounter('characters');
    const entries = [entry('a'), entry('x'.repeat(50)), entry('bb')];
    expect(fitHistory(entries, 10, count)).toEqual([entry('bb')]);
  });

  it('counts tokens when the unit is tokens', async () => {
    const tokens = await loadCounter('tokens');
    const words = entry(Array.from({ length: 40 }, () => 'hello').join(' '));
    const used = tokens(words.text);
    // A common English word is one token, so the same text is far fewer tokens than characters.
    expect(used).toBeGreaterThanOrEqual(30);
    expect(used).toBeLessThanOrEqual(45);
    const entries = [entry('old message'), words];
    expect(fitHistory(entries, used, tokens)).toEqual([words]);
    expect(fitHistory(entries, used + tokens('old message'), tokens)).toEqual(entries);
    // By characters the same budget holds nothing.
    expect(fitHistory(entries, used, await loadCounter('characters'))).toEqual([]);
  });

  it('reads more stored JSON than the budget, so the exact cut is fitHistory\'s', () => {
    expect(readBudgetChars(1000, 'characters')).toBeGreaterThan(1000);
    expect(readBudgetChars(1000, 'tokens')).toBeGreaterThan(readBudgetChars(1000, 'characters'));
  });
});

describe('fitTurnMessages', () => {
  const messages = (lengths: number[]) => lengths.map((length, index) => ({ id: `m${index}`, text: String(index).padEnd(length, 'x') }));

  it('keeps every message within both limits, and says nothing was cut', () => {
    const all = messages([10, 10, 10]);
    expect(fitTurnMessages(all, { maxMessages: 3, maxChars: 30 })).toEqual({ messages: all, cut: null });
  });

  it('cuts the oldest past the message count', () => {
    const all = messages([10, 20, 30, 40]);
    expect(fitTurnMessages(all, { maxMessages: 2, maxChars: 1000 })).toEqual({ messages: all.slice(2), cut: { messages: 2, characters: 30 } });
  });

  it('cuts the oldest past the characters; the newest is kept even alone over the limit', () => {
    const all = messages([15_000, 15_000, 15_000, 15_000]);
    expect(fitTurnMessages(all, { maxMessages: 20, maxChars: 32_000 })).toEqual({ messages: all.slice(2), cut: { messages: 2, characters: 30_000 } });
    expect(fitTurnMessages(all, { maxMessages: 20, maxChars: 100 })).toEqual({ messages: all.slice(3), cut: { messages: 3, characters: 45_000 } });
  });

  it('58 messages of 15,000 characters (the flood of the security issue) become 2 messages and a note', () => {
    const all = messages(Array.from({ length: 58 }, () => 15_000));
    const fitted = fitTurnMessages(all, { maxMessages: 20, maxChars: 32_000 });
    expect(fitted.messages.map((message) => message.id)).toEqual(['m56', 'm57']);
    expect(fitted.cut).toEqual({ messages: 56, characters: 840_000 });
    expect(describeCut(fitted.cut!)).toBe('Note: 56 earlier messages of the user in this turn were cut from this request (840000 characters) to bound its size; only the newest messages are shown.');
  });
});
