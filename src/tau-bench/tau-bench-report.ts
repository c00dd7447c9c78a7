/**
 * What `countersign bench tau` reports, per configuration (an actor with its critic, or the
 * baseline without one): success rate (pass^1) and τ-bench's pass^k over trials, the critic's
 * verdicts on replies and on actions, escalations and what the stand-in reviewer decided, tokens
 * and model time per episode, and wall time; as JSON and as a Markdown table.
 */
import type { EpisodeMeter, TauModelRole, VerdictCount } from './tau-model-gateway.js';
import { emptyVerdicts, TAU_MODEL_ROLES } from './tau-model-gateway.js';
import type { EpisodeEnd } from './tau-episode.js';

export interface ReviewTally {
  approved: number;
  rejected: number;
}

export type EscalationTally = { readonly reply: ReviewTally; readonly action: ReviewTally };

export const noEscalations = (): { reply: ReviewTally; action: ReviewTally } => ({ reply: { approved: 0, rejected: 0 }, action: { approved: 0, rejected: 0 } });

/** Escalated items of both kinds, whatever the reviewer decided. */
export const escalationCount = (tally: EscalationTally): number => tally.reply.approved + tally.reply.rejected + tally.action.approved + tally.action.rejected;

export interface TauEpisodeOutcome {
  readonly configuration: string;
  readonly taskId: number;
  readonly trial: number;
  readonly episodeId: string;
  readonly reward: number;
  readonly done: boolean;
  readonly endedBy: EpisodeEnd;
  readonly turns: number;
  readonly error?: string;
  /** τ-bench's two checks: the database, and the required outputs (null: the task has none). */
  readonly actionsCorrect: boolean;
  readonly outputsCorrect: boolean | null;
  readonly meter: EpisodeMeter;
  /** Escalated review items, by kind, as the stand-in reviewer decided them. */
  readonly escalations: { readonly reply: ReviewTally; readonly action: ReviewTally };
  readonly wallMs: number;
  /** The recorded reward of the conversation a scripted run replays. */
  readonly recordedReward?: number;
}

export interface RoleFigures {
  /** Mean per episode. */
  readonly tokens: number;
  readonly modelSeconds: number;
  readonly calls: number;
  /** True when some of the tokens are estimates (scripted models, or servers that report no usage). */
  readonly estimated: boolean;
}

export interface TauConfigurationSummary {
  readonly configuration: string;
  readonly episodes: number;
  readonly tasks: number;
  /** Trials per task (the smallest number any task had). */
  readonly trials: number;
  /** passHatK[k-1] = τ-bench's pass^k, for k = 1..trials. */
  readonly passHatK: readonly number[];
  readonly solved: number;
  readonly ended: Readonly<Record<EpisodeEnd, number>>;
  readonly verdicts: { readonly reply: VerdictCount; readonly action: VerdictCount };
  readonly escalations: {
    readonly reply: ReviewTally;
    readonly action: ReviewTally;
    readonly total: number;
    readonly perEpisode: number;
    /** Escalations per critic verdict (null without a critic). */
    readonly rate: number | null;
  };
  readonly perEpisode: Readonly<Record<TauModelRole, RoleFigures>>;
  /** Wall time of the configuration's episodes, start of the first to end of the last. */
  readonly wallSeconds: number;
  readonly meanEpisodeSeconds: number;
  /** Scripted runs: how many episodes reproduced their recorded reward, and the recorded successes. */
  readonly recorded?: { readonly reproduced: number; readonly solved: number };
}

export interface TauBenchReport {
  readonly startedAt: string;
  readonly options: Record<string, unknown>;
  readonly configurations: readonly TauConfigurationSummary[];
  readonly episodes: readonly TauEpisodeOutcome[];
}

function combinations(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let index = 1; index <= k; index++) result = (result * (n - k + index)) / index;
  return result;
}

/**
 * τ-bench's pass^k: for each task with n trials of which c succeeded, C(c, k) / C(n, k) (the
 * chance that k trials drawn from its n all succeed), averaged over tasks.
 */
export function passHatK(rewardsByTask: ReadonlyMap<number, readonly number[]>, k: number): number {
  let sum = 0;
  let tasks = 0;
  for (const rewards of rewardsByTask.values()) {
    if (rewards.length < k) continue;
    const successes = rewards.filter((reward) => reward >= 1).length;
    sum += combinations(successes, k) / combinations(rewards.length, k);
    tasks += 1;
  }
  return tasks === 0 ? 0 : sum / tasks;
}

const addVerdicts = (into: VerdictCount, from: VerdictCount) => {
  for (const key of Object.keys(into) as Array<keyof VerdictCount>) into[key] += from[key];
};
const sumVerdicts = (count: VerdictCount) => Object.values(count).reduce((total, value) => total + value, 0);

export function summarizeConfiguration(configuration: string, outcomes: readonly TauEpisodeOutcome[], window: { startMs: number; endMs: number }, hasCritic: boolean): TauConfigurationSummary {
  const byTask = new Map<number, number[]>();
  for (const outcome of outcomes) byTask.set(outcome.taskId, [...(byTask.get(outcome.taskId) ?? []), outcome.reward]);
  const trials = byTask.size === 0 ? 0 : Math.min(...[...byTask.values()].map((rewards) => rewards.length));
  const ended: Record<EpisodeEnd, number> = { stop: 0, transfer: 0, 'user-exhausted': 0, 'max-turns': 0, 'step-limit': 0, error: 0 };
  const verdicts = { reply: emptyVerdicts(), action: emptyVerdicts() };
  const escalations = noEscalations();
  for (const outcome of outcomes) {
    ended[outcome.endedBy] += 1;
    addVerdicts(verdicts.reply, outcome.meter.verdicts.reply);
    addVerdicts(verdicts.action, outcome.meter.verdicts.action);
    for (const kind of ['reply', 'action'] as const) {
      escalations[kind].approved += outcome.escalations[kind].approved;
      escalations[kind].rejected += outcome.escalations[kind].rejected;
    }
  }
  const episodes = outcomes.length;
  const perEpisode = Object.fromEntries(
    TAU_MODEL_ROLES.map((role) => {
      const usages = outcomes.map((outcome) => outcome.meter.usage[role]);
      const mean = (pick: (usage: (typeof usages)[number]) => number) => (episodes === 0 ? 0 : usages.reduce((total, usage) => total + pick(usage), 0) / episodes);
      return [role, { tokens: mean((usage) => usage.promptTokens + usage.completionTokens), modelSeconds: mean((usage) => usage.modelMs) / 1000, calls: mean((usage) => usage.calls), estimated: usages.some((usage) => usage.estimatedCalls > 0) }];
    }),
  ) as Record<TauModelRole, RoleFigures>;
  const totalEscalations = escalationCount(escalations);
  const criticVerdicts = sumVerdicts(verdicts.reply) + sumVerdicts(verdicts.action);
  const recordedOutcomes = outcomes.filter((outcome) => outcome.recordedReward !== undefined);
  return {
    configuration,
    episodes,
    tasks: byTask.size,
    trials,
    passHatK: Array.from({ length: trials }, (_, index) => passHatK(byTask, index + 1)),
    solved: outcomes.filter((outcome) => outcome.reward >= 1).length,
    ended,
    verdicts,
    escalations: {
      ...escalations,
      total: totalEscalations,
      perEpisode: episodes === 0 ? 0 : totalEscalations / episodes,
      rate: hasCritic && criticVerdicts > 0 ? totalEscalations / criticVerdicts : hasCritic ? 0 : null,
    },
    perEpisode,
    wallSeconds: Math.max(0, window.endMs - window.startMs) / 1000,
    meanEpisodeSeconds: episodes === 0 ? 0 : outcomes.reduce((total, outcome) => total + outcome.wallMs, 0) / episodes / 1000,
    ...(recordedOutcomes.length
      ? { recorded: { reproduced: recordedOutcomes.filter((outcome) => outcome.recordedReward === outcome.reward).length, solved: recordedOutcomes.filter((outcome) => (outcome.recordedReward ?? 0) >= 1).length } }
      : {}),
  };
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const verdictCell = (count: VerdictCount, hasCritic: boolean) => (hasCritic ? `${count.approve} / ${count.edit} / ${count.revise} / ${count.escalate}${count.unreadable ? ` (+${count.unreadable} unreadable)` : ''}` : '—');
const number = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1));

/** The report as a Markdown table (one row per configuration) and a few lines under it. */
export function formatTauBenchMarkdown(report: TauBenchReport): string {
  const maxTrials = Math.max(1, ...report.configurations.map((summary) => summary.trials));
  const passColumns = Array.from({ length: maxTrials }, (_, index) => `pass^${index + 1}`);
  const header = ['configuration', 'episodes', ...passColumns, 'reply verdicts a/e/r/x', 'action verdicts a/e/r/x', 'escalations (approved/rejected)', 'escalation rate', 'tokens / episode (actor, critic, user)', 'model s / episode (actor, critic, user)', 'wall'];
  const rows = report.configurations.map((summary) => {
    const hasCritic = summary.escalations.rate !== null;
    const escalated = summary.escalations;
    const tokens = TAU_MODEL_ROLES.map((role) => `${number(summary.perEpisode[role].tokens)}${summary.perEpisode[role].estimated ? '*' : ''}`).join(', ');
    const seconds = TAU_MODEL_ROLES.map((role) => summary.perEpisode[role].modelSeconds.toFixed(2)).join(', ');
    return [
      summary.configuration,
      String(summary.episodes),
      ...passColumns.map((_, index) => (summary.passHatK[index] === undefined ? '' : percent(summary.passHatK[index]!))),
      verdictCell(summary.verdicts.reply, hasCritic),
      verdictCell(summary.verdicts.action, hasCritic),
      `${escalated.total} (${escalated.reply.approved + escalated.action.approved}/${escalated.reply.rejected + escalated.action.rejected})`,
      escalated.rate === null ? '—' : percent(escalated.rate),
      tokens,
      seconds,
      `${summary.wallSeconds.toFixed(1)} s`,
    ];
  });
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
  const notes: string[] = [];
  notes.push('', "Verdicts a/e/r/x: approve / edit / revise / escalate, as the critic answered them. Escalations: review items held for a human, whatever held them (the critic, a rule, a failed model call); escalation rate: escalations per critic verdict.");
  if (report.configurations.some((summary) => TAU_MODEL_ROLES.some((role) => summary.perEpisode[role].estimated))) notes.push('* some or all of these tokens are estimates (4 characters a token): scripted models, or a server that reported no usage.');
  for (const summary of report.configurations) {
    const ended = Object.entries(summary.ended)
      .filter(([, count]) => count > 0)
      .map(([how, count]) => `${how} ${count}`)
      .join(', ');
    const parts = [`${summary.configuration}: ${summary.solved} of ${summary.episodes} episodes solved (${summary.tasks} task${summary.tasks === 1 ? '' : 's'} × ${summary.trials} trial${summary.trials === 1 ? '' : 's'}); ended by ${ended || 'nothing'}`];
    if (summary.escalations.total > 0) parts.push(`escalations: replies ${summary.escalations.reply.approved} approved, ${summary.escalations.reply.rejected} rejected; actions ${summary.escalations.action.approved} approved, ${summary.escalations.action.rejected} rejected`);
    if (summary.recorded) parts.push(`recorded: ${summary.recorded.solved} solved; ${summary.recorded.reproduced} of ${summary.episodes} episodes gave their recorded reward`);
    notes.push(`- ${parts.join('; ')}`);
  }
  return [...lines, ...notes].join('\n');
}

/** One line of progress: a bar, episodes done, solved so far, escalations, elapsed time. */
export function formatTauProgress(progress: { done: number; total: number; solved: number; escalations: number; errors: number; elapsedMs: number }, width = 24): string {
  const filled = progress.total === 0 ? width : Math.round((progress.done / progress.total) * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const rate = progress.done === 0 ? '' : ` (${percent(progress.solved / progress.done)})`;
  return `[${bar}] ${progress.done}/${progress.total} episodes, ${progress.solved} solved${rate}, ${progress.escalations} escalations${progress.errors ? `, ${progress.errors} errors` : ''}, ${(progress.elapsedMs / 1000).toFixed(0)} s`;
}
