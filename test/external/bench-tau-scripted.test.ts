/**
 * `countersign bench tau --scripted` end to end through countersign's pipeline (a service per
 * episode: ingest, queue, turn runner with its agent loop, action gate, reply gate, outbox, review
 * API; the airline MCP server over Streamable HTTP): on a sample of recorded conversations, the
 * baseline (replayed actor, no critic) gives each recorded reward, and the scripted critic that
 * escalates write calls outside the expected actions, with the oracle reviewer, gives the reward
 * of the replay with those calls left out. The full 200: npm run bench:tau. Reads τ-bench's data
 * from ../shared/data/tau-bench-airline.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { benchTau } from '../../src/cli/tau/bench-tau-command.js';
import { loadConfig } from '../../src/config/load-config.js';
import { loadAirlineData } from '../../src/tau-bench/airline-data.js';
import type { AirlineData } from '../../src/tau-bench/airline-database.js';
import { replayTauTrajectory } from '../../src/tau-bench/replay.js';
import { stoppedByOracleGate } from '../../src/tau-bench/scripted-models.js';
import { loadTauTrajectories, type TauTrajectory } from '../../src/tau-bench/tau-trajectories.js';
import { REDIS_URL, randomPrefix } from '../helpers/redis.js';
import {TAU_DATA_DIRECTORY, TAU_TRAJECTORIES_FILE } from '../helpers/external-files.js';

describe('bench tau --scripted through the pipeline (sample)', () => {
  let data: AirlineData;
  let trajectories: TauTrajectory[];
  beforeAll(async () => {
    data = await loadAirlineData(TAU_DATA_DIRECTORY);
    trajectories = await loadTauTrajectories(TAU_TRAJECTORIES_FILE);
  });

  it('the baseline reproduces the recorded rewards; the critic with the oracle gives the gated replay, above them', async () => {
    const stderr: string[] = [];
    const stdout: string[] = [];
    const config = loadConfig({ file: '/nonexistent-countersign.yaml', env: { REDIS_URL, LOG_LEVEL: 'silent' }, models: [] });
    // Tasks 13-15 (trials 0-3): solved and failed runs, and runs the oracle lifts.
    const tasks = [13, 14, 15];
    const report = await benchTau(
      config,
      { data: TAU_DATA_DIRECTORY, trajectories: TAU_TRAJECTORIES_FILE, tasks, trials: 4, concurrency: 3, configurations: ['no-critic', 'critic'], onEscalate: 'oracle', scripted: { critic: 'escalate-unexpected' }, redisPrefix: randomPrefix('bench-tau'), tty: false, progressEvery: 4, turnTimeoutMs: 60_000 },
      { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text) },
    );
    const chosen = trajectories.filter((trajectory) => tasks.includes(trajectory.task_id));
    const recorded = new Map(chosen.map((trajectory) => [`${trajectory.task_id}/${trajectory.trial}`, trajectory.reward]));
    const gated = new Map(chosen.map((trajectory) => [`${trajectory.task_id}/${trajectory.trial}`, replayTauTrajectory(data, trajectory, { skip: stoppedByOracleGate(trajectory.info.task), skipEndsTurn: true }).reward.reward]));
    const [withCritic, baseline] = [report.configurations.find((summary) => summary.escalations.rate !== null)!, report.configurations.find((summary) => summary.escalations.rate === null)!];
    const rewards = (name: string) => Object.fromEntries(report.episodes.filter((episode) => episode.configuration === name).map((episode) => [`${episode.taskId}/${episode.trial}`, episode.reward]));
    expect(rewards(baseline.configuration)).toEqual(Object.fromEntries(recorded));
    expect(rewards(withCritic.configuration)).toEqual(Object.fromEntries(gated));
    expect(withCritic.solved).toBeGreaterThan(baseline.solved);
    expect(withCritic.escalations.action.rejected).toBeGreaterThan(0);
    expect(withCritic.escalations.action.approved).toBe(0);
    expect(withCritic.verdicts.action.escalate).toBe(withCritic.escalations.action.rejected);
    expect(baseline.verdicts.action.approve + baseline.verdicts.reply.approve).toBe(0);
    expect(stdout.join('')).toContain('| configuration | episodes | pass^1 | pass^2 | pass^3 | pass^4 |');
    expect(stderr.join('')).toContain('24/24 episodes');
  }, 300_000);
});
