/**
 * The agent of `bench tau` episodes: a real countersign service per episode (its own Redis
 * prefix, the in-process bench channel, models behind the gateway), the stand-in reviewer
 * deciding escalated replies through the review API, the baseline's critic that approves
 * without a model call, and the episode's keys deleted when it stops. Reads τ-bench's data
 * from ../shared/data/tau-bench-airline (the episode's tool server is the airline MCP server).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OnEscalate, startPipelineAgent } from '../../src/cli/tau/pipeline-episode-agent.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { type AirlineServer, startAirlineServer } from '../../src/tau-bench/airline-mcp-server.js';
import type { EpisodeContext } from '../../src/tau-bench/tau-bench-runner.js';
import { type GatewayRequest, startTauModelGateway, type TauModelGateway } from '../../src/tau-bench/tau-model-gateway.js';
import { TAU_DATA_DIRECTORY } from '../helpers/external-files.js';
import { connectRedis, REDIS_URL, randomPrefix, scanPrefix } from '../helpers/redis.js';

describe('bench tau: the pipeline agent of an episode', () => {
  let airline: AirlineServer;
  let gateway: TauModelGateway;
  let base: Config;
  const redis = connectRedis();
  const prefix = randomPrefix('bench-tau');

  beforeAll(async () => {
    airline = await startAirlineServer({ dataDirectory: TAU_DATA_DIRECTORY, transport: 'http' });
    gateway = await startTauModelGateway();
    base = loadConfig({ file: '/nonexistent-countersign.yaml', env: { REDIS_URL, LOG_LEVEL: 'silent', OPENAI_API_KEY: 'unused', HOLDING_MESSAGE: 'HOLDING' } });
  });
  afterAll(async () => {
    await gateway.close();
    await airline.close();
    redis.disconnect();
  });

  const lastText = (request: GatewayRequest) => JSON.stringify(request.messages);
  const actor = { script: (request: GatewayRequest) => ({ content: lastText(request).includes('second') ? 'Second answer.' : 'First answer.' }) };
  const critic = { script: (request: GatewayRequest) => ({ content: JSON.stringify({ decision: lastText(request).includes('Second answer') ? 'escalate' : 'approve', reason: 'scripted', categories: [], confidence: 1, revised_text: null, feedback: null }) }) };

  async function episode(name: string, onEscalate: OnEscalate, noCritic = false) {
    const context: EpisodeContext = {
      taskId: 0,
      trial: 0,
      task: { user_id: 'u', instruction: 'i', actions: [], outputs: [] },
      episodeId: name,
      configuration: 'test',
      turn: () => 0,
    };
    gateway.register(name, noCritic ? { actor } : { actor, critic });
    airline.environment.createEpisode(name);
    const handle = await startPipelineAgent({ base, gateway, airlineUrl: airline.url!, redisPrefix: prefix, redis, noCritic, onEscalate, logger: pino({ level: 'silent' }), reviewPollMs: 20, turnTimeoutMs: 30_000 }, context);
    return handle;
  }

  const keysOf = async (name: string) => {
    let count = 0;
    for await (const keys of scanPrefix(redis, `${prefix}.${name}`)) count += keys.length;
    return count;
  };

  it('gets the approved reply of each turn; a rejected escalated reply gives none; the keys go when it stops', async () => {
    const handle = await episode('rejecting', 'reject');
    expect(await handle.agent.send('the first message', 0)).toEqual(['First answer.']);
    expect(await handle.agent.send('the second message', 1)).toEqual([]);
    expect(handle.escalations()).toEqual({ reply: { approved: 0, rejected: 1 }, action: { approved: 0, rejected: 0 } });
    const meter = gateway.meter('rejecting')!;
    expect(meter.verdicts.reply).toMatchObject({ approve: 1, escalate: 1 });
    expect(meter.usage.actor.calls).toBe(2);
    expect(await keysOf('rejecting')).toBeGreaterThan(0);
    await handle.stop();
    expect(await keysOf('rejecting')).toBe(0);
  });

  it('an approving reviewer lets the escalated reply out', async () => {
    const handle = await episode('approving', 'approve');
    await handle.agent.send('the first message', 0);
    expect(await handle.agent.send('the second message', 1)).toEqual(['Second answer.']);
    expect(handle.escalations().reply).toEqual({ approved: 1, rejected: 0 });
    await handle.stop();
  });

  it('without a critic nothing is reviewed and no critic model is called', async () => {
    const handle = await episode('baseline', 'reject', true);
    expect(await handle.agent.send('the first message', 0)).toEqual(['First answer.']);
    expect(await handle.agent.send('the second message', 1)).toEqual(['Second answer.']);
    expect(handle.escalations()).toEqual({ reply: { approved: 0, rejected: 0 }, action: { approved: 0, rejected: 0 } });
    expect(gateway.meter('baseline')!.usage.critic.calls).toBe(0);
    await handle.stop();
  });
});
