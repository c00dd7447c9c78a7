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
    const { runRulesTest } = await import('./escalation/rules-test-command.js');
    // Testing rules needs no model credentials.
    process.env.OPENAI_API_KEY ||= 'not-needed-for-rules-test';
    const config = readConfig(options.config);
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
  .action(async () => {
    const { demoMain } = await import('./demo/demo-command.js');
    await demoMain();
  });

await program.parseAsync(process.argv);
