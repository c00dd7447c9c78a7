/**
 * The simulated user of a τ-bench episode: a model playing the task's instruction with
 * τ-bench's user prompt (`tau_bench/envs/user.py`, `LLMUserSimulationEnv`), or a replay of the
 * user messages of a recorded conversation. The simulator sees the conversation from the user's
 * side: its own messages are `assistant`, the agent's are `user`, and it ends the conversation
 * by writing τ-bench's stop token.
 */
import type { ChatMessage, ModelClient } from '../core/ports.js';
import type { TauTrajectory } from './tau-trajectories.js';

/** What τ-bench's simulated user is told the agent said first. */
export const TAU_USER_OPENING = 'Hi! How can I help you today?';

/** τ-bench's user prompt, verbatim (typos included: it is what the recorded users were given). */
export function tauUserSystemPrompt(instruction: string): string {
  return `You are a user interacting with an agent.

Instruction: ${instruction}
Rules:
- Just generate one line at a time to simulate the user's message.
- Do not give away all the instruction at once. Only provide the information that is necessary for the current step.
- Do not hallucinate information that is not provided in the instruction. For example, if the agent asks for the order id but it is not mentioned in the instruction, do not make up an order id, just say you do not remember or have it.
- If the instruction goal is satisified, generate '###STOP###' as a standalone message without anything else to end the conversation.
- Do not repeat the exact instruction in the conversation. Instead, use your own words to convey the same information.
- Try to make the conversation as natural as possible, and stick to the personalities in the instruction.`;
}

/** Thrown by a replaying user past its last recorded message: the episode ends unfinished. */
export class UserOutOfMessages extends Error {
  constructor() {
    super('the recorded user has no more messages');
    this.name = 'UserOutOfMessages';
  }
}

export interface UserSimulator {
  /** The user's first message. */
  start(): Promise<string>;
  /** The user's answer to what the agent said (its replies of one turn, joined). */
  reply(agentText: string): Promise<string>;
}

export interface ModelUserSimulatorOptions {
  readonly model: ModelClient;
  readonly instruction: string;
  /** One call's time limit. @defaultValue 120000 */
  readonly timeoutMs?: number;
}

/** A model plays the user: τ-bench's prompt, the whole conversation each time, its answer as the next message. */
export function createModelUserSimulator(options: ModelUserSimulatorOptions): UserSimulator {
  const messages: ChatMessage[] = [
    { role: 'system', content: tauUserSystemPrompt(options.instruction) },
    { role: 'user', content: TAU_USER_OPENING },
  ];
  const next = async (): Promise<string> => {
    const completion = await options.model.complete({ messages, timeoutMs: options.timeoutMs ?? 120_000 });
    // A refusal or an empty answer is still the user's turn: an empty message ends nothing.
    const text = completion.content ?? completion.refusal ?? '';
    messages.push({ role: 'assistant', content: text });
    return text;
  };
  return {
    start: next,
    async reply(agentText) {
      messages.push({ role: 'user', content: agentText });
      return next();
    },
  };
}

/** The user messages of a recorded conversation, in order, whatever the agent says. */
function recordedUserMessages(trajectory: TauTrajectory): string[] {
  return trajectory.traj.flatMap((message) => (message.role === 'user' ? [message.content] : []));
}

/**
 * Replays the recorded user: its messages in order, ignoring the agent. Past the last one it has
 * nothing more to say, which ends the episode unfinished (as a recorded run that hit τ-bench's
 * step limit ended).
 */
export function createReplayingUser(trajectory: TauTrajectory): UserSimulator & { readonly remaining: number } {
  const queue = recordedUserMessages(trajectory);
  let index = 0;
  const take = async (): Promise<string> => {
    const message = queue[index];
    if (message === undefined) throw new UserOutOfMessages();
    index += 1;
    return message;
  };
  return {
    start: take,
    reply: () => take(),
    get remaining() {
      return queue.length - index;
    },
  };
}
