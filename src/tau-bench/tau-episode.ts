/**
 * One τ-bench episode, as τ-bench's `Env` runs it: the simulated user speaks first; each of its
 * messages goes to the agent, whose replies go back to the user; the episode ends when the user
 * writes the stop token, when the agent hands over to a human (`transfer_to_human_agents`), or
 * when a bound is reached (then it is unfinished, and τ-bench scores it 0). The agent is anything
 * that answers a user message: countersign's pipeline in `countersign bench tau`.
 */
import type { AirlineEpisode } from './airline-episode.js';
import { TAU_STOP_TOKEN } from './replay.js';
import { type UserSimulator, UserOutOfMessages } from './tau-user-simulator.js';

/** The bot under test, seen from the user's side. */
export interface EpisodeAgent {
  /**
   * Post one user message and wait until the turn it starts has ended; resolves with the replies
   * the user received for it, oldest first (none when a human reviewer rejected the reply).
   */
  send(text: string, turn: number): Promise<readonly string[]>;
}

export type EpisodeEnd = 'stop' | 'transfer' | 'user-exhausted' | 'max-turns' | 'step-limit' | 'error';

export interface EpisodeMessage {
  readonly role: 'user' | 'agent';
  readonly text: string;
}

export interface TauEpisodeResult {
  /** True when the episode ended as τ-bench ends one (the stop token or a transfer). */
  readonly done: boolean;
  readonly endedBy: EpisodeEnd;
  /** User messages posted to the agent. */
  readonly turns: number;
  /** What the agent said to the user before the episode ended: the `outputs` of τ-bench's reward look here. */
  readonly messagesToUser: readonly string[];
  readonly transcript: readonly EpisodeMessage[];
  /** Why the episode ended early, for `error`. */
  readonly error?: string;
}

export interface TauEpisodeOptions {
  readonly user: UserSimulator;
  readonly agent: EpisodeAgent;
  /** The environment's episode (its `done` says a transfer happened). */
  readonly episode: AirlineEpisode;
  /** User messages at most. @defaultValue 30 */
  readonly maxTurns?: number;
  /** Checked before each turn: true ends the episode unfinished (τ-bench's agent step limit). */
  readonly stepLimitReached?: () => boolean;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function runTauEpisode(options: TauEpisodeOptions): Promise<TauEpisodeResult> {
  const maxTurns = options.maxTurns ?? 30;
  const transcript: EpisodeMessage[] = [];
  const messagesToUser: string[] = [];
  let turns = 0;
  const end = (endedBy: EpisodeEnd, error?: string): TauEpisodeResult => ({
    done: endedBy === 'stop' || endedBy === 'transfer',
    endedBy,
    turns,
    messagesToUser,
    transcript,
    ...(error !== undefined ? { error } : {}),
  });
  let userText: string;
  try {
    userText = await options.user.start();
  } catch (error) {
    return error instanceof UserOutOfMessages ? end('user-exhausted') : end('error', `user simulator: ${describe(error)}`);
  }
  for (;;) {
    // τ-bench ends on the stop token anywhere in the user's message; that message is not sent.
    if (userText.includes(TAU_STOP_TOKEN)) return end('stop');
    if (turns >= maxTurns) return end('max-turns');
    // Checked after the user's answer: τ-bench counts the answer to the last step as part of that step.
    if (options.stepLimitReached?.()) return end('step-limit');
    transcript.push({ role: 'user', text: userText });
    let replies: readonly string[];
    try {
      replies = await options.agent.send(userText, turns);
    } catch (error) {
      turns += 1;
      return end('error', `agent: ${describe(error)}`);
    }
    turns += 1;
    // After a transfer τ-bench's episode is over: what the agent wrote after it never reached the user.
    if (options.episode.done) return end('transfer');
    for (const reply of replies) {
      transcript.push({ role: 'agent', text: reply });
      messagesToUser.push(reply);
    }
    try {
      userText = await options.user.reply(replies.join('\n\n'));
    } catch (error) {
      return error instanceof UserOutOfMessages ? end('user-exhausted') : end('error', `user simulator: ${describe(error)}`);
    }
  }
}
