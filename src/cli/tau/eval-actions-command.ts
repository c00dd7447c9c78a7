/**
 * `countersign eval --actions --trajectories FILE`: the configured critic judges each labelled
 * write call of τ-bench's recorded conversations (action-labels.ts) as the action gate would ask
 * it; the report (stdout: Markdown, or JSON with --json) is the confusion matrix against the
 * labels, precision and recall of catching mistakes, and latency. Progress goes to stderr.
 */
import { writeFile } from 'node:fs/promises';
import type { Config } from '../../config/schema.js';
import { CountersignError } from '../../core/errors.js';
import type { ModelClient } from '../../core/ports.js';
import { type ActionEvaluationReport, type ActionJudge, formatActionEvaluationReport, runActionEvaluation } from '../../tau-bench/action-evaluation.js';
import { buildActionLabels } from '../../tau-bench/action-labels.js';
import { AIRLINE_POLICY } from '../../tau-bench/airline-policy.js';
import { loadTauTrajectories } from '../../tau-bench/tau-trajectories.js';
import { evaluationCriticClient, tenthsProgress } from '../eval-cli.js';
import { type CliOutput, processOutput } from '../review-cli.js';
import { createModelActionJudge } from './action-judge.js';

export interface EvalActionsOptions {
  readonly trajectories: string;
  /** Label refused calls of failed conversations as mistakes. */
  readonly includeRefused?: boolean;
  /** @defaultValue 4 */
  readonly concurrency?: number;
  readonly json?: boolean;
  readonly out?: string;
  /** The configuration's critic policy instead of the airline policy. */
  readonly policyFromConfig?: boolean;
  /** A judge instead of the configured critic (tests). */
  readonly judge?: ActionJudge;
  /** A model client instead of the configured critic's endpoint (tests). */
  readonly model?: ModelClient;
  readonly tty?: boolean;
  readonly signal?: AbortSignal;
}

export async function evaluateActionCritic(config: Config, options: EvalActionsOptions, output: CliOutput = processOutput): Promise<ActionEvaluationReport> {
  const set = buildActionLabels(await loadTauTrajectories(options.trajectories), { includeRefused: options.includeRefused ?? false });
  const critic = config.models.critic;
  const judge =
    options.judge ??
    createModelActionJudge({
      model: options.model ?? evaluationCriticClient(config),
      policy: options.policyFromConfig ? config.critic.policy : AIRLINE_POLICY,
      timeoutMs: config.critic.timeoutMs,
      attempts: config.critic.attempts,
    });
  const progressLine = tenthsProgress(output, options.tty ?? Boolean(process.stderr.isTTY));
  output.stderr(`Evaluating ${options.judge ? 'the given critic' : critic.model} on ${set.items.length} labelled write calls (${set.counts.right} right, ${set.counts.mistake} mistakes), concurrency ${options.concurrency ?? 4}\n`);
  const report = await runActionEvaluation({
    set,
    judge,
    concurrency: options.concurrency ?? 4,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (progress) =>
      progressLine(`${progress.done}/${progress.total} calls judged, ${progress.caught} caught${progress.failed ? `, ${progress.failed} failed` : ''}`, progress.done, progress.total),
  });
  if (options.signal?.aborted) throw new CountersignError('eval.aborted', `stopped after ${report.total} of ${set.items.length} calls`);
  if (options.out) await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);
  output.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatActionEvaluationReport(report)}\n`);
  if (report.total > 0 && report.failures === report.total) {
    throw new CountersignError('eval.no-answers', `the critic answered none of the ${report.total} calls (first error: ${report.results[0]?.error ?? 'no verdict'})`);
  }
  return report;
}
