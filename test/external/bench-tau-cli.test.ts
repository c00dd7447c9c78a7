/**
 * `countersign bench tau` as a user runs it (a child process): usage errors exit 2 with the
 * reason, and a scripted run of one recorded conversation prints the table on stdout, progress
 * lines on stderr (not a terminal) and writes the JSON report. Reads τ-bench's data from
 * ../shared/data/tau-bench-airline.
 */
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { REDIS_URL, randomPrefix } from '../helpers/redis.js';
import {TAU_DATA_DIRECTORY, TAU_TRAJECTORIES_FILE } from '../helpers/external-files.js';

const env = { REDIS_URL, OPENAI_API_KEY: 'unused' };

describe('countersign bench tau', () => {
  const data = ['--data', TAU_DATA_DIRECTORY, '--trajectories', TAU_TRAJECTORIES_FILE];

  it('says what is missing or wrong, with exit code 2', async () => {
    const noUser = await runCli(['bench', 'tau', ...data, '--tasks', '0'], env);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain('the simulated user needs a model: --user-model (and --user-url, USER_API_KEY), or --scripted');
    const noTask = await runCli(['bench', 'tau', ...data, '--scripted', '--tasks', '99'], env);
    expect(noTask.code).toBe(2);
    expect(noTask.stderr).toContain('--tasks: no task 99 in the trajectories file (it has 50 tasks, 0-49)');
    const badCritic = await runCli(['bench', 'tau', ...data, '--scripted', 'maybe'], env);
    expect(badCritic.code).toBe(2);
    expect(badCritic.stderr).toContain('--scripted: the critic is escalate-unexpected or approve, not "maybe"');
  });

  it('a scripted run: the table on stdout, progress on stderr, the JSON report', async () => {
    const out = path.join(os.tmpdir(), `${randomPrefix('bench-tau-report')}.json`);
    try {
      const result = await runCli(['bench', 'tau', ...data, '--scripted', '--tasks', '13', '--on-escalate', 'oracle', '--redis-prefix', randomPrefix('bench-tau'), '--out', out], env);
      expect(result.stderr).toContain('1/1 episodes, 1 solved (100.0%)');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('| replayed actor + scripted critic (escalate-unexpected), on escalate: oracle | 1 | 100.0% |');
      const report = JSON.parse(await readFile(out, 'utf8')) as { episodes: Array<{ taskId: number; reward: number; recordedReward: number }> };
      expect(report.episodes).toMatchObject([{ taskId: 13, reward: 1, recordedReward: 0 }]);
    } finally {
      await rm(out, { force: true });
    }
  });
});
