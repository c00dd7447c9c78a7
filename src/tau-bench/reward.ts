/**
 * τ-bench's reward for an episode (`Env.calculate_reward` in `tau_bench/envs/base.py`):
 *
 * 1. Actions: the episode's database is hashed (data-hash.ts) and compared with the hash of a
 *    fresh database on which the task's expected actions were run in order
 *    (`transfer_to_human_agents` skipped). Unequal: reward 0.
 * 2. Outputs, for a task that has any: each required output, lower-cased, must appear in one
 *    of the agent's messages to the user, lower-cased with its commas removed. One missing:
 *    reward 0.
 *
 * τ-bench computes the reward only when the episode ends (the user's `###STOP###`, or a
 * transfer to a human); a run that hits the step limit first gets 0. `done: false` gives 0 here
 * too, with the two checks still reported.
 */
import type { AirlineData } from './airline-database.js';
import { AIRLINE_TERMINATE_TOOL_NAMES } from './airline-tool-definitions.js';
import type { AirlineEpisode } from './airline-episode.js';
import { createAirlineEpisode } from './airline-episode.js';
import type { TauTask } from './tau-trajectories.js';

export interface TauRewardInput {
  readonly task: TauTask;
  /** The episode whose database is judged. */
  readonly episode: AirlineEpisode;
  /** The agent's messages to the user, in order (τ-bench's `respond` actions). */
  readonly messagesToUser: readonly string[];
  /** Whether the episode ended as τ-bench ends one (the user's stop token, or a transfer). */
  readonly done: boolean;
}

export interface TauReward {
  /** 1 when the episode ended, its database equals the expected one and every output was given. */
  readonly reward: 0 | 1;
  readonly done: boolean;
  readonly actions: {
    readonly correct: boolean;
    readonly dataHash: string;
    /** τ-bench's `gt_data_hash`. */
    readonly expectedDataHash: string;
  };
  /** null for a task without required outputs. */
  readonly outputs: { readonly correct: boolean; readonly found: Readonly<Record<string, boolean>> } | null;
}

const expectedHashes = new WeakMap<AirlineData, Map<string, string>>();

/** The hash of the database the task's expected actions leave behind (cached per data and actions). */
export function expectedDataHash(data: AirlineData, task: Pick<TauTask, 'actions'>): string {
  const key = JSON.stringify(task.actions);
  let cache = expectedHashes.get(data);
  if (cache === undefined) {
    cache = new Map();
    expectedHashes.set(data, cache);
  }
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const expected = createAirlineEpisode(data, { id: 'expected' });
  for (const action of task.actions) {
    if (!(AIRLINE_TERMINATE_TOOL_NAMES as readonly string[]).includes(action.name)) expected.call(action.name, action.kwargs);
  }
  const hash = expected.dataHash();
  cache.set(key, hash);
  return hash;
}

/** τ-bench's check of the required outputs against what the agent told the user. */
export function checkTauOutputs(outputs: readonly string[], messagesToUser: readonly string[]): Record<string, boolean> {
  const said = messagesToUser.map((message) => message.toLowerCase().replaceAll(',', ''));
  return Object.fromEntries(outputs.map((output) => [output, said.some((message) => message.includes(output.toLowerCase()))]));
}

export function calculateTauReward(data: AirlineData, input: TauRewardInput): TauReward {
  const dataHash = input.episode.dataHash();
  const expected = expectedDataHash(data, input.task);
  const actionsCorrect = dataHash === expected;
  let outputs: TauReward['outputs'] = null;
  if (input.task.outputs.length > 0) {
    const found = checkTauOutputs(input.task.outputs, input.messagesToUser);
    outputs = { correct: Object.values(found).every(Boolean), found };
  }
  const solved = input.done && actionsCorrect && (outputs?.correct ?? true);
  return { reward: solved ? 1 : 0, done: input.done, actions: { correct: actionsCorrect, dataHash, expectedDataHash: expected }, outputs };
}
