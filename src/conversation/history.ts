import type { HistoryEntry, PromptCut } from '../core/types.js';

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
    const entry = entries[index]!;
    used += count(entry.text) + (entry.arguments ? count(entry.arguments) : 0);
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

export type { PromptCut };

export interface TurnPromptLimits {
  /** Most user messages of one turn sent to the models. */
  maxMessages: number;
  /** Most characters of those messages. */
  maxChars: number;
}

/**
 * The newest messages of a turn that fit the prompt limits, oldest first, and what was cut.
 * The newest message is always kept (the configuration makes `maxChars` at least the longest
 * accepted message). Every message stays in the turn and goes into the history: this bounds what
 * one request costs, not what the conversation keeps.
 */
export function fitTurnMessages<T extends { text: string }>(messages: readonly T[], limits: TurnPromptLimits): { messages: T[]; cut: PromptCut | null } {
  let used = 0;
  let first = messages.length;
  for (let index = messages.length - 1; index >= 0; index--) {
    const length = messages[index]!.text.length;
    const kept = messages.length - index;
    if (first < messages.length && (kept > limits.maxMessages || used + length > limits.maxChars)) break;
    used += length;
    first = index;
  }
  if (first === 0) return { messages: [...messages], cut: null };
  const cutMessages = messages.slice(0, first);
  return { messages: messages.slice(first), cut: { messages: cutMessages.length, characters: cutMessages.reduce((sum, message) => sum + message.text.length, 0) } };
}
