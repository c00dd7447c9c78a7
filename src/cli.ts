#!/usr/bin/env node
import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from './config/load-config.js';
import type { Config } from './config/schema.js';
import { describeError } from './core/errors.js';
import { createCountersign, type Role } from './main.js';

/** Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration or usage. */
const EXIT_CONFIG = 2;

function readConfig(file: string | undefined): Config {
  try {
    return loadConfig({ ...(file ? { file, required: true } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`${problem}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
}

const program = new Command();
program.name('countersign').description('Critic-gated LLM chat bots: nothing is posted until a critic has countersigned it.').showHelpAfterError();
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
      if (stopping) return;
      stopping = true;
      service.logger.info({ signal }, 'shutting down');
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
      service.logger.fatal({ err: describeError(error) }, 'could not start');
      await service.stop().catch(() => {});
      process.exit(1);
    }
  });

program
  .command('check-config')
  .description('validate the configuration and print every problem, or ok')
  .option('-c, --config <file>', 'configuration file (default: ./countersign.yaml if present)')
  .action((options: { config?: string }) => {
    readConfig(options.config);
    process.stdout.write('ok\n');
  });

program
  .command('demo')
  .description('run the web chat on embedded defaults: offline demo models unless OPENAI_API_KEY is set, a local Redis')
  .action(async () => {
    const { demoMain } = await import('./demo/demo-command.js');
    await demoMain();
  });

await program.parseAsync(process.argv);
