/**
 * Reviewed turns as a fine-tuning set for the critic, in OpenAI's chat fine-tuning format: one
 * JSON object per line, `{"messages": [system, user..., assistant]}`. The prompt is exactly what
 * the critic is shown at run time (built by the same prompt builder), and the assistant's target
 * is the verdict JSON of CONTRACT.md with the human's decision as the label:
 *
 * | the reviewer                          | the target verdict                       |
 * | ------------------------------------- | ---------------------------------------- |
 * | approved the draft as written         | `approve`                                |
 * | approved with their own text          | `edit`, `revised_text` = their text      |
 * | rejected it                           | `escalate`                               |
 *
 * Pure: the caller reads the turns (review store) and writes the lines to a file.
 */
import { z } from 'zod';
import { contractVerdictSchema } from '../agents/verdict-schema.js';
import type { ChatMessage } from '../core/ports.js';
import type { HistoryEntry, InboundMessage, Turn, Verdict, VerdictDecision } from '../core/types.js';
import { currentDraft } from '../core/types.js';
import { maskPersonalData } from '../core/personal-data.js';

/**
 * The critic's prompt for a draft: the same function the critic uses at run time, so the model
 * is trained on the prompts it will see. Returns the messages before the critic's answer.
 */
export type CriticPromptBuilder = (input: { history: HistoryEntry[]; messages: InboundMessage[]; draft: string }) => ChatMessage[];

const chatMessageSchema = z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

/** One line of the set: a prompt and the assistant's verdict as its last message. */
export const datasetLineSchema = z.strictObject({
  messages: z
    .array(chatMessageSchema)
    .min(2, 'needs the prompt and the assistant verdict')
    .superRefine((messages, context) => {
      // The length check above already reported a short line (zod runs refinements anyway).
      if (messages.length < 2) return;
      const last = messages.at(-1)!;
      const index = messages.length - 1;
      if (last.role !== 'assistant') {
        context.addIssue({ code: 'custom', path: [index, 'role'], message: 'the last message must be the assistant verdict' });
        return;
      }
      if (!messages.slice(0, -1).some((message) => message.role === 'user')) context.addIssue({ code: 'custom', message: 'the prompt has no user message' });
      let parsed: unknown;
      try {
        parsed = JSON.parse(last.content);
      } catch {
        context.addIssue({ code: 'custom', path: [index, 'content'], message: 'the assistant verdict is not JSON' });
        return;
      }
      const verdict = contractVerdictSchema.safeParse(parsed);
      if (!verdict.success) {
        for (const issue of verdict.error.issues) {
          context.addIssue({ code: 'custom', path: [index, 'content'], message: `the assistant verdict: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` });
        }
      }
    }),
});

export interface DatasetLine {
  messages: ChatMessage[];
}

/** A line, parsed and checked: the prompt (every message but the last) and the labelled verdict. */
export function parseDatasetLine(text: string): { ok: true; prompt: ChatMessage[]; verdict: Verdict } | { ok: false; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not valid JSON (${(error as Error).message})`] };
  }
  const result = datasetLineSchema.safeParse(raw);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((issue) => {
        const path = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
        return path ? `${path.replace(/^\./, '')}: ${issue.message}` : issue.message;
      }),
    };
  }
  const messages = result.data.messages;
  return { ok: true, prompt: messages.slice(0, -1), verdict: JSON.parse(messages.at(-1)!.content) as Verdict };
}

export type ReviewLabel = Extract<VerdictDecision, 'approve' | 'edit' | 'escalate'>;

export interface DatasetExportOptions {
  /** The critic's prompt builder (the one the running critic uses). */
  buildPrompt: CriticPromptBuilder;
  /**
   * Replace emails, phone numbers and card numbers with `[email]`, `[phone]`, `[card]`, and user
   * names and ids with `user-1`, `user-2`, ... in everything the lines contain except the
   * system prompt(s) the builder writes.
   * @defaultValue false
   */
  mask?: boolean;
  /** Only turns resolved at or after this time (ms since the epoch). */
  since?: number;
  /** Only turns resolved before this time (ms since the epoch). */
  until?: number;
}

export interface DatasetExportResult {
  /** JSONL lines (without newline), oldest resolution first. */
  lines: string[];
  /** How many lines carry each label. */
  labels: Record<ReviewLabel, number>;
  /** Turns left out, with why (not reviewed, no draft, outside the time range). */
  skipped: Array<{ turnId: string; reason: string }>;
}

const GENERIC_REASONS: Record<ReviewLabel, string> = {
  approve: 'The draft is accurate, polite and within policy, so it can be posted as written.',
  edit: 'The draft needs corrections before it can be posted; the revised text fixes them.',
  escalate: 'The draft should not be posted; a human needs to handle this reply.',
};

/**
 * The human's decision on a turn as the verdict the critic should have given, or why the turn
 * has none. The critic's own reason and categories are kept where the human agreed with it.
 */
export function labelVerdict(turn: Turn): { ok: true; label: ReviewLabel; verdict: Verdict } | { ok: false; reason: string } {
  const resolution = turn.resolution;
  if (!resolution) return { ok: false, reason: 'not reviewed' };
  const draft = currentDraft(turn);
  if (draft === null) return { ok: false, reason: 'no draft to learn from' };
  let label: ReviewLabel;
  let revised: string | null = null;
  if (resolution.decision === 'rejected') {
    label = 'escalate';
  } else if (resolution.text !== undefined && resolution.text.trim() !== '' && resolution.text.trim() !== draft.trim()) {
    label = 'edit';
    revised = resolution.text;
  } else if (resolution.decision === 'edited' && (resolution.text === undefined || resolution.text.trim() === '')) {
    return { ok: false, reason: 'edited without text' };
  } else {
    label = 'approve';
  }
  const critic = turn.verdict;
  const agreed = critic?.decision === label;
  return {
    ok: true,
    label,
    verdict: {
      decision: label,
      reason: agreed && critic.reason.trim() ? critic.reason : GENERIC_REASONS[label],
      categories: critic?.categories ?? [],
      // A human decision is the label, given with certainty.
      confidence: 1,
      revised_text: revised,
      feedback: null,
    },
  };
}

/** Stable pseudonyms per turn: the same person is the same `user-N` across history and messages. */
function pseudonyms() {
  const names = new Map<string, string>();
  return (...keys: Array<string | undefined>): string => {
    const known = keys.map((key) => (key === undefined ? undefined : names.get(key))).find((name) => name !== undefined);
    const name = known ?? `user-${new Set(names.values()).size + 1}`;
    for (const key of keys) if (key !== undefined) names.set(key, name);
    return name;
  };
}

/** One reviewed turn as a fine-tuning line, or why it has none. */
export function toDatasetLine(turn: Turn, options: Pick<DatasetExportOptions, 'buildPrompt' | 'mask'>): { ok: true; label: ReviewLabel; line: DatasetLine } | { ok: false; reason: string } {
  const labelled = labelVerdict(turn);
  if (!labelled.ok) return labelled;
  const mask = options.mask ? (text: string) => maskPersonalData(text) : (text: string) => text;
  const pseudonym = pseudonyms();
  const messages: InboundMessage[] = turn.messages.map((message) =>
    options.mask
      ? (() => {
          const name = pseudonym(message.user.id, message.user.name);
          return { ...message, user: { id: name, name }, text: mask(message.text), platformData: undefined };
        })()
      : message,
  );
  const history: HistoryEntry[] = (turn.context ?? []).map((entry) =>
    options.mask ? { ...entry, text: mask(entry.text), ...(entry.user !== undefined ? { user: pseudonym(entry.user) } : {}) } : entry,
  );
  const draft = mask(currentDraft(turn)!);
  const verdict: Verdict = options.mask
    ? { ...labelled.verdict, reason: mask(labelled.verdict.reason), revised_text: labelled.verdict.revised_text === null ? null : mask(labelled.verdict.revised_text) }
    : labelled.verdict;
  const prompt = options.buildPrompt({ history, messages, draft }).map((message) => ({ role: message.role, content: message.content }));
  return { ok: true, label: labelled.label, line: { messages: [...prompt, { role: 'assistant', content: JSON.stringify(verdict) }] } };
}

/** Reviewed turns as JSONL lines of a fine-tuning set; see the module comment for the labels. */
export function exportDataset(turns: readonly Turn[], options: DatasetExportOptions): DatasetExportResult {
  const labels: Record<ReviewLabel, number> = { approve: 0, edit: 0, escalate: 0 };
  const skipped: DatasetExportResult['skipped'] = [];
  const lines: Array<{ at: number; id: string; text: string }> = [];
  for (const turn of turns) {
    const at = turn.resolution?.at;
    if (at !== undefined && options.since !== undefined && at < options.since) {
      skipped.push({ turnId: turn.id, reason: 'resolved before --since' });
      continue;
    }
    if (at !== undefined && options.until !== undefined && at >= options.until) {
      skipped.push({ turnId: turn.id, reason: 'resolved after --until' });
      continue;
    }
    const result = toDatasetLine(turn, options);
    if (!result.ok) {
      skipped.push({ turnId: turn.id, reason: result.reason });
      continue;
    }
    labels[result.label] += 1;
    lines.push({ at: at!, id: turn.id, text: JSON.stringify(result.line) });
  }
  lines.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { lines: lines.map((line) => line.text), labels, skipped };
}
