#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from './config/load-config.js';
import type { Config, ModelRole } from './config/schema.js';
import { CountersignError, describeError } from './core/errors.js';
import { packageVersion } from './core/package-version.js';
import { createCountersign, type Role } from './main.js';

/** Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration or usage. */
const EXIT_CONFIG = 2;

function readConfig(file: string | undefined, models: readonly ModelRole[] = ['actor', 'critic']): Config {
  try {
    return loadConfig({ ...(file ? { file, required: true } : {}), models });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`${problem}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
}

const program = new Command();
program
  .name('countersign')
  .description('Critic-gated LLM chat bots: nothing is posted until a critic has countersigned it.')
  .version(packageVersion(), '-V, --version', 'print the version of countersign')
  .showHelpAfterError();
program.configureOutput({ outputError: (text, write) => write(text) });
program.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT_CONFIG));

program
  .command('start')
  .description('run the service (HTTP, adapters and turn workers)')
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .addOption(new Option('--role <role>', 'what this process does').choices(['all', 'ingest', 'worker']).default('all'))
  .action(async (options: { config?: string; role: Role }) => {
    const config = readConfig(options.config);
    const service = createCountersign({ config, role: options.role });
    let stopping = false;
    const shutdown = (signal: string) => {
      // A second signal means now.
      if (stopping) process.exit(1);
      stopping = true;
      service.logger.info({ signal }, 'shutting down');
      // Active turns get shutdownTimeoutMs to finish; past a hard bound the process exits anyway.
      setTimeout(() => {
        service.logger.error({ signal }, 'shutdown did not finish in time; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs + 5000).unref();
      service.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          service.logger.error({ err: describeError(error) }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    try {
      await service.start();
    } catch (error) {
      // A signal while starting (waiting for Redis, say) is a normal exit, handled by shutdown.
      if (stopping) return;
      service.logger.fatal({ err: describeError(error) }, startProblem(error, config.port));
      await service.stop().catch(() => {});
      process.exit(1);
    }
  });

/** What to tell the operator when start fails: a busy port names itself and the way out. */
function startProblem(error: unknown, port: number): string {
  if ((error as { code?: string }).code === 'EADDRINUSE') {
    return `port ${port} is already in use by another program; pick another with PORT=${port === 0 ? 3001 : port + 1} (or port: in countersign.yaml), or PORT=0 for any free port`;
  }
  return `could not start: ${describeError(error)}`;
}

program
  .command('check-config')
  .description('validate the configuration and print every problem, or ok')
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .action((options: { config?: string }) => {
    readConfig(options.config);
    process.stdout.write('ok\n');
  });

const rules = program.command('rules').description('escalation rules');
rules
  .command('test')
  .description('show which check and rule would fire for a message, a draft and a verdict, and why')
  .requiredOption('-m, --message <text>', "the user's message")
  .option('-d, --draft <text>', 'the draft under review (runs the draft checks too)')
  .option('--verdict <file>', "a JSON file with the critic's verdict (none: as if the critic failed)")
  .addOption(new Option('--platform <platform>', 'where the message came from').choices(['web', 'slack', 'discord']).default('web'))
  .option('--channel <id>', 'the channel id')
  .option('--user <id>', 'the user id or name')
  .option('--turns <n>', 'turns in the conversation, this one included', '1')
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .action(async (options: { message: string; draft?: string; verdict?: string; platform: 'web' | 'slack' | 'discord'; channel?: string; user?: string; turns: string; config?: string }) => {
    const { runRulesTest } = await import('./cli/rules-test-command.js');
    // Testing rules calls no model.
    const config = readConfig(options.config, []);
    const output = runRulesTest(config, options);
    if (!output.ok) {
      process.stderr.write(`${output.text}\n`);
      process.exit(EXIT_CONFIG);
    }
    process.stdout.write(`${output.text}\n`);
  });

program
  .command('discord')
  .description('Discord helpers')
  .command('invite-url')
  .description('print the URL that adds the bot to a server with exactly the permissions it needs')
  .option('--application-id <id>', 'the application id (default: DISCORD_APPLICATION_ID)')
  .action(async (options: { applicationId?: string }) => {
    const id = options.applicationId ?? process.env.DISCORD_APPLICATION_ID;
    if (!id) {
      process.stderr.write('set DISCORD_APPLICATION_ID or pass --application-id (Discord developer portal, General Information)\n');
      process.exit(EXIT_CONFIG);
    }
    const { discordInviteUrl } = await import('../adapters/discord/discord-invite-url.js');
    process.stdout.write(`${discordInviteUrl(id)}\n`);
  });

program
  .command('demo')
  .description('run the web chat on embedded defaults: offline demo models unless OPENAI_API_KEY is set, a local Redis')
  .option('--keep', "keep the demo's Redis keys when it stops (removed by default)")
  .action(async (options: { keep?: boolean }) => {
    const { demoMain } = await import('./demo/demo-command.js');
    await demoMain({ keep: options.keep ?? false });
  });

/**
 * Run a terminal command: usage and configuration problems exit 2, other failures 1, each as
 * one clear message without a stack trace (messages never carry secrets).
 */
async function runCommand(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const { CliUsageError } = await import('./cli/review-cli.js');
    process.stderr.write(`countersign: ${error instanceof CountersignError ? error.message : describeError(error)}\n`);
    process.exit(error instanceof CliUsageError || error instanceof ConfigError ? EXIT_CONFIG : 1);
  }
}

/** Commands that only read and write Redis call no model. */
function readConfigWithoutModels(file: string | undefined): Config {
  return readConfig(file, []);
}

const positiveInteger = (name: string, max: number) => (value: string) => {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || number > max) throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
  return number;
};

const review = program.command('review').description('the review queue from a terminal (the same decisions as the dashboard and the review API)');
review
  .command('list')
  .description('list escalated turns: pending (oldest first) or resolved (newest first)')
  .addOption(new Option('--status <status>', 'which turns').choices(['pending', 'approved', 'rejected', 'resolved']).default('pending'))
  .option('--limit <n>', 'at most this many', positiveInteger('--limit', 10_000), 200)
  .option('--json', 'print JSON instead of a table')
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .action((options: { status: 'pending' | 'approved' | 'rejected' | 'resolved'; limit: number; json?: boolean; config?: string }) =>
    runCommand(async () => {
      const { reviewList } = await import('./cli/review-cli.js');
      await reviewList(readConfigWithoutModels(options.config), { status: options.status, limit: options.limit, json: options.json ?? false });
    }),
  );
review
  .command('show')
  .description("show a turn: the conversation, the draft, the critic's verdict, why it was escalated, the decision")
  .argument('<id>', 'the turn id')
  .option('--json', 'print JSON')
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .action((id: string, options: { json?: boolean; config?: string }) =>
    runCommand(async () => {
      const { reviewShow } = await import('./cli/review-cli.js');
      await reviewShow(readConfigWithoutModels(options.config), id, { json: options.json ?? false });
    }),
  );
review
  .command('approve')
  .description('approve a pending turn: post the draft as written, or --text instead')
  .argument('<id>', 'the turn id')
  .option('--text <text>', 'post this text instead of the draft')
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .action((id: string, options: { text?: string; config?: string }) =>
    runCommand(async () => {
      const { reviewApprove } = await import('./cli/review-cli.js');
      await reviewApprove(readConfigWithoutModels(options.config), id, options.text !== undefined ? { text: options.text } : {});
    }),
  );
review
  .command('reject')
  .description('reject a pending turn: nothing more is posted for it')
  .argument('<id>', 'the turn id')
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .action((id: string, options: { config?: string }) =>
    runCommand(async () => {
      const { reviewReject } = await import('./cli/review-cli.js');
      await reviewReject(readConfigWithoutModels(options.config), id);
    }),
  );

program
  .command('export')
  .description("write the reviewed turns as the critic's fine-tuning set (OpenAI chat JSONL, the human decision as the label)")
  .option('--since <date>', 'only turns resolved from then on: 2025-01-31, 2025-01-31T09:00Z, or an age such as 30d or 12h')
  .option('--until <date>', 'only turns resolved before then (same forms)')
  .requiredOption('-o, --out <file>', 'the JSONL file to write (- for stdout)')
  .option('--mask-personal-data', 'replace emails, phone and card numbers, and user names, with placeholders')
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .action((options: { since?: string; until?: string; out: string; maskPersonalData?: boolean; config?: string }) =>
    runCommand(async () => {
      const { exportReviewedTurns, parseWhen } = await import('./cli/export-cli.js');
      const since = options.since === undefined ? undefined : parseWhen(options.since, '--since');
      const until = options.until === undefined ? undefined : parseWhen(options.until, '--until');
      await exportReviewedTurns(readConfigWithoutModels(options.config), {
        out: options.out,
        mask: options.maskPersonalData ?? false,
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
      });
    }),
  );

program
  .command('eval')
  .description('run the configured critic over a labelled set and print a confusion matrix, escalation precision and recall, and latency')
  .option('-d, --dataset <file>', 'the labelled JSONL of replies (as countersign export writes it)')
  .option('--actions', "judge tool calls instead: the labelled write calls of τ-bench's recorded conversations (--trajectories)")
  .option('--trajectories <file>', "with --actions: τ-bench's recorded runs (historical_trajectories/gpt-4o-airline.json)")
  .option('--include-refused', 'with --actions: label the calls the environment refused, in failed conversations, as mistakes (left out by default)')
  .option('--policy-from-config', "with --actions: the configuration's critic policy instead of the airline policy")
  .option('--out <file>', 'with --actions: also write the report as JSON')
  .option('--concurrency <n>', 'critic calls at once', positiveInteger('--concurrency', 64), 4)
  .option('--json', 'print the report as JSON')
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .action((options: { dataset?: string; actions?: boolean; trajectories?: string; includeRefused?: boolean; policyFromConfig?: boolean; out?: string; concurrency: number; json?: boolean; config?: string }) =>
    runCommand(async () => {
      const { CliUsageError } = await import('./cli/review-cli.js');
      if (options.actions ? options.dataset !== undefined || options.trajectories === undefined : options.dataset === undefined) {
        throw new CliUsageError(options.actions ? 'eval --actions takes --trajectories FILE (and no --dataset)' : 'eval takes --dataset FILE, or --actions --trajectories FILE');
      }
      // eval calls the critic only: the actor's key is not its business.
      const config = readConfig(options.config, ['critic']);
      const controller = new AbortController();
      // Ctrl-C stops taking new examples; calls in flight finish or time out.
      process.once('SIGINT', () => controller.abort());
      try {
        if (options.actions) {
          const { evaluateActionCritic } = await import('./cli/tau/eval-actions-command.js');
          await evaluateActionCritic(config, {
            trajectories: options.trajectories!,
            includeRefused: options.includeRefused ?? false,
            policyFromConfig: options.policyFromConfig ?? false,
            concurrency: options.concurrency,
            json: options.json ?? false,
            ...(options.out ? { out: options.out } : {}),
            signal: controller.signal,
          });
          return;
        }
        const { evaluateCritic } = await import('./cli/eval-cli.js');
        await evaluateCritic(config, { dataset: options.dataset!, concurrency: options.concurrency, json: options.json ?? false, signal: controller.signal });
      } catch (error) {
        if (error instanceof CountersignError && error.code === 'eval.aborted') {
          process.stderr.write(`\ncountersign: ${error.message}\n`);
          process.exit(130);
        }
        throw error;
      }
    }),
  );

const bench = program.command('bench').description('benchmarks of an actor and its critic');
bench
  .command('tau')
  .description("run τ-bench's airline tasks through countersign (simulated user, actor with the airline tools, critic) and report pass^k, the critic's interventions, escalations, tokens and time")
  .option('--data <dir>', "the airline database (τ-bench's tau_bench/envs/airline/data; default: TAU_AIRLINE_DATA)")
  .requiredOption('--trajectories <file>', "τ-bench's recorded runs (historical_trajectories/gpt-4o-airline.json): the tasks, and the conversations --scripted replays")
  .option('--tasks <ids>', 'task ids, e.g. 0-9 or 3,5,8 (default: every task in the file)')
  .option('--trials <n>', 'trials per task (pass^k is reported for k up to this)', positiveInteger('--trials', 100), 1)
  .option('--concurrency <n>', 'episodes at once', positiveInteger('--concurrency', 64), 4)
  .option('--seed <n>', 'orders and names the episodes', (value) => {
    if (!/^\d+$/.test(value) || Number(value) > 2 ** 31) throw new InvalidArgumentError('--seed must be a whole number from 0 to 2147483648');
    return Number(value);
  }, 0)
  .option('--no-critic', 'the baseline: the actor alone, every reply and tool call approved (a critic that approves without a model call)')
  .option('--both', 'run the configuration with the critic and the baseline without it')
  .addOption(new Option('--on-escalate <decision>', 'who stands in for the human reviewer: reject, approve, or oracle (approves exactly the calls matching an expected action of the task, and replies)').choices(['reject', 'approve', 'oracle']).default('reject'))
  .option('--actor-url <url>', 'the actor\'s OpenAI-compatible base URL (default: the configuration: OPENAI_BASE_URL, actor.baseUrl)')
  .option('--actor-model <name>', 'the actor model (default: ACTOR_MODEL, actor.model)')
  .option('--critic-url <url>', "the critic's base URL (default: CRITIC_BASE_URL, critic.baseUrl)")
  .option('--critic-model <name>', 'the critic model (default: CRITIC_MODEL, critic.model)')
  .option('--user-url <url>', "the simulated user's base URL (default: USER_BASE_URL, else the actor's); its key: USER_API_KEY, else the actor's")
  .option('--user-model <name>', 'the simulated user model (default: USER_MODEL)')
  .option('--scripted [critic]', 'scripted models: the recorded actor and user replayed, and a critic that escalates calls outside the expected actions (escalate-unexpected, the default) or approves everything (approve)')
  .option('--max-turns <n>', 'user messages per episode at most', positiveInteger('--max-turns', 1000), 30)
  .option('--max-steps <n>', "actor calls per episode at most (τ-bench's step limit)", positiveInteger('--max-steps', 1000), 30)
  .option('--turn-timeout <seconds>', 'longest wait for one reply', positiveInteger('--turn-timeout', 86_400), 600)
  .option('--out <file>', 'write the report as JSON')
  .option('--redis-prefix <prefix>', 'each episode uses <prefix>.<episode>; its keys are deleted when it ends', 'countersign-bench-tau')
  .option('--keep-keys', "keep the episodes' Redis keys")
  .option('--policy-from-config', "keep the configuration's actor prompt and critic policy (default: both are the airline policy)")
  .addOption(new Option('--log-level <level>', "the episodes' services' log level (on stderr)").choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('error'))
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .action(
    (options: {
      logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
      data?: string; trajectories: string; tasks?: string; trials: number; concurrency: number; seed: number; critic: boolean; both?: boolean;
      onEscalate: 'reject' | 'approve' | 'oracle'; actorUrl?: string; actorModel?: string; criticUrl?: string; criticModel?: string; userUrl?: string; userModel?: string;
      scripted?: string | boolean; maxTurns: number; maxSteps: number; turnTimeout: number; out?: string; redisPrefix: string; keepKeys?: boolean; policyFromConfig?: boolean; config?: string;
    }) =>
      runCommand(async () => {
        const { benchTau, parseTaskList } = await import('./cli/tau/bench-tau-command.js');
        const { CliUsageError } = await import('./cli/review-cli.js');
        const { airlineDataDirectoryFrom } = await import('./tau-bench/airline-data.js');
        const scripted = options.scripted === undefined || options.scripted === false ? undefined : options.scripted === true ? 'escalate-unexpected' : options.scripted;
        if (scripted !== undefined && scripted !== 'escalate-unexpected' && scripted !== 'approve') throw new CliUsageError(`--scripted: the critic is escalate-unexpected or approve, not ${JSON.stringify(scripted)}`);
        const configurations: Array<'critic' | 'no-critic'> = options.both ? ['critic', 'no-critic'] : options.critic ? ['critic'] : ['no-critic'];
        // Scripted models need no key; the baseline calls no critic.
        const config = readConfig(options.config, scripted ? [] : configurations.includes('critic') ? ['actor', 'critic'] : ['actor']);
        if (options.actorUrl) config.models.actor.baseUrl = options.actorUrl;
        if (options.actorModel) config.models.actor.model = options.actorModel;
        if (options.criticUrl) config.models.critic.baseUrl = options.criticUrl;
        if (options.criticModel) config.models.critic.model = options.criticModel;
        const userModel = options.userModel ?? process.env.USER_MODEL;
        const data = airlineDataDirectoryFrom(options.data);
        const controller = new AbortController();
        // Ctrl-C stops starting episodes; those running finish.
        process.once('SIGINT', () => controller.abort());
        await benchTau(
          config,
          {
            data,
            trajectories: options.trajectories,
            ...(options.tasks !== undefined ? { tasks: parseTaskList(options.tasks) } : {}),
            trials: options.trials,
            concurrency: options.concurrency,
            seed: options.seed,
            configurations,
            onEscalate: options.onEscalate,
            ...(scripted ? { scripted: { critic: scripted } } : {}),
            ...(userModel && !scripted
              ? { user: { baseUrl: options.userUrl ?? process.env.USER_BASE_URL ?? config.models.actor.baseUrl, apiKey: process.env.USER_API_KEY ?? config.models.actor.apiKey, model: userModel } }
              : {}),
            maxTurns: options.maxTurns,
            maxSteps: options.maxSteps,
            turnTimeoutMs: options.turnTimeout * 1000,
            ...(options.out ? { out: options.out } : {}),
            redisPrefix: options.redisPrefix,
            ...(options.keepKeys ? { keepKeys: true } : {}),
            logLevel: options.logLevel,
            ...(options.policyFromConfig ? { policyFromConfig: true } : {}),
            signal: controller.signal,
          },
        );
      }),
  );

await program.parseAsync(process.argv);
