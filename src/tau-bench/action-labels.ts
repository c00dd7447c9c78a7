/**
 * The recorded write calls of τ-bench conversations as a labelled set for a critic of actions:
 * each call with the conversation before it, labelled
 *
 * - `right`: it equals one of its task's expected actions (same tool, JSON-equal arguments);
 * - `mistake`: it equals none, in a conversation whose task failed (reward 0).
 *
 * Left out, each with its reason (`excluded`):
 * - `refused`: it equals no expected action and the environment answered with an error, so it
 *   changed nothing; it is neither a right action taken nor the mistake that failed the task.
 *   `includeRefused` labels such calls of failed conversations mistakes instead, for a critic
 *   meant to catch malformed calls too.
 * - `unmatched-in-solved`: it equals no expected action, yet the task was solved, so it did
 *   no harm (in the airline set: the expected flights sent with extra keys the tool overwrites).
 *
 * Pure: it takes parsed trajectories and returns the items.
 */
import { AIRLINE_WRITE_TOOL_NAMES } from './airline-tool-definitions.js';
import { matchesExpectedAction } from './scripted-models.js';
import { parseToolArguments, recordedCall, type TauMessage, type TauTrajectory } from './tau-trajectories.js';

export type ActionLabel = 'right' | 'mistake';
export type ActionExclusion = 'refused' | 'unmatched-in-solved';

export interface LabelledCall {
  readonly name: string;
  /** The arguments as the model wrote them (JSON text). */
  readonly argumentsJson: string;
  readonly arguments: unknown;
  readonly toolCallId: string;
}

export interface LabelledAction {
  readonly taskId: number;
  readonly trial: number;
  /** The conversation before the call: every message before the assistant message that made it. */
  readonly messages: readonly TauMessage[];
  /** Text the assistant wrote alongside the call, if any (part of the same message). */
  readonly assistantText: string | null;
  readonly call: LabelledCall;
  /** What the environment answered when the call was recorded. */
  readonly recordedOutput: string;
  readonly label: ActionLabel;
  /** The recorded reward of the conversation (1 solved, 0 not). */
  readonly conversationReward: number;
}

export interface ExcludedAction {
  readonly taskId: number;
  readonly trial: number;
  readonly call: LabelledCall;
  readonly reason: ActionExclusion;
}

export interface ActionLabelSet {
  readonly items: readonly LabelledAction[];
  readonly excluded: readonly ExcludedAction[];
  readonly counts: { readonly right: number; readonly mistake: number; readonly excluded: Readonly<Record<ActionExclusion, number>>; readonly writeCalls: number };
}

export interface ActionLabelOptions {
  /**
   * Label refused calls (error output) of failed conversations as mistakes instead of leaving them out.
   * @defaultValue false
   */
  readonly includeRefused?: boolean;
}

/** The labelled write calls of `trajectories` (see the module comment for the rules). */
export function buildActionLabels(trajectories: readonly TauTrajectory[], options: ActionLabelOptions = {}): ActionLabelSet {
  const writeTools = new Set<string>(AIRLINE_WRITE_TOOL_NAMES);
  const items: LabelledAction[] = [];
  const excluded: ExcludedAction[] = [];
  let writeCalls = 0;
  for (const trajectory of trajectories) {
    const expected = trajectory.info.task.actions;
    trajectory.traj.forEach((message, index) => {
      const made = recordedCall(trajectory.traj, index);
      if (made === undefined || !writeTools.has(made.call.function.name)) return;
      writeCalls += 1;
      const { call: toolCall, output: recordedOutput } = made;
      const args = parseToolArguments(toolCall.function.arguments);
      const call: LabelledCall = { name: toolCall.function.name, argumentsJson: toolCall.function.arguments, arguments: args, toolCallId: toolCall.id };
      const matches = matchesExpectedAction(expected, { tool: call.name, arguments: args });
      const refused = recordedOutput.startsWith('Error');
      const failed = trajectory.reward === 0;
      let label: ActionLabel | null = null;
      let reason: ActionExclusion | null = null;
      if (matches) label = 'right';
      else if (refused && !(failed && options.includeRefused)) reason = 'refused';
      else if (!failed) reason = 'unmatched-in-solved';
      else label = 'mistake';
      if (label === null) {
        excluded.push({ taskId: trajectory.task_id, trial: trajectory.trial, call, reason: reason ?? 'refused' });
        return;
      }
      items.push({
        taskId: trajectory.task_id,
        trial: trajectory.trial,
        messages: trajectory.traj.slice(0, index),
        assistantText: message.content !== null && message.content !== '' ? message.content : null,
        call,
        recordedOutput,
        label,
        conversationReward: trajectory.reward,
      });
    });
  }
  const count = (reason: ActionExclusion) => excluded.filter((entry) => entry.reason === reason).length;
  return {
    items,
    excluded,
    counts: {
      right: items.filter((item) => item.label === 'right').length,
      mistake: items.filter((item) => item.label === 'mistake').length,
      excluded: { refused: count('refused'), 'unmatched-in-solved': count('unmatched-in-solved') },
      writeCalls,
    },
  };
}
