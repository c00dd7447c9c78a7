/**
 * Runs τ-bench episodes for one or more configurations and collects their outcomes: each
 * episode gets its own environment episode (a fresh database), its routes on the model gateway
 * (so its models are metered apart), an agent from the configuration (countersign's pipeline in
 * `bench tau`) and a simulated user; at the end, τ-bench's reward on the episode's database. How
 * the agent is built is the caller's: this module knows only the EpisodeAgent it answers with.
 */
import type { AirlineEnvironment } from './airline-environment.js';
import type { ReviewTally, TauBenchReport, TauEpisodeOutcome } from './tau-bench-report.js';
import { escalationCount, noEscalations, summarizeConfiguration } from './tau-bench-report.js';
import { type EpisodeAgent, runTauEpisode } from './tau-episode.js';
import { emptyMeter, type ModelRoute, type TauModelGateway, type TauModelRole } from './tau-model-gateway.js';
import type { TauTask, TauTrajectory } from './tau-trajectories.js';
import type { UserSimulator } from './tau-user-simulator.js';

export interface TauEpisodeSpec {
  readonly taskId: number;
  readonly trial: number;
  readonly task: TauTask;
  /** The recorded conversation of this task and trial, when there is one (scripted runs replay it). */
  readonly trajectory?: TauTrajectory;
}

/** What a configuration's agent needs to know about its episode. */
export interface EpisodeContext extends TauEpisodeSpec {
  readonly episodeId: string;
  readonly configuration: string;
  /** The user message the conversation is at (0 for the first). */
  turn(): number;
}

/** A running agent for one episode: the agent, what its reviewer decided, and how to stop it. */
export interface EpisodeAgentHandle {
  readonly agent: EpisodeAgent;
  escalations(): { reply: ReviewTally; action: ReviewTally };
  stop(): Promise<void>;
}

export interface TauBenchConfiguration {
  readonly name: string;
  /** False for the baseline without a critic (its verdicts and escalation rate are not reported). */
  readonly hasCritic: boolean;
  /** The models of an episode, as gateway routes. */
  routes(context: EpisodeContext): Partial<Record<TauModelRole, ModelRoute>>;
  startAgent(context: EpisodeContext): Promise<EpisodeAgentHandle>;
  user(context: EpisodeContext): UserSimulator;
}

export interface TauBenchProgress {
  done: number;
  total: number;
  solved: number;
  escalations: number;
  errors: number;
  elapsedMs: number;
  last?: TauEpisodeOutcome;
}

export interface TauBenchRunOptions {
  readonly environment: AirlineEnvironment;
  readonly gateway: TauModelGateway;
  readonly configurations: readonly TauBenchConfiguration[];
  readonly episodes: readonly TauEpisodeSpec[];
  /** Episodes at once (over all configurations). @defaultValue 4 */
  readonly concurrency?: number;
  /** Orders the episodes (a seeded shuffle) and names them. @defaultValue 0 */
  readonly seed?: number;
  /** User messages per episode at most. @defaultValue 30 */
  readonly maxTurns?: number;
  /** Actor calls per episode at most, checked after each turn (τ-bench's agent step limit). @defaultValue 30 */
  readonly maxSteps?: number;
  readonly options?: Record<string, unknown>;
  readonly onProgress?: (progress: TauBenchProgress) => void;
  readonly signal?: AbortSignal;
}

/** mulberry32: a small seeded generator, so an order can be reproduced from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const result = [...items];
  for (let index = result.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [result[index], result[other]] = [result[other]!, result[index]!];
  }
  return result;
}

async function runOne(options: TauBenchRunOptions, configuration: TauBenchConfiguration, spec: TauEpisodeSpec, episodeId: string): Promise<TauEpisodeOutcome> {
  const started = performance.now();
  const episode = options.environment.createEpisode(episodeId);
  let turn = 0;
  const context: EpisodeContext = { ...spec, episodeId, configuration: configuration.name, turn: () => turn };
  options.gateway.register(episodeId, configuration.routes(context));
  let handle: EpisodeAgentHandle | null = null;
  const maxSteps = options.maxSteps ?? 30;
  try {
    let result: Awaited<ReturnType<typeof runTauEpisode>>;
    try {
      handle = await configuration.startAgent(context);
      const agent = handle.agent;
      result = await runTauEpisode({
        user: configuration.user(context),
        agent: {
          send: (text, index) => {
            turn = index;
            return agent.send(text, index);
          },
        },
        episode,
        maxTurns: options.maxTurns ?? 30,
        stepLimitReached: () => (options.gateway.meter(episodeId)?.usage.actor.calls ?? 0) >= maxSteps,
      });
    } catch (error) {
      result = { done: false, endedBy: 'error', turns: turn, messagesToUser: [], transcript: [], error: `could not start the agent: ${(error as Error).message}` };
    }
    const escalations = handle?.escalations() ?? noEscalations();
    await handle?.stop().catch(() => {});
    handle = null;
    const reward = options.environment.reward(episode, { task: spec.task, messagesToUser: result.messagesToUser, done: result.done });
    const meter = options.gateway.release(episodeId) ?? emptyMeter();
    return {
      configuration: configuration.name,
      taskId: spec.taskId,
      trial: spec.trial,
      episodeId,
      reward: reward.reward,
      done: result.done,
      endedBy: result.endedBy,
      turns: result.turns,
      ...(result.error !== undefined ? { error: result.error } : {}),
      actionsCorrect: reward.actions.correct,
      outputsCorrect: reward.outputs === null ? null : Object.values(reward.outputs).every(Boolean),
      meter,
      escalations,
      wallMs: performance.now() - started,
      ...(spec.trajectory !== undefined ? { recordedReward: spec.trajectory.reward } : {}),
    };
  } finally {
    await handle?.stop().catch(() => {});
    options.gateway.release(episodeId);
    options.environment.deleteEpisode(episodeId);
  }
}

/** Runs every episode of every configuration; returns the report (JSON) with one summary per configuration. */
export async function runTauBench(options: TauBenchRunOptions): Promise<TauBenchReport> {
  const seed = options.seed ?? 0;
  const jobs = options.configurations.flatMap((configuration, configurationIndex) =>
    options.episodes.map((spec) => ({ configuration, spec, episodeId: `c${configurationIndex}-t${spec.taskId}-r${spec.trial}-s${seed}` })),
  );
  const order = shuffled(jobs, seed);
  const startedAt = new Date();
  const began = performance.now();
  const outcomes: TauEpisodeOutcome[] = [];
  const windows = new Map<string, { startMs: number; endMs: number }>();
  const progress: TauBenchProgress = { done: 0, total: order.length, solved: 0, escalations: 0, errors: 0, elapsedMs: 0 };
  options.onProgress?.({ ...progress });
  let next = 0;
  const worker = async () => {
    for (;;) {
      if (options.signal?.aborted) return;
      const job = order[next++];
      if (job === undefined) return;
      const window = windows.get(job.configuration.name) ?? { startMs: Date.now(), endMs: Date.now() };
      windows.set(job.configuration.name, window);
      const outcome = await runOne(options, job.configuration, job.spec, job.episodeId);
      window.endMs = Date.now();
      outcomes.push(outcome);
      progress.done += 1;
      progress.solved += outcome.reward >= 1 ? 1 : 0;
      progress.escalations += escalationCount(outcome.escalations);
      progress.errors += outcome.endedBy === 'error' ? 1 : 0;
      progress.elapsedMs = performance.now() - began;
      options.onProgress?.({ ...progress, last: outcome });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, order.length)) }, worker));
  const sorted = outcomes.sort((a, b) => a.configuration.localeCompare(b.configuration) || a.taskId - b.taskId || a.trial - b.trial);
  return {
    startedAt: startedAt.toISOString(),
    options: options.options ?? {},
    configurations: options.configurations.map((configuration) =>
      summarizeConfiguration(
        configuration.name,
        sorted.filter((outcome) => outcome.configuration === configuration.name),
        windows.get(configuration.name) ?? { startMs: 0, endMs: 0 },
        configuration.hasCritic,
      ),
    ),
    episodes: sorted,
  };
}
