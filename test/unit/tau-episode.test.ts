import { describe, expect, it } from 'vitest';
import type { AirlineEpisode } from '../../src/tau-bench/airline-episode.js';
import { runTauEpisode } from '../../src/tau-bench/tau-episode.js';
import { type UserSimulator, UserOutOfMessages } from '../../src/tau-bench/tau-user-simulator.js';

function scriptedUser(lines: string[]): UserSimulator & { heard: string[] } {
  const heard: string[] = [];
  let index = 0;
  const next = async () => {
    const line = lines[index++];
    if (line === undefined) throw new UserOutOfMessages();
    return line;
  };
  return {
    heard,
    start: next,
    reply: async (text) => {
      heard.push(text);
      return next();
    },
  };
}

const episode = (state: { done: boolean }) => state as unknown as AirlineEpisode;

describe('a τ-bench episode', () => {
  it("ends on the user's stop token, which is not sent; the agent's replies are what the user got", async () => {
    const user = scriptedUser(['hello', 'thanks ###STOP###']);
    const sent: string[] = [];
    const result = await runTauEpisode({ user, agent: {
        send: async (text) => {
          sent.push(text);
          return ['Hi.', 'Anything else?'];
        },
      }, episode: episode({ done: false }) });
    expect(result).toMatchObject({ done: true, endedBy: 'stop', turns: 1, messagesToUser: ['Hi.', 'Anything else?'] });
    expect(sent).toEqual(['hello']);
    expect(user.heard).toEqual(['Hi.\n\nAnything else?']);
  });

  it('ends on a transfer; what the agent wrote after it never reached the user', async () => {
    const state = { done: false };
    const result = await runTauEpisode({
      user: scriptedUser(['a', 'b', 'c']),
      agent: {
        send: async (_text, turn) => {
          if (turn === 1) state.done = true;
          return [`reply ${turn}`];
        },
      },
      episode: episode(state),
    });
    expect(result).toMatchObject({ done: true, endedBy: 'transfer', turns: 2, messagesToUser: ['reply 0'] });
  });

  it('is unfinished when the user runs out of messages, at the turn limit, at the step limit, or on an error', async () => {
    const agent = { send: async () => ['ok'] };
    expect(await runTauEpisode({ user: scriptedUser(['a']), agent, episode: episode({ done: false }) })).toMatchObject({ done: false, endedBy: 'user-exhausted', turns: 1 });
    expect(await runTauEpisode({ user: scriptedUser(['a', 'b', 'c']), agent, episode: episode({ done: false }), maxTurns: 2 })).toMatchObject({ done: false, endedBy: 'max-turns', turns: 2 });
    let steps = 0;
    const counting = {
      send: async () => {
        steps += 3;
        return ['ok'];
      },
    };
    expect(await runTauEpisode({ user: scriptedUser(['a', 'b', 'c', 'd']), agent: counting, episode: episode({ done: false }), stepLimitReached: () => steps >= 6 })).toMatchObject({ endedBy: 'step-limit', turns: 2 });
    // The answer to the last step still counts: a stop then is a finished episode.
    steps = 0;
    expect(await runTauEpisode({ user: scriptedUser(['a', 'b', '###STOP###']), agent: counting, episode: episode({ done: false }), stepLimitReached: () => steps >= 6 })).toMatchObject({ endedBy: 'stop', done: true });
    const failing = await runTauEpisode({ user: scriptedUser(['a']), agent: { send: async () => Promise.reject(new Error('no reply within 5 ms')) }, episode: episode({ done: false }) });
    expect(failing).toMatchObject({ done: false, endedBy: 'error', error: 'agent: no reply within 5 ms', turns: 1 });
  });
});
