import type { PromptCut } from '../core/types.js';

/** How the models are told about a cut, in one sentence of ours (numbers only, no user text). */
export function describeCut(cut: PromptCut): string {
  const what = cut.messages === 1 ? '1 earlier message of the user in this turn was' : `${cut.messages} earlier messages of the user in this turn were`;
  return `Note: ${what} cut from this request (${cut.characters} characters) to bound its size; only the newest messages are shown.`;
}
