/**
 * τ-bench's airline environment for benchmark runners: load the data, run episodes (in
 * process or through the MCP server), compute τ-bench's reward, replay recorded runs, and the
 * labelled write calls for a critic of actions. See docs/tau-bench.md.
 */
export type { ActionExclusion, ActionLabel, ActionLabelOptions, ActionLabelSet, ExcludedAction, LabelledAction, LabelledCall } from './action-labels.js';
export { buildActionLabels } from './action-labels.js';
export { AIRLINE_DATA_ENVIRONMENT_VARIABLE, airlineDataDirectoryFrom, loadAirlineData } from './airline-data.js';
export type { AirlineData, AirlineDatabase } from './airline-database.js';
export type { AirlineEnvironment, AirlineEnvironmentOptions } from './airline-environment.js';
export { createAirlineEnvironment } from './airline-environment.js';
export type { AirlineCallOptions, AirlineCallRecord, AirlineEpisode, AirlineEpisodeOptions, AirlineToolResult } from './airline-episode.js';
export { createAirlineEpisode } from './airline-episode.js';
export type { AirlineServer, AirlineServerOptions } from './airline-mcp-server.js';
export { createAirlineMcpServer, IDEMPOTENCY_KEY_META, POLICY_RESOURCE_URI, REPLAYED_META, startAirlineServer } from './airline-mcp-server.js';
export { AIRLINE_POLICY } from './airline-policy.js';
export type { AirlineToolAnnotations, AirlineToolDefinition } from './airline-tool-definitions.js';
export { AIRLINE_TERMINATE_TOOL_NAMES, AIRLINE_TOOLS, AIRLINE_WRITE_TOOL_NAMES, findAirlineTool } from './airline-tool-definitions.js';
export { hashAirlineDatabase } from './data-hash.js';
export type { ReplayResult, ReplayedCall } from './replay.js';
export { compareToolOutput, recordedEpisodeDone, replayTauTrajectory, TAU_MAX_AGENT_STEPS, TAU_STOP_TOKEN } from './replay.js';
export type { TauReward, TauRewardInput } from './reward.js';
export { calculateTauReward, checkTauOutputs, expectedDataHash } from './reward.js';
export type { TauAction, TauMessage, TauTask, TauToolCall, TauTrajectory } from './tau-trajectories.js';
export { loadTauTrajectories, messagesToUser, parseTauTrajectories } from './tau-trajectories.js';
