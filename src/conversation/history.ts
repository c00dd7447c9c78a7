import type { HistoryEntry } from '../core/types.js';

export type HistoryUnit = 'characters' | 'tokens';

type Counter = (text: string) => number;
let tokenCounter: Counter | null = null;

/** Load the tokenizer only for deployments that budget in tokens (it is a few MB of tables). */
export async function loadCounter(unit: HistoryUnit): Promise<Counter> {
  if (unit === 'characters') return (text) => text.length;
  if (!tokenCounter) {
    const { countTokens } = await import('gpt-tokenizer');
    tokenCounter = (text) => countTokens(text);
  }
  return tokenCounter;
}

/**
 * The newest history that fits the budget, oldest first; the oldest entries go out first. The
 * budget covers the history only: the turn's own messages are always sent.
 */
export function fitHistory(entries: HistoryEntry[], budget: number, count: Counter): HistoryEntry[] {
  let used = 0;
  let first = entries.length;
  for (let index = entries.length - 1; index >= 0; index--) {
    used += count(entries[index]!.text);
    if (used > budget) break;
    first = index;
  }
  return entries.slice(first);
}

/**
 * Characters of stored JSON worth reading from Redis for a budget: generous, because the exact
 * cut is made by fitHistory (a token is rarely more than a few characters; JSON adds overhead).
 */
export function readBudgetChars(budget: number, unit: HistoryUnit): number {
  return unit === 'characters' ? budget * 2 + 4096 : budget * 12 + 4096;
}
