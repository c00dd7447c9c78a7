/**
 * `countersign eval --dataset FILE.jsonl [--concurrency N]`: run the configured critic over a
 * labelled set (the JSONL `countersign export` writes) and print the confusion matrix, the
 * precision and recall of escalation, and latency p50/p95. Progress goes to stderr (a bar that
 * redraws on a terminal, a line per tenth otherwise), the report to stdout.
 */
import { readFileSync } from 'node:fs';
import { createOpenAIModelClient } from '../agents/openai-model-client.js';
import { parseVerdict, VERDICT_JSON_SCHEMA } from '../agents/verdict-schema.js';
import type { Config } from '../config/schema.js';
import { CountersignError } from '../core/errors.js';
import type { ModelClient } from '../core/ports.js';
import { createModelReview, type EvaluationReport, formatEvaluationReport, formatProgress, parseLabelledDataset, runEvaluation } from '../review/critic-evaluation.js';
import { CliUsageError, type CliOutput, processOutput } from './review-cli.js';

export interface EvalOptions {
  dataset: string;
  /** Critic calls at once. @defaultValue 4 */
  concurrency?: number;
  /** Print the report as JSON instead of text. */
  json?: boolean;
  /** A model client instead of the configured critic (tests). */
  model?: ModelClient;
  /** Whether stderr is a terminal (redraw the bar in place). @defaultValue process.stderr.isTTY */
  tty?: boolean;
  signal?: AbortSignal;
}

/** The configured critic's client for an evaluation: no retries of its own (a failed call is a result), the critic's time-out and response format. */
export function evaluationCriticClient(config: Config): ModelClient {
  return createOpenAIModelClient({ ...config.models.critic, maxRetries: 0, timeoutMs: config.critic.timeoutMs, responseFormat: config.critic.responseFormat });
}

/** Progress on stderr: one line redrawn in place on a terminal, otherwise a line per tenth done (and at the end). */
export function tenthsProgress(output: CliOutput, tty: boolean): (line: string, done: number, total: number) => void {
  let lastTenth = -1;
  return (line, done, total) => {
    if (tty) {
      output.stderr(`\r${line}${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (tenth > lastTenth || done === total) {
      lastTenth = tenth;
      output.stderr(`${line}\n`);
    }
  };
}

/** Run the evaluation; returns the report (the command sets the exit code from it). */
export async function evaluateCritic(config: Config, options: EvalOptions, output: CliOutput = processOutput): Promise<EvaluationReport> {
  let text: string;
  try {
    text = readFileSync(options.dataset, 'utf8');
  } catch (error) {
    throw new CliUsageError(`cannot read the dataset ${options.dataset}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const { examples, problems } = parseLabelledDataset(text, options.dataset);
  if (problems.length) {
    const shown = problems.slice(0, 20);
    throw new CliUsageError(`the dataset has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${shown.join('\n')}${problems.length > shown.length ? `\n... and ${problems.length - shown.length} more` : ''}`);
  }
  if (!examples.length) throw new CliUsageError(`the dataset ${options.dataset} has no examples`);

  const critic = config.models.critic;
  const model = options.model ?? evaluationCriticClient(config);
  const review = createModelReview(model, {
    timeoutMs: config.critic.timeoutMs,
    json: { name: 'verdict', schema: VERDICT_JSON_SCHEMA },
    // The running critic's own parser: what counts as a verdict here is what counts in service.
    parseVerdict: (content) => {
      const parsed = parseVerdict(content);
      return parsed.ok ? parsed.verdict : null;
    },
  });
  const progressLine = tenthsProgress(output, options.tty ?? Boolean(process.stderr.isTTY));
  output.stderr(`Evaluating ${critic.model} at ${new URL(critic.baseUrl).host} on ${examples.length} example${examples.length === 1 ? '' : 's'} (concurrency ${options.concurrency ?? 4})\n`);
  const report = await runEvaluation({
    examples,
    review,
    concurrency: options.concurrency ?? 4,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (progress) => progressLine(formatProgress(progress), progress.done, progress.total),
  });
  output.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatEvaluationReport(report)}\n`);
  if (report.answered === 0) {
    const first = report.results.find((result) => result.error)?.error ?? 'no verdict';
    throw new CountersignError('eval.no-answers', `the critic answered none of the ${report.total} examples (first error: ${first})`);
  }
  return report;
}
