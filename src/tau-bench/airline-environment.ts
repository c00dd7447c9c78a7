/**
 * The airline environment: the loaded data and the episodes running on it, by id. Each episode
 * starts from the data as loaded and never sees another's changes. A benchmark runner creates an
 * episode, lets an agent call its tools (in process, or through the MCP server of
 * airline-mcp-server.ts, which keys episodes by MCP session), and asks for the reward at the end.
 */
import { CountersignError } from '../core/errors.js';
import type { AirlineData } from './airline-database.js';
import type { AirlineEpisode } from './airline-episode.js';
import { createAirlineEpisode } from './airline-episode.js';
import type { TauReward, TauRewardInput } from './reward.js';
import { calculateTauReward } from './reward.js';

export interface AirlineEnvironmentOptions {
  readonly data: AirlineData;
  /**
   * How many episodes are kept. Past it, the oldest episode that is not in use (see `release`)
   * is dropped to make room; when every episode is in use, a new one is refused.
   * @defaultValue 1000
   */
  readonly maxEpisodes?: number;
}

export interface AirlineEnvironment {
  readonly data: AirlineData;
  /** A new episode on a fresh database; `id` must not be taken. @defaultValue id: a random UUID */
  createEpisode(id?: string): AirlineEpisode;
  episode(id: string): AirlineEpisode | undefined;
  /** The episode with this id, created on first use. */
  episodeOrCreate(id: string): AirlineEpisode;
  /** Marks the episode as in use by one more client (an open MCP session) until `release`. */
  retain(id: string): void;
  release(id: string): void;
  deleteEpisode(id: string): boolean;
  readonly episodeCount: number;
  /** τ-bench's reward of an episode (reward.ts). */
  reward(episode: AirlineEpisode, input: Omit<TauRewardInput, 'episode'>): TauReward;
}

export function createAirlineEnvironment(options: AirlineEnvironmentOptions): AirlineEnvironment {
  const maxEpisodes = options.maxEpisodes ?? 1000;
  if (!Number.isInteger(maxEpisodes) || maxEpisodes < 1) throw new CountersignError('tau.config', `maxEpisodes must be a positive integer, got ${maxEpisodes}`);
  // Insertion order is age order: the first entry not in use is the oldest droppable one.
  const episodes = new Map<string, AirlineEpisode>();
  const users = new Map<string, number>();

  const makeRoom = () => {
    if (episodes.size < maxEpisodes) return;
    for (const id of episodes.keys()) {
      if ((users.get(id) ?? 0) === 0) {
        episodes.delete(id);
        return;
      }
    }
    throw new CountersignError('tau.episodes-full', `all ${maxEpisodes} episodes are in use; end a session or raise maxEpisodes`);
  };

  const environment: AirlineEnvironment = {
    data: options.data,
    createEpisode(id) {
      if (id !== undefined && episodes.has(id)) throw new CountersignError('tau.episode-exists', `episode ${id} already exists`);
      makeRoom();
      const episode = createAirlineEpisode(options.data, id === undefined ? {} : { id });
      episodes.set(episode.id, episode);
      return episode;
    },
    episode: (id) => episodes.get(id),
    episodeOrCreate: (id) => episodes.get(id) ?? environment.createEpisode(id),
    retain(id) {
      users.set(id, (users.get(id) ?? 0) + 1);
    },
    release(id) {
      const count = (users.get(id) ?? 0) - 1;
      if (count > 0) users.set(id, count);
      else users.delete(id);
    },
    deleteEpisode(id) {
      users.delete(id);
      return episodes.delete(id);
    },
    get episodeCount() {
      return episodes.size;
    },
    reward: (episode, input) => calculateTauReward(options.data, { ...input, episode }),
  };
  return environment;
}
