/**
 * npm run bench:tau-replay: the proof that the airline environment is τ-bench's. Every recorded
 * tool call of the 200 GPT-4o conversations is replayed, each conversation from a fresh
 * database, and compared with the recorded output (as JSON where it is JSON, exactly
 * otherwise); then each conversation's reward is computed and compared with the recorded one.
 * Exits 1 on any difference that is not explained.
 *
 *   npm run bench:tau-replay [-- --data DIR] [-- --trajectories FILE]
 *
 * By default it reads ../shared/data/tau-bench-airline relative to the project root.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildActionLabels } from '../src/tau-bench/action-labels.js';
import { loadAirlineData } from '../src/tau-bench/airline-data.js';
import type { OutputMatch } from '../src/tau-bench/replay.js';
import { replayTauTrajectory } from '../src/tau-bench/replay.js';
import { stoppedByOracleGate } from '../src/tau-bench/scripted-models.js';
import { loadTauTrajectories } from '../src/tau-bench/tau-trajectories.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '../shared/data/tau-bench-airline');
const { values } = parseArgs({ options: { data: { type: 'string' }, trajectories: { type: 'string' } } });
const dataDirectory = values.data ?? shared;
const trajectoriesFile = values.trajectories ?? path.join(shared, 'gpt-4o-airline-trajectories.json');
if (!existsSync(trajectoriesFile)) {
  console.error(`no trajectories at ${trajectoriesFile}: see docs/tau-bench.md for where to get τ-bench's data`);
  process.exit(1);
}

const started = performance.now();
const data = await loadAirlineData(dataDirectory);
const trajectories = await loadTauTrajectories(trajectoriesFile);
const loadedMs = performance.now() - started;

const matches: Record<OutputMatch, number> = { exact: 0, json: 0, 'revised-data': 0, different: 0 };
const revisedTools = new Set<string>();
const differences: string[] = [];
const rewardMismatches: string[] = [];
let rewardsEqual = 0;
let verdictsChecked = 0;
let verdictsEqual = 0;
let hashesRecorded = 0;
let hashesEqual = 0;
let unfinished = 0;
const replayStarted = performance.now();
for (const trajectory of trajectories) {
  const result = replayTauTrajectory(data, trajectory);
  for (const call of result.calls) {
    matches[call.match] += 1;
    if (call.match === 'revised-data') revisedTools.add(call.name);
    if (call.match === 'different') differences.push(`task ${result.taskId} trial ${result.trial} ${call.name}(${call.argumentsJson})\n    recorded: ${call.recorded.slice(0, 300)}\n    replayed: ${call.actual.slice(0, 300)}`);
  }
  if (!result.done) unfinished += 1;
  if (result.reward.reward === result.recordedReward) rewardsEqual += 1;
  else rewardMismatches.push(`task ${result.taskId} trial ${result.trial}: recorded ${result.recordedReward}, replayed ${JSON.stringify(result.reward)}`);
  const info = trajectory.info.reward_info?.info;
  if (info !== undefined) {
    verdictsChecked += 1;
    const same = 'r_actions' in info ? result.reward.actions.correct === (info.r_actions === 1) : JSON.stringify(result.reward.outputs?.found) === JSON.stringify(info.outputs);
    if (same) verdictsEqual += 1;
  }
  if (result.recordedExpectedDataHash !== null) {
    hashesRecorded += 1;
    if (result.recordedExpectedDataHash === result.reward.actions.expectedDataHash) hashesEqual += 1;
  }
}
const replayMs = performance.now() - replayStarted;
// What a gate that stops exactly the write calls outside the task's expected actions leaves:
// the figure `bench tau --scripted --on-escalate oracle` must reproduce through countersign.
const gated = trajectories.map((trajectory) => ({ trajectory, reward: replayTauTrajectory(data, trajectory, { skip: stoppedByOracleGate(trajectory.info.task), skipEndsTurn: true }).reward.reward }));
const gatedSolved = gated.filter((entry) => entry.reward === 1).length;
const lifted = gated.filter((entry) => entry.reward > entry.trajectory.reward);
const lost = gated.filter((entry) => entry.reward < entry.trajectory.reward);
const calls = Object.values(matches).reduce((sum, count) => sum + count, 0);
const labels = buildActionLabels(trajectories);

console.log(`τ-bench airline replay: ${trajectories.length} conversations, data ${dataDirectory}`);
console.log(`tool calls: ${calls}`);
console.log(`  equal exactly:            ${matches.exact}`);
console.log(`  equal as JSON:            ${matches.json}`);
console.log(`  equal but for the data revision: ${matches['revised-data']}${revisedTools.size > 0 ? ` (${[...revisedTools].join(', ')}: τ-bench's users.json renamed address.province to address.state after these runs were recorded)` : ''}`);
console.log(`  different:                ${matches.different}`);
for (const difference of differences) console.log(`  - ${difference}`);
console.log(`rewards reproduced: ${rewardsEqual}/${trajectories.length} (${unfinished} conversations hit τ-bench's 30-step limit: reward 0)`);
for (const mismatch of rewardMismatches) console.log(`  - ${mismatch}`);
console.log(`recorded verdicts reproduced (r_actions, or each required output): ${verdictsEqual}/${verdictsChecked}`);
console.log(`recorded gt_data_hash reproduced byte for byte: ${hashesEqual}/${hashesRecorded}${hashesEqual < hashesRecorded && matches['revised-data'] > 0 ? ' (the recorded hashes are of the users.json before the province rename)' : ''}`);
console.log(`labelled write calls: ${labels.counts.right} right, ${labels.counts.mistake} mistakes; excluded ${labels.counts.excluded.refused} refused, ${labels.counts.excluded['unmatched-in-solved']} unmatched in solved conversations (of ${labels.counts.writeCalls} write calls)`);
console.log(
  `with the write calls outside the expected actions left out (the scripted critic with the oracle reviewer): ${gatedSolved}/${trajectories.length} solved (recorded ${trajectories.filter((trajectory) => trajectory.reward === 1).length}; ${lifted.length} more solved, ${lost.length} fewer: ${lost.map((entry) => `task ${entry.trajectory.task_id} trial ${entry.trajectory.trial}`).join(', ') || 'none'})`,
);
console.log(`time: load ${(loadedMs / 1000).toFixed(1)} s, replay and rewards ${(replayMs / 1000).toFixed(1)} s`);

// The only explained difference is the documented data revision, on get_user_details.
const unexplained = matches.different + ([...revisedTools].some((tool) => tool !== 'get_user_details') ? 1 : 0);
process.exit(unexplained === 0 && rewardMismatches.length === 0 && verdictsEqual === verdictsChecked ? 0 : 1);
