// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in these strings is the config interpolation under test, not a template mistake
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configProblems, LOCAL_ENV, NO_CONFIG_FILE, writeConfigFile } from '../helpers/config-file.js';

describe('loadConfig', () => {
  it('defaults without a file; the critic falls back to the actor endpoint', () => {
    const config = loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, ACTOR_MODEL: 'small' } });
    expect(config.port).toBe(3000);
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'countersign', retryInitialDelayMs: 1000, retryMaxDelayMs: 30_000 });
    expect(config.adapters).toEqual(['web']);
    expect(config.critic.timeoutMs).toBe(20_000);
    expect(config.turn.maxRevisions).toBe(2);
    expect(config.models.critic).toMatchObject({ baseUrl: 'http://127.0.0.1:9/v1', model: 'small' });
    expect(config.source).toBe('(defaults and environment)');
  });

  it('the cost limits: on by default; turn.prompt.maxChars follows a larger maxMessageChars, and is refused below it', () => {
    const config = loadConfig({ file: NO_CONFIG_FILE, env: LOCAL_ENV });
    expect(config.turn.prompt).toEqual({ maxMessages: 20, maxChars: 32_000 });
    expect(config.turn.modelCalls).toEqual({ perConversation: 200, global: 20_000, windowSeconds: 3600, whenSpent: 'wait' });
    expect(config.queue.turnsPerJob).toBe(1);
    expect(config.review.checkReviewerText).toBe('all');
    expect(loadConfig({ file: writeConfigFile('turn: { maxMessageChars: 50000 }'), env: LOCAL_ENV }).turn.prompt.maxChars).toBe(50_000);
    const lifted = loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, MODEL_CALLS_PER_CONVERSATION: '0', MODEL_CALLS_GLOBAL: '0', MODEL_CALLS_WHEN_SPENT: 'escalate' } });
    expect(lifted.turn.modelCalls).toMatchObject({ perConversation: 0, global: 0, whenSpent: 'escalate' });
    expect(configProblems(() => loadConfig({ file: writeConfigFile('turn: { prompt: { maxChars: 1000 } }'), env: LOCAL_ENV }))).toEqual([
      expect.stringContaining('turn.prompt.maxChars: must be at least turn.maxMessageChars (16000)'),
    ]);
    expect(configProblems(() => loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, REVIEW_CHECK_REVIEWER_TEXT: 'sometimes' } }))[0]).toContain('review.checkReviewerText');
  });

  it('the environment wins over the file', () => {
    const file = writeConfigFile('port: 4000\nredis:\n  prefix: from-file\nactor:\n  baseUrl: http://127.0.0.1:1/v1\n  model: file-model\ncritic:\n  timeoutMs: 1234\n');
    const config = loadConfig({ file, env: { PORT: '5000', ACTOR_MODEL: 'env-model', CRITIC_TIMEOUT_MS: '999', QUEUE_LOCK_DURATION_MS: '2000', QUEUE_STALLED_INTERVAL_MS: '700' } });
    expect(config.port).toBe(5000);
    expect(config.redis.prefix).toBe('from-file');
    expect(config.models.actor).toMatchObject({ baseUrl: 'http://127.0.0.1:1/v1', model: 'env-model' });
    expect(config.critic.timeoutMs).toBe(999);
    expect(config.queue).toMatchObject({ lockDurationMs: 2000, stalledIntervalMs: 700 });
  });

  it('${VAR} and ${VAR:-default} interpolation, $${ escapes', () => {
    const file = writeConfigFile(
      [
        'redis:',
        '  url: ${MY_REDIS}',
        '  prefix: ${MY_PREFIX:-fallback-prefix}',
        'actor:',
        '  baseUrl: http://${MODEL_HOST:-127.0.0.1}:${MODEL_PORT}/v1',
        '  systemPrompt: "Costs $${PRICE} today"',
        'review:',
        '  holdingMessage: "Hold on, ${NAME:-friend}."',
      ].join('\n'),
    );
    const config = loadConfig({ file, env: { MY_REDIS: 'redis://10.0.0.1:6380', MODEL_PORT: '8080', NAME: '' } });
    expect(config.redis).toMatchObject({ url: 'redis://10.0.0.1:6380', prefix: 'fallback-prefix' });
    expect(config.models.actor.baseUrl).toBe('http://127.0.0.1:8080/v1');
    expect(config.actor.systemPrompt).toBe('Costs ${PRICE} today');
    // An empty variable counts as unset, so the default applies.
    expect(config.review.holdingMessage).toBe('Hold on, friend.');
  });

  it('an unset ${VAR} without a default is a problem naming the field', () => {
    const file = writeConfigFile('actor:\n  baseUrl: http://127.0.0.1:1/v1\n  apiKey: ${SECRET_KEY}\n');
    expect(configProblems(() => loadConfig({ file, env: {} }))).toEqual([`${file}: actor.apiKey: \${SECRET_KEY} is not set in the environment`]);
  });

  it('list environment variables are comma-separated and trimmed', () => {
    const config = loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, ADAPTERS: ' web , discord,', DISCORD_REVIEWERS: '111111111111111111, 222222222222222222' } });
    expect(config.adapters).toEqual(['web', 'discord']);
    expect(config.discord.reviewers).toEqual(['111111111111111111', '222222222222222222']);
  });

  it('every problem at once, each "source: path.to.field: message", environment problems named by variable', () => {
    const file = writeConfigFile('port: 70000\nfoo: 1\nactor:\n  baseUrl: not-a-url\n  bar: 2\nturn:\n  maxRevisions: -1\n');
    const problems = configProblems(() => loadConfig({ file, env: { REDIS_URL: 'http://x', WORKER_CONCURRENCY: 'many', ADAPTERS: 'web,teams' } }));
    for (const problem of problems) expect(problem).toMatch(/^(environment [A-Z_]+|\/\S+\.yaml): [\w.()[\]]+: \S.*$/);
    const where = problems.map((problem) => problem.split(': ').slice(0, 2).join(': '));
    expect(where).toEqual(
      expect.arrayContaining([
        `${file}: port`,
        `${file}: (root)`,
        `${file}: actor.baseUrl`,
        `${file}: actor`,
        `${file}: turn.maxRevisions`,
        'environment REDIS_URL: redis.url',
        'environment WORKER_CONCURRENCY: queue.concurrency',
        'environment ADAPTERS: adapters[1]',
      ]),
    );
    expect(problems.find((problem) => problem.includes('(root)'))).toContain('unknown field "foo"');
    expect(problems.find((problem) => problem.startsWith(`${file}: actor:`))).toContain('unknown field "bar"');
  });

  it('secrets never appear in problems', () => {
    const problems = configProblems(() => loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, REVIEW_TOKEN: 'short', OPENAI_API_KEY: 'sk-very-secret', PORT: 'x' } }));
    expect(problems.join('\n')).not.toContain('sk-very-secret');
    expect(problems.join('\n')).not.toMatch(/\bshort\b/);
    expect(problems).toContain('environment REVIEW_TOKEN: review.token: must be at least 8 characters');
  });

  it('a YAML syntax error is reported with its line, and a named file that is missing is an error', () => {
    const file = writeConfigFile('port: 3000\nactor: [unclosed\n');
    const problems = configProblems(() => loadConfig({ file, env: LOCAL_ENV }));
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}: line \\d+ column \\d+: \\S`));
    expect(configProblems(() => loadConfig({ file: NO_CONFIG_FILE, required: true, env: LOCAL_ENV }))[0]).toMatch(/^\/nonexistent-countersign\.yaml: \(file\): cannot read it/);
  });

  it("OpenAI's API without a key is a problem; with no file, no file is named", () => {
    expect(configProblems(() => loadConfig({ file: NO_CONFIG_FILE, env: {} }))[0]).toMatch(/^actor\.apiKey: required for OpenAI/);
  });

  it('an unknown field names the field it probably meant, or the fields there are', () => {
    const file = writeConfigFile('critic:\n  polcy: be nice\n  zzzz: 1\nturn:\n  maxRevison: 3\n');
    const problems = configProblems(() => loadConfig({ file, env: LOCAL_ENV }));
    expect(problems).toContain(`${file}: critic: unknown field "polcy" (did you mean "policy"?); unknown field "zzzz" (the fields here: baseUrl, apiKey, model, stream, temperature, maxTokens, policy, timeoutMs, responseFormat, attempts)`);
    expect(problems).toContain(`${file}: turn: unknown field "maxRevison" (did you mean "maxRevisions"?)`);
  });

  it('a value that is not a number or not a choice is quoted back, with a hint', () => {
    const file = writeConfigFile('critic:\n  timeoutMs: 20s\nadapters: [web, slak]\n');
    const problems = configProblems(() => loadConfig({ file, env: LOCAL_ENV }));
    expect(problems).toContain(`${file}: critic.timeoutMs: "20s" is not a number (milliseconds: write 20000 for 20 seconds)`);
    expect(problems).toContain(`${file}: adapters[1]: "slak" is not one of web, slack, discord (did you mean "slack"?)`);
  });

  it('an unclosed quote or bracket is reported at the line where it opens, not where the parser gave up', () => {
    const quoted = writeConfigFile('port: 3000\nredis:\n  url: "redis://x\n  prefix: y\nlogLevel: info\n');
    expect(configProblems(() => loadConfig({ file: quoted, env: LOCAL_ENV }))[0]).toBe(`${quoted}: line 3 column 8: Missing closing "quote (it starts here and is never closed)`);
    const bracket = writeConfigFile('port: 3000\nadapters: [web, slack\nlogLevel: info\n');
    expect(configProblems(() => loadConfig({ file: bracket, env: LOCAL_ENV }))[0]).toMatch(new RegExp(`^${bracket.replace(/[.]/g, '\\.')}: line 2 column 11: `));
  });
});
