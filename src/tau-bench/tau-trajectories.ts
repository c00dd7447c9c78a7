/**
 * τ-bench's recorded runs (`historical_trajectories/*.json`, the `EnvRunResult`s its `run.py`
 * writes): per run the task, the trial, the reward and the conversation as OpenAI chat messages.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CountersignError } from '../core/errors.js';

export const TauAction = z.object({ name: z.string(), kwargs: z.record(z.string(), z.unknown()) });
export type TauAction = z.infer<typeof TauAction>;

/** A τ-bench task: the simulated user, the expected write actions and the required outputs. */
export const TauTask = z.object({
  user_id: z.string(),
  actions: z.array(TauAction),
  instruction: z.string(),
  outputs: z.array(z.string()),
});
export type TauTask = z.infer<typeof TauTask>;

export const TauToolCall = z.object({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
export type TauToolCall = z.infer<typeof TauToolCall>;

export const TauMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), content: z.string().nullable(), tool_calls: z.array(TauToolCall).nullable().optional() }),
  z.object({ role: z.literal('tool'), content: z.string(), tool_call_id: z.string(), name: z.string() }),
]);
export type TauMessage = z.infer<typeof TauMessage>;

export const TauTrajectory = z.object({
  task_id: z.number().int(),
  trial: z.number().int(),
  reward: z.number(),
  info: z.object({
    task: TauTask,
    // null when the run hit τ-bench's step limit before it ended (no reward was computed).
    reward_info: z
      .object({
        reward: z.number(),
        info: z.union([z.object({ r_actions: z.number(), gt_data_hash: z.string() }), z.object({ r_outputs: z.number(), outputs: z.record(z.string(), z.boolean()) })]),
      })
      .nullable()
      .optional(),
  }),
  traj: z.array(TauMessage),
});
export type TauTrajectory = z.infer<typeof TauTrajectory>;

export function parseTauTrajectories(value: unknown): TauTrajectory[] {
  const parsed = z.array(TauTrajectory).safeParse(value);
  if (!parsed.success) throw new CountersignError('tau.trajectories', `not τ-bench trajectories: ${z.prettifyError(parsed.error).split('\n').slice(0, 4).join(' ')}`);
  return parsed.data;
}

export async function loadTauTrajectories(file: string): Promise<TauTrajectory[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CountersignError('tau.trajectories', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseTauTrajectories(JSON.parse(text));
  } catch (error) {
    if (error instanceof SyntaxError) throw new CountersignError('tau.trajectories', `${file} is not JSON: ${error.message}`);
    throw error;
  }
}

/**
 * The call an assistant message made, as τ-bench's agent ran it (only the first of its calls), and
 * the output recorded for it in the next message ('' when there is none); undefined for a reply.
 */
export function recordedCall(messages: readonly TauMessage[], index: number): { call: TauToolCall; output: string } | undefined {
  const message = messages[index];
  const call = message?.role === 'assistant' ? (message.tool_calls ?? [])[0] : undefined;
  if (call === undefined) return undefined;
  const next = messages[index + 1];
  return { call, output: next?.role === 'tool' ? next.content : '' };
}

/** A recorded call's arguments (JSON text) as a value; undefined when the model wrote no valid JSON. */
export function parseToolArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What the agent said to the user: τ-bench's `respond` actions, the assistant messages without a tool call. */
export function messagesToUser(messages: readonly TauMessage[]): string[] {
  return messages.flatMap((message) => (message.role === 'assistant' && (message.tool_calls ?? []).length === 0 ? [message.content ?? ''] : []));
}
