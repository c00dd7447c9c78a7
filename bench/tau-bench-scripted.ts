/**
 * npm run bench:tau: the 200 recorded τ-bench airline conversations through countersign's real
 * pipeline with scripted models (`countersign bench tau --scripted --both --on-escalate oracle`):
 *
 * - the baseline (replayed actor, no critic) must give every recorded reward (84 solved);
 * - the scripted critic that escalates write calls outside the expected actions, with the oracle
 *   reviewer, must give what the replay with those calls left out gives (bench:tau-replay's
 *   figure), conversation by conversation.
 *
 * Prints the Markdown report and the two checks; exits 1 when either fails. Needs Redis.
 *
 *   npm run bench:tau [-- --data DIR] [-- --trajectories FILE] [-- --concurrency N] [-- --tasks 0-9] [-- --out FILE]
 *
 * By default it reads ../shared/data/tau-bench-airline relative to the project root.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchTau, parseTaskList } from '../src/cli/tau/bench-tau-command.js';
import { loadConfig } from '../src/config/load-config.js';
import { loadAirlineData } from '../src/tau-bench/airline-data.js';
import { replayTauTrajectory } from '../src/tau-bench/replay.js';
import { stoppedByOracleGate } from '../src/tau-bench/scripted-models.js';
import { loadTauTrajectories } from '../src/tau-bench/tau-trajectories.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '../shared/data/tau-bench-airline');
const { values } = parseArgs({
  options: { data: { type: 'string' }, trajectories: { type: 'string' }, concurrency: { type: 'string' }, tasks: { type: 'string' }, out: { type: 'string' }, 'redis-prefix': { type: 'string' } },
});
const dataDirectory = values.data ?? shared;
const trajectoriesFile = values.trajectories ?? path.join(shared, 'gpt-4o-airline-trajectories.json');
if (!existsSync(trajectoriesFile)) {
  console.error(`no trajectories at ${trajectoriesFile}: see docs/tau-bench.md for where to get τ-bench's data`);
  process.exit(1);
}

const tasks = values.tasks === undefined ? undefined : parseTaskList(values.tasks);
const config = loadConfig({ file: '/nonexistent-countersign.yaml', env: { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', LOG_LEVEL: 'error' }, models: [] });
const started = performance.now();
const report = await benchTau(config, {
  data: dataDirectory,
  trajectories: trajectoriesFile,
  ...(tasks ? { tasks } : {}),
  trials: 4,
  concurrency: Number(values.concurrency ?? 4),
  configurations: ['no-critic', 'critic'],
  onEscalate: 'oracle',
  scripted: { critic: 'escalate-unexpected' },
  ...(values.out ? { out: values.out } : {}),
  redisPrefix: values['redis-prefix'] ?? 'countersign-bench-tau',
});
const wallSeconds = (performance.now() - started) / 1000;

// The figures the run must reproduce, computed apart from countersign: the replay, plain and gated.
const data = await loadAirlineData(dataDirectory);
const trajectories = (await loadTauTrajectories(trajectoriesFile)).filter((trajectory) => tasks === undefined || tasks.includes(trajectory.task_id));
const expected = new Map(trajectories.map((trajectory) => [`${trajectory.task_id}/${trajectory.trial}`, { plain: trajectory.reward, gated: replayTauTrajectory(data, trajectory, { skip: stoppedByOracleGate(trajectory.info.task), skipEndsTurn: true }).reward.reward }]));
// The baseline is the configuration without a critic (it has no escalation rate).
const baselineName = report.configurations.find((summary) => summary.escalations.rate === null)?.configuration;
const baseline = report.episodes.filter((episode) => episode.configuration === baselineName);
const gatedRun = report.episodes.filter((episode) => episode.configuration !== baselineName);
const differs = (episodes: typeof baseline, pick: 'plain' | 'gated') => episodes.filter((episode) => episode.reward !== expected.get(`${episode.taskId}/${episode.trial}`)?.[pick]);
const baselineDiffers = differs(baseline, 'plain');
const gatedDiffers = differs(gatedRun, 'gated');
console.log('');
console.log(`baseline: ${baseline.length - baselineDiffers.length}/${baseline.length} episodes gave their recorded reward (${baseline.filter((episode) => episode.reward === 1).length} solved)`);
for (const episode of baselineDiffers) console.log(`  - task ${episode.taskId} trial ${episode.trial}: ${episode.reward} (${episode.endedBy}${episode.error ? `: ${episode.error}` : ''})`);
console.log(`critic + oracle: ${gatedRun.length - gatedDiffers.length}/${gatedRun.length} episodes gave the gated replay's reward (${gatedRun.filter((episode) => episode.reward === 1).length} solved; the gated replay: ${[...expected.values()].filter((entry) => entry.gated === 1).length})`);
for (const episode of gatedDiffers) console.log(`  - task ${episode.taskId} trial ${episode.trial}: ${episode.reward} (${episode.endedBy}${episode.error ? `: ${episode.error}` : ''})`);
console.log(`wall time: ${wallSeconds.toFixed(0)} s for ${report.episodes.length} episodes`);
process.exit(baselineDiffers.length === 0 && gatedDiffers.length === 0 && baseline.length > 0 && gatedRun.length > 0 ? 0 : 1);
