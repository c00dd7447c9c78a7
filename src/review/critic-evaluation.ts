/**
 * Evaluating a critic on a labelled set (the JSONL that `dataset-export` writes): run the critic
 * on every prompt with bounded concurrency, then compare its decisions with the labels.
 *
 * Metrics, as docs/reviewing.md states them:
 * - Confusion matrix: rows are the labels, columns the critic's decisions plus `failed` (an
 *   error, a time-out or an answer that is not a verdict; the service escalates those).
 * - Agreement and the precision and recall of `escalate` are computed over the answered examples
 *   only, so a critic that fails is not rewarded for "escalating"; failures are counted apart.
 * - Latency p50/p95 over every call, failed ones included (a time-out costs its full wait),
 *   nearest-rank percentiles.
 */
import type { ChatMessage, ModelClient, ResponseSchema } from '../core/ports.js';
import { CountersignError, describeError } from '../core/errors.js';
import type { Verdict, VerdictDecision } from '../core/types.js';
import { lenientVerdictSchema } from '../agents/verdict-schema.js';
import { parseDatasetLine } from './dataset-export.js';

export const DECISIONS: readonly VerdictDecision[] = ['approve', 'edit', 'revise', 'escalate'];

/** One labelled example: the critic's prompt and the verdict a human gave. */
export interface LabelledExample {
  /** 1-based line in the dataset file. */
  line: number;
  prompt: ChatMessage[];
  expected: Verdict;
}

/**
 * Read a labelled JSONL set. Blank lines are skipped; every other line must be a valid line of
 * the fine-tuning format. Problems read `<source>:<line>: <what is wrong>`.
 */
export function parseLabelledDataset(text: string, source: string): { examples: LabelledExample[]; problems: string[] } {
  const examples: LabelledExample[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    if (content.trim() === '') return;
    const parsed = parseDatasetLine(content);
    if (parsed.ok) examples.push({ line: index + 1, prompt: parsed.prompt, expected: parsed.verdict });
    else for (const problem of parsed.problems) problems.push(`${source}:${index + 1}: ${problem}`);
  });
  return { examples, problems };
}

/** What one critic call gave: a verdict, or none with the error. */
export interface ReviewOutcome {
  verdict: Verdict | null;
  latencyMs: number;
  error?: string;
}

/** Runs the critic on one prompt. It may throw; that counts as a failed call. */
export type ReviewFn = (messages: ChatMessage[]) => Promise<ReviewOutcome>;

export interface ExampleResult {
  line: number;
  expected: VerdictDecision;
  predicted: VerdictDecision | 'failed';
  latencyMs: number;
  verdict: Verdict | null;
  error?: string;
}

export interface EvaluationProgress {
  done: number;
  total: number;
  failed: number;
  /** The example that just finished. */
  latest: ExampleResult;
}

export interface RunEvaluationOptions {
  examples: readonly LabelledExample[];
  review: ReviewFn;
  /**
   * Critic calls at once.
   * @defaultValue 4
   */
  concurrency?: number;
  /** Called after every example, in completion order. */
  onProgress?: (progress: EvaluationProgress) => void;
  /** Stops taking new examples; the run then rejects with `eval.aborted`. */
  signal?: AbortSignal;
}

export type Column = VerdictDecision | 'failed';
export type ConfusionMatrix = Record<VerdictDecision, Record<Column, number>>;

export interface EvaluationReport {
  results: ExampleResult[];
  total: number;
  answered: number;
  failed: number;
  /** Rows: labels; columns: the critic's decisions and `failed`. */
  confusion: ConfusionMatrix;
  /** Share of answered examples where the critic's decision equals the label; null with none answered. */
  agreement: number | null;
  escalation: {
    truePositives: number;
    falsePositives: number;
    falseNegatives: number;
    /** Null when the critic escalated nothing. */
    precision: number | null;
    /** Null when no answered example is labelled escalate. */
    recall: number | null;
  };
  latency: { count: number; p50: number | null; p95: number | null };
}

/** The nearest-rank percentile (`p` in 0..100) of `values`; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** The metrics of a set of results (pure). */
export function summarizeEvaluation(results: readonly ExampleResult[]): EvaluationReport {
  const confusion = Object.fromEntries(
    DECISIONS.map((label) => [label, Object.fromEntries([...DECISIONS, 'failed'].map((column) => [column, 0]))]),
  ) as ConfusionMatrix;
  let answered = 0;
  let agreed = 0;
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  for (const result of results) {
    confusion[result.expected][result.predicted] += 1;
    if (result.predicted === 'failed') continue;
    answered += 1;
    if (result.predicted === result.expected) agreed += 1;
    const predictedEscalate = result.predicted === 'escalate';
    const labelledEscalate = result.expected === 'escalate';
    if (predictedEscalate && labelledEscalate) truePositives += 1;
    else if (predictedEscalate) falsePositives += 1;
    else if (labelledEscalate) falseNegatives += 1;
  }
  const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);
  const latencies = results.map((result) => result.latencyMs);
  return {
    results: [...results],
    total: results.length,
    answered,
    failed: results.length - answered,
    confusion,
    agreement: ratio(agreed, answered),
    escalation: {
      truePositives,
      falsePositives,
      falseNegatives,
      precision: ratio(truePositives, truePositives + falsePositives),
      recall: ratio(truePositives, truePositives + falseNegatives),
    },
    latency: { count: latencies.length, p50: percentile(latencies, 50), p95: percentile(latencies, 95) },
  };
}

/**
 * Run `review` on every example, at most `concurrency` at a time, and summarise. Results keep
 * the dataset's order whatever order the calls finish in.
 */
export async function runEvaluation(options: RunEvaluationOptions): Promise<EvaluationReport> {
  const { examples, review, onProgress, signal } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const results: ExampleResult[] = new Array(examples.length);
  let next = 0;
  let done = 0;
  let failed = 0;

  const runOne = async (example: LabelledExample): Promise<ExampleResult> => {
    const started = performance.now();
    const base = { line: example.line, expected: example.expected.decision };
    try {
      const outcome = await review(example.prompt);
      if (outcome.verdict) return { ...base, predicted: outcome.verdict.decision, latencyMs: outcome.latencyMs, verdict: outcome.verdict };
      return { ...base, predicted: 'failed', latencyMs: outcome.latencyMs, verdict: null, error: outcome.error ?? 'no verdict' };
    } catch (error) {
      return { ...base, predicted: 'failed', latencyMs: Math.round(performance.now() - started), verdict: null, error: describeError(error) };
    }
  };

  const worker = async () => {
    while (next < examples.length && !signal?.aborted) {
      const index = next;
      next += 1;
      const result = await runOne(examples[index]!);
      results[index] = result;
      done += 1;
      if (result.predicted === 'failed') failed += 1;
      onProgress?.({ done, total: examples.length, failed, latest: result });
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, examples.length) }, worker));
  if (signal?.aborted) throw new CountersignError('eval.aborted', `evaluation stopped after ${done} of ${examples.length} examples`);
  return summarizeEvaluation(results);
}

export interface ModelReviewOptions {
  /** One call's time limit. @defaultValue 20000 */
  timeoutMs?: number;
  /** Ask for JSON with this schema (json_schema, falling back to json_object). */
  json?: ResponseSchema;
  /**
   * The model's answer as a verdict, or null when it is not one. Pass the running critic's own
   * parser; by default the answer must be the verdict JSON of CONTRACT.md (extra keys ignored).
   */
  parseVerdict?: (content: string) => Verdict | null;
}

function defaultParseVerdict(content: string): Verdict | null {
  try {
    const value = JSON.parse(content.trim().replace(/^```(?:json)?\s*|\s*```$/g, '')) as Record<string, unknown>;
    const result = lenientVerdictSchema.safeParse(value);
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

/** A `ReviewFn` that calls a model client once per example (no retry: a failure is a result). */
export function createModelReview(model: ModelClient, options: ModelReviewOptions = {}): ReviewFn {
  const parse = options.parseVerdict ?? defaultParseVerdict;
  return async (messages) => {
    const started = performance.now();
    try {
      const completion = await model.complete({ messages, timeoutMs: options.timeoutMs ?? 20_000, ...(options.json ? { json: options.json } : {}) });
      if (completion.refusal !== null) return { verdict: null, latencyMs: completion.latencyMs, error: `refused: ${completion.refusal}` };
      const verdict = completion.content === null ? null : parse(completion.content);
      return verdict
        ? { verdict, latencyMs: completion.latencyMs }
        : { verdict: null, latencyMs: completion.latencyMs, error: `not a verdict: ${(completion.content ?? '').slice(0, 80)}` };
    } catch (error) {
      return { verdict: null, latencyMs: Math.round(performance.now() - started), error: describeError(error) };
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Text output
// ---------------------------------------------------------------------------------------------

const percent = (value: number | null) => (value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`);
const milliseconds = (value: number | null) => (value === null ? 'n/a' : `${Math.round(value)} ms`);

/** `[##########..........]  20/40  (1 failed)` for a terminal progress line. */
export function formatProgress(progress: Pick<EvaluationProgress, 'done' | 'total' | 'failed'>, width = 30): string {
  const filled = progress.total === 0 ? width : Math.round((progress.done / progress.total) * width);
  const count = `${String(progress.done).padStart(String(progress.total).length)}/${progress.total}`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}${progress.failed ? ` (${progress.failed} failed)` : ''}`;
}

/** The report as the text `countersign eval` prints. */
export function formatEvaluationReport(report: EvaluationReport, options: { maxFailures?: number } = {}): string {
  const columns: Column[] = [...DECISIONS, 'failed'];
  const header = ['label \\ critic', ...columns, 'total'];
  const rows = DECISIONS.map((label) => {
    const counts = columns.map((column) => report.confusion[label][column]);
    return [label, ...counts.map(String), String(counts.reduce((sum, count) => sum + count, 0))];
  });
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => row[index]!.length)));
  const format = (row: string[]) =>
    row
      .map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!)))
      .join('  ')
      .trimEnd();
  const { escalation, latency } = report;
  const lines = [
    `Critic evaluation: ${report.total} examples, ${report.answered} answered, ${report.failed} failed`,
    '',
    format(header),
    ...rows.map(format),
    '',
    `Agreement:  ${percent(report.agreement)} (${report.agreement === null ? 0 : Math.round(report.agreement * report.answered)}/${report.answered} answered)`,
    `Escalation: precision ${percent(escalation.precision)} (${escalation.truePositives}/${escalation.truePositives + escalation.falsePositives}), recall ${percent(escalation.recall)} (${escalation.truePositives}/${escalation.truePositives + escalation.falseNegatives})`,
    `Latency:    p50 ${milliseconds(latency.p50)}, p95 ${milliseconds(latency.p95)} (${latency.count} calls)`,
  ];
  const failures = report.results.filter((result) => result.predicted === 'failed');
  if (failures.length) {
    const shown = failures.slice(0, options.maxFailures ?? 10);
    lines.push('', 'Failed:', ...shown.map((result) => `  line ${result.line}: ${result.error ?? 'no verdict'}`));
    if (failures.length > shown.length) lines.push(`  ... and ${failures.length - shown.length} more`);
  }
  return lines.join('\n');
}
