import { describe, expect, it } from 'vitest';
import { fitHistory, loadCounter, readBudgetChars } from '../../src/conversation/history.js';
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
