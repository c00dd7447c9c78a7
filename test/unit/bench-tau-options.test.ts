import { describe, expect, it } from 'vitest';
import { benchBaseConfig, episodeSpecs, parseTaskList } from '../../src/cli/tau/bench-tau-command.js';
import { episodeConfig } from '../../src/cli/tau/pipeline-episode-agent.js';
import { loadConfig } from '../../src/config/load-config.js';
import { AIRLINE_POLICY } from '../../src/tau-bench/airline-policy.js';
import type { TauModelGateway } from '../../src/tau-bench/tau-model-gateway.js';
import type { TauTrajectory } from '../../src/tau-bench/tau-trajectories.js';

const run = (taskId: number, trial: number): TauTrajectory => ({
  task_id: taskId,
  trial,
  reward: 0,
  info: { task: { user_id: 'u', instruction: `task ${taskId}`, actions: [], outputs: [] } },
  traj: [],
});

describe('bench tau options', () => {
  it('--tasks takes ids and ranges', () => {
    expect(parseTaskList('0-3,7, 5')).toEqual([0, 1, 2, 3, 5, 7]);
    expect(() => parseTaskList('3-1')).toThrow('--tasks: the range 3-1 is empty');
    expect(() => parseTaskList('a')).toThrow('--tasks: "a" is not a task id or a range like 0-9');
  });

  it('an episode per task and trial; scripted runs need the recorded trial', () => {
    const runs = [run(0, 0), run(0, 1), run(1, 0)];
    expect(episodeSpecs(runs, { trials: 2, scripted: false }).map((spec) => `${spec.taskId}/${spec.trial}/${spec.trajectory ? 'r' : '-'}`)).toEqual(['0/0/r', '0/1/r', '1/0/r', '1/1/-']);
    expect(() => episodeSpecs(runs, { trials: 2, scripted: true })).toThrow('--scripted replays recorded conversations: task 1 has no trial 1 (it has 1)');
    expect(() => episodeSpecs(runs, { tasks: [4], trials: 1, scripted: false })).toThrow('--tasks: no task 4 in the trajectories file (it has 2 tasks, 0-1)');
  });

  it("the bench's configuration: the airline policy for actor and critic, room for a whole conversation, the episode's own service and tool server", () => {
    const config = loadConfig({ file: '/nonexistent-countersign.yaml', env: { OPENAI_API_KEY: 'k', REDIS_PREFIX: 'op' } });
    const base = benchBaseConfig(config, { keepOperatorPrompts: false, maxSteps: 30 });
    expect(base.actor.systemPrompt).toBe(AIRLINE_POLICY);
    expect(base.critic.policy).toBe(AIRLINE_POLICY);
    expect(base.turn.prompt.maxMessages).toBeGreaterThanOrEqual(1000);
    expect(base.turn.modelCalls.perConversation).toBe(0);
    expect(benchBaseConfig(config, { keepOperatorPrompts: true, maxSteps: 30 }).actor.systemPrompt).toBe(config.actor.systemPrompt);
    const gateway = { baseUrl: (episode: string, role: string) => `http://gw/episodes/${episode}/${role}/v1` } as unknown as TauModelGateway;
    const episode = episodeConfig({ base, gateway, airlineUrl: 'http://127.0.0.1:9/mcp', redisPrefix: 'h14-tau' }, 'c0-t1-r0-s0', 'token-123456');
    expect(episode.redis.prefix).toBe('h14-tau.c0-t1-r0-s0');
    expect(episode.port).toBe(0);
    expect(episode.review.token).toBe('token-123456');
    expect(episode.models.actor).toMatchObject({ baseUrl: 'http://gw/episodes/c0-t1-r0-s0/actor/v1', apiKey: 'bench-gateway' });
    expect(episode.models.critic.baseUrl).toBe('http://gw/episodes/c0-t1-r0-s0/critic/v1');
    expect(episode.tools.servers).toEqual([{ name: 'airline', transport: 'http', url: 'http://127.0.0.1:9/episodes/c0-t1-r0-s0/mcp', headers: {} }]);
  });
});
