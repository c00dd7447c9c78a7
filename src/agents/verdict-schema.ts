import { z } from 'zod';
import type { ActionVerdict, Verdict } from '../core/types.js';

/** The fields of the verdict JSON of CONTRACT.md, every one required. */
const verdictFields = {
  decision: z.enum(['approve', 'edit', 'revise', 'escalate']),
  reason: z.string().min(1),
  categories: z.array(z.string()),
  confidence: z.number().min(0).max(1),
  revised_text: z.string().nullable(),
  feedback: z.string().nullable(),
};

/** What the contract asks beyond the shape: an edit carries its text, a revise its feedback. */
function verdictRequirements(verdict: { decision: string; revised_text?: string | null; feedback?: string | null }, context: z.RefinementCtx) {
  if (verdict.decision === 'edit' && !verdict.revised_text?.trim()) {
    context.addIssue({ code: 'custom', path: ['revised_text'], message: 'required for edit' });
  }
  if (verdict.decision === 'revise' && !verdict.feedback?.trim()) {
    context.addIssue({ code: 'custom', path: ['feedback'], message: 'required for revise' });
  }
}

/**
 * The critic's answer at run time, validated at the boundary: forgiving where small models are
 * sloppy (missing categories, revised_text or feedback default to empty) and bounded in size.
 */
export const verdictSchema = z
  .object({
    ...verdictFields,
    reason: z.string().trim().min(1).max(2000),
    categories: z.array(z.string().max(100)).max(50).default([]),
    revised_text: z.string().nullable().default(null),
    feedback: z.string().nullable().default(null),
  })
  .superRefine(verdictRequirements);

/** The verdict JSON of CONTRACT.md, exactly (no other keys): what a training set's targets are. */
export const contractVerdictSchema = z.strictObject(verdictFields).superRefine(verdictRequirements);

/** The same verdict, ignoring keys beyond the contract's: for verdicts read from files and evaluations. */
export const lenientVerdictSchema = z.object(verdictFields).superRefine(verdictRequirements);

/**
 * A made-up verdict for `countersign rules test`: only `decision` is needed; the rest default
 * (reason "(made up for rules test)", no categories, confidence 1, no texts), so a person can
 * write `{"decision": "edit", "revised_text": "..."}` and see what the rules do.
 */
export const testVerdictSchema = z
  .object({
    ...verdictFields,
    reason: z.string().default('(made up for rules test)'),
    categories: z.array(z.string()).default([]),
    confidence: z.number().min(0).max(1).default(1),
    revised_text: z.string().nullable().default(null),
    feedback: z.string().nullable().default(null),
  })
  .superRefine(verdictRequirements);

/** The JSON Schema sent as `response_format` (strict structured outputs need every key required). */
export const VERDICT_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['decision', 'reason', 'categories', 'confidence', 'revised_text', 'feedback'],
  properties: {
    decision: { type: 'string', enum: ['approve', 'edit', 'revise', 'escalate'] },
    reason: { type: 'string' },
    categories: { type: 'array', items: { type: 'string' } },
    confidence: { type: 'number' },
    revised_text: { type: ['string', 'null'] },
    feedback: { type: ['string', 'null'] },
  },
} as const;

export type VerdictParse = { ok: true; verdict: Verdict } | { ok: false; problem: string };

/**
 * Parse one of the critic's answers against `schema`. Only the critic's own message content is
 * ever parsed; a verdict quoted by a user inside the conversation never reaches this function.
 * Tolerates a Markdown code fence around the object (small models add one), nothing else.
 */
function parseCriticJson<T>(content: string | null, schema: z.ZodType<T>, what: string): { ok: true; value: T } | { ok: false; problem: string } {
  if (content === null || !content.trim()) return { ok: false, problem: 'the critic answered nothing' };
  let text = content.trim();
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(text);
  if (fenced) text = fenced[1]!;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: `the critic's answer is not JSON: ${JSON.stringify(content.slice(0, 120))}` };
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return { ok: false, problem: `${what} is invalid: ${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  return { ok: true, value: result.data };
}

/** Parse the critic's answer on a reply. */
export function parseVerdict(content: string | null): VerdictParse {
  const parsed = parseCriticJson(content, verdictSchema, "the critic's verdict");
  return parsed.ok ? { ok: true, verdict: parsed.value } : parsed;
}

/** The critic's verdict on a tool call at run time: `revised_arguments` (an object) for edit. */
export const actionVerdictSchema = z
  .object({
    decision: verdictFields.decision,
    reason: z.string().trim().min(1).max(2000),
    categories: z.array(z.string().max(100)).max(50).default([]),
    confidence: verdictFields.confidence,
    revised_arguments: z.record(z.string(), z.unknown()).nullable().default(null),
    feedback: z.string().nullable().default(null),
  })
  .superRefine((verdict, context) => {
    if (verdict.decision === 'edit' && !verdict.revised_arguments) context.addIssue({ code: 'custom', path: ['revised_arguments'], message: 'required for edit (an object)' });
    if (verdict.decision === 'revise' && !verdict.feedback?.trim()) context.addIssue({ code: 'custom', path: ['feedback'], message: 'required for revise' });
  });

/**
 * The JSON Schema of the action verdict, sent as `response_format`. Not strict: the arguments
 * object's keys are the tool's, which a strict schema (every object closed) cannot leave open.
 */
export const ACTION_VERDICT_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['decision', 'reason', 'categories', 'confidence', 'revised_arguments', 'feedback'],
  properties: {
    decision: { type: 'string', enum: ['approve', 'edit', 'revise', 'escalate'] },
    reason: { type: 'string' },
    categories: { type: 'array', items: { type: 'string' } },
    confidence: { type: 'number' },
    revised_arguments: { type: ['object', 'null'] },
    feedback: { type: ['string', 'null'] },
  },
} as const;

export type ActionVerdictParse = { ok: true; verdict: ActionVerdict } | { ok: false; problem: string };

/** Parse the critic's answer on a tool call, as parseVerdict does a reply verdict. */
export function parseActionVerdict(content: string | null): ActionVerdictParse {
  const parsed = parseCriticJson(content, actionVerdictSchema, "the critic's verdict on the call");
  return parsed.ok ? { ok: true, verdict: parsed.value as ActionVerdict } : parsed;
}
