/**
 * The `bench tau` harness on recorded conversations, with a stand-in agent loop
 * (test/fakes/direct-tau-agent.ts) in place of countersign's pipeline: the replaying user and
 * actor reproduce each recorded reward; the scripted critic that escalates write calls outside
 * the expected actions, with the oracle reviewer, gives the reward of the conversation with
 * exactly those calls left out. Reads τ-bench's data from ../shared/data/tau-bench-airline.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createAirlineEnvironment } from '../../src/tau-bench/airline-environment.js';
import { loadAirlineData } from '../../src/tau-bench/airline-data.js';
import type { AirlineData } from '../../src/tau-bench/airline-database.js';
import { recordedEpisodeDone, replayTauTrajectory } from '../../src/tau-bench/replay.js';
import { createReplayingActor, createScriptedCritic, stoppedByOracleGate } from '../../src/tau-bench/scripted-models.js';
import { runTauBench, type TauBenchConfiguration } from '../../src/tau-bench/tau-bench-runner.js';
import { startTauModelGateway } from '../../src/tau-bench/tau-model-gateway.js';
import { loadTauTrajectories, type TauTrajectory } from '../../src/tau-bench/tau-trajectories.js';
import { createReplayingUser } from '../../src/tau-bench/tau-user-simulator.js';
import { startDirectTauAgent } from '../fakes/direct-tau-agent.js';
import {TAU_DATA_DIRECTORY, TAU_TRAJECTORIES_FILE } from '../helpers/external-files.js';

/** The reward of a recorded conversation with its write calls outside the expected actions left out (the replay, apart from the harness). */
function gatedReward(data: AirlineData, trajectory: TauTrajectory): number {
  return replayTauTrajectory(data, trajectory, { skip: stoppedByOracleGate(trajectory.info.task), skipEndsTurn: true }).reward.reward;
}

describe('the bench tau harness on recorded conversations (stand-in agent loop)', () => {
  let data: AirlineData;
  let trajectories: TauTrajectory[];

  beforeAll(async () => {
    data = await loadAirlineData(TAU_DATA_DIRECTORY);
    trajectories = await loadTauTrajectories(TAU_TRAJECTORIES_FILE);
  });

  /**
   * Tasks 13-17, trials 0-1 (solved and failed runs; the oracle lifts 13/0, 14/0, 14/1, 15/0, 15/1,
   * 17/0 and 17/1), and 18/0 (ends with a transfer), 2/1 (hit the step limit; a task with required
   * outputs) and 44/0 (required outputs, solved).
   */
  const sample = () =>
    trajectories.filter(
      (trajectory) => (trajectory.task_id >= 13 && trajectory.task_id <= 17 && trajectory.trial <= 1) || ['18/0', '2/1', '44/0'].includes(`${trajectory.task_id}/${trajectory.trial}`),
    );

  async function run(chosen: TauTrajectory[], critic: 'none' | 'escalate-unexpected') {
    const environment = createAirlineEnvironment({ data });
    const gateway = await startTauModelGateway();
    try {
      const configuration: TauBenchConfiguration = {
        name: critic,
        hasCritic: critic !== 'none',
        routes: (context) => {
          const actor = createReplayingActor(context.trajectory!, context.turn);
          const scripted = createScriptedCritic(context.task, 'escalate-unexpected');
          return { actor: { script: (request) => actor.answer(request) }, critic: { script: (request) => scripted.answer(request) } };
        },
        startAgent: async (context) => startDirectTauAgent({ gateway, episode: environment.episode(context.episodeId)!, critic: critic !== 'none', onEscalate: 'oracle' }, context),
        user: (context) => createReplayingUser(context.trajectory!),
      };
      return await runTauBench({
        environment,
        gateway,
        configurations: [configuration],
        episodes: chosen.map((trajectory) => ({ taskId: trajectory.task_id, trial: trajectory.trial, task: trajectory.info.task, trajectory })),
        concurrency: 3,
        seed: 7,
        maxSteps: 1000,
      });
    } finally {
      await gateway.close();
    }
  }

  it('the replaying user and actor reproduce every recorded reward', async () => {
    const chosen = sample();
    expect(chosen.length).toBe(13);
    const report = await run(chosen, 'none');
    const byRun = new Map(report.episodes.map((episode) => [`${episode.taskId}/${episode.trial}`, episode]));
    for (const trajectory of chosen) {
      const episode = byRun.get(`${trajectory.task_id}/${trajectory.trial}`)!;
      expect({ run: `${trajectory.task_id}/${trajectory.trial}`, reward: episode.reward, done: episode.done }).toEqual({ run: `${trajectory.task_id}/${trajectory.trial}`, reward: trajectory.reward, done: recordedEpisodeDone(trajectory) });
    }
    expect(report.configurations[0]!.recorded).toEqual({ reproduced: 13, solved: chosen.filter((trajectory) => trajectory.reward === 1).length });
    const ends = new Map(report.episodes.map((episode) => [`${episode.taskId}/${episode.trial}`, episode.endedBy]));
    expect([ends.get('18/0'), ends.get('2/1'), ends.get('44/0')]).toEqual(['transfer', 'user-exhausted', 'stop']);
  });

  it('the scripted critic with the oracle reviewer gives each conversation without its unexpected writes, above the recorded rewards', async () => {
    const chosen = sample();
    const report = await run(chosen, 'escalate-unexpected');
    const expected = new Map(chosen.map((trajectory) => [`${trajectory.task_id}/${trajectory.trial}`, gatedReward(data, trajectory)]));
    for (const episode of report.episodes) expect({ run: `${episode.taskId}/${episode.trial}`, reward: episode.reward }).toEqual({ run: `${episode.taskId}/${episode.trial}`, reward: expected.get(`${episode.taskId}/${episode.trial}`) });
    const summary = report.configurations[0]!;
    const recordedSolved = chosen.filter((trajectory) => trajectory.reward === 1).length;
    expect(summary.solved).toBeGreaterThan(recordedSolved);
    // Every escalation was a write outside the expected actions, which the oracle rejects.
    expect(summary.escalations.action.approved).toBe(0);
    expect(summary.escalations.action.rejected).toBe(summary.verdicts.action.escalate);
    expect(summary.escalations.action.rejected).toBeGreaterThan(0);
  });
});
