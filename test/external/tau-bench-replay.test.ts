/**
 * A sample of the replay proof (the full 200 conversations: npm run bench:tau-replay): recorded
 * tool calls give the recorded outputs, and the reward the recorded reward. Reads τ-bench's data
 * from ../shared/data/tau-bench-airline.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildActionLabels } from '../../src/tau-bench/action-labels.js';
import type { AirlineData } from '../../src/tau-bench/airline-database.js';
import { loadAirlineData } from '../../src/tau-bench/airline-data.js';
import { replayTauTrajectory } from '../../src/tau-bench/replay.js';
import type { TauTrajectory } from '../../src/tau-bench/tau-trajectories.js';
import { loadTauTrajectories } from '../../src/tau-bench/tau-trajectories.js';
import {TAU_DATA_DIRECTORY, TAU_TRAJECTORIES_FILE } from '../helpers/external-files.js';

describe('τ-bench replay (sample)', () => {
  let data: AirlineData;
  let trajectories: TauTrajectory[];

  beforeAll(async () => {
    data = await loadAirlineData(TAU_DATA_DIRECTORY);
    trajectories = await loadTauTrajectories(TAU_TRAJECTORIES_FILE);
  });

  /** Every 20th conversation, plus one that hit the step limit and one of a task with required outputs. */
  function sample(): TauTrajectory[] {
    const chosen = new Set(trajectories.filter((_, index) => index % 20 === 0));
    const unfinished = trajectories.find((trajectory) => trajectory.info.reward_info == null);
    const withOutputs = trajectories.find((trajectory) => trajectory.info.task.outputs.length > 0 && trajectory.reward === 1);
    for (const extra of [unfinished, withOutputs]) if (extra !== undefined) chosen.add(extra);
    return [...chosen];
  }

  it('replays recorded tool calls to the recorded outputs and rewards', () => {
    const conversations = sample();
    expect(conversations.length).toBeGreaterThanOrEqual(10);
    expect(new Set(conversations.map((trajectory) => trajectory.reward))).toEqual(new Set([0, 1]));
    let calls = 0;
    for (const trajectory of conversations) {
      const result = replayTauTrajectory(data, trajectory);
      for (const call of result.calls) {
        calls += 1;
        // revised-data: τ-bench renamed address.province to address.state after recording.
        const allowed = call.name === 'get_user_details' ? ['exact', 'revised-data'] : ['exact'];
        expect(allowed, `${trajectory.task_id}/${trajectory.trial} ${call.name}: ${call.actual.slice(0, 120)}`).toContain(call.match);
      }
      expect([trajectory.task_id, trajectory.trial, result.reward.reward]).toEqual([trajectory.task_id, trajectory.trial, trajectory.reward]);
      // A run that ended has its recorded verdict on the database reproduced too.
      const info = trajectory.info.reward_info?.info;
      if (info !== undefined && 'r_actions' in info) expect(result.reward.actions.correct).toBe(info.r_actions === 1);
      if (info !== undefined && 'outputs' in info) expect(result.reward.outputs?.found).toEqual(info.outputs);
    }
    expect(calls).toBeGreaterThan(40);
  });

  it('an episode that did not end gets 0 even when its database is right', () => {
    const unfinished = trajectories.filter((trajectory) => trajectory.info.reward_info == null);
    const results = unfinished.map((trajectory) => replayTauTrajectory(data, trajectory));
    for (const result of results) {
      expect(result.done).toBe(false);
      expect(result.steps).toBe(30);
      expect(result.reward.reward).toBe(0);
    }
  });

  it('labels the recorded write calls for a critic of actions', () => {
    const set = buildActionLabels(trajectories);
    expect(set.counts).toEqual({ right: 88, mistake: 88, excluded: { refused: 73, 'unmatched-in-solved': 1 }, writeCalls: 250 });
    for (const item of set.items) {
      const task = trajectories.find((trajectory) => trajectory.task_id === item.taskId && trajectory.trial === item.trial)?.info.task;
      const matches = task?.actions.some((action) => action.name === item.call.name && JSON.stringify(action.kwargs) === JSON.stringify(item.call.arguments));
      if (item.label === 'mistake') {
        expect(item.conversationReward).toBe(0);
        expect(item.recordedOutput.startsWith('Error')).toBe(false);
      }
      // The conversation stops before the assistant message that made the call.
      expect(item.messages.at(-1)?.role).not.toBe('assistant');
      expect(item.messages[0]?.role).toBe('system');
      if (item.label === 'right') expect(task?.actions.some((action) => action.name === item.call.name)).toBe(true);
      if (item.label === 'mistake') expect(matches).toBe(false);
    }
    const withRefused = buildActionLabels(trajectories, { includeRefused: true });
    expect(withRefused.counts.mistake).toBe(88 + 60);
  });
});
