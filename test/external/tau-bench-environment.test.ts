/**
 * The airline environment on τ-bench's real data (read from ../shared/data/tau-bench-airline):
 * isolation of episodes, the truth of the tool annotations, idempotency keys, bad calls.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AirlineData } from '../../src/tau-bench/airline-database.js';
import { loadAirlineData } from '../../src/tau-bench/airline-data.js';
import { createAirlineEnvironment } from '../../src/tau-bench/airline-environment.js';
import { createAirlineEpisode } from '../../src/tau-bench/airline-episode.js';
import { AIRLINE_TOOLS, AIRLINE_WRITE_TOOL_NAMES } from '../../src/tau-bench/airline-tool-definitions.js';
import type { TauTrajectory } from '../../src/tau-bench/tau-trajectories.js';
import { loadTauTrajectories } from '../../src/tau-bench/tau-trajectories.js';
import {TAU_DATA_DIRECTORY, TAU_TRAJECTORIES_FILE } from '../helpers/external-files.js';

describe('τ-bench airline environment', () => {
  let data: AirlineData;
  let trajectories: TauTrajectory[];
  let initialHash: string;

  beforeAll(async () => {
    data = await loadAirlineData(TAU_DATA_DIRECTORY);
    trajectories = await loadTauTrajectories(TAU_TRAJECTORIES_FILE);
    initialHash = createAirlineEpisode(data).dataHash();
  });

  it('episodes never share state, and the loaded data is never changed', () => {
    const environment = createAirlineEnvironment({ data });
    const first = environment.createEpisode('first');
    const second = environment.createEpisode('second');
    const cancelled = first.call('cancel_reservation', { reservation_id: '4WQ150' });
    expect(cancelled.isError).toBe(false);
    expect(JSON.parse(cancelled.output).status).toBe('cancelled');
    expect(JSON.parse(second.call('get_reservation_details', { reservation_id: '4WQ150' }).output).status).toBeUndefined();
    expect(first.dataHash()).not.toBe(initialHash);
    expect(second.dataHash()).toBe(initialHash);
    expect(environment.createEpisode().dataHash()).toBe(initialHash);
    expect(() => environment.createEpisode('first')).toThrow(/already exists/);
  });

  it('read-only tools leave the database as it was', () => {
    const episode = createAirlineEpisode(data);
    episode.call('get_user_details', { user_id: 'mia_li_3668' });
    episode.call('search_onestop_flight', { origin: 'JFK', destination: 'SEA', date: '2024-05-20' });
    episode.call('search_direct_flight', { origin: 'JFK', destination: 'SEA', date: '2024-05-20' });
    episode.call('calculate', { expression: '2 * 3' });
    episode.call('think', { thought: 'hm' });
    expect(episode.call('transfer_to_human_agents', { summary: 'help' }).output).toBe('Transfer successful');
    expect(episode.done).toBe(true);
    expect(episode.dataHash()).toBe(initialHash);
    expect(AIRLINE_TOOLS.filter((tool) => tool.annotations.readOnlyHint).map((tool) => tool.name).sort()).toEqual(
      ['calculate', 'get_reservation_details', 'get_user_details', 'list_all_airports', 'search_direct_flight', 'search_onestop_flight', 'think', 'transfer_to_human_agents'],
    );
  });

  it('idempotentHint is true exactly for the write tools whose repeated call changes nothing more (recorded calls)', () => {
    // For each write tool, up to three recorded calls that succeeded: replay the conversation up
    // to the call, then run the call once in one episode and twice in another.
    const checked = new Map<string, number>();
    for (const trajectory of trajectories) {
      const calls = trajectory.traj.flatMap((message, index) => (message.role === 'assistant' && message.tool_calls?.[0] ? [{ call: message.tool_calls[0], index }] : []));
      calls.forEach(({ call, index }, position) => {
        const name = call.function.name;
        const next = trajectory.traj[index + 1];
        if (!AIRLINE_WRITE_TOOL_NAMES.includes(name as never) || (checked.get(name) ?? 0) >= 3 || next?.role !== 'tool' || next.content.startsWith('Error')) return;
        const once = createAirlineEpisode(data);
        const twice = createAirlineEpisode(data);
        for (const { call: earlier } of calls.slice(0, position)) {
          once.callWithArgumentsJson(earlier.function.name, earlier.function.arguments);
          twice.callWithArgumentsJson(earlier.function.name, earlier.function.arguments);
        }
        const first = once.callWithArgumentsJson(name, call.function.arguments);
        twice.callWithArgumentsJson(name, call.function.arguments);
        const again = twice.callWithArgumentsJson(name, call.function.arguments);
        const sameEffect = once.dataHash() === twice.dataHash() && again.output === first.output;
        const tool = AIRLINE_TOOLS.find((candidate) => candidate.name === name);
        expect([name, sameEffect]).toEqual([name, tool?.annotations.idempotentHint]);
        checked.set(name, (checked.get(name) ?? 0) + 1);
      });
    }
    // Every write tool was checked (update_reservation_passengers has 2 recorded calls).
    expect([...checked.keys()].sort()).toEqual([...AIRLINE_WRITE_TOOL_NAMES].sort());
  });

  it('cancelling twice is accepted by τ-bench and refunds every payment again', () => {
    const episode = createAirlineEpisode(data);
    const first = JSON.parse(episode.call('cancel_reservation', { reservation_id: '4WQ150' }).output);
    const second = JSON.parse(episode.call('cancel_reservation', { reservation_id: '4WQ150' }).output);
    expect(second.payment_history).toHaveLength(first.payment_history.length * 2);
  });

  it('a write call with an idempotency key runs once; the key with other arguments is refused', () => {
    const episode = createAirlineEpisode(data);
    const first = episode.call('cancel_reservation', { reservation_id: '4WQ150' }, { idempotencyKey: 'k-1' });
    const hashAfterFirst = episode.dataHash();
    const repeated = episode.call('cancel_reservation', { reservation_id: '4WQ150' }, { idempotencyKey: 'k-1' });
    expect(repeated).toEqual({ ...first, replayed: true });
    expect(episode.dataHash()).toBe(hashAfterFirst);
    const misused = episode.call('cancel_reservation', { reservation_id: 'JMO1MG' }, { idempotencyKey: 'k-1' });
    expect(misused.isError).toBe(true);
    expect(misused.output).toMatch(/already used for another call/);
    expect(episode.dataHash()).toBe(hashAfterFirst);
    // Without a key the call runs again.
    episode.call('cancel_reservation', { reservation_id: '4WQ150' });
    expect(episode.dataHash()).not.toBe(hashAfterFirst);
  });

  it('bad calls are errors that change nothing: invalid arguments, unknown tools, τ-bench errors', () => {
    const episode = createAirlineEpisode(data);
    const missing = episode.call('update_reservation_baggages', { reservation_id: '4WQ150', total_baggages: 1 });
    expect(missing.isError).toBe(true);
    expect(missing.output).toMatch(/^Error: invalid arguments for update_reservation_baggages: .*nonfree_baggages/);
    const wrongEnum = episode.call('update_reservation_flights', { reservation_id: '4WQ150', cabin: 'first', flights: [], payment_id: 'x' });
    expect(wrongEnum.output).toMatch(/invalid arguments .*cabin/);
    expect(episode.call('cancel_reservation', { reservation_id: '4WQ150', reason: 'x' }).output).toMatch(/Unrecognized key/);
    expect(episode.call('no_such_tool', {})).toEqual({ output: 'Unknown action no_such_tool', isError: true, replayed: false });
    expect(episode.call('get_reservation_details', { reservation_id: 'NOPE00' })).toEqual({ output: 'Error: user not found', isError: true, replayed: false });
    expect(episode.callWithArgumentsJson('get_user_details', '{"user_id": ')).toMatchObject({ isError: true });
    expect(episode.dataHash()).toBe(initialHash);
  });

  it('keeps a float argument a float, as json.loads does (100.0 is not 100 to τ-bench)', () => {
    const asInt = createAirlineEpisode(data);
    const asFloat = createAirlineEpisode(data);
    expect(asInt.callWithArgumentsJson('send_certificate', '{"user_id": "mia_li_3668", "amount": 100}').output).toBe('Certificate certificate_3221322 added to user mia_li_3668 with amount 100.');
    expect(asFloat.callWithArgumentsJson('send_certificate', '{"user_id": "mia_li_3668", "amount": 100.0}').output).toBe('Certificate certificate_3221322 added to user mia_li_3668 with amount 100.0.');
    expect(asInt.dataHash()).not.toBe(asFloat.dataHash());
  });
});

describe('τ-bench airline episodes kept in memory', () => {
  it('drops the oldest episode not in use past maxEpisodes, and refuses when all are in use', async () => {
    const environment = createAirlineEnvironment({ data: await loadAirlineData(TAU_DATA_DIRECTORY), maxEpisodes: 2 });
    environment.createEpisode('a');
    environment.retain('a');
    environment.createEpisode('b');
    environment.createEpisode('c');
    expect([environment.episode('a'), environment.episode('b'), environment.episode('c')].map((episode) => episode?.id)).toEqual(['a', undefined, 'c']);
    environment.retain('c');
    expect(() => environment.createEpisode('d')).toThrow(/all 2 episodes are in use/);
    environment.release('a');
    expect(environment.createEpisode('d').id).toBe('d');
    expect(environment.episode('a')).toBeUndefined();
  });
});
