/**
 * Replays a recorded τ-bench conversation against the environment: every recorded tool call,
 * in order, on a fresh episode, each output compared with the recorded one, then the reward.
 * This is how the environment is shown to be τ-bench's (bench/tau-replay.ts runs all 200).
 */
import { isDeepStrictEqual } from 'node:util';
import type { AirlineData } from './airline-database.js';
import { AIRLINE_TERMINATE_TOOL_NAMES } from './airline-tool-definitions.js';
import { createAirlineEpisode } from './airline-episode.js';
import type { TauReward } from './reward.js';
import { calculateTauReward } from './reward.js';
import type { TauTrajectory } from './tau-trajectories.js';
import { messagesToUser, parseToolArguments, recordedCall } from './tau-trajectories.js';

/** τ-bench's tool-calling agent stops after this many agent steps (`max_num_steps`). */
export const TAU_MAX_AGENT_STEPS = 30;

/** The user simulator's end-of-conversation token. */
export const TAU_STOP_TOKEN = '###STOP###';

export type OutputMatch = 'exact' | 'json' | 'revised-data' | 'different';

export interface ReplayedCall {
  /** Index of the assistant message with the call in `traj`. */
  readonly messageIndex: number;
  readonly name: string;
  readonly argumentsJson: string;
  readonly recorded: string;
  readonly actual: string;
  readonly match: OutputMatch;
  /** Left out by `skip` (or its turn ended): nothing ran. */
  readonly skipped?: true;
}

export interface ReplayResult {
  readonly taskId: number;
  readonly trial: number;
  readonly calls: readonly ReplayedCall[];
  /** Agent steps taken (assistant messages). */
  readonly steps: number;
  readonly done: boolean;
  readonly reward: TauReward;
  readonly recordedReward: number;
  /** τ-bench's `gt_data_hash` as recorded, where it was (runs of tasks without required outputs that ended). */
  readonly recordedExpectedDataHash: string | null;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * τ-bench's airline `users.json` was revised after the recorded runs (2025-01-16, "Remove all
 * references to province"): each address's `province` key became `state`, in place. A recorded
 * `get_user_details` output that differs from today's only by that rename is `revised-data`.
 */
function undoProvinceRename(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(undoProvinceRename);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key === 'province' ? 'state' : key, undoProvinceRename(entry)]));
  }
  return value;
}

/** How an output compares with the recorded one: as JSON where both are JSON, exactly otherwise. */
export function compareToolOutput(recorded: string, actual: string): OutputMatch {
  if (recorded === actual) return 'exact';
  const left = parseJson(recorded);
  const right = parseJson(actual);
  if (!left.ok || !right.ok) return 'different';
  if (isDeepStrictEqual(left.value, right.value)) return 'json';
  if (isDeepStrictEqual(undoProvinceRename(left.value), right.value)) return 'revised-data';
  return 'different';
}

/** Whether a recorded conversation ended as τ-bench ends one (stop token or transfer). */
export function recordedEpisodeDone(trajectory: TauTrajectory): boolean {
  const last = trajectory.traj.at(-1);
  if (last?.role === 'user' && last.content.includes(TAU_STOP_TOKEN)) return true;
  const lastCall = trajectory.traj.flatMap((message) => (message.role === 'assistant' ? (message.tool_calls ?? []).slice(0, 1) : [])).at(-1);
  const previous = trajectory.traj.at(-2);
  return last?.role === 'tool' && previous?.role === 'assistant' && lastCall !== undefined && (AIRLINE_TERMINATE_TOOL_NAMES as readonly string[]).includes(lastCall.function.name);
}

export interface ReplayOptions {
  /**
   * Leave a recorded call out (it changes nothing; its `actual` output is empty): the replay
   * of what a gate that stopped those calls would have left.
   */
  readonly skip?: (call: { name: string; arguments: unknown }) => boolean;
  /**
   * A skipped call also ends its turn: the turn's later calls are left out too (countersign's
   * actor replies at once after a human refused a call). A transfer left out does not end the
   * episode.
   */
  readonly skipEndsTurn?: boolean;
}

export function replayTauTrajectory(data: AirlineData, trajectory: TauTrajectory, options: ReplayOptions = {}): ReplayResult {
  const episode = createAirlineEpisode(data, { id: `replay-${trajectory.task_id}-${trajectory.trial}` });
  const calls: ReplayedCall[] = [];
  let steps = 0;
  let turnEnded = false;
  trajectory.traj.forEach((message, index) => {
    if (message.role === 'user') turnEnded = false;
    if (message.role !== 'assistant') return;
    steps += 1;
    const made = recordedCall(trajectory.traj, index);
    if (made === undefined) return;
    const { call, output: recorded } = made;
    if (turnEnded || options.skip?.({ name: call.function.name, arguments: parseToolArguments(call.function.arguments) })) {
      if (options.skipEndsTurn) turnEnded = true;
      calls.push({ messageIndex: index, name: call.function.name, argumentsJson: call.function.arguments, recorded, actual: '', match: 'different', skipped: true });
      return;
    }
    const actual = episode.callWithArgumentsJson(call.function.name, call.function.arguments).output;
    calls.push({ messageIndex: index, name: call.function.name, argumentsJson: call.function.arguments, recorded, actual, match: compareToolOutput(recorded, actual) });
  });
  // The recorded ending, unless it was a transfer that was left out.
  const last = trajectory.traj.at(-1);
  const stopped = last?.role === 'user' && last.content.includes(TAU_STOP_TOKEN);
  const done = recordedEpisodeDone(trajectory) && (stopped || episode.done);
  const reward = calculateTauReward(data, { task: trajectory.info.task, episode, messagesToUser: messagesToUser(trajectory.traj), done });
  const info = trajectory.info.reward_info?.info;
  return {
    taskId: trajectory.task_id,
    trial: trajectory.trial,
    calls,
    steps,
    done,
    reward,
    recordedReward: trajectory.reward,
    recordedExpectedDataHash: info !== undefined && 'gt_data_hash' in info ? info.gt_data_hash : null,
  };
}
