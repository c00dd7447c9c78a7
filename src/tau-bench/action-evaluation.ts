/**
 * `countersign eval --actions`: a critic of actions measured on the labelled write calls of
 * τ-bench's recorded conversations (action-labels.ts). Each call is put to the critic as the
 * action gate puts a call (the conversation before it, the calls already made in the turn with
 * their results, the proposed call last); its decision is compared with the label. A call is
 * caught when the critic would not let it run as proposed (escalate, revise, edit, or a failed
 * review, which the gate escalates); the report is the confusion matrix, precision and recall of
 * catching mistakes, and latency.
 */
import { AIRLINE_TOOLS } from './airline-tool-definitions.js';
import type { ActionLabel, ActionLabelSet, LabelledAction } from './action-labels.js';
import { recordedCall, type TauMessage } from './tau-trajectories.js';

/** The conversation before a call, as countersign's history shows it to the critic. */
export type ReviewHistoryEntry = { role: 'user' | 'assistant'; text: string } | { role: 'tool'; tool: string; arguments: unknown; text: string };

/** One call as the action critic is asked about it. */
export interface ActionReviewCase {
  /** The turns before the one the call is in. */
  readonly history: readonly ReviewHistoryEntry[];
  /** The user messages of the call's turn (after the assistant's last reply). */
  readonly messages: ReadonlyArray<{ text: string }>;
  /** Calls already made in the turn, with their results. */
  readonly earlierCalls: ReadonlyArray<{ tool: string; arguments: unknown; status: string; result: string }>;
  readonly call: { tool: string; description: string; inputSchema: Record<string, unknown>; arguments: Record<string, unknown>; effect: 'read' | 'write' };
}

export type ActionDecision = 'approve' | 'edit' | 'revise' | 'escalate';

export interface ActionJudgement {
  /** null: the review failed (no verdict), which the action gate escalates. */
  readonly decision: ActionDecision | null;
  readonly reason?: string;
  readonly error?: string;
  readonly latencyMs: number;
}

export type ActionJudge = (review: ActionReviewCase, item: LabelledAction) => Promise<ActionJudgement>;

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** The review of a labelled call: the recorded conversation cut into what the critic would see. */
export function actionReviewCase(item: LabelledAction): ActionReviewCase {
  const messages = item.messages.filter((message) => message.role !== 'system');
  // The turn starts after the last assistant message without a call (its reply) before the call.
  let turnStart = 0;
  messages.forEach((message, index) => {
    if (message.role === 'assistant' && (message.tool_calls ?? []).length === 0) turnStart = index + 1;
  });
  const history: ReviewHistoryEntry[] = [];
  const calls = (slice: readonly TauMessage[]) => {
    const made: Array<{ tool: string; arguments: unknown; result: string }> = [];
    slice.forEach((_message, index) => {
      const recorded = recordedCall(slice, index);
      if (recorded !== undefined) made.push({ tool: recorded.call.function.name, arguments: parse(recorded.call.function.arguments), result: recorded.output });
    });
    return made;
  };
  for (const [index, message] of messages.slice(0, turnStart).entries()) {
    if (message.role === 'user') history.push({ role: 'user', text: message.content });
    else if (message.role === 'assistant') {
      if ((message.tool_calls ?? []).length === 0) history.push({ role: 'assistant', text: message.content ?? '' });
      else for (const made of calls(messages.slice(index, index + 2))) history.push({ role: 'tool', tool: made.tool, arguments: made.arguments, text: made.result });
    }
  }
  const turn = messages.slice(turnStart);
  const tool = AIRLINE_TOOLS.find((candidate) => candidate.name === item.call.name);
  return {
    history,
    messages: turn.flatMap((message) => (message.role === 'user' ? [{ text: message.content }] : [])),
    earlierCalls: calls(turn).map((made) => ({ ...made, status: made.result.startsWith('Error') ? 'error' : 'done' })),
    call: {
      tool: item.call.name,
      description: tool?.description ?? '',
      inputSchema: (tool?.inputSchema ?? {}) as Record<string, unknown>,
      arguments: (item.call.arguments ?? {}) as Record<string, unknown>,
      effect: tool?.effect ?? 'write',
    },
  };
}

export type ActionColumn = ActionDecision | 'failed';
const COLUMNS: readonly ActionColumn[] = ['approve', 'edit', 'revise', 'escalate', 'failed'];

export interface ActionEvaluationResult {
  readonly taskId: number;
  readonly trial: number;
  readonly tool: string;
  readonly label: ActionLabel;
  readonly decision: ActionColumn;
  readonly caught: boolean;
  readonly latencyMs: number;
  readonly reason?: string;
  readonly error?: string;
}

export interface ActionEvaluationReport {
  readonly total: number;
  readonly labels: { readonly right: number; readonly mistake: number };
  readonly excluded: ActionLabelSet['counts']['excluded'];
  readonly writeCalls: number;
  /** matrix[label][decision]: how many calls of that label got that decision. */
  readonly matrix: Readonly<Record<ActionLabel, Readonly<Record<ActionColumn, number>>>>;
  /** Caught: not approved as proposed. */
  readonly caught: { readonly mistakes: number; readonly right: number };
  /** Of the calls caught, the share that were mistakes (null when none was caught). */
  readonly precision: number | null;
  /** Of the mistakes, the share caught. */
  readonly recall: number | null;
  /** Of the right calls, the share caught (a reviewer's wasted look, or a refused right action). */
  readonly falseAlarmRate: number | null;
  readonly latencyMs: { readonly median: number; readonly p95: number } | null;
  readonly failures: number;
  readonly results: readonly ActionEvaluationResult[];
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

export interface ActionEvaluationOptions {
  readonly set: ActionLabelSet;
  readonly judge: ActionJudge;
  /** @defaultValue 4 */
  readonly concurrency?: number;
  readonly onProgress?: (progress: { done: number; total: number; caught: number; failed: number }) => void;
  readonly signal?: AbortSignal;
}

export async function runActionEvaluation(options: ActionEvaluationOptions): Promise<ActionEvaluationReport> {
  const items = options.set.items;
  const results: ActionEvaluationResult[] = new Array(items.length);
  let next = 0;
  let done = 0;
  let caughtSoFar = 0;
  let failedSoFar = 0;
  options.onProgress?.({ done, total: items.length, caught: 0, failed: 0 });
  const worker = async () => {
    for (;;) {
      if (options.signal?.aborted) return;
      const index = next++;
      const item = items[index];
      if (item === undefined) return;
      let judgement: ActionJudgement;
      const started = performance.now();
      try {
        judgement = await options.judge(actionReviewCase(item), item);
      } catch (error) {
        judgement = { decision: null, error: (error as Error).message, latencyMs: performance.now() - started };
      }
      const decision: ActionColumn = judgement.decision ?? 'failed';
      const caught = decision !== 'approve';
      results[index] = {
        taskId: item.taskId,
        trial: item.trial,
        tool: item.call.name,
        label: item.label,
        decision,
        caught,
        latencyMs: judgement.latencyMs,
        ...(judgement.reason !== undefined ? { reason: judgement.reason } : {}),
        ...(judgement.error !== undefined ? { error: judgement.error } : {}),
      };
      done += 1;
      caughtSoFar += caught ? 1 : 0;
      failedSoFar += decision === 'failed' ? 1 : 0;
      options.onProgress?.({ done, total: items.length, caught: caughtSoFar, failed: failedSoFar });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, items.length)) }, worker));
  const finished = results.filter((result): result is ActionEvaluationResult => result !== undefined);
  const row = (label: ActionLabel) => Object.fromEntries(COLUMNS.map((column) => [column, finished.filter((result) => result.label === label && result.decision === column).length])) as Record<ActionColumn, number>;
  const mistakes = finished.filter((result) => result.label === 'mistake');
  const right = finished.filter((result) => result.label === 'right');
  const caughtMistakes = mistakes.filter((result) => result.caught).length;
  const caughtRight = right.filter((result) => result.caught).length;
  const latencies = finished.filter((result) => result.decision !== 'failed').map((result) => result.latencyMs).sort((a, b) => a - b);
  return {
    total: finished.length,
    labels: { right: right.length, mistake: mistakes.length },
    excluded: options.set.counts.excluded,
    writeCalls: options.set.counts.writeCalls,
    matrix: { right: row('right'), mistake: row('mistake') },
    caught: { mistakes: caughtMistakes, right: caughtRight },
    precision: caughtMistakes + caughtRight === 0 ? null : caughtMistakes / (caughtMistakes + caughtRight),
    recall: mistakes.length === 0 ? null : caughtMistakes / mistakes.length,
    falseAlarmRate: right.length === 0 ? null : caughtRight / right.length,
    latencyMs: latencies.length === 0 ? null : { median: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) },
    failures: finished.filter((result) => result.decision === 'failed').length,
    results: finished,
  };
}

const share = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);

export function formatActionEvaluationReport(report: ActionEvaluationReport, title = 'Critic of actions on the labelled τ-bench write calls'): string {
  const header = `| label \\ critic | ${COLUMNS.join(' | ')} | caught |`;
  const line = (label: ActionLabel) => `| ${label} (${report.labels[label]}) | ${COLUMNS.map((column) => report.matrix[label][column]).join(' | ')} | ${label === 'right' ? report.caught.right : report.caught.mistakes} |`;
  const excluded = Object.entries(report.excluded)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
  return [
    `## ${title}`,
    '',
    `${report.total} calls judged: ${report.labels.right} right, ${report.labels.mistake} mistakes (of ${report.writeCalls} recorded write calls; left out: ${excluded}).`,
    'Caught: the critic would not let the call run as proposed (escalate, revise, edit, or a failed review, which the gate escalates).',
    '',
    header,
    `| --- | ${COLUMNS.map(() => '---').join(' | ')} | --- |`,
    line('right'),
    line('mistake'),
    '',
    `- precision of catching mistakes: ${share(report.precision)} (${report.caught.mistakes} of ${report.caught.mistakes + report.caught.right} caught calls were mistakes)`,
    `- recall: ${share(report.recall)} (${report.caught.mistakes} of ${report.labels.mistake} mistakes caught)`,
    `- right calls caught (false alarms): ${share(report.falseAlarmRate)} (${report.caught.right} of ${report.labels.right})`,
    `- latency: ${report.latencyMs === null ? '—' : `median ${Math.round(report.latencyMs.median)} ms, p95 ${Math.round(report.latencyMs.p95)} ms`}${report.failures ? `; ${report.failures} reviews failed` : ''}`,
  ].join('\n');
}
