import type { ChatMessage } from '../core/ports.js';
import type { HistoryEntry, InboundMessage } from '../core/types.js';

export interface ActorPromptInput {
  systemPrompt: string;
  history: HistoryEntry[];
  messages: Pick<InboundMessage, 'text'>[];
  /** The previous draft and the critic's feedback, for a redraft. */
  revision?: { previousDraft: string; feedback: string };
}

/**
 * The actor's request: the conversation in order, the newest user message last. The critic's
 * feedback goes into the system message rather than a late system turn, because many open
 * models' chat templates reject a system message anywhere but first.
 */
export function buildActorMessages(input: ActorPromptInput): ChatMessage[] {
  let system = input.systemPrompt;
  if (input.revision) {
    system += [
      '',
      '',
      'A reviewer returned your previous draft of the next reply before it was sent. Write a new reply to the user that follows the feedback.',
      `Previous draft: ${JSON.stringify(input.revision.previousDraft)}`,
      `Reviewer's feedback: ${input.revision.feedback}`,
    ].join('\n');
  }
  return [
    { role: 'system', content: system },
    ...input.history.map((entry): ChatMessage => ({ role: entry.role, content: entry.text })),
    ...input.messages.map((message): ChatMessage => ({ role: 'user', content: message.text })),
  ];
}
