/**
 * `countersign bench tau`: τ-bench's airline tasks through countersign's real pipeline. One
 * airline MCP server (Streamable HTTP) and one model gateway serve the whole run; each episode
 * gets its own countersign service (pipeline-episode-agent.ts), its own database in the
 * environment, and a simulated user. Results: a JSON report (`--out`) and a Markdown table on
 * stdout; progress on stderr (a bar redrawn on a terminal, a line every few episodes otherwise).
 */
import { writeFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { createOpenAIModelClient } from '../../agents/openai-model-client.js';
import type { Config } from '../../config/schema.js';
import { CountersignError } from '../../core/errors.js';
import { createLogger } from '../../observability/logger.js';
import { AIRLINE_POLICY } from '../../tau-bench/airline-policy.js';
import { loadAirlineData } from '../../tau-bench/airline-data.js';
import { startAirlineServer } from '../../tau-bench/airline-mcp-server.js';
import { createReplayingActor, createScriptedCritic, type ScriptedCriticMode } from '../../tau-bench/scripted-models.js';
import { formatTauBenchMarkdown, formatTauProgress, type TauBenchReport } from '../../tau-bench/tau-bench-report.js';
import { runTauBench, type TauBenchConfiguration, type TauEpisodeSpec } from '../../tau-bench/tau-bench-runner.js';
import { type ModelRoute, startTauModelGateway } from '../../tau-bench/tau-model-gateway.js';
import { loadTauTrajectories, type TauTrajectory } from '../../tau-bench/tau-trajectories.js';
import { createModelUserSimulator, createReplayingUser } from '../../tau-bench/tau-user-simulator.js';
import { CliUsageError, type CliOutput, processOutput } from '../review-cli.js';
import { type OnEscalate, startPipelineAgent } from './pipeline-episode-agent.js';

export interface ModelEndpointOption {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
}

export interface BenchTauOptions {
  /** The airline database directory. */
  readonly data: string;
  /** τ-bench's recorded runs: the tasks (and, scripted, the conversations replayed). */
  readonly trajectories: string;
  /** Task ids; all tasks of the file when absent. */
  readonly tasks?: readonly number[];
  /** @defaultValue 1 */
  readonly trials?: number;
  /** @defaultValue 4 */
  readonly concurrency?: number;
  /** @defaultValue 0 */
  readonly seed?: number;
  /** Which configurations: with the critic, the baseline without it, or both. @defaultValue ['critic'] */
  readonly configurations?: ReadonlyArray<'critic' | 'no-critic'>;
  /** @defaultValue 'reject' */
  readonly onEscalate?: OnEscalate;
  /** Scripted models instead of real ones: the recorded actor and user, and a scripted critic. */
  readonly scripted?: { readonly critic: ScriptedCriticMode };
  /** The simulated user's model (not needed when scripted). */
  readonly user?: ModelEndpointOption;
  /** @defaultValue 30 */
  readonly maxTurns?: number;
  /** @defaultValue 30 */
  readonly maxSteps?: number;
  readonly turnTimeoutMs?: number;
  readonly out?: string;
  /** @defaultValue 'countersign-bench-tau' */
  readonly redisPrefix?: string;
  readonly keepKeys?: boolean;
  /** Whether stderr is a terminal. @defaultValue process.stderr.isTTY */
  readonly tty?: boolean;
  /** Progress lines without a terminal: one every this many episodes. @defaultValue 10 */
  readonly progressEvery?: number;
  readonly logLevel?: Config['logLevel'];
  /** Keep the configuration's actor prompt and critic policy instead of the airline policy. */
  readonly policyFromConfig?: boolean;
  readonly signal?: AbortSignal;
}

/** `0-9`, `3,5,8`, `0-4,10`: task ids. */
export function parseTaskList(text: string): number[] {
  const ids = new Set<number>();
  for (const part of text.split(',').map((piece) => piece.trim()).filter(Boolean)) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) throw new CliUsageError(`--tasks: ${JSON.stringify(part)} is not a task id or a range like 0-9`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (to < from) throw new CliUsageError(`--tasks: the range ${part} is empty`);
    for (let id = from; id <= to; id++) ids.add(id);
  }
  if (ids.size === 0) throw new CliUsageError('--tasks names no task');
  return [...ids].sort((a, b) => a - b);
}

/** The episodes: each chosen task × trial; scripted, each must have its recorded conversation. */
export function episodeSpecs(trajectories: readonly TauTrajectory[], options: { tasks?: readonly number[]; trials: number; scripted: boolean }): TauEpisodeSpec[] {
  const byTask = new Map<number, TauTrajectory[]>();
  for (const trajectory of trajectories) byTask.set(trajectory.task_id, [...(byTask.get(trajectory.task_id) ?? []), trajectory]);
  const taskIds = options.tasks ?? [...byTask.keys()].sort((a, b) => a - b);
  const missing = taskIds.filter((id) => !byTask.has(id));
  if (missing.length) throw new CliUsageError(`--tasks: no task ${missing.join(', ')} in the trajectories file (it has ${byTask.size} tasks, ${Math.min(...byTask.keys())}-${Math.max(...byTask.keys())})`);
  const specs: TauEpisodeSpec[] = [];
  for (const taskId of taskIds) {
    const recorded = byTask.get(taskId)!.sort((a, b) => a.trial - b.trial);
    for (let trial = 0; trial < options.trials; trial++) {
      const trajectory = recorded.find((candidate) => candidate.trial === trial);
      if (options.scripted && trajectory === undefined) throw new CliUsageError(`--scripted replays recorded conversations: task ${taskId} has no trial ${trial} (it has ${recorded.length})`);
      specs.push({ taskId, trial, task: recorded[0]!.info.task, ...(trajectory !== undefined ? { trajectory } : {}) });
    }
  }
  return specs;
}

/** What the bench changes in the operator's configuration: the airline policy as prompt and critic policy unless given, a history that holds a τ-bench conversation. */
export function benchBaseConfig(config: Config, options: { keepOperatorPrompts: boolean; maxSteps: number }): Config {
  const turn = { ...config.turn };
  // τ-bench's agent sees its whole conversation; so do the bench's models, within these bounds.
  turn.history = { ...turn.history, budget: Math.max(turn.history.budget, 400_000), keep: Math.max(turn.history.keep, 1000) };
  turn.prompt = { ...turn.prompt, maxMessages: Math.max(turn.prompt.maxMessages, 1000), maxChars: Math.max(turn.prompt.maxChars, 800_000) };
  turn.modelCalls = { ...turn.modelCalls, perConversation: 0, global: 0 };
  // The tool steps of one turn: up to τ-bench's step limit for the whole episode.
  turn.maxToolSteps = Math.max(turn.maxToolSteps, options.maxSteps);
  return {
    ...config,
    actor: options.keepOperatorPrompts ? config.actor : { ...config.actor, systemPrompt: AIRLINE_POLICY },
    critic: options.keepOperatorPrompts ? config.critic : { ...config.critic, policy: AIRLINE_POLICY },
    turn,
  };
}

export async function benchTau(config: Config, options: BenchTauOptions, output: CliOutput = processOutput): Promise<TauBenchReport> {
  const trials = options.trials ?? 1;
  const scripted = options.scripted;
  if (!scripted && !options.user) throw new CliUsageError('the simulated user needs a model: --user-model (and --user-url, USER_API_KEY), or --scripted');
  const trajectories = await loadTauTrajectories(options.trajectories);
  const specs = episodeSpecs(trajectories, { ...(options.tasks ? { tasks: options.tasks } : {}), trials, scripted: scripted !== undefined });
  const data = await loadAirlineData(options.data);
  const logger = createLogger({ level: options.logLevel ?? 'error', destination: process.stderr });
  const base = benchBaseConfig(config, { keepOperatorPrompts: options.policyFromConfig ?? false, maxSteps: options.maxSteps ?? 30 });
  const configurations = options.configurations ?? ['critic'];
  const onEscalate = options.onEscalate ?? 'reject';
  const airline = await startAirlineServer({ data, transport: 'http', maxEpisodes: Math.max(1000, (options.concurrency ?? 4) * 4) });
  const gateway = await startTauModelGateway();
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 2, lazyConnect: true });
  try {
    await redis.connect().catch((error: unknown) => {
      throw new CountersignError('cli.redis', `cannot reach Redis at ${new URL(config.redis.url).host}: ${(error as Error).message}`);
    });
    const upstream = (endpoint: { baseUrl: string; apiKey: string }): ModelRoute => ({ upstream: { baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey } });
    const describeModels = (noCritic: boolean) => {
      if (scripted) return noCritic ? 'replayed actor, no critic' : `replayed actor + scripted critic (${scripted.critic})`;
      return noCritic ? `${config.models.actor.model}, no critic` : `${config.models.actor.model} + ${config.models.critic.model}`;
    };
    const built: TauBenchConfiguration[] = configurations.map((which) => {
      const noCritic = which === 'no-critic';
      return {
        name: `${describeModels(noCritic)}${noCritic ? '' : `, on escalate: ${onEscalate}`}`,
        hasCritic: !noCritic,
        routes(context) {
          if (scripted) {
            const trajectory = context.trajectory!;
            const actor = createReplayingActor(trajectory, context.turn);
            const critic = createScriptedCritic(context.task, scripted.critic);
            return { actor: { script: (request) => actor.answer(request) }, ...(noCritic ? {} : { critic: { script: (request) => critic.answer(request) } }) };
          }
          return { actor: upstream(config.models.actor), ...(noCritic ? {} : { critic: upstream(config.models.critic) }), ...(options.user ? { user: upstream(options.user) } : {}) };
        },
        startAgent: (context) =>
          startPipelineAgent(
            {
              base,
              gateway,
              airlineUrl: airline.url!,
              redisPrefix: options.redisPrefix ?? 'countersign-bench-tau',
              redis,
              noCritic,
              onEscalate,
              logger,
              ...(options.turnTimeoutMs !== undefined ? { turnTimeoutMs: options.turnTimeoutMs } : {}),
              ...(options.keepKeys ? { keepKeys: true } : {}),
            },
            context,
          ),
        user(context) {
          if (scripted) return createReplayingUser(context.trajectory!);
          const user = options.user!;
          return createModelUserSimulator({
            model: createOpenAIModelClient({ baseUrl: gateway.baseUrl(context.episodeId, 'user'), apiKey: 'bench-gateway', model: user.model, maxRetries: 2, timeoutMs: 120_000 }),
            instruction: context.task.instruction,
          });
        },
      };
    });
    const tty = options.tty ?? Boolean(process.stderr.isTTY);
    const every = options.progressEvery ?? 10;
    output.stderr(`bench tau: ${specs.length} episode${specs.length === 1 ? '' : 's'} × ${built.length} configuration${built.length === 1 ? '' : 's'} (${new Set(specs.map((spec) => spec.taskId)).size} tasks, ${trials} trial${trials === 1 ? '' : 's'}), concurrency ${options.concurrency ?? 4}\n`);
    const report = await runTauBench({
      environment: airline.environment,
      gateway,
      configurations: built,
      episodes: specs,
      concurrency: options.concurrency ?? 4,
      seed: options.seed ?? 0,
      maxTurns: options.maxTurns ?? 30,
      maxSteps: options.maxSteps ?? 30,
      ...(options.signal ? { signal: options.signal } : {}),
      options: {
        tasks: [...new Set(specs.map((spec) => spec.taskId))],
        trials,
        concurrency: options.concurrency ?? 4,
        seed: options.seed ?? 0,
        onEscalate,
        scripted: scripted ?? null,
        actor: scripted ? 'replay' : config.models.actor.model,
        critic: scripted ? `scripted:${scripted.critic}` : config.models.critic.model,
        user: scripted ? 'replay' : (options.user?.model ?? null),
        maxTurns: options.maxTurns ?? 30,
        maxSteps: options.maxSteps ?? 30,
      },
      onProgress(progress) {
        const line = formatTauProgress(progress);
        if (tty) output.stderr(`\r${line}${progress.done === progress.total ? '\n' : ''}`);
        else if (progress.done === progress.total || (progress.done > 0 && progress.done % every === 0)) output.stderr(`${line}\n`);
      },
    });
    if (options.signal?.aborted) throw new CountersignError('bench.aborted', `stopped after ${report.episodes.length} episodes`);
    if (options.out) await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);
    output.stdout(`${formatTauBenchMarkdown(report)}\n`);
    const errors = report.episodes.filter((episode) => episode.endedBy === 'error');
    if (errors.length) output.stderr(`${errors.length} episode${errors.length === 1 ? '' : 's'} ended with an error; the first: task ${errors[0]!.taskId} trial ${errors[0]!.trial}: ${errors[0]!.error}\n`);
    return report;
  } finally {
    redis.disconnect();
    await gateway.close();
    await airline.close();
  }
}
